/**
 * Recovery codes (NIST SP 800-63B §5.1.2 "look-up secrets"). Each code is 24 characters of
 * Crockford's base32 alphabet = 120 bits from the CSPRNG, shown as four groups of six
 * (`k7m2qz-...`). At >= 112 bits a keyed hash is enough storage (NIST §5.1.2.2, OWASP ASVS 5.0
 * 6.5.2): deadbolt stores HMAC-SHA-256 under a server key kept outside the database, so the
 * database alone reveals nothing, and finds a code by its hash (STANDARDS.md §9.4, option a).
 */
import { createHmac } from "node:crypto";
import { randomString, type RandomSource } from "../../platform/random.js";

/** Crockford base32, lower case: no i, l, o, u. */
export const RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** Characters per code (5 bits each: 120 bits). */
export const RECOVERY_CODE_LENGTH = 24;
const GROUP = 6;

/**
 * Generates `count` distinct codes, formatted for display (`xxxxxx-xxxxxx-xxxxxx-xxxxxx`).
 */
export function generateRecoveryCodes(random: RandomSource, count: number): string[] {
	const codes = new Set<string>();
	while (codes.size < count) {
		const raw = randomString(random, RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH);
		codes.add(raw.match(new RegExp(`.{${GROUP}}`, "g"))!.join("-"));
	}
	return [...codes];
}

/**
 * Normalizes what a user typed: lower case, spaces and hyphens removed, and Crockford's
 * look-alikes mapped (i, l -> 1; o -> 0).
 * @returns the 24-character code, or null when it cannot be a recovery code
 */
export function normalizeRecoveryCode(input: string): string | null {
	const cleaned = input
		.trim()
		.toLowerCase()
		.replace(/[\s-]/g, "")
		.replace(/[il]/g, "1")
		.replace(/o/g, "0");
	if (cleaned.length !== RECOVERY_CODE_LENGTH) return null;
	for (const char of cleaned) {
		if (!RECOVERY_CODE_ALPHABET.includes(char)) return null;
	}
	return cleaned;
}

/**
 * The stored form of a normalized code: HMAC-SHA-256 under the server's `hmacKey`, lower-case hex.
 * @param hmacKey - 32 bytes, kept outside the database
 */
export function hashRecoveryCode(hmacKey: Uint8Array, normalizedCode: string): string {
	return createHmac("sha256", hmacKey).update(`deadbolt:recovery-code:${normalizedCode}`, "utf8").digest("hex");
}
