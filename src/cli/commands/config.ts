/** `deadbolt config`: prints the effective configuration as JSON, secrets redacted. */
import type { Command } from "commander";
import { action, loadCliConfig, printJSON, STDIO, withCommonOptions, type CommonOptions } from "../program.js";
import { join } from "node:path";
import { redactConnectionUrl } from "../../config/redact.js";
import type { Config } from "../../config/schema.js";
import { DEVELOPMENT_KEYS_FILE } from "../../deadbolt.js";

/**
 * The config with every key value replaced by "[set]" (or by where the development keys are),
 * the passwords of the database, Redis and SMTP URLs by "[redacted]", and every webhook signing
 * secret by "[set]".
 */
export function redactConfig(config: Config): unknown {
	const development = `[development key: ${join(config.dataDir, DEVELOPMENT_KEYS_FILE)}]`;
	const databaseUrl = config.storage.databaseUrl === null ? null : redactConnectionUrl(config.storage.databaseUrl);
	const redisUrl = config.rateLimit.redisUrl === null ? null : redactConnectionUrl(config.rateLimit.redisUrl);
	const smtpUrl = config.email.smtpUrl === null ? null : redactConnectionUrl(config.email.smtpUrl);
	return {
		...config,
		email: { ...config.email, smtpUrl },
		webhooks: { ...config.webhooks, endpoints: config.webhooks.endpoints.map((endpoint) => ({ ...endpoint, secret: "[set]" })) },
		oidc: { ...config.oidc, clients: config.oidc.clients.map((client) => (client.secret === undefined ? client : { ...client, secret: "[set]" })) },
		rateLimit: { ...config.rateLimit, redisUrl },
		storage: { ...config.storage, databaseUrl },
		keys: {
			encryptionKey: config.keys.encryptionKey === null ? development : "[set]",
			hmacKey: config.keys.hmacKey === null ? development : "[set]",
			adminApiKey: config.keys.adminApiKey === null ? null : "[set]",
			// The rings' ids are not secret; their keys are.
			encryptionKeys: config.keys.encryptionKeys.map((entry) => ({ id: entry.id, key: "[set]" })),
			hmacKeys: config.keys.hmacKeys.map((entry) => ({ id: entry.id, key: "[set]" })),
			primaryEncryptionKeyId: config.keys.primaryEncryptionKeyId,
			primaryHmacKeyId: config.keys.primaryHmacKeyId,
			signingKeyPublishAheadSeconds: config.keys.signingKeyPublishAheadSeconds,
			signingKeyRefreshSeconds: config.keys.signingKeyRefreshSeconds,
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
