import { describe, expect, it } from "vitest";
import { nodeRandom, sequenceRandom } from "../../platform/random.js";
import { hashLegacyRecoveryCode } from "./legacy-recovery-codes.js";
import {
	fingerprintRecoveryCode,
	generateRecoveryCodes,
	normalizeRecoveryCode,
	parseRecoveryCode,
	pepperRecoveryCode,
	RECOVERY_CODE_ALPHABET,
	RECOVERY_CODE_ARGON2,
	RECOVERY_CODE_LENGTH,
	RECOVERY_CODE_PREFIX_LENGTH,
} from "./recovery-codes.js";

const KEY = new Uint8Array(32).fill(9);

describe("recovery code format", () => {
	it("the alphabet has 30 distinct symbols and none of the look-alikes 0 O 1 I L (nor U)", () => {
		expect(new Set(RECOVERY_CODE_ALPHABET).size).toBe(30);
		for (const lookAlike of "0O1ILU") expect(RECOVERY_CODE_ALPHABET).not.toContain(lookAlike);
		expect(RECOVERY_CODE_ALPHABET).toBe(RECOVERY_CODE_ALPHABET.toUpperCase());
		// 12 characters: at least the 58 bits docs/decisions.md states; 10 after the prefix: 49.
		expect(RECOVERY_CODE_LENGTH * Math.log2(RECOVERY_CODE_ALPHABET.length)).toBeGreaterThan(58.8);
		expect((RECOVERY_CODE_LENGTH - RECOVERY_CODE_PREFIX_LENGTH) * Math.log2(RECOVERY_CODE_ALPHABET.length)).toBeGreaterThan(49);
	});

	it("generates XXXX-XXXX-XXXX codes of the alphabet only, with distinct prefixes, using every symbol", () => {
		const seen = new Set<string>();
		for (let set = 0; set < 100; set++) {
			const codes = generateRecoveryCodes(nodeRandom, 20);
			expect(codes).toHaveLength(20);
			expect(new Set(codes.map((code) => code.slice(0, RECOVERY_CODE_PREFIX_LENGTH))).size).toBe(20);
			for (const code of codes) {
				expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
				for (const char of code.replaceAll("-", "")) seen.add(char);
			}
		}
		expect([...seen].sort().join("")).toBe([...RECOVERY_CODE_ALPHABET].sort().join(""));
	});

	it("draws again a code whose prefix is taken: all 900 prefixes fit in one set, 901 codes cannot", () => {
		const codes = generateRecoveryCodes(sequenceRandom("prefixes"), 900);
		expect(new Set(codes.map((code) => code.slice(0, 2))).size).toBe(900);
		expect(() => generateRecoveryCodes(nodeRandom, 901)).toThrow(RangeError);
	});

	it("reads input ignoring case, spaces and hyphens (ASCII and Unicode dashes)", () => {
		const expected = { format: "current", code: "K7M2QZ4B9HCW", lookupPrefix: "K7" };
		expect(parseRecoveryCode("K7M2-QZ4B-9HCW")).toEqual(expected);
		expect(parseRecoveryCode(" k7m2 qz4b 9hcw ")).toEqual(expected);
		expect(parseRecoveryCode("k7m2qz4b9hcw")).toEqual(expected);
		expect(parseRecoveryCode("K7M2\u2010QZ4B\u20139HCW\n")).toEqual(expected);
		expect(parseRecoveryCode("k-7-m-2-q-z-4-b-9-h-c-w")).toEqual(expected);
		expect(normalizeRecoveryCode("k7m2-qz4b-9hcw")).toBe("K7M2QZ4B9HCW");
	});

	it("refuses look-alikes, other symbols and other lengths in a 12-character code", () => {
		for (const lookAlike of "0O1ILU") expect(parseRecoveryCode(`K7M2-QZ4B-9HC${lookAlike}`)).toBeNull();
		expect(parseRecoveryCode("K7M2-QZ4B-9HC!")).toBeNull();
		expect(parseRecoveryCode("K7M2-QZ4B-9HC")).toBeNull();
		expect(parseRecoveryCode("K7M2-QZ4B-9HCWX")).toBeNull();
		expect(parseRecoveryCode("")).toBeNull();
		expect(parseRecoveryCode("123456")).toBeNull();
	});

	it("still reads a legacy 24-character code, with its i/l -> 1 and o -> 0 mapping", () => {
		expect(parseRecoveryCode(" K7M2QZ 0A1B2C-3D4E5F-6G7H8J ")).toEqual({ format: "legacy", code: "k7m2qz0a1b2c3d4e5f6g7h8j" });
		expect(normalizeRecoveryCode("k7m2qz-oa1b2c-3d4e5f-6g7h8j")).toBe("k7m2qz0a1b2c3d4e5f6g7h8j");
		expect(normalizeRecoveryCode("IL0000000000000000000000")).toBe("110000000000000000000000");
		expect(normalizeRecoveryCode("uuuuuu-uuuuuu-uuuuuu-uuuuuu")).toBeNull();
		expect(hashLegacyRecoveryCode(KEY, "k7m2qz0a1b2c3d4e5f6g7h8j")).toMatch(/^[0-9a-f]{64}$/);
	});

	it("the pepper and the fingerprint are keyed and distinct from each other and from the legacy hash", () => {
		const code = "K7M2QZ4B9HCW";
		const values = [pepperRecoveryCode(KEY, code), fingerprintRecoveryCode(KEY, code), hashLegacyRecoveryCode(KEY, code)];
		expect(new Set(values).size).toBe(3);
		expect(pepperRecoveryCode(new Uint8Array(32).fill(8), code)).not.toBe(values[0]);
		for (const value of values) expect(value).toMatch(/^[0-9a-f]{64}$/);
	});

	it("argon2id costs for codes: a real cost factor (m >= 8 MiB, t >= 1)", () => {
		expect(RECOVERY_CODE_ARGON2.memoryKiB).toBeGreaterThanOrEqual(8192);
		expect(RECOVERY_CODE_ARGON2.iterations).toBeGreaterThanOrEqual(1);
	});
});
