/** `deadbolt config`: prints the effective configuration as JSON, secrets redacted. */
import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import { DEVELOPMENT_KEYS_FILE } from "../../deadbolt.js";

/**
 * A database URL without its secrets: the password part and the `password` and `sslpassword`
 * parameters become "[redacted]"; a URL that does not parse is redacted whole.
 */
export function redactDatabaseUrl(text: string): string {
	try {
		const url = new URL(text);
		if (url.password !== "") url.password = "[redacted]";
		for (const name of ["password", "sslpassword", "sslkey"]) if (url.searchParams.has(name)) url.searchParams.set(name, "[redacted]");
		return url.toString().replaceAll("%5Bredacted%5D", "[redacted]");
	} catch {
		return "[redacted: not a URL]";
	}
}

/** The config with every key value replaced by "[set]", or by where the development keys are. */
export function redactConfig(config: Config): unknown {
	const development = `[development key: ${join(config.dataDir, DEVELOPMENT_KEYS_FILE)}]`;
	const databaseUrl = config.storage.databaseUrl === null ? null : redactDatabaseUrl(config.storage.databaseUrl);
	return {
		...config,
		storage: { ...config.storage, databaseUrl },
		keys: {
			encryptionKey: config.keys.encryptionKey === null ? development : "[set]",
			hmacKey: config.keys.hmacKey === null ? development : "[set]",
			adminApiKey: config.keys.adminApiKey === null ? null : "[set]",
		},
	};
}
