/**
 * Connection URLs without their secrets, for `deadbolt config` and for logs: the database URL
 * (`storage.databaseUrl`) and the Redis URL (`rateLimit.redisUrl`) may carry a password.
 */

/** URL query parameters that hold a secret (libpq: `password`, `sslpassword`, `sslkey`). */
const SECRET_PARAMETERS: readonly string[] = Object.freeze(["password", "sslpassword", "sslkey"]);

/**
 * A connection URL (`postgres://`, `redis://`, `rediss://`, ...) without its secrets: the
 * password part and the `password`, `sslpassword` and `sslkey` parameters become "[redacted]".
 * @param text - the URL as configured
 * @returns the URL with secrets replaced; "[redacted: not a URL]" when it does not parse (it
 * could be anything, a bare password included)
 */
export function redactConnectionUrl(text: string): string {
	try {
		const url = new URL(text);
		if (url.password !== "") url.password = "[redacted]";
		for (const name of SECRET_PARAMETERS) if (url.searchParams.has(name)) url.searchParams.set(name, "[redacted]");
		return url.toString().replaceAll("%5Bredacted%5D", "[redacted]");
	} catch {
		return "[redacted: not a URL]";
	}
}
