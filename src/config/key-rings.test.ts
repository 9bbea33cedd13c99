import { describe, expect, it } from "vitest";
import { ConfigInvalid } from "../errors.js";
import { configuredKeyRing, parseKeyRingText } from "./key-rings.js";
import { decodeKey, loadConfig } from "./load.js";

const a = Buffer.alloc(32, 1).toString("base64");
const b = Buffer.alloc(32, 2).toString("base64");
const issuesOf = (env: Record<string, string>): string[] => {
	try {
		loadConfig({ env });
		return [];
	} catch (error) {
		return [...(error as ConfigInvalid).issues];
	}
};

describe("key rings in the config", () => {
	it("reads the environment form id:base64,id:base64", () => {
		expect(parseKeyRingText(` k1:${a}, k2:${b} `)).toEqual([{ id: "k1", key: a }, { id: "k2", key: b }]);
		const config = loadConfig({ env: { DEADBOLT_ENCRYPTION_KEYS: `k1:${a},k2:${b}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k2", DEADBOLT_HMAC_KEY: a } });
		const ring = configuredKeyRing(config.keys, "encryption", decodeKey);
		expect(ring?.primaryId).toBe("k2");
		expect([...(ring?.keys.keys() ?? [])]).toEqual(["k1", "k2"]);
		expect(configuredKeyRing(config.keys, "hmac", decodeKey)?.primaryId).toBe("default");
	});

	it("keeps the single keys as a ring of one with the id default, and lets a ring join them", () => {
		const single = loadConfig({ env: { DEADBOLT_ENCRYPTION_KEY: a, DEADBOLT_HMAC_KEY: b } });
		expect([...(configuredKeyRing(single.keys, "encryption", decodeKey)?.keys.keys() ?? [])]).toEqual(["default"]);
		const joined = loadConfig({ env: { DEADBOLT_ENCRYPTION_KEY: a, DEADBOLT_ENCRYPTION_KEYS: `k2:${b}`, DEADBOLT_HMAC_KEY: b } });
		const ring = configuredKeyRing(joined.keys, "encryption", decodeKey);
		expect(ring?.primaryId).toBe("default");
		expect([...(ring?.keys.keys() ?? [])].sort()).toEqual(["default", "k2"]);
	});

	it("refuses repeated ids, keys of the wrong size, a missing or unknown primary, and one kind alone, without printing a key", () => {
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:${a},k1:${b}`, DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/"k1" appears twice/);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEY: a, DEADBOLT_ENCRYPTION_KEYS: `default:${b}`, DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/"default" appears twice/);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:c2hvcnQ=`, DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/key "k1": must be 32 bytes/);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:${a},k2:${b}`, DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/primaryEncryptionKeyId.*must name/);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:${a}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k9", DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/"k9" is not a key id/);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `bad id:${a}`, DEADBOLT_HMAC_KEY: a }).join("\n")).toMatch(/keys\.encryptionKeys\.0\.id/);
		const withoutId = issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `${a}`, DEADBOLT_HMAC_KEY: a }).join("\n");
		expect(withoutId).toMatch(/keys\.encryptionKeys\.0\.id/);
		expect(withoutId).not.toContain(a);
		expect(issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:${a}` }).join("\n")).toMatch(/set both/);
		const all = issuesOf({ DEADBOLT_ENCRYPTION_KEYS: `k1:${a},k1:${b}`, DEADBOLT_HMAC_KEYS: `h:${b}`, DEADBOLT_PRIMARY_HMAC_KEY_ID: "x" }).join("\n");
		expect(all).not.toContain(a);
		expect(all).not.toContain(b);
	});
});
