/**
 * The process logger: pino (Fastify's own), JSON lines on stdout, with deadbolt's redaction of
 * passwords, codes, tokens, secrets and cookies (OWASP ASVS 5.0 §16.2.5).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { Config } from "../config/schema.js";
import { REDACT_PATHS } from "../platform/logger.js";

/** What a request looks like in the log: never its query string, which may carry a sign-in link's token. */
interface LoggedRequest {
	readonly method?: string;
	readonly url?: string;
	readonly host?: string;
	readonly ip?: string;
	readonly socket?: { readonly remoteAddress?: string };
}

/**
 * Fastify's request serializer without the query string: `/dashboard/sign-in-link?token=...`
 * is logged as `/dashboard/sign-in-link?[redacted]` (OWASP ASVS 5.0 §16.2.5: no tokens in logs).
 */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
	// Also an encoded "?" (a mangled link, `/sign-in-link%3Ftoken=...`, is still a token).
	const query = typeof request.url === "string" ? request.url.search(/\?|%3f/i) : -1;
	const url = query === -1 ? request.url : `${(request.url as string).slice(0, query)}?[redacted]`;
	return { method: request.method, url, host: request.host, remoteAddress: request.ip ?? request.socket?.remoteAddress };
}

/**
 * Creates the process logger at the configured level.
 * @param destination - where the JSON lines go; default stdout
 */
export function createProcessLogger(config: Config, destination?: DestinationStream): PinoLogger {
	const options = {
		level: config.log.level,
		redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
		serializers: { req: serializeRequest },
		base: { service: "deadbolt" },
		timestamp: pino.stdTimeFunctions.isoTime,
	};
	return destination === undefined ? pino(options) : pino(options, destination);
}
