/**
 * The `Remote-Assertion` (issue 12): a short-lived JWT (RFC 7519) signed by deadbolt that tells an
 * upstream who the forward-auth request is from, verifiable against deadbolt's JWKS
 * (`/.well-known/jwks.json`, RFC 7517 §5), so an upstream that can also be reached without the
 * proxy trusts the signature, not a header. docs/integrations/assertion.md is the integrator's view.
 *
 * Keys: ES256 (ECDSA on P-256 with SHA-256, RFC 7518 §3.4) through `jose`. The private key is kept
 * in the store as a JWK sealed under the server's encryption key (`sealed-text.ts`, bound to its
 * `kid`), shared by every instance; the `kid` is the RFC 7638 thumbprint of the public key. The
 * first instance that needs a key creates it; instances racing to do so insert the same
 * generation, which is unique, so one key is written and every instance reads that one back.
 * Each instance opens the key once and keeps it (`signing-key-cache.ts`): an assertion costs one
 * ECDSA signature and no database work. Keys change by rotation (`key-rotation.ts`,
 * `deadbolt keys rotate --signing`): a new generation is published in the JWKS ahead of signing
 * (`activatesAt`); each instance reloads its key every `keys.signingKeyRefreshSeconds` and signs
 * with the newest active one; the JWKS lists every key not retired.
 *
 * The same key signs the logout tokens of OpenID Connect Back-Channel Logout 1.0 (§2.4: logout
 * tokens are signed with the keys that sign ID tokens), see {@link issueLogoutToken}.
 */
import type { AccessIdentity } from "./access.js";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { normalizeHost } from "../domain/access/domain-matcher.js";
import { InvalidRequest } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import { randomBytes } from "../platform/random.js";
import type { SigningKeyRecord } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { openText, sealText } from "./sealed-text.js";
import type { LoadedSigningKey } from "./signing-key-cache.js";

/** How long an assertion is valid after it is made, in seconds: it is made per request, so a minute covers any clock skew between hosts and no more. */
export const ASSERTION_TTL_SECONDS = 60;

/** The JWS algorithm of signing keys (RFC 7518 §3.4: ECDSA using P-256 and SHA-256). */
export const SIGNING_ALGORITHM = "ES256";

/** The generation of the first key of a database (the key in use is the one of the highest). */
export const FIRST_SIGNING_KEY_GENERATION = 1;

/**
 * How long a logout token is valid after it is made, in seconds (OpenID Connect Back-Channel
 * Logout 1.0 §2.4 `exp`): short, as OWASP ASVS 10.5.5 recommends (e.g. 2 minutes), so a token
 * that leaks from a receiver's logs soon means nothing. A token is made per attempt, so a retry
 * never sends an expired one.
 */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/** The JWT `typ` of a logout token (Back-Channel Logout 1.0 §2.4; explicit typing, RFC 8725 §3.11). */
export const LOGOUT_TOKEN_TYPE = "logout+jwt";

/** The member of a logout token's `events` claim that makes it one (Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** Bytes of randomness in an assertion's or logout token's `jti` (128 bits, base64url). */
const JTI_BYTES = 16;

/** Who an assertion is about: the facts of an allowed forward-auth request (`service/access.ts`), less the second factor's time. */
export type AssertionSubject = Omit<AccessIdentity, "secondFactorAt">;

/** What {@link issueAssertion} signs: the subject and the protected host it is for. */
export interface AssertionClaims extends AssertionSubject {
	/** The protected host as the request named it (`X-Forwarded-Host`, the host of `X-Original-URL`); a port is dropped. */
	readonly host: string;
}

/** The payload of a `Remote-Assertion` JWT (docs/integrations/assertion.md). Instants are seconds since the epoch (RFC 7519 NumericDate). */
export interface RemoteAssertionPayload {
	/** deadbolt's public origin (`http.publicUrl`). */
	readonly iss: string;
	/** The protected host, lower case, without port. */
	readonly aud: string;
	/** The account id. */
	readonly sub: string;
	readonly email: string;
	readonly groups: readonly string[];
	readonly aal: "aal1" | "aal2";
	readonly amr: readonly string[];
	/** The session id (OpenID Connect Front-Channel Logout §2.1 `sid`); absent for a personal access token. */
	readonly sid?: string;
	/** The personal access token's id; absent for a session. */
	readonly token_id?: string;
	/** When the session was signed in to (OpenID Connect Core §2 `auth_time`). */
	readonly auth_time: number;
	readonly iat: number;
	/** `iat` + {@link ASSERTION_TTL_SECONDS}. */
	readonly exp: number;
	/** A random id, base64url (128 bits). */
	readonly jti: string;
}

/** What {@link issueLogoutToken} signs: the app, the account, and its session at deadbolt. */
export interface LogoutTokenClaims {
	/** The OpenID Connect client (`oidc.clients[].id`): the token's audience. */
	readonly clientId: string;
	/** The account id: the `sub` of the ID tokens the client got. */
	readonly subject: string;
	/** The session id the client's ID tokens carried as `sid`; null: every session of `subject` at that client ends. */
	readonly sid: string | null;
}

/**
 * The payload of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4). Instants are
 * seconds since the epoch (RFC 7519 NumericDate). Never a `nonce` (§2.4: its absence keeps a
 * logout token from passing for an ID token).
 */
export interface LogoutTokenPayload {
	/** The issuer: deadbolt's public origin (`http.publicUrl`), as in its ID tokens. */
	readonly iss: string;
	/** The client id. */
	readonly aud: string;
	/** The account id. */
	readonly sub: string;
	/** The session id, when the logout is of one session. */
	readonly sid?: string;
	readonly iat: number;
	/** `iat` + {@link LOGOUT_TOKEN_TTL_SECONDS}. */
	readonly exp: number;
	/** A random id, base64url (128 bits), new for every token (a retry sends a new one). */
	readonly jti: string;
	/** `{ "http://schemas.openid.net/event/backchannel-logout": {} }` */
	readonly events: { readonly [BACKCHANNEL_LOGOUT_EVENT]: Record<string, never> };
}

/** One public key of the JWKS (RFC 7517 §4): an EC P-256 key with its id, algorithm and use. */
export interface PublicSigningJWK {
	readonly kty: string;
	readonly crv: string;
	readonly x: string;
	readonly y: string;
	readonly kid: string;
	readonly alg: string;
	readonly use: "sig";
}

/** deadbolt's JWK Set (RFC 7517 §5): every stored key's public half, newest first. */
export interface PublicJWKS {
	readonly keys: readonly PublicSigningJWK[];
}

/** Milliseconds to whole seconds (NumericDate, RFC 7519 §2), rounded down. */
function toNumericDate(at: UnixMillis): number {
	return Math.floor(at / 1000);
}

/** A new key of `generation`: generated, its private JWK sealed for its kid; signing from `activatesAt` (null: at once). */
async function newSigningKeyRecord(deps: ServiceDeps, generation: number, activatesAt: UnixMillis | null = null): Promise<SigningKeyRecord> {
	const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
	const publicJwk = await exportJWK(publicKey);
	const kid = await calculateJwkThumbprint(publicJwk, "sha256");
	const privateJwk = await exportJWK(privateKey);
	return {
		kid,
		generation,
		algorithm: SIGNING_ALGORITHM,
		sealedPrivateJwk: sealText(deps, "signing-key", kid, JSON.stringify(privateJwk)),
		publicJwk: JSON.stringify({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y }),
		createdAt: deps.clock.now(),
		activatesAt,
		retiredAt: null,
	};
}

/**
 * Adds the signing key of `generation`, published at once and signing from `activatesAt` (for
 * `key-rotation.ts`). Of instances racing to add the same generation, one wins.
 * @returns the record written, or null when another writer took the generation
 */
export async function createNextSigningKey(deps: ServiceDeps, generation: number, activatesAt: UnixMillis): Promise<SigningKeyRecord | null> {
	const created = await newSigningKeyRecord(deps, generation, activatesAt);
	if (!(await deps.store.signingKeys.insertSigningKey(created))) return null;
	deps.logger.info({ event: "signing_key.created", kid: created.kid, generation, activatesAt: new Date(activatesAt).toISOString() }, `created the signing key ${created.kid} (generation ${generation}), published now, signing from ${new Date(activatesAt).toISOString()}`);
	return created;
}

/**
 * The stored key in use, creating the first one when there is none. Of instances that start
 * together, one insert wins (the generation is unique) and the others read the winner's key.
 * @throws StorageUnavailable when the database cannot be reached
 */
async function currentSigningKeyRecord(deps: ServiceDeps): Promise<SigningKeyRecord> {
	const existing = await deps.store.signingKeys.findCurrentSigningKey(deps.clock.now());
	if (existing !== null) return existing;
	const created = await newSigningKeyRecord(deps, FIRST_SIGNING_KEY_GENERATION);
	if (await deps.store.signingKeys.insertSigningKey(created)) {
		deps.logger.info({ event: "signing_key.created", kid: created.kid, algorithm: created.algorithm }, `created the signing key ${created.kid} (${created.algorithm}) for assertions`);
		return created;
	}
	const winner = await deps.store.signingKeys.findCurrentSigningKey(deps.clock.now());
	if (winner === null) throw new Error("signing key neither inserted nor found");
	return winner;
}

/**
 * Opens and imports the key in use.
 * @throws Error when the stored key does not open (another `DEADBOLT_ENCRYPTION_KEY`, a tampered row) or is not ES256: a 500, logged
 */
async function loadSigningKey(deps: ServiceDeps): Promise<LoadedSigningKey> {
	const record = await currentSigningKeyRecord(deps);
	if (record.algorithm !== SIGNING_ALGORITHM) throw new Error(`signing key ${record.kid} uses ${record.algorithm}; this deadbolt signs with ${SIGNING_ALGORITHM} only`);
	const privateJwk = JSON.parse(openText(deps, "signing-key", record.kid, record.sealedPrivateJwk)) as JWK;
	const privateKey = (await importJWK(privateJwk, SIGNING_ALGORITHM, { extractable: false })) as CryptoKey;
	return Object.freeze({ kid: record.kid, algorithm: SIGNING_ALGORITHM, privateKey });
}

/**
 * The key in use, loaded once per instance (`deps.signingKeys`).
 * @throws see {@link loadSigningKey}
 */
function signingKey(deps: ServiceDeps): Promise<LoadedSigningKey> {
	return deps.signingKeys.get(() => loadSigningKey(deps), deps.clock.now());
}

/**
 * deadbolt's JWK Set: the public half of every stored key (only `kty`, `crv`, `x`, `y`, `kid`,
 * `alg`, `use`: never a private member), newest first. Creates the first key when there is none,
 * so the set is never empty. Read from the store on each call: a key created by another instance
 * appears at once (the HTTP answer is cached for 5 minutes by its clients).
 * @throws StorageUnavailable when the database cannot be reached
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 */
export async function publicJWKS(deps: ServiceDeps): Promise<PublicJWKS> {
	await signingKey(deps);
	const records = await deps.store.signingKeys.listSigningKeys();
	return {
		keys: records.map((record) => {
			const jwk = JSON.parse(record.publicJwk) as { kty: string; crv: string; x: string; y: string };
			return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: record.kid, alg: record.algorithm, use: "sig" as const };
		}),
	};
}

/**
 * The private signing keys, for the OpenID Connect provider (`oidc/provider.ts`): the same keys as
 * the JWK Set above, so apps verify ID tokens and assertions against one set. The key in use comes
 * first (the provider signs with the first key of the algorithm). Never logged, never served.
 * @throws see {@link loadSigningKey}
 */
export async function privateSigningJWKS(deps: ServiceDeps): Promise<{ keys: JWK[] }> {
	const current = await signingKey(deps);
	const records = await deps.store.signingKeys.listSigningKeys();
	const keys = records
		.filter((record) => record.algorithm === SIGNING_ALGORITHM)
		.sort((a, b) => (a.kid === current.kid ? -1 : b.kid === current.kid ? 1 : b.generation - a.generation))
		.map((record) => ({ ...(JSON.parse(openText(deps, "signing-key", record.kid, record.sealedPrivateJwk)) as JWK), kid: record.kid, alg: record.algorithm, use: "sig" }));
	return { keys };
}

/**
 * The audience of an assertion for a host: lower case, without port or IPv6 brackets (`normalizeHost`).
 * @throws InvalidRequest when `host` is not a host name or an IP literal
 */
export function assertionAudience(host: string): string {
	const audience = normalizeHost(host);
	if (audience === null) throw new InvalidRequest("The protected host is not a valid host name.");
	return audience;
}

/**
 * Makes the `Remote-Assertion` for an allowed request: a compact JWS (RFC 7515 §7.1) of a JWT
 * whose payload is a {@link RemoteAssertionPayload}, header `{alg: "ES256", kid, typ: "JWT"}`,
 * valid for {@link ASSERTION_TTL_SECONDS} from the clock's now. Cheap: the key is loaded once per
 * instance (the first call may create it, see {@link publicJWKS}).
 * @param claims - who, and the protected host (the audience)
 * @returns the JWT, `<header>.<payload>.<signature>` in base64url
 * @throws InvalidRequest when `claims.host` is not a host name or an IP literal
 * @throws TypeError when not exactly one of `sessionId` and `accessTokenId` is set (a bug of the caller)
 * @throws StorageUnavailable when the key must be loaded and the database cannot be reached
 */
export async function issueAssertion(deps: ServiceDeps, claims: AssertionClaims): Promise<string> {
	if ((claims.sessionId === null) === (claims.accessTokenId === null)) throw new TypeError("an assertion names either a session or a personal access token");
	const audience = assertionAudience(claims.host);
	const key = await signingKey(deps);
	const issuedAt = toNumericDate(deps.clock.now());
	const payload = {
		email: claims.email,
		groups: [...claims.groups],
		aal: claims.aal,
		amr: [...claims.amr],
		...(claims.sessionId === null ? {} : { sid: claims.sessionId }),
		...(claims.accessTokenId === null ? {} : { token_id: claims.accessTokenId }),
		auth_time: toNumericDate(claims.authTime),
	};
	return new SignJWT(payload)
		.setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: "JWT" })
		.setIssuer(deps.publicOrigin)
		.setAudience(audience)
		.setSubject(claims.accountId)
		.setIssuedAt(issuedAt)
		.setExpirationTime(issuedAt + ASSERTION_TTL_SECONDS)
		.setJti(Buffer.from(randomBytes(deps.random, JTI_BYTES)).toString("base64url"))
		.sign(key.privateKey);
}

/**
 * Makes a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): a compact JWS of a
 * {@link LogoutTokenPayload} with header `{alg: "ES256", kid, typ: "logout+jwt"}`, signed with
 * the key in use (the one of the JWKS, `/.well-known/jwks.json`), valid for
 * {@link LOGOUT_TOKEN_TTL_SECONDS} from the clock's now. It has `sub` always, `sid` when given
 * (§2.4: at least one of them), and never a `nonce`. Made when it is sent (§2.5), once per
 * attempt, so a token is never stored.
 * @param claims - the client (audience), the account (subject) and the session id or null
 * @returns the JWT, `<header>.<payload>.<signature>` in base64url
 * @throws StorageUnavailable when the key must be loaded and the database cannot be reached
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#LogoutToken
 */
export async function issueLogoutToken(deps: ServiceDeps, claims: LogoutTokenClaims): Promise<string> {
	const key = await signingKey(deps);
	const issuedAt = toNumericDate(deps.clock.now());
	const payload = {
		...(claims.sid === null ? {} : { sid: claims.sid }),
		events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
	};
	return new SignJWT(payload)
		.setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: LOGOUT_TOKEN_TYPE })
		.setIssuer(deps.publicOrigin)
		.setAudience(claims.clientId)
		.setSubject(claims.subject)
		.setIssuedAt(issuedAt)
		.setExpirationTime(issuedAt + LOGOUT_TOKEN_TTL_SECONDS)
		.setJti(Buffer.from(randomBytes(deps.random, JTI_BYTES)).toString("base64url"))
		.sign(key.privateKey);
}
