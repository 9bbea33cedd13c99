/** `deadbolt config`: prints the effective configuration as JSON, secrets redacted. */
import type { Config } from "../../config/schema.js";

/** The config with every key value replaced by "[set]" or null. */
export function redactConfig(config: Config): unknown {
	const databaseUrl = config.storage.databaseUrl === null ? null : config.storage.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:[redacted]@");
	return {
		...config,
		storage: { ...config.storage, databaseUrl },
		keys: {
			encryptionKey: config.keys.encryptionKey === null ? null : "[set]",
			hmacKey: config.keys.hmacKey === null ? null : "[set]",
		},
	};
}
