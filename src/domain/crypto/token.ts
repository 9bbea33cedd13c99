/**
 * Opaque bearer tokens `<id>.<secret>` for sessions and login challenges (the Lucia session
 * guide; OWASP ASVS 5.0 7.2.3: >= 128 bits). The id (96 bits) finds the row; the secret
 * (256 bits) proves possession, and only its SHA-256 is stored, so a database leak yields no
 * live token. Both parts are base64url without padding. Personal access tokens have the same two
 * parts behind their own prefix, `dbpat_` ({@link generateAccessToken}).
 */
import { createHash, createHmac } from "node:crypto";
import type { RandomSource } from "../../platform/random.js";
import { constantTimeEqual } from "./constant-time.js";

/** Bytes of randomness in a token id. */
export const TOKEN_ID_BYTES = 12;
/** Bytes of randomness in a token secret: 256 bits. */
export const TOKEN_SECRET_BYTES = 32;

/** A token split into its parts. */
export interface ParsedToken {
	/** Row id, 16 base64url characters. */
	readonly id: string;
	/** Secret, 43 base64url characters. */
	readonly secret: string;
}

/** A new token with the hash to store. */
export interface GeneratedToken extends ParsedToken {
	/** `<id>.<secret>`: give this to the client, never store it. */
	readonly token: string;
	/** SHA-256 of the secret, lower-case hex: store this. */
	readonly secretHash: string;
}

/** Generates a fresh token from `random`. */
export function generateToken(random: RandomSource): GeneratedToken {
	const id = randomBase64url(random, TOKEN_ID_BYTES);
	const secret = randomBase64url(random, TOKEN_SECRET_BYTES);
	return { id, secret, token: `${id}.${secret}`, secretHash: hashTokenSecret(secret) };
}

/**
 * Generates a fresh secret for an existing token id: the token changes, the row it names stays
 * (session rotation when a session gains privilege, OWASP ASVS 5.0 7.2.4).
 */
export function generateTokenSecret(random: RandomSource, id: string): GeneratedToken {
	const secret = randomBase64url(random, TOKEN_SECRET_BYTES);
	return { id, secret, token: `${id}.${secret}`, secretHash: hashTokenSecret(secret) };
}

/** Whether `text` has the form of an id made by {@link generateId} or {@link generateToken} (16 base64url characters). */
export function isWellFormedId(text: string): boolean {
	return /^[A-Za-z0-9_-]{16}$/.test(text);
}

/** Generates a random id (96 bits, base64url), for rows that are not tokens. */
export function generateId(random: RandomSource): string {
	return randomBase64url(random, TOKEN_ID_BYTES);
}

const TOKEN_PATTERN = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Splits a token into id and secret.
 * @returns null when `token` is not of the form `<16 chars>.<43 chars>` in base64url
 */
export function parseToken(token: string): ParsedToken | null {
	const match = TOKEN_PATTERN.exec(token);
	if (match === null) return null;
	return { id: match[1] as string, secret: match[2] as string };
}

/** SHA-256 of a token secret, lower-case hex. */
export function hashTokenSecret(secret: string): string {
	return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Whether `secret` hashes to `secretHash`, compared in constant time. */
export function verifyTokenSecret(secret: string, secretHash: string): boolean {
	return constantTimeEqual(hashTokenSecret(secret), secretHash);
}

function randomBase64url(random: RandomSource, length: number): string {
	const bytes = new Uint8Array(length);
	random.fill(bytes);
	return Buffer.from(bytes).toString("base64url");
}

/**
 * A second token for the row of `secretHash`, derived from it under a server key: `<id>.<secret'>`
 * with `secret'` = HMAC-SHA-256(key, `label` NUL `secretHash`), base64url (43 characters, the
 * shape of {@link generateToken}'s tokens). It changes whenever the row's secret does, cannot be
 * turned back into the row's own token, and cannot be made from a database copy without the key.
 * @param label - what the derived token is for (one label, one kind of token)
 */
export function deriveToken(key: Uint8Array, label: string, id: string, secretHash: string): string {
	return `${id}.${createHmac("sha256", key).update(`${label}\0${secretHash}`, "utf8").digest("base64url")}`;
}

/**
 * The prefix of personal access tokens (issue 12): it tells them from session tokens at a glance,
 * so that deadbolt accepts them only where they belong (the forward-auth and introspection
 * endpoints) and secret scanners can find a leaked one (GitHub's `ghp_` is the model).
 * @see https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
 */
export const ACCESS_TOKEN_PREFIX = "dbpat_";

const ACCESS_TOKEN_PATTERN = /^dbpat_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Generates a personal access token: `dbpat_<id>.<secret>` (66 characters), the id and secret of
 * {@link generateToken} (96 and 256 bits); store `secretHash` (SHA-256 of the secret), never the token.
 */
export function generateAccessToken(random: RandomSource): GeneratedToken {
	const generated = generateToken(random);
	return { ...generated, token: `${ACCESS_TOKEN_PREFIX}${generated.token}` };
}

/**
 * Splits a personal access token into id and secret.
 * @returns null when `token` is not `dbpat_<16 chars>.<43 chars>` in base64url (a session token among them)
 */
export function parseAccessToken(token: string): ParsedToken | null {
	const match = ACCESS_TOKEN_PATTERN.exec(token);
	if (match === null) return null;
	return { id: match[1] as string, secret: match[2] as string };
}

/** Whether `text` claims to be a personal access token (starts with {@link ACCESS_TOKEN_PREFIX}); it may still be malformed. */
export function hasAccessTokenPrefix(text: string): boolean {
	return text.startsWith(ACCESS_TOKEN_PREFIX);
}
