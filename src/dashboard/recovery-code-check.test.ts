import { describe, expect, it } from "vitest";
import { fingerprintRecoveryCode, normalizeRecoveryCode } from "../domain/recovery-codes/recovery-codes.js";
import { joinHashes, matchesRecoveryCodeProof, parseRecoveryCodeProof, recoveryCodeProof, type RecoveryCodeFingerprinter } from "./recovery-code-check.js";

const CODES = ["K7M2-QZ4B-9HCW", "ZZZZ-YYYY-XXXX"];

/** What `Deadbolt.recoveryCodeFingerprint` does, under a fixed key. */
function fingerprintUnder(key: Uint8Array): RecoveryCodeFingerprinter {
	return (input) => {
		const code = normalizeRecoveryCode(input);
		return code === null ? null : fingerprintRecoveryCode(key, code);
	};
}
const fingerprint = fingerprintUnder(new Uint8Array(32).fill(9));

describe("recovery-code check at the end of the setup", () => {
	it("accepts a shown code however typed, refuses others, and survives the form round trip", () => {
		const proof = recoveryCodeProof(CODES, fingerprint);
		expect(proof.hashes).toHaveLength(2);
		expect(proof.nonce).toMatch(/^[0-9a-f]{64}$/);
		const back = parseRecoveryCodeProof(proof.nonce, joinHashes(proof.hashes));
		expect(back).not.toBeNull();
		expect(matchesRecoveryCodeProof("zzzz yyyy xxxx", back!, fingerprint)).toBe(true);
		expect(matchesRecoveryCodeProof("k7m2qz4b9hcw", back!, fingerprint)).toBe(true);
		expect(matchesRecoveryCodeProof("ZZZZ-YYYY-XXXW", back!, fingerprint)).toBe(false);
		expect(matchesRecoveryCodeProof("", back!, fingerprint)).toBe(false);
		// Another render's nonce makes other hashes: nothing in the page is reusable.
		expect(recoveryCodeProof(CODES, fingerprint).hashes).not.toEqual(proof.hashes);
	});

	it("the hashes are keyed: under another server key, nothing matches (a page gives nothing to guess codes against)", () => {
		const proof = recoveryCodeProof(CODES, fingerprint);
		expect(matchesRecoveryCodeProof(CODES[0]!, proof, fingerprintUnder(new Uint8Array(32).fill(8)))).toBe(false);
		// Nor does an unkeyed hash of the code, as the check made them before.
		const unkeyed: RecoveryCodeFingerprinter = (input) => normalizeRecoveryCode(input);
		expect(matchesRecoveryCodeProof(CODES[0]!, proof, unkeyed)).toBe(false);
	});

	it("rejects a malformed proof", () => {
		const proof = recoveryCodeProof(CODES, fingerprint);
		expect(parseRecoveryCodeProof("", joinHashes(proof.hashes))).toBeNull();
		expect(parseRecoveryCodeProof(proof.nonce, "")).toBeNull();
		expect(parseRecoveryCodeProof(proof.nonce, "abc.def")).toBeNull();
	});
});
