/**
 * Server keys: the recorded key checks, sealed values (for re-sealing under a new key) and the OpenID Connect signing keys.
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";

/** Proof of one key of a key ring (`server_key`, migration 0019): which key an id names. */
export interface ServerKeyRecord {
	readonly kind: "encryption" | "hmac";
	/** The key id (`keys.encryptionKeys[].id`, `keys.hmacKeys[].id`). */
	readonly keyId: string;
	/** hmac: HMAC-SHA-256 of a fixed text under the key, hex; encryption: a fixed text sealed under the key, base64. */
	readonly checkValue: string;
	readonly createdAt: UnixMillis;
	/** When `deadbolt keys retire` retired it; null while in use. */
	readonly retiredAt: UnixMillis | null;
}

/** A table holding sealed values that key rotation re-seals (`service/key-rotation.ts`). */
export type SealedValueSource = "totp_credential" | "oidc_client" | "signing_key" | "webhook_endpoint" | "delivery";

/** One sealed value of a {@link SealedValueSource}. */
export interface SealedValueRecord {
	/** The row's id (`signing_key`: its `kid`). */
	readonly id: string;
	/** `totp_credential` only: the account (part of the TOTP key's binding); null elsewhere. */
	readonly accountId: string | null;
	readonly sealed: Uint8Array;
}

/** How many unused recovery codes, of how many accounts, depend on one HMAC key. */
export interface RecoveryCodeKeyUse {
	/** The HMAC key id; null: codes made before migration 0019 (the key `default`). */
	readonly hmacKeyId: string | null;
	/** Codes made before migration 0008 (HMAC-SHA-256 hashes) or argon2id ones with a pepper. */
	readonly scheme: "hmac-sha256" | "argon2id";
	readonly codes: number;
	readonly accounts: number;
}

/** Proof of the server keys the database was set up with (one per database). */
export interface ServerKeyCheckRecord {
	/** HMAC-SHA-256 of a fixed text under the HMAC key, lower-case hex. */
	readonly hmacCheck: string;
	/** A fixed text sealed under the encryption key. */
	readonly sealedCheck: Uint8Array;
	readonly createdAt: UnixMillis;
}

/**
 * A key deadbolt signs assertions with (`service/signing-keys.ts`), shared by every instance.
 * The key of the highest generation is the one in use.
 */
export interface SigningKeyRecord {
	/** The key id (`kid`): the RFC 7638 SHA-256 thumbprint of the public key, base64url. */
	readonly kid: string;
	/** 1 for the first key, one more for each later one; at most one key per generation. */
	readonly generation: number;
	/** The JWS algorithm (RFC 7518 §3.1), e.g. `ES256`. */
	readonly algorithm: string;
	/** The private key as a JWK, sealed by `service/` (the store never sees it in clear). */
	readonly sealedPrivateJwk: Uint8Array;
	/** The public key as a JWK, JSON text. */
	readonly publicJwk: string;
	readonly createdAt: UnixMillis;
	/** When it starts signing (migration 0019): it is published in the JWKS before. null or absent: since `createdAt`. */
	readonly activatesAt?: UnixMillis | null;
	/** When it left the JWKS; null or absent while published. */
	readonly retiredAt?: UnixMillis | null;
}

/** The server-key check: written once, by the first instance that starts on the database. */
export interface ServerKeyCheckRepository {
	findServerKeyCheck(): Promise<ServerKeyCheckRecord | null>;
	/** Inserts the check unless one exists. @returns false when one already existed (nothing written). */
	insertServerKeyCheck(record: ServerKeyCheckRecord): Promise<boolean>;
	/** Every key proof of the key rings (retired ones too), by kind and id. */
	listServerKeys(): Promise<ServerKeyRecord[]>;
	/** Inserts a key proof unless one exists for its kind and id. @returns false when one existed (nothing written) */
	insertServerKey(record: ServerKeyRecord): Promise<boolean>;
	/**
	 * Marks a key retired (`UPDATE ... WHERE retired_at IS NULL`), inserting its proof first when
	 * `record` is given and there is none. @returns true when this call retired it
	 */
	retireServerKey(kind: ServerKeyRecord["kind"], keyId: string, now: UnixMillis): Promise<boolean>;
}

/** The sealed values of every table that holds some, for key rotation (`service/key-rotation.ts`). */
export interface SealedValueRepository {
	/** Up to `limit` rows of `source` with an id after `afterId` (`""`: from the first), in id order; rows without a sealed value are skipped. */
	listSealedValues(source: SealedValueSource, afterId: string, limit: number): Promise<SealedValueRecord[]>;
	/**
	 * Replaces a row's sealed value when it is still `previous` (one conditional update), so a
	 * concurrent change of the row (a new secret, a deletion) wins over the re-sealing.
	 * @returns true when the row was updated
	 */
	replaceSealedValue(source: SealedValueSource, id: string, previous: Uint8Array, next: Uint8Array): Promise<boolean>;
}

/** The signing keys of assertions: written by the first instance that needs one, read by all. */
export interface SigningKeyRepository {
	/**
	 * The key in use: the one of the highest generation that is active at `now` (no `activatesAt`,
	 * or one at or before `now`) and not retired; null when there is none yet.
	 * @param now - omitted: every key counts as active
	 */
	findCurrentSigningKey(now?: UnixMillis): Promise<SigningKeyRecord | null>;
	/** The key of the highest generation, active or not yet, retired or not; null when none. */
	findNewestSigningKey(): Promise<SigningKeyRecord | null>;
	/** Every key not retired, newest generation first (what the JWKS publishes). */
	listSigningKeys(): Promise<SigningKeyRecord[]>;
	/** Retires the keys (not retired yet) of generations below `generation`. @returns how many */
	retireSigningKeysBelow(generation: number, now: UnixMillis): Promise<number>;
	/**
	 * Inserts `record` unless a key of its generation (or its kid) exists: of instances racing to
	 * create the same generation, exactly one wins. @returns false when nothing was written
	 */
	insertSigningKey(record: SigningKeyRecord): Promise<boolean>;
}
