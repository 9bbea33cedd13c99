/**
 * The server-key check: an instance whose keys differ from the ones the database was set up with
 * refuses to start (exit 78 in the CLI), naming the key, instead of failing users' sign-ins.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { ConfigInvalid } from "../../src/errors.js";
import { testBackends } from "../helpers/backends.js";
import { TEST_KEYS } from "../helpers/deadbolt.js";

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
				expect((both as ConfigInvalid).message).toContain("DEADBOLT_ENCRYPTION_KEY");
				expect((both as ConfigInvalid).message).toContain("DEADBOLT_HMAC_KEY");
				const hmacOnly = await createDeadbolt(config, { store, keys: { encryptionKey: TEST_KEYS.encryptionKey, hmacKey: otherKey(3) } }).catch((e: unknown) => e);
				expect(hmacOnly).toBeInstanceOf(ConfigInvalid);
				expect((hmacOnly as ConfigInvalid).message).not.toContain("DEADBOLT_ENCRYPTION_KEY");
				expect((hmacOnly as ConfigInvalid).message).toContain("DEADBOLT_HMAC_KEY");
				const encryptionOnly = await createDeadbolt(config, { store, keys: { encryptionKey: otherKey(4), hmacKey: TEST_KEYS.hmacKey } }).catch((e: unknown) => e);
				expect((encryptionOnly as ConfigInvalid).message).toContain("DEADBOLT_ENCRYPTION_KEY");
				expect((encryptionOnly as ConfigInvalid).message).not.toContain("DEADBOLT_HMAC_KEY");
			} finally {
				await store.close();
			}
		});
	});
}
