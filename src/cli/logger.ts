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
 * Fastify's request serializer without the query string or anything token-shaped:
 * `/dashboard/sign-in-link?token=...` is logged as `/dashboard/sign-in-link?[redacted]` (OWASP
 * ASVS 5.0 §16.2.5: no tokens in logs). See {@link redactURL}.
 */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
	return { method: request.method, url: request.url === undefined ? undefined : redactURL(request.url), host: request.host, remoteAddress: request.ip ?? request.socket?.remoteAddress };
}

/** deadbolt's token shape, `<16 base64url>.<43 base64url>` (also with the dot percent-encoded). */
const TOKEN_SHAPE = /[A-Za-z0-9_-]{16}(?:\.|%2e)[A-Za-z0-9_-]{43}/gi;

/**
 * A URL as it may be logged: no query string (also behind an encoded `?`), and no substring shaped
 * like one of deadbolt's tokens anywhere (a sign-in link mangled by a mail client or typed into the
 * path still carries its token).
 */
export function redactURL(url: string): string {
	const query = url.search(/\?|%3f/i);
	const withoutQuery = query === -1 ? url : `${url.slice(0, query)}?[redacted]`;
	return withoutQuery.replace(TOKEN_SHAPE, "[redacted]");
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
