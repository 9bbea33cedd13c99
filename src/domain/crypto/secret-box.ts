/**
 * Authenticated encryption of secrets at rest (TOTP keys): AES-256-GCM with a 96-bit random
 * nonce, and additional authenticated data that binds each ciphertext to its purpose and row, so
 * a ciphertext copied to another row does not open (authelia `EncryptionAADRow`;
 * RFC 4226 §7.5, OWASP ASVS 4.0.3 2.8.2).
 *
 * Sealed layout: `0x01 (version) || nonce (12 bytes) || ciphertext || tag (16 bytes)`.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { RandomSource } from "../../platform/random.js";

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts `plaintext` under `key`, bound to `aad`.
 * @param key - 32 bytes
 * @param aad - what the ciphertext belongs to, e.g. `"totp_credential:<row id>"`
 * @returns the sealed bytes (29 bytes longer than the plaintext)
 * @throws RangeError when the key is not 32 bytes
 */
export function sealSecret(key: Uint8Array, plaintext: Uint8Array, aad: string, random: RandomSource): Uint8Array {
	if (key.length !== 32) throw new RangeError("secret-box key must be 32 bytes");
	const nonce = new Uint8Array(NONCE_BYTES);
	random.fill(nonce);
	const cipher = createCipheriv("aes-256-gcm", key, nonce);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	const out = new Uint8Array(1 + NONCE_BYTES + body.length + TAG_BYTES);
	out[0] = VERSION;
	out.set(nonce, 1);
	out.set(body, 1 + NONCE_BYTES);
	out.set(cipher.getAuthTag(), 1 + NONCE_BYTES + body.length);
	return out;
}

/**
 * Decrypts bytes made by {@link sealSecret} with the same key and `aad`.
 * @returns the plaintext, or null when the key, the AAD or any byte does not match
 * @throws RangeError when the key is not 32 bytes
 */
export function openSecret(key: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array | null {
	if (key.length !== 32) throw new RangeError("secret-box key must be 32 bytes");
	if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) return null;
	const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
	const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
	const tag = sealed.subarray(sealed.length - TAG_BYTES);
	try {
		const decipher = createDecipheriv("aes-256-gcm", key, nonce);
		decipher.setAAD(Buffer.from(aad, "utf8"));
		decipher.setAuthTag(tag);
		return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
	} catch {
		return null;
	}
}
