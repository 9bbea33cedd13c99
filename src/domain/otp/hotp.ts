/**
 * HOTP: HMAC-based one-time passwords (RFC 4226), the building block of TOTP.
 *
 * Besides the public verbs (`generateHOTP`, `verifyHOTP`, `isWellFormedOTP`,
 * `normalizeOTPInput`) this file exports a few `@internal` helpers that `totp.ts` and
 * `key-uri.ts` share (argument checks, the HMAC step and the constant-time digit
 * compare). They are not re-exported from `src/index.ts`.
 *
 * @see RFC 4226 (HOTP), RFC 6238 §1.2 (SHA-256 / SHA-512 variants)
 */
import { createHmac } from "node:crypto";

/**
 * HMAC hash function of an OTP credential, spelled as in `otpauth://` URIs.
 * @see RFC 6238 §1.2; Key Uri Format, "Algorithm"
 */
export type OTPAlgorithm = "SHA1" | "SHA256" | "SHA512";

/** Options shared by HOTP and TOTP generation and verification. */
export interface OTPOptions {
	/** Number of decimal digits, an integer 6 to 8. @default 6 */
	digits?: number;
	/** HMAC hash function. @default "SHA1" */
	algorithm?: OTPAlgorithm;
}

/** Default number of digits (RFC 4226 §5.3: "at least 6"). */
export const DEFAULT_OTP_DIGITS = 6;
/** Default HMAC algorithm (RFC 4226 §5.2, RFC 6238 §1.2). */
export const DEFAULT_OTP_ALGORITHM: OTPAlgorithm = "SHA1";

/** The three algorithms, in order of the RFC 6238 Appendix B columns. */
export const OTP_ALGORITHMS: readonly OTPAlgorithm[] = Object.freeze(["SHA1", "SHA256", "SHA512"]);

const NODE_HASH_NAMES: Readonly<Record<OTPAlgorithm, string>> = Object.freeze({
	SHA1: "sha1",
	SHA256: "sha256",
	SHA512: "sha512",
});

/** 10^digits for digits 6..8, so the hot path does no exponentiation. */
const POWERS_OF_TEN: readonly number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

const TWO_POW_64 = 1n << 64n;

/**
 * Checks that `key` is a non-empty `Uint8Array`.
 * @internal shared with totp.ts
 * @throws TypeError when it is not
 */
export function assertOTPKey(key: Uint8Array): void {
	if (!(key instanceof Uint8Array)) {
		throw new TypeError("OTP key must be a Uint8Array");
	}
	if (key.length === 0) {
		throw new TypeError("OTP key must not be empty");
	}
}

/**
 * Checks that `digits` is an integer from 6 to 8.
 * @internal shared with totp.ts and key-uri.ts
 * @throws RangeError when it is not
 * @see RFC 4226 §5.3 (at least 6 digits), R4
 */
export function assertOTPDigits(digits: number): void {
	if (!Number.isInteger(digits) || digits < 6 || digits > 8) {
		throw new RangeError(`OTP digits must be an integer from 6 to 8, got ${String(digits)}`);
	}
}

/**
 * Tells whether `value` names one of the supported algorithms (exact, upper case).
 * @internal shared with key-uri.ts
 */
export function isOTPAlgorithm(value: unknown): value is OTPAlgorithm {
	return value === "SHA1" || value === "SHA256" || value === "SHA512";
}

/**
 * Maps an {@link OTPAlgorithm} to its `node:crypto` hash name.
 * @internal shared with totp.ts
 * @throws TypeError when `algorithm` is not "SHA1", "SHA256" or "SHA512"
 */
export function nodeHashName(algorithm: OTPAlgorithm): string {
	if (!isOTPAlgorithm(algorithm)) {
		throw new TypeError(`OTP algorithm must be "SHA1", "SHA256" or "SHA512", got ${String(algorithm)}`);
	}
	return NODE_HASH_NAMES[algorithm];
}

/**
 * Computes the HOTP value for one 8-byte big-endian counter: HMAC, dynamic truncation,
 * then modulo 10^digits. Arguments are not checked (callers check once per request).
 * @internal shared with totp.ts (its hot path)
 * @param key - HMAC key
 * @param hashName - `node:crypto` hash name from {@link nodeHashName}
 * @param counterBytes - exactly 8 bytes, high-order byte first (RFC 4226 §5.2)
 * @param digits - 6 to 8
 * @returns an integer in [0, 10^digits)
 * @see RFC 4226 §5.3
 */
export function computeHOTPValue(key: Uint8Array, hashName: string, counterBytes: Uint8Array, digits: number): number {
	// A "binary" (= latin1: one character per byte) digest is about a quarter cheaper than a
	// Buffer digest: no ArrayBuffer backing store to allocate and later finalise
	// (bench/otp.ts). The typings only list the "binary" spelling of latin1.
	const hmac = createHmac(hashName, key).update(counterBytes).digest("binary");
	return dynamicTruncateLatin1(hmac) % (POWERS_OF_TEN[digits] as number);
}

/**
 * {@link dynamicTruncate} over an HMAC given as a latin1 (Node "binary") string, where each
 * character code is one byte.
 * @internal used by {@link computeHOTPValue}
 * @throws RangeError when `hmacLatin1` is shorter than 20 characters
 */
export function dynamicTruncateLatin1(hmacLatin1: string): number {
	const length = hmacLatin1.length;
	if (length < 20) {
		throw new RangeError("dynamic truncation needs an HMAC of at least 20 bytes");
	}
	const offset = hmacLatin1.charCodeAt(length - 1) & 0x0f;
	return (
		(hmacLatin1.charCodeAt(offset) & 0x7f) * 0x1000000 +
		hmacLatin1.charCodeAt(offset + 1) * 0x10000 +
		hmacLatin1.charCodeAt(offset + 2) * 0x100 +
		hmacLatin1.charCodeAt(offset + 3)
	);
}

/**
 * RFC 4226 dynamic truncation: `offset` = low 4 bits of the last HMAC byte, then the
 * 4 bytes at `offset` read big-endian with the top bit cleared.
 *
 * Works for any HMAC of at least 20 bytes (SHA-1, SHA-256, SHA-512); the offset always
 * comes from the last byte (RFC 6238 Appendix A reference code).
 *
 * @param hmacBytes - an HMAC result, at least 20 bytes
 * @returns the 31-bit integer `Snum` in [0, 2^31)
 * @throws RangeError when `hmacBytes` is shorter than 20 bytes
 * @see RFC 4226 §5.3 (DT), §5.4 (worked example: offset 10 -> 0x50ef7f19)
 */
export function dynamicTruncate(hmacBytes: Uint8Array): number {
	const length = hmacBytes.length;
	if (length < 20) {
		throw new RangeError("dynamic truncation needs an HMAC of at least 20 bytes");
	}
	const offset = (hmacBytes[length - 1] as number) & 0x0f;
	return (
		((hmacBytes[offset] as number) & 0x7f) * 0x1000000 +
		(hmacBytes[offset + 1] as number) * 0x10000 +
		(hmacBytes[offset + 2] as number) * 0x100 +
		(hmacBytes[offset + 3] as number)
	);
}

/**
 * Compares a well-formed code with an HOTP value in constant time: every digit of the
 * zero-padded value is XORed with the code's character and the differences are ORed
 * together, with no early exit. Equivalent to a constant-time compare of the code's
 * ASCII bytes with `formatOTPValue(value, digits)`, without allocating either.
 * @internal shared with totp.ts
 * @param code - exactly `digits` ASCII digits (the caller has checked with
 *   {@link isWellFormedOTP}; a different length returns `false`)
 * @param value - an integer in [0, 10^digits)
 * @param digits - 6 to 8
 */
export function otpEqualsValue(code: string, value: number, digits: number): boolean {
	if (code.length !== digits) return false;
	let difference = 0;
	let rest = value;
	for (let i = digits - 1; i >= 0; i--) {
		const digit = rest % 10;
		rest = (rest - digit) / 10;
		difference |= code.charCodeAt(i) ^ (0x30 + digit);
	}
	return difference === 0;
}

/**
 * Formats an HOTP value as a zero-padded decimal string (leading zeros are part of the
 * code, RFC 4226 §5.3 and Appendix D `081804`-style values).
 * @internal shared with totp.ts
 */
export function formatOTPValue(value: number, digits: number): string {
	return value.toString().padStart(digits, "0");
}

/**
 * Writes a counter in [0, 2^64) as 8 bytes, high-order byte first.
 * @throws TypeError when `counter` is not a bigint; RangeError when it is outside [0, 2^64)
 * @see RFC 4226 §5.1 (C is an 8-byte counter), §5.2
 */
function encodeCounter(counter: bigint): Buffer {
	if (typeof counter !== "bigint") {
		throw new TypeError("HOTP counter must be a bigint");
	}
	if (counter < 0n || counter >= TWO_POW_64) {
		throw new RangeError("HOTP counter must be in [0, 2^64)");
	}
	const bytes = Buffer.allocUnsafe(8);
	bytes.writeBigUInt64BE(counter, 0);
	return bytes;
}

/**
 * Generates an HOTP code.
 *
 * @param key - shared secret K, at least 1 byte (RFC 4226 R6 asks for >= 16 bytes,
 *   enforced when keys are generated, see `generateOTPKey`)
 * @param counter - moving factor C, an unsigned 64-bit integer as a `bigint` in
 *   [0, 2^64); written as 8 bytes high-order first, so counters above 2^32 and 2^53
 *   are exact
 * @param options - `digits` 6 to 8 (default 6); `algorithm` (default "SHA1")
 * @returns exactly `digits` ASCII digits, zero-padded (e.g. `"081804"`)
 * @throws TypeError when `key` is not a non-empty `Uint8Array`, `counter` is not a
 *   bigint, or `algorithm` is unknown; RangeError when `counter` is outside [0, 2^64) or
 *   `digits` is not an integer 6..8
 * @see RFC 4226 §5.3 (algorithm), Appendix D (test values)
 */
export function generateHOTP(key: Uint8Array, counter: bigint, options: OTPOptions = {}): string {
	const digits = options.digits ?? DEFAULT_OTP_DIGITS;
	assertOTPKey(key);
	assertOTPDigits(digits);
	const hashName = nodeHashName(options.algorithm ?? DEFAULT_OTP_ALGORITHM);
	const value = computeHOTPValue(key, hashName, encodeCounter(counter), digits);
	return formatOTPValue(value, digits);
}

/**
 * Verifies an HOTP code at exactly one counter value (no look-ahead; resynchronisation,
 * RFC 4226 §7.4, is the caller's decision).
 *
 * The code is not normalised: pass it through {@link normalizeOTPInput} first if it comes
 * from a person. A code that is not exactly `digits` ASCII digits returns `false` without
 * computing an HMAC. Otherwise the comparison is constant-time.
 *
 * @param key - shared secret K
 * @param counter - counter C as a `bigint` in [0, 2^64)
 * @param code - the submitted code
 * @param options - `digits` 6 to 8 (default 6); `algorithm` (default "SHA1")
 * @returns `true` when `code` equals HOTP(K, C); `false` otherwise, including for
 *   malformed codes
 * @throws same as {@link generateHOTP} (misuse of key, counter, digits or algorithm);
 *   never for a wrong or malformed code
 * @see RFC 4226 §5.3, §7.2 (validation)
 */
export function verifyHOTP(key: Uint8Array, counter: bigint, code: string, options: OTPOptions = {}): boolean {
	const digits = options.digits ?? DEFAULT_OTP_DIGITS;
	assertOTPKey(key);
	assertOTPDigits(digits);
	const hashName = nodeHashName(options.algorithm ?? DEFAULT_OTP_ALGORITHM);
	const counterBytes = encodeCounter(counter);
	if (!isWellFormedOTP(code, digits)) return false;
	return otpEqualsValue(code, computeHOTPValue(key, hashName, counterBytes, digits), digits);
}

/**
 * Tells whether `code` is exactly `digits` ASCII digits `0`-`9`. Anything else is not a
 * code: spaces, signs, full-width or other Unicode digits (`"１２３４５６"`), or a code
 * with its leading zero dropped (`"12345"` for `012345`).
 *
 * @param code - candidate code, already normalised (see {@link normalizeOTPInput});
 *   a non-string returns `false`
 * @param digits - expected length, an integer 6 to 8
 * @returns `true` when well formed; `false` otherwise
 * @throws RangeError when `digits` is not an integer 6..8
 * @see RFC 4226 §5.3 (the value is Digit decimal digits), STANDARDS.md X-05
 */
export function isWellFormedOTP(code: string, digits: number): boolean {
	assertOTPDigits(digits);
	if (typeof code !== "string" || code.length !== digits) return false;
	for (let i = 0; i < digits; i++) {
		const c = code.charCodeAt(i);
		if (c < 0x30 || c > 0x39) return false;
	}
	return true;
}

/**
 * Normalises a code typed by a person: trims surrounding whitespace (as
 * `String.prototype.trim`) and removes internal ASCII spaces (U+0020) and hyphens (U+002D).
 * Nothing else is changed: other characters (tabs inside, full-width digits, letters) stay
 * so that {@link isWellFormedOTP} rejects them.
 *
 * @example normalizeOTPInput(" 123 456\n") === "123456"; normalizeOTPInput("123-456") === "123456"
 * @param input - raw input
 * @returns the normalised string (possibly empty)
 * @throws TypeError when `input` is not a string
 * @see STANDARDS.md X-05
 */
export function normalizeOTPInput(input: string): string {
	if (typeof input !== "string") {
		throw new TypeError("OTP input must be a string");
	}
	return input.trim().replace(/[ -]/g, "");
}
