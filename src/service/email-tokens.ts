/**
 * Single-use links sent by mail (verify an address, finish a sign-up, reset a password, confirm a
 * new address): `<id>.<secret>` tokens like sign-in links (256-bit secret, only its SHA-256
 * stored), expiring, consumed by one conditional write (OWASP Forgot Password Cheat Sheet: random,
 * single use, expiring, stored hashed; NIST SP 800-63B §5.1.1.2). Opening a link (a GET) only
 * looks it up ({@link findLiveEmailToken}); a POST uses it.
 */
import { generateToken } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { EmailTokenPurpose, EmailTokenRecord, Repositories } from "../storage/store.js";
import { secondsToMillis, type ServiceDeps } from "./deps.js";
import { findByToken } from "./token-lookup.js";

/** One hour in milliseconds: the window of every per-hour mail limit. */
export const HOUR_MS = 3_600_000;

/** A link just made: the token goes into the mail once and is never stored. */
export interface IssuedEmailToken {
	/** `<id>.<secret>`. */
	readonly token: string;
	readonly record: EmailTokenRecord;
}

/** What a new mailed link is for. */
export interface EmailTokenRequest {
	readonly purpose: EmailTokenPurpose;
	/** The account, or null (a sign-up before its account exists, a reset asked for an unknown address). */
	readonly accountId: string | null;
	/** The normalized address the link is mailed to. */
	readonly email: string;
	/** How long the link works, in seconds. */
	readonly ttlSeconds: number;
	/** `sign_up` only: the argon2id hash of the chosen password. */
	readonly passwordHash?: string | null;
	/** The client that asked for it (counted by the per-IP limits). */
	readonly ipAddress: string | null;
}

/**
 * Stores a new link (inside the caller's transaction, beside the mail that carries it).
 * @param tx - the transaction's repositories
 */
export async function issueEmailToken(deps: ServiceDeps, tx: Repositories, request: EmailTokenRequest): Promise<IssuedEmailToken> {
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const record: EmailTokenRecord = {
		id: generated.id,
		purpose: request.purpose,
		accountId: request.accountId,
		email: request.email,
		secretHash: generated.secretHash,
		passwordHash: request.passwordHash ?? null,
		createdAt: now,
		expiresAt: now + secondsToMillis(request.ttlSeconds),
		consumedAt: null,
		secondFactorVerifiedAt: null,
		attempts: 0,
		ipAddress: request.ipAddress,
	};
	await tx.emailTokens.insertEmailToken(record);
	return { token: generated.token, record };
}

/**
 * The live link behind a token, without using it.
 * @param repositories - the store, or a transaction's repositories
 * @returns null when the token is malformed, unknown, has the wrong secret or purpose, was used, or expired
 */
export async function findLiveEmailToken(deps: ServiceDeps, token: string, purpose: EmailTokenPurpose, repositories: Repositories = deps.store): Promise<EmailTokenRecord | null> {
	const record = await findByToken(token, (id) => repositories.emailTokens.findEmailToken(id));
	if (record === null || record.purpose !== purpose || record.consumedAt !== null || record.expiresAt <= deps.clock.now()) return null;
	return record;
}

/** The instant an hour before now: where every per-hour count starts. */
export function hourAgo(deps: ServiceDeps): UnixMillis {
	return deps.clock.now() - HOUR_MS;
}
