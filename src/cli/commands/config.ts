/** `deadbolt config`: prints the effective configuration as JSON, secrets redacted. */
import type { Command } from "commander";
import { action, loadCliConfig, printJSON, STDIO, withCommonOptions, type CommonOptions } from "../program.js";
import { join } from "node:path";
import { effectivePrimaryKeyId } from "../../config/key-rings.js";
import { redactConnectionUrl } from "../../config/redact.js";
import type { Config } from "../../config/schema.js";
import { DEVELOPMENT_KEYS_FILE } from "../../deadbolt.js";

/**
 * The config with every key value replaced by "[set]", the passwords of the database, Redis and
 * SMTP URLs by "[redacted]", and every webhook signing secret by "[set]". Where the server keys
 * come from is told truthfully: a single key set is "[set]"; a ring's entries keep their ids
 * (the single key of a kind not set is null then) and the primary ids are the effective ones
 * (configured or implied); only with no key configured at all do `encryptionKey` and `hmacKey`
 * name the development keys file of the data directory.
 */
export function redactConfig(config: Config): unknown {
	const databaseUrl = config.storage.databaseUrl === null ? null : redactConnectionUrl(config.storage.databaseUrl);
	const redisUrl = config.rateLimit.redisUrl === null ? null : redactConnectionUrl(config.rateLimit.redisUrl);
	const smtpUrl = config.email.smtpUrl === null ? null : redactConnectionUrl(config.email.smtpUrl);
	const keys = config.keys;
	// loadConfig accepts both kinds configured or neither: neither means the development keys file.
	const development = keys.encryptionKey === null && keys.hmacKey === null && keys.encryptionKeys.length === 0 && keys.hmacKeys.length === 0 ? `[development keys file: ${join(config.dataDir, DEVELOPMENT_KEYS_FILE)}]` : null;
	return {
		...config,
		email: { ...config.email, smtpUrl },
		webhooks: { ...config.webhooks, endpoints: config.webhooks.endpoints.map((endpoint) => ({ ...endpoint, secret: "[set]" })) },
		oidc: { ...config.oidc, clients: config.oidc.clients.map((client) => (client.secret === undefined ? client : { ...client, secret: "[set]" })) },
		rateLimit: { ...config.rateLimit, redisUrl },
		storage: { ...config.storage, databaseUrl },
		keys: {
			encryptionKey: keys.encryptionKey !== null ? "[set]" : development,
			hmacKey: keys.hmacKey !== null ? "[set]" : development,
			adminApiKey: keys.adminApiKey === null ? null : "[set]",
			// The rings' ids are not secret; their keys are.
			encryptionKeys: keys.encryptionKeys.map((entry) => ({ id: entry.id, key: "[set]" })),
			hmacKeys: keys.hmacKeys.map((entry) => ({ id: entry.id, key: "[set]" })),
			primaryEncryptionKeyId: effectivePrimaryKeyId(keys, "encryption"),
			primaryHmacKeyId: effectivePrimaryKeyId(keys, "hmac"),
			signingKeyPublishAheadSeconds: keys.signingKeyPublishAheadSeconds,
			signingKeyRefreshSeconds: keys.signingKeyRefreshSeconds,
		},
	};
}

/** Registers `config` on `program`. */
export function registerConfigCommand(program: Command): void {
	withCommonOptions(program.command("config").description("Print the effective configuration as JSON (secrets redacted)")).action(
		action(async (options: CommonOptions) => {
			printJSON(STDIO, redactConfig(loadCliConfig(options)));
		}),
	);
}
