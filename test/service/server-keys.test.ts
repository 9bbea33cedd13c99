/**
 * The server-key check: an instance whose keys differ from the ones the database was set up with
 * refuses to start (exit 78 in the CLI), naming the key, instead of failing users' sign-ins.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { ConfigInvalid } from "../../src/errors.js";
import { testBackends } from "../helpers/backends.js";
import { recordingLogger, TEST_KEYS } from "../helpers/deadbolt.js";

const config = loadConfig({ overrides: { dataDir: "/nonexistent-test-data-dir" } });
const otherKey = (fill: number) => new Uint8Array(32).fill(fill);

for (const backend of await testBackends()) {
	describe(`server key check on ${backend.name}`, () => {
		it("the first start records the keys; the same keys start again; other keys are refused, naming each key that differs", async () => {
			const store = await backend.open();
			try {
				const starts = await Promise.all([createDeadbolt(config, { store, keys: TEST_KEYS }), createDeadbolt(config, { store, keys: TEST_KEYS })]);
				expect(starts).toHaveLength(2);
				await expect(createDeadbolt(config, { store, keys: TEST_KEYS })).resolves.toBeDefined();
				const both = await createDeadbolt(config, { store, keys: { encryptionKey: otherKey(1), hmacKey: otherKey(2) } }).catch((e: unknown) => e);
				expect(both).toBeInstanceOf(ConfigInvalid);
				// Keys given to createDeadbolt itself: named as such (no setting of the configuration holds them).
				expect((both as ConfigInvalid).message).toContain('encryption key "default" (given to createDeadbolt)');
				expect((both as ConfigInvalid).message).toContain('HMAC key "default" (given to createDeadbolt)');
				expect((both as ConfigInvalid).message).not.toContain("DEADBOLT_");
				const hmacOnly = await createDeadbolt(config, { store, keys: { encryptionKey: TEST_KEYS.encryptionKey, hmacKey: otherKey(3) } }).catch((e: unknown) => e);
				expect(hmacOnly).toBeInstanceOf(ConfigInvalid);
				expect((hmacOnly as ConfigInvalid).message).not.toContain("encryption key");
				expect((hmacOnly as ConfigInvalid).message).toContain('HMAC key "default"');
				const encryptionOnly = await createDeadbolt(config, { store, keys: { encryptionKey: otherKey(4), hmacKey: TEST_KEYS.hmacKey } }).catch((e: unknown) => e);
				expect((encryptionOnly as ConfigInvalid).message).toContain('encryption key "default"');
				expect((encryptionOnly as ConfigInvalid).message).not.toContain("HMAC key");
			} finally {
				await store.close();
			}
		});

		it("a refused key is named where it comes from: the single key, an entry of the ring (also the id default), or the development keys file", async () => {
			const store = await backend.open();
			const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-key-names-"));
			const base64 = (fill: number) => Buffer.from(otherKey(fill)).toString("base64");
			const refusal = async (env: Record<string, string>): Promise<string> => {
				const refused = await createDeadbolt(loadConfig({ env: { DEADBOLT_DATA_DIR: dataDir, ...env } }), { store }).catch((e: unknown) => e);
				expect(refused).toBeInstanceOf(ConfigInvalid);
				return (refused as ConfigInvalid).message;
			};
			try {
				// Set up with the single keys (the ids default; the keys of the test above, whose PostgreSQL schema this shares).
				await createDeadbolt(loadConfig({ env: { DEADBOLT_ENCRYPTION_KEY: base64(7), DEADBOLT_HMAC_KEY: base64(9) } }), { store });
				const single = await refusal({ DEADBOLT_ENCRYPTION_KEY: base64(13), DEADBOLT_HMAC_KEY: base64(9) });
				expect(single).toContain('the encryption key "default" (keys.encryptionKey, DEADBOLT_ENCRYPTION_KEY)');
				// "default" as an entry of the rings: the rings are named, not the single keys.
				const ring = await refusal({ DEADBOLT_ENCRYPTION_KEYS: `default:${base64(13)},k2:${base64(14)}`, DEADBOLT_HMAC_KEYS: `default:${base64(15)}` });
				expect(ring).toContain('the encryption key "default" (keys.encryptionKeys, DEADBOLT_ENCRYPTION_KEYS)');
				expect(ring).toContain('the HMAC key "default" (keys.hmacKeys, DEADBOLT_HMAC_KEYS)');
				expect(ring).not.toContain("DEADBOLT_ENCRYPTION_KEY)");
				expect(ring).not.toContain("DEADBOLT_HMAC_KEY)");
				// No key configured: the development keys file of the data directory.
				const development = await refusal({});
				expect(development).toContain(`the encryption key "default" (encryptionKey of the development keys file ${join(dataDir, "development-keys.json")})`);
				expect(development).toContain(`the HMAC key "default" (hmacKey of the development keys file ${join(dataDir, "development-keys.json")})`);
				expect(development).not.toContain("DEADBOLT_");
				// A retired key still in the ring: the warning names the ring (and, as primary, the refusal).
				const rotated = { DEADBOLT_ENCRYPTION_KEYS: `default:${base64(7)},k2:${base64(14)}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k2", DEADBOLT_HMAC_KEY: base64(9) };
				const deadbolt = await createDeadbolt(loadConfig({ env: rotated }), { store });
				await deadbolt.retireKey("encryption", "default");
				const logs: Record<string, unknown>[] = [];
				await createDeadbolt(loadConfig({ env: rotated }), { store, logger: recordingLogger(logs) });
				const warning = logs.find((line) => line["event"] === "keys.retired_key_configured");
				expect(warning?.["msg"]).toBe('the encryption key "default" (keys.encryptionKeys, DEADBOLT_ENCRYPTION_KEYS) was retired; remove it from the configuration');
				const back = await refusal({ DEADBOLT_ENCRYPTION_KEYS: `default:${base64(7)},k2:${base64(14)}`, DEADBOLT_HMAC_KEY: base64(9) });
				expect(back).toContain('the encryption key "default" (keys.encryptionKeys, DEADBOLT_ENCRYPTION_KEYS): retired');
			} finally {
				await store.close();
				rmSync(dataDir, { recursive: true, force: true });
			}
		});
	});
}
