/**
 * The signing key of this process, loaded once (`signing-keys.ts`): assertions are made on every
 * allowed forward-auth request, so the key is opened and imported on the first one and kept.
 * One cache per deadbolt instance (`ServiceDeps.signingKeys`), never a module-level one: two
 * instances in one process (tests) each read their own store.
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
	 * (e.g. the database was down) is forgotten, so the next call tries again.
	 */
	get(load: () => Promise<LoadedSigningKey>): Promise<LoadedSigningKey>;
}

/** An empty cache, for the composition root. */
export function createSigningKeyCache(): SigningKeyCache {
	let loading: Promise<LoadedSigningKey> | null = null;
	return Object.freeze({
		get(load: () => Promise<LoadedSigningKey>): Promise<LoadedSigningKey> {
			if (loading === null) {
				const attempt = load();
				loading = attempt;
				attempt.catch(() => {
					if (loading === attempt) loading = null;
				});
			}
			return loading;
		},
	});
}
