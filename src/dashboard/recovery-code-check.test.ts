import { describe, expect, it } from "vitest";
import { normalizeRecoveryCode } from "../domain/recovery-codes/recovery-codes.js";
import { joinHashes, matchesRecoveryCodeProof, parseRecoveryCodeProof, recoveryCodeProof } from "./recovery-code-check.js";

const CODES = ["k7m2qz-0a1b2c-3d4e5f-6g7h8j", "zzzzzz-yyyyyy-xxxxxx-wwwwww"];

describe("recovery-code check at the end of the setup", () => {
	it("normalizes like the domain: case, spaces, hyphens, i/l -> 1, o -> 0", () => {
		expect(normalizeRecoveryCode(" K7M2QZ 0A1B2C-3D4E5F-6G7H8J ")).toBe("k7m2qz0a1b2c3d4e5f6g7h8j");
		expect(normalizeRecoveryCode("k7m2qz-oa1b2c-3d4e5f-6g7h8j")).toBe("k7m2qz0a1b2c3d4e5f6g7h8j");
		expect(normalizeRecoveryCode("IL0000000000000000000000")).toBe("110000000000000000000000");
		expect(normalizeRecoveryCode("k7m2qz")).toBeNull();
		expect(normalizeRecoveryCode("uuuuuu-uuuuuu-uuuuuu-uuuuuu")).toBeNull();
	});

	it("accepts a shown code however typed, refuses others, and survives the form round trip", () => {
		const proof = recoveryCodeProof(CODES, normalizeRecoveryCode);
		expect(proof.hashes).toHaveLength(2);
		expect(proof.nonce).toMatch(/^[0-9a-f]{64}$/);
		const back = parseRecoveryCodeProof(proof.nonce, joinHashes(proof.hashes));
		expect(back).not.toBeNull();
		expect(matchesRecoveryCodeProof("ZZZZZZ YYYYYY XXXXXX WWWWWW", back!, normalizeRecoveryCode)).toBe(true);
		expect(matchesRecoveryCodeProof("k7m2qz-oa1b2c-3d4e5f-6g7h8j", back!, normalizeRecoveryCode)).toBe(true);
		expect(matchesRecoveryCodeProof("zzzzzz-yyyyyy-xxxxxx-wwwwwx", back!, normalizeRecoveryCode)).toBe(false);
		expect(matchesRecoveryCodeProof("", back!, normalizeRecoveryCode)).toBe(false);
		// Another render's nonce makes other hashes: nothing in the page is reusable.
		expect(recoveryCodeProof(CODES, normalizeRecoveryCode).hashes).not.toEqual(proof.hashes);
	});

	it("rejects a malformed proof", () => {
		const proof = recoveryCodeProof(CODES, normalizeRecoveryCode);
		expect(parseRecoveryCodeProof("", joinHashes(proof.hashes))).toBeNull();
		expect(parseRecoveryCodeProof(proof.nonce, "")).toBeNull();
		expect(parseRecoveryCodeProof(proof.nonce, "abc.def")).toBeNull();
	});
});
