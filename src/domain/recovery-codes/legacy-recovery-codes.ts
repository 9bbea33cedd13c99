/**
 * Recovery codes issued before migration `0008-recovery-code-lookup-prefix` (still accepted
 * until the user makes a new set): 24 characters of Crockford's base32 alphabet, 120 bits from
 * the CSPRNG, shown as `xxxxxx-xxxxxx-xxxxxx-xxxxxx`. At >= 112 bits a keyed hash is enough
 * storage (NIST SP 800-63B §5.1.2.2, OWASP ASVS 5.0 6.5.2): they are stored as HMAC-SHA-256 under
 * the server key kept outside the database, and found by that hash (STANDARDS.md §9.4, option a).
 * No new code of this format is issued; see `recovery-codes.ts` for the current format.
 */
import { createHmac } from "node:crypto";

/** Crockford base32, lower case: no i, l, o, u. */
export const LEGACY_RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** Characters per legacy code (5 bits each: 120 bits). */
export const LEGACY_RECOVERY_CODE_LENGTH = 24;

/**
 * Normalizes a legacy code already stripped of spaces and hyphens: lower case, and Crockford's
 * look-alikes mapped (i, l -> 1; o -> 0).
 * @returns the 24-character code, or null when it cannot be a legacy code
 */
export function normalizeLegacyRecoveryCode(stripped: string): string | null {
	const cleaned = stripped.toLowerCase().replace(/[il]/g, "1").replace(/o/g, "0");
	if (cleaned.length !== LEGACY_RECOVERY_CODE_LENGTH) return null;
	for (const char of cleaned) {
		if (!LEGACY_RECOVERY_CODE_ALPHABET.includes(char)) return null;
	}
	return cleaned;
}

/**
 * The stored form of a normalized legacy code: HMAC-SHA-256 under the server's `hmacKey`,
 * lower-case hex (what `recovery_code.code_hash` holds for rows without a lookup prefix).
 * @param hmacKey - 32 bytes, kept outside the database
 */
export function hashLegacyRecoveryCode(hmacKey: Uint8Array, normalizedCode: string): string {
	return createHmac("sha256", hmacKey).update(`deadbolt:recovery-code:${normalizedCode}`, "utf8").digest("hex");
}
