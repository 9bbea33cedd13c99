/**
 * OTP shared-secret generation.
 *
 * @see RFC 4226 §4 R6 (>= 128 bits, 160 RECOMMENDED), RFC 6238 §5.1
 */
import type { RandomSource } from "../../platform/random.js";

/** Default key length in bytes: 160 bits, the RFC 4226 R6 recommendation and SHA-1's output size. */
export const DEFAULT_OTP_KEY_BYTES = 20;
/** Smallest key length in bytes: 128 bits, the RFC 4226 R6 floor. */
export const MIN_OTP_KEY_BYTES = 16;

/**
 * Generates a fresh OTP shared secret from a random source.
 *
 * @param random - the randomness (production: the CSPRNG `nodeRandom`); never read here
 *   from anywhere else
 * @param keyBytes - key length in bytes, an integer >= 16. @default 20 (160 bits; 32
 *   base32 characters without padding)
 * @returns `keyBytes` random bytes
 * @throws RangeError when `keyBytes` is not an integer or is below 16 (128 bits)
 * @see RFC 4226 §4 R6, RFC 6238 §5.1, NIST SP 800-63B §5.1.4.1 (>= 112 bits)
 */
export function generateOTPKey(random: RandomSource, keyBytes: number = DEFAULT_OTP_KEY_BYTES): Uint8Array {
	if (!Number.isSafeInteger(keyBytes) || keyBytes < MIN_OTP_KEY_BYTES) {
		throw new RangeError(`OTP keys must be at least ${MIN_OTP_KEY_BYTES} bytes (128 bits), got ${String(keyBytes)}`);
	}
	const key = new Uint8Array(keyBytes);
	random.fill(key);
	return key;
}
