/**
 * The process logger: pino (Fastify's own) on stdout, JSON lines (`log.format: json`) or lines a
 * person reads in a terminal (`pretty`, pino-pretty), with deadbolt's redaction of passwords,
 * codes, tokens, secrets and cookies (OWASP ASVS 5.0 §16.2.5) in both.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import { createRequire } from "node:module";
import type { PinoPretty as PinoPrettyFactory } from "pino-pretty";
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
 * Creates the process logger at the configured level and format (`log.level`, `log.format`).
 * Redaction runs in pino, before either format, so `pretty` shows no more than `json`.
 * @param destination - where the lines go; default stdout (in colour when it is a terminal)
 */
export function createProcessLogger(config: Config, destination?: DestinationStream): PinoLogger {
	const options = {
		level: config.log.level,
		redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
		serializers: { req: serializeRequest },
		base: { service: "deadbolt" },
		timestamp: pino.stdTimeFunctions.isoTime,
	};
	if (config.log.format === "pretty") return pino(options, prettyStream(destination));
	return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * pino-pretty in this process (no worker thread): one line a record, local time, the fields after
 * the message, synchronous so nothing is lost when the process exits after "stopping".
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
	// Loaded only for this format (a start with JSON logs does not pay for it: issue 15).
	const { PinoPretty } = createRequire(import.meta.url)("pino-pretty") as { PinoPretty: typeof PinoPrettyFactory };
	return PinoPretty({
		sync: true,
		singleLine: true,
		translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
		ignore: "service",
		...(destination === undefined ? {} : { destination, colorize: false }),
	});
}
