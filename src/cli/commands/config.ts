/** `deadbolt config`: prints the effective configuration as JSON, secrets redacted. */
import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import { DEVELOPMENT_KEYS_FILE } from "../../deadbolt.js";

/** The config with every key value replaced by "[set]", or by where the development keys are. */
export function redactConfig(config: Config): unknown {
	const development = `[development key: ${join(config.dataDir, DEVELOPMENT_KEYS_FILE)}]`;
	const databaseUrl = config.storage.databaseUrl === null ? null : config.storage.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:[redacted]@");
	return {
		...config,
		storage: { ...config.storage, databaseUrl },
		keys: {
			encryptionKey: config.keys.encryptionKey === null ? development : "[set]",
			hmacKey: config.keys.hmacKey === null ? development : "[set]",
		},
	};
}
