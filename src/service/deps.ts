/**
 * What every use case receives (DESIGN.md §3.1): the store, time, randomness, the frozen
 * config, a logger and the server keys. Nothing here is imported at module level by services.
 */
import type { Config } from "../config/schema.js";
import { singleKeyRing, type KeyRing } from "../domain/crypto/key-ring.js";
import type { Clock, UnixMillis } from "../platform/clock.js";
import type { KeyedLimiter } from "../platform/limiter.js";
import type { Logger } from "../platform/logger.js";
import type { Metrics } from "../platform/metrics.js";
import type { RandomSource } from "../platform/random.js";
import type { Store } from "../storage/store.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { SigningKeyCache } from "./signing-key-cache.js";

/**
 * The server's secret keys, decoded. Kept outside the database. Each kind is a key ring
 * (`domain/crypto/key-ring.ts`): `encryptionKey` and `hmacKey` are the bytes of the rings'
 * primary keys; without rings (tests, embedding) each is a ring of one with the id `default`
 * (see {@link encryptionRing}, {@link hmacRing}).
 */
export interface ServerKeys {
	/** 32 bytes, the primary encryption key: seals TOTP secrets and other secrets at rest (AES-256-GCM). */
	readonly encryptionKey: Uint8Array;
	/** 32 bytes, the primary HMAC key: keys the recovery codes (HMAC-SHA-256): the pepper of their argon2id hashes, the hashes of codes from before migration 0008, the dashboard's fingerprints; and forward-auth tokens, OIDC cookies. */
	readonly hmacKey: Uint8Array;
	/** Every encryption key by id; its primary's bytes are `encryptionKey`. Absent: a ring of `encryptionKey` alone. */
	readonly encryptionRing?: KeyRing;
	/** Every HMAC key by id; its primary's bytes are `hmacKey`. Absent: a ring of `hmacKey` alone. */
	readonly hmacRing?: KeyRing;
	/**
	 * The path of the development keys file both keys were read from (`deadbolt/keys.ts`);
	 * absent when they are configured or given by the embedding. Named in messages about a key.
	 */
	readonly developmentKeysFile?: string;
}

/** The encryption key ring of `keys` (a ring of one, id `default`, when none was given). */
export function encryptionRing(keys: ServerKeys): KeyRing {
	return keys.encryptionRing ?? singleKeyRing(keys.encryptionKey);
}

/** The HMAC key ring of `keys` (a ring of one, id `default`, when none was given). */
export function hmacRing(keys: ServerKeys): KeyRing {
	return keys.hmacRing ?? singleKeyRing(keys.hmacKey);
}

/** Dependencies of every use case. */
export interface ServiceDeps {
	readonly store: Store;
	readonly clock: Clock;
	readonly random: RandomSource;
	readonly config: Config;
	readonly logger: Logger;
	readonly keys: ServerKeys;
	/** argon2id with the configured costs and concurrency cap (`password-hasher.ts`). */
	readonly passwords: PasswordHasher;
	/**
	 * Checks of one account's password or code in this process, keyed `<accountId>:<kind>`: at
	 * most `lockout.maxFailures` at once, the others wait in arrival order (`throttle.ts`).
	 */
	readonly attemptQueue: KeyedLimiter;
	/**
	 * The origin users reach deadbolt at (`http.publicUrl`, or `http://host:port`; no trailing
	 * slash, `config/public-origin.ts`): the issuer (`iss`) of assertions.
	 */
	readonly publicOrigin: string;
	/** This instance's signing key, loaded once (`signing-key-cache.ts`, `signing-keys.ts`). */
	readonly signingKeys: SigningKeyCache;
	/** What the use cases record for `/metrics` (`platform/metrics.ts`); a no-op unless `metrics.enabled`. */
	readonly metrics: Metrics;
}

/** Where a request came from; stored with sessions and challenges, shown to the user, logged. */
export interface RequestContext {
	/** Client IP address as Fastify resolved it (socket address unless a trusted proxy said otherwise). */
	readonly ipAddress: string | null;
	/** The User-Agent header, truncated to 512 characters. */
	readonly userAgent: string | null;
}

/** A request context with nothing known (CLI, tests). */
export const NO_CONTEXT: RequestContext = Object.freeze({ ipAddress: null, userAgent: null });

/** Seconds to milliseconds. */
export function secondsToMillis(seconds: number): number {
	return seconds * 1000;
}

/** An ISO-8601 UTC string of an instant, for API answers. */
export function toISO(at: UnixMillis): string {
	return new Date(at).toISOString();
}
