/**
 * The signing key of this process (`signing-keys.ts`): assertions are made on every allowed
 * forward-auth request, so the key is opened and imported on the first one and kept. Every
 * `refreshMillis` (`keys.signingKeyRefreshSeconds`) the next request starts a reload in the
 * background and keeps signing with the loaded key until it ends, so a key rotated by another
 * instance (`deadbolt keys rotate --signing`) is picked up without a restart and without a
 * database read per request. One cache per deadbolt instance (`ServiceDeps.signingKeys`), never a
 * module-level one: two instances in one process (tests) each read their own store.
 */
import type { CryptoKey } from "jose";

/** The signing key in use, opened and ready to sign. */
export interface LoadedSigningKey {
	/** The key id (`kid`): the RFC 7638 SHA-256 thumbprint of the public key, base64url. */
	readonly kid: string;
	/** The JWS algorithm (RFC 7518 §3.1), `ES256`. */
	readonly algorithm: "ES256";
	/** The private key, imported not extractable. */
	readonly privateKey: CryptoKey;
}

/** Holds the loaded key of one deadbolt instance. */
export interface SigningKeyCache {
	/**
	 * The loaded key: the first call runs `load`, later calls get its result; a load that failed
	 * (e.g. the database was down) is forgotten, so the next call tries again. A call at or after
	 * `loadedAt + refreshMillis` starts a background reload and still gets the loaded key.
	 * @param nowMillis - the clock's now (omitted: never refresh)
	 */
	get(load: () => Promise<LoadedSigningKey>, nowMillis?: number): Promise<LoadedSigningKey>;
}

/**
 * An empty cache, for the composition root.
 * @param refreshMillis - how long a loaded key is used before a reload is started; Infinity: never
 */
export function createSigningKeyCache(refreshMillis = Number.POSITIVE_INFINITY): SigningKeyCache {
	let loading: Promise<LoadedSigningKey> | null = null;
	let loadedAt = 0;
	let refreshing = false;
	return Object.freeze({
		get(load: () => Promise<LoadedSigningKey>, nowMillis?: number): Promise<LoadedSigningKey> {
			if (loading === null) {
				const attempt = load();
				loading = attempt;
				loadedAt = nowMillis ?? 0;
				attempt.catch(() => {
					if (loading === attempt) loading = null;
				});
				return attempt;
			}
			if (nowMillis !== undefined && !refreshing && nowMillis - loadedAt >= refreshMillis) {
				refreshing = true;
				const current = loading;
				load().then(
					(key) => {
						loading = Promise.resolve(key);
						loadedAt = nowMillis;
						refreshing = false;
					},
					() => {
						// Keep signing with the loaded key; try again at the next request after the interval.
						loadedAt = nowMillis;
						refreshing = false;
					},
				);
				return current;
			}
			return loading;
		},
	});
}
