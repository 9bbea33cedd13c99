/**
 * The logging interface every layer may use: a subset of pino's, so the Fastify logger and a
 * silent test logger both fit. Values under {@link REDACT_PATHS} never reach the output.
 */

/** One log method: an object of fields first, then a message (pino's calling convention). */
export interface LogFn {
	(fields: Record<string, unknown>, message?: string): void;
	(message: string): void;
}

/** The part of pino's `Logger` deadbolt uses. */
export interface Logger {
	debug: LogFn;
	info: LogFn;
	warn: LogFn;
	error: LogFn;
	child(bindings: Record<string, unknown>): Logger;
}

/**
 * pino `redact` paths: credentials, codes, tokens, secrets and cookies are replaced with
 * "[redacted]" wherever they appear at these places in a log record (OWASP ASVS 5.0 §16.2.5).
 * deadbolt never logs a value of these on purpose; this is the net under that rule. `code` is
 * redacted at the top level only: nested, it is a driver's or Node's error code (`err.code`,
 * `ECONNREFUSED`, `40P01`), which operators need.
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
	"password",
	"currentPassword",
	"newPassword",
	"code",
	"token",
	"challengeToken",
	"secret",
	"*.password",
	"*.currentPassword",
	"*.newPassword",
	"*.token",
	"*.challengeToken",
	"*.secret",
	"req.headers.authorization",
	"req.headers.cookie",
	"res.headers['set-cookie']",
]);

/** A logger that drops everything (tests, library use without logging). */
export const silentLogger: Logger = {
	debug: () => {},
	info: () => {},
	warn: () => {},
	error: () => {},
	child: () => silentLogger,
};

/** The password of a connection URL (`redis://:secret@host`), as written and decoded; none when absent or not a URL. */
export function urlPasswords(url: string | null): string[] {
	if (url === null) return [];
	try {
		const raw = new URL(url).password;
		if (raw === "") return [];
		let decoded = raw;
		try {
			decoded = decodeURIComponent(raw);
		} catch {
			// A malformed escape: only the raw form can appear.
		}
		return [...new Set([raw, decoded])];
	} catch {
		return [];
	}
}

/**
 * A driver error as it may be logged: its message and code only (drivers attach the failed command
 * to some errors, and AUTH's argument is the password), with every known secret removed from the
 * message (Redis 6 answers a needless `AUTH` with `AUTH <password> called without any password
 * configured...`).
 * @param secrets - values that must never reach the log, e.g. {@link urlPasswords} of the URL
 */
export function loggableError(error: unknown, secrets: readonly string[]): { message: string; code: string | undefined } {
	const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
	let text = typeof message === "string" ? message : String(error);
	for (const secret of secrets) if (secret !== "") text = text.replaceAll(secret, "[redacted]");
	return { message: text, code: typeof code === "string" ? code : undefined };
}
