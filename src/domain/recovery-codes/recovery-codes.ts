/**
 * Recovery codes (NIST SP 800-63B §5.1.2 "look-up secrets"), as issued since migration
 * `0008-recovery-code-lookup-prefix`: 12 characters drawn from the CSPRNG out of a 30-symbol
 * alphabet without look-alikes, shown as three groups of four (`K7M2-QZ4B-9HCW`):
 * 12 × log2(30) = 58.9 bits. Input ignores case, spaces and hyphens.
 *
 * Below 112 bits NIST requires a salted password hash with a cost factor per code (§5.1.2.2),
 * so each code is stored as an argon2id PHC string ({@link RECOVERY_CODE_ARGON2}) of its
 * {@link pepperRecoveryCode peppered} form. To keep one check at one hash, the first
 * {@link RECOVERY_CODE_PREFIX_LENGTH} characters name the code in its set (stored in clear,
 * unique per account): a check finds the row by (account, prefix) and verifies that row only.
 * The other 10 characters, which the database does not reveal, carry 49.1 bits.
 *
 * Codes issued before (24 characters, HMAC-SHA-256) keep working: `legacy-recovery-codes.ts`;
 * {@link parseRecoveryCode} tells the two formats apart by length. The choice is explained in
 * docs/decisions.md ("Recovery codes").
 */
import { createHmac } from "node:crypto";
import { randomString, type RandomSource } from "../../platform/random.js";
import type { Argon2Parameters } from "../password/hash.js";
import { LEGACY_RECOVERY_CODE_LENGTH, normalizeLegacyRecoveryCode } from "./legacy-recovery-codes.js";

/**
 * Crockford's base32 in upper case without 0 and 1: Crockford already leaves out I, L, O and U,
 * so no O/0 or I/L/1 pair is left to confuse (nor U/V). 30 symbols, log2(30) = 4.91 bits each.
 */
export const RECOVERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Characters per code: 58.9 bits. */
export const RECOVERY_CODE_LENGTH = 12;
/** Characters per printed group (`XXXX-XXXX-XXXX`). */
export const RECOVERY_CODE_GROUP_LENGTH = 4;
/**
 * Leading characters that name a code in its set (900 values for at most 20 codes), stored in
 * clear as `recovery_code.lookup_prefix`.
 */
export const RECOVERY_CODE_PREFIX_LENGTH = 2;

/**
 * argon2id costs for recovery codes: m = 8 MiB, t = 1, p = 1 (about 2 ms per hash on the team's
 * machine, against 13 ms for passwords), so a set of 10 is issued in ~20 ms. Still a salted
 * password hash with a cost factor (NIST SP 800-63B §5.1.2.2): with the pepper AND the database,
 * guessing one code's 49 secret bits costs 2^48 argon2id runs on average (docs/decisions.md).
 */
export const RECOVERY_CODE_ARGON2: Argon2Parameters = Object.freeze({ memoryKiB: 8192, iterations: 1, parallelism: 1 });

/** A typed code, understood: its canonical form, and how it is stored. */
export type ParsedRecoveryCode =
	/** The current format: `code` is 12 upper-case characters; `lookupPrefix` its first two. */
	| { readonly format: "current"; readonly code: string; readonly lookupPrefix: string }
	/** A code issued before migration 0008: `code` is 24 lower-case characters (Crockford base32). */
	| { readonly format: "legacy"; readonly code: string };

/** Spaces (any Unicode white space), ASCII hyphens and the Unicode dashes U+2010 to U+2015. */
const SEPARATORS = /[\s\u2010-\u2015-]/g;

/**
 * Generates `count` codes of the current format, formatted for display (`XXXX-XXXX-XXXX`), with
 * distinct lookup prefixes (a code whose prefix is taken is drawn again).
 * @param count - at most 30^2 = 900
 * @throws RangeError when `count` exceeds the number of prefixes
 */
export function generateRecoveryCodes(random: RandomSource, count: number): string[] {
	if (count > RECOVERY_CODE_ALPHABET.length ** RECOVERY_CODE_PREFIX_LENGTH) throw new RangeError("more recovery codes than lookup prefixes");
	const byPrefix = new Map<string, string>();
	while (byPrefix.size < count) {
		const raw = randomString(random, RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH);
		const prefix = raw.slice(0, RECOVERY_CODE_PREFIX_LENGTH);
		if (!byPrefix.has(prefix)) byPrefix.set(prefix, formatRecoveryCode(raw));
	}
	return [...byPrefix.values()];
}

/** `K7M2QZ4B9HCW` -> `K7M2-QZ4B-9HCW`. */
function formatRecoveryCode(raw: string): string {
	return raw.match(new RegExp(`.{1,${RECOVERY_CODE_GROUP_LENGTH}}`, "g"))!.join("-");
}

/**
 * Reads what a user typed as a recovery code of either format: white space and hyphens anywhere
 * are ignored, and so is case. 12 characters of {@link RECOVERY_CODE_ALPHABET} are a current code;
 * 24 characters are a legacy one (with its own look-alike mapping).
 * @returns null when the input cannot be a recovery code
 */
export function parseRecoveryCode(input: string): ParsedRecoveryCode | null {
	const stripped = input.replace(SEPARATORS, "");
	if (stripped.length === LEGACY_RECOVERY_CODE_LENGTH) {
		const code = normalizeLegacyRecoveryCode(stripped);
		return code === null ? null : { format: "legacy", code };
	}
	if (stripped.length !== RECOVERY_CODE_LENGTH) return null;
	const code = stripped.toUpperCase();
	for (const char of code) {
		if (!RECOVERY_CODE_ALPHABET.includes(char)) return null;
	}
	return { format: "current", code, lookupPrefix: code.slice(0, RECOVERY_CODE_PREFIX_LENGTH) };
}

/**
 * The canonical form of a typed code of either format (see {@link parseRecoveryCode}).
 * @returns null when the input cannot be a recovery code
 */
export function normalizeRecoveryCode(input: string): string | null {
	return parseRecoveryCode(input)?.code ?? null;
}

/**
 * What argon2id hashes for a current-format code: HMAC-SHA-256 of the normalized code under the
 * server's `hmacKey`, lower-case hex (a pepper, NIST SP 800-63B §5.1.1.2: the database alone
 * gives nothing to guess against; the key and the database together still cost an argon2id run
 * per guess).
 * @param hmacKey - 32 bytes, kept outside the database
 */
export function pepperRecoveryCode(hmacKey: Uint8Array, normalizedCode: string): string {
	return createHmac("sha256", hmacKey).update(`deadbolt:recovery-code-argon2id:${normalizedCode}`, "utf8").digest("hex");
}

/**
 * A keyed fingerprint of a normalized code (HMAC-SHA-256 under `hmacKey`, lower-case hex), for
 * the dashboard's "type one of your codes back" check: a page may carry hashes of it without
 * giving anyone a fast hash of a 59-bit secret to guess against.
 * @param hmacKey - 32 bytes, kept outside the database
 */
export function fingerprintRecoveryCode(hmacKey: Uint8Array, normalizedCode: string): string {
	return createHmac("sha256", hmacKey).update(`deadbolt:recovery-code-fingerprint:${normalizedCode}`, "utf8").digest("hex");
}
