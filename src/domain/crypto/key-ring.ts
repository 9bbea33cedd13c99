/**
 * Key rings (issue 14, "Keys"): the server's encryption and HMAC keys as sets of 32-byte keys,
 * each with an id, one of them primary. New values are sealed under the primary key; a sealed
 * value names the id of the key it was sealed under, so an instance opens it with that key and
 * a rolling rotation (docs/operations.md, "Key rotation") never tries a wrong key.
 *
 * Envelope, version 2: `0x02 || idLength (1 byte) || id (UTF-8) || nonce (12) || ciphertext || tag (16)`,
 * AES-256-GCM whose associated data is `deadbolt-key:<id>|<aad>` (the id is authenticated too).
 * Version 1 (`secret-box.ts`, no id) is what deadbolt wrote before key rings: it belongs to the
 * key of id {@link LEGACY_KEY_ID}, and its associated data is `<aad>` as before.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { RandomSource } from "../../platform/random.js";
import { openSecret } from "./secret-box.js";

/** The id of a key configured the single-key way (`keys.encryptionKey`, `keys.hmacKey`) and of values sealed before key rings. */
export const LEGACY_KEY_ID = "default";

/** What a key id may be: 1 to 32 characters of letters, digits, `.`, `_` and `-`. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

/** A set of 32-byte keys by id, and the id of the one new values are made with. */
export interface KeyRing {
	/** The id of the key that seals (or keys) new values; always in {@link KeyRing.keys}. */
	readonly primaryId: string;
	/** Every key the instance holds, by id (insertion order = configuration order). */
	readonly keys: ReadonlyMap<string, Uint8Array>;
}

const ENVELOPE_VERSION = 2;
const LEGACY_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A ring of one key: how the single-key configuration and the tests' keys are expressed.
 * @param id - defaults to {@link LEGACY_KEY_ID}
 */
export function singleKeyRing(key: Uint8Array, id: string = LEGACY_KEY_ID): KeyRing {
	return Object.freeze({ primaryId: id, keys: new Map([[id, key]]) });
}

/** The primary key's bytes. */
export function primaryKey(ring: KeyRing): Uint8Array {
	const key = ring.keys.get(ring.primaryId);
	if (key === undefined) throw new TypeError(`key ring without its primary key ${ring.primaryId}`);
	return key;
}

/** The associated data of a version-2 envelope: the key id, then the caller's binding. */
function boundAAD(keyId: string, aad: string): Buffer {
	return Buffer.from(`deadbolt-key:${keyId}|${aad}`, "utf8");
}

/**
 * Seals `plaintext` under the ring's primary key, bound to `aad`, naming the key's id.
 * @returns a version-2 envelope
 */
export function sealWithRing(ring: KeyRing, plaintext: Uint8Array, aad: string, random: RandomSource): Uint8Array {
	const key = primaryKey(ring);
	const id = Buffer.from(ring.primaryId, "utf8");
	const nonce = new Uint8Array(NONCE_BYTES);
	random.fill(nonce);
	const cipher = createCipheriv("aes-256-gcm", key, nonce);
	cipher.setAAD(boundAAD(ring.primaryId, aad));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return new Uint8Array(Buffer.concat([Buffer.from([ENVELOPE_VERSION, id.length]), id, nonce, body, cipher.getAuthTag()]));
}

/**
 * The id of the key a sealed value was made with: the envelope's id (version 2), or
 * {@link LEGACY_KEY_ID} for a version-1 value.
 * @returns null when the bytes are neither
 */
export function sealedKeyId(sealed: Uint8Array): string | null {
	if (sealed.length < 1) return null;
	if (sealed[0] === LEGACY_VERSION) return LEGACY_KEY_ID;
	if (sealed[0] !== ENVELOPE_VERSION || sealed.length < 2) return null;
	const length = sealed[1] as number;
	if (length === 0 || sealed.length < 2 + length + NONCE_BYTES + TAG_BYTES) return null;
	return Buffer.from(sealed.subarray(2, 2 + length)).toString("utf8");
}

/** What opening a sealed value gives. */
export type RingOpening =
	| { readonly kind: "opened"; readonly plaintext: Uint8Array; readonly keyId: string }
	/** The value names a key this ring does not hold: the instance lacks a key, it is not a wrong key. */
	| { readonly kind: "missing-key"; readonly keyId: string }
	/** Not an envelope, or it does not open under the key it names (tampered, moved to another row). */
	| { readonly kind: "invalid"; readonly keyId: string | null };

/**
 * Opens a value sealed by {@link sealWithRing} (or a version-1 value of `secret-box.ts`) with the
 * key its envelope names, never another.
 */
export function openWithRing(ring: KeyRing, sealed: Uint8Array, aad: string): RingOpening {
	const keyId = sealedKeyId(sealed);
	if (keyId === null) return { kind: "invalid", keyId: null };
	const key = ring.keys.get(keyId);
	if (key === undefined) return { kind: "missing-key", keyId };
	if (sealed[0] === LEGACY_VERSION) {
		const plaintext = openSecret(key, sealed, aad);
		return plaintext === null ? { kind: "invalid", keyId } : { kind: "opened", plaintext, keyId };
	}
	const start = 2 + (sealed[1] as number);
	const nonce = sealed.subarray(start, start + NONCE_BYTES);
	const body = sealed.subarray(start + NONCE_BYTES, sealed.length - TAG_BYTES);
	const tag = sealed.subarray(sealed.length - TAG_BYTES);
	try {
		const decipher = createDecipheriv("aes-256-gcm", key, nonce);
		decipher.setAAD(boundAAD(keyId, aad));
		decipher.setAuthTag(tag);
		return { kind: "opened", plaintext: new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()])), keyId };
	} catch {
		return { kind: "invalid", keyId };
	}
}
