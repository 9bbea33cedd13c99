/**
 * Sessions: opaque `<id>.<secret>` tokens, only a SHA-256 of the secret stored (NIST SP 800-63B
 * §7.1, OWASP ASVS 5.0 7.2.3), with idle and absolute expiry enforced on the server (ASVS 7.3).
 */
import { Unauthenticated } from "../errors.js";
import { generateToken } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord, Repositories, SessionRecord } from "../storage/store.js";
import { secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { findByToken } from "./token-lookup.js";

/** A session just made: the token goes to the client once, and never into storage. */
export interface NewSession {
	/** `<id>.<secret>`, 60 characters. */
	readonly token: string;
	readonly record: SessionRecord;
}

/** A session that passed every check, with its account. */
export interface AuthenticatedSession {
	readonly session: SessionRecord;
	readonly account: AccountRecord;
}

/** Activity is written at most once per this many milliseconds per session (saves a write per request). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Creates a session for an account that has passed every factor it has.
 * @param aal - 1 when only a password was proved, 2 with a second factor
 * @param repositories - the store, or a transaction's repositories
 */
export async function createSession(deps: ServiceDeps, repositories: Repositories, accountId: string, aal: 1 | 2, context: RequestContext): Promise<NewSession> {
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const record: SessionRecord = {
		id: generated.id,
		accountId,
		secretHash: generated.secretHash,
		aal,
		createdAt: now,
		lastActiveAt: now,
		expiresAt: now + secondsToMillis(deps.config.session.absoluteTtlSeconds),
		reauthenticatedAt: now,
		revokedAt: null,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
	};
	await repositories.sessions.insertSession(record);
	return { token: generated.token, record };
}

/** When a session ends by idleness if there is no more activity. */
export function idleExpiresAt(deps: ServiceDeps, session: SessionRecord): UnixMillis {
	return session.lastActiveAt + secondsToMillis(deps.config.session.idleTtlSeconds);
}

/**
 * Resolves a session token: the row exists, the secret matches (constant time), it is not
 * revoked, and neither the absolute nor the idle expiry has passed. Records activity.
 * @throws Unauthenticated for any failure (the reason is logged only)
 */
export async function validateSession(deps: ServiceDeps, token: string): Promise<AuthenticatedSession> {
	const session = await findByToken(token, (id) => deps.store.sessions.findSession(id));
	if (session === null) throw new Unauthenticated(undefined, { reason: "unknown" });
	const now = deps.clock.now();
	if (session.revokedAt !== null) throw new Unauthenticated(undefined, { reason: "revoked" });
	if (session.expiresAt <= now) throw new Unauthenticated(undefined, { reason: "expired" });
	if (idleExpiresAt(deps, session) <= now) throw new Unauthenticated(undefined, { reason: "idle" });
	const account = await deps.store.accounts.findAccountById(session.accountId);
	if (account === null) throw new Unauthenticated(undefined, { reason: "account_gone" });
	if (now - session.lastActiveAt >= TOUCH_INTERVAL_MS) {
		if (!(await deps.store.sessions.touchSession(session.id, now))) throw new Unauthenticated(undefined, { reason: "revoked" });
		return { session: { ...session, lastActiveAt: now }, account };
	}
	return { session, account };
}

/**
 * Ends a session (sign out). Unknown or already ended tokens are ignored: signing out always succeeds.
 */
export async function logout(deps: ServiceDeps, token: string): Promise<void> {
	const session = await findByToken(token, (id) => deps.store.sessions.findSession(id));
	if (session === null) return;
	if (await deps.store.sessions.revokeSession(session.id, deps.clock.now())) {
		deps.logger.info({ event: "session.logout", accountId: session.accountId, sessionId: session.id }, "signed out");
	}
}

/**
 * Whether the session proved a factor within `session.reauthenticationTtlSeconds` (sudo mode).
 */
export function isRecentlyReauthenticated(deps: ServiceDeps, session: SessionRecord): boolean {
	return deps.clock.now() - session.reauthenticatedAt < secondsToMillis(deps.config.session.reauthenticationTtlSeconds);
}
