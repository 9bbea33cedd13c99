/**
 * Sessions: opaque `<id>.<secret>` tokens, only a SHA-256 of the secret stored (NIST SP 800-63B
 * §7.1, OWASP ASVS 5.0 7.2.3), with idle and absolute expiry enforced on the server (ASVS 7.3).
 */
import { connectedApps, type ConnectedApp } from "./connected-apps.js";
import { isTwoFactorOverdue } from "../domain/access/two-factor-policy.js";
import { NotFound, ReauthenticationRequired, Unauthenticated } from "../errors.js";
import { generateToken, generateTokenSecret, isWellFormedId, parseToken, verifyTokenSecret } from "../domain/crypto/token.js";
import { aalOf, amrOf, typedSecondFactor, type SignInFactor } from "../domain/access/authentication-methods.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord, Repositories, SessionRecord, SessionWithAccountRecord } from "../storage/store.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { endAccountAccess } from "./account-access.js";
import { endOidcGrantsOfSessions } from "./oidc-grants.js";
import { describeDevice, type DeviceDescription } from "./devices.js";
import { recordSecurityEvent } from "./security-events.js";
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
	/**
	 * Whether the account has a confirmed authenticator, when it was read with the session (the
	 * session check's one statement, `findSessionWithAccount`); absent otherwise (ask
	 * `isTwoFactorEnabled`).
	 */
	readonly twoFactorEnabled?: boolean;
}

/** Activity is written at most once per this many milliseconds per session (saves a write per request). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Creates a session for an account that has passed every factor it has.
 * @param factors - what was proved at this sign-in: they give the session's AAL, `amr` and
 *   `secondFactorAt` (`domain/access/authentication-methods.ts`)
 * @param options - `factorsProved: false` when not every factor of the account was typed now (a
 *   remembered device, or a sign-in link standing in for the password): no sudo mode
 * @param repositories - the store, or a transaction's repositories
 */
export async function createSession(deps: ServiceDeps, repositories: Repositories, accountId: string, factors: readonly SignInFactor[], context: RequestContext, options: { factorsProved?: boolean } = {}): Promise<NewSession> {
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const record: SessionRecord = {
		id: generated.id,
		accountId,
		secretHash: generated.secretHash,
		aal: aalOf(factors),
		createdAt: now,
		lastActiveAt: now,
		expiresAt: now + secondsToMillis(deps.config.session.absoluteTtlSeconds),
		// A sign-in where the user typed every factor counts as a fresh re-authentication; one where a
		// remembered device stood in for the code does not (sensitive actions then ask again).
		reauthenticatedAt: options.factorsProved === false ? 0 : now,
		revokedAt: null,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
		secondFactorAt: typedSecondFactor(factors) ? now : null,
		amr: amrOf(factors),
	};
	await repositories.sessions.insertSession(record);
	return { token: generated.token, record };
}

/**
 * Gives a live session a new secret when it gains privilege (2FA turned on, a re-authentication,
 * a password change or set): the session goes on under the same id (lists and revocation still
 * name it), and the token it had stops working at once, so a token planted or captured before
 * never carries the new privilege (session fixation, OWASP ASVS 5.0 7.2.4, 7.5.x).
 * @param repositories - the store, or the transaction that grants the privilege
 * @returns the new token and the session's record as it now is
 * @throws Unauthenticated when the session was revoked, or rotated by another request, meanwhile
 *   (the caller's transaction then rolls back: nothing of the change is kept)
 */
export async function rotateSessionToken(deps: ServiceDeps, repositories: Repositories, session: SessionRecord): Promise<RotatedSession> {
	const generated = generateTokenSecret(deps.random, session.id);
	// Only from the secret this request came with: of two rotations of one token, one wins.
	if (!(await repositories.sessions.replaceSessionSecret(session.id, session.secretHash, generated.secretHash))) {
		throw new Unauthenticated(undefined, { reason: "rotated_or_revoked_meanwhile" });
	}
	deps.logger.info({ event: "session.rotated", sessionId: session.id, accountId: session.accountId }, "session token rotated");
	return { token: generated.token, session: { ...session, secretHash: generated.secretHash } };
}

/** A session after {@link rotateSessionToken}. */
export interface RotatedSession {
	/** The new token `<id>.<secret>`, for the client (cookie or answer body). */
	readonly token: string;
	/** The session's record with its new secret hash (for a second step in the same request). */
	readonly session: SessionRecord;
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
	const parsed = parseToken(token);
	const found = parsed === null ? null : await deps.store.sessions.findSessionWithAccount(parsed.id);
	return checkLiveSession(deps, found !== null && parsed !== null && verifyTokenSecret(parsed.secret, found.session.secretHash) ? found : null);
}

/**
 * The checks of {@link validateSession} on a session already read with its account
 * (`findSessionWithAccount`, one statement) by one of its tokens (null: none matched): not revoked,
 * not expired, not idle, its account there. Records activity at most once a minute.
 * @throws Unauthenticated for any failure (the reason is logged only)
 */
export async function checkLiveSession(deps: ServiceDeps, found: SessionWithAccountRecord | null): Promise<AuthenticatedSession> {
	if (found === null) throw new Unauthenticated(undefined, { reason: "unknown" });
	const { session, account, twoFactorEnabled } = found;
	const now = deps.clock.now();
	if (session.revokedAt !== null) throw new Unauthenticated(undefined, { reason: "revoked" });
	if (session.expiresAt <= now) throw new Unauthenticated(undefined, { reason: "expired" });
	if (idleExpiresAt(deps, session) <= now) throw new Unauthenticated(undefined, { reason: "idle" });
	if (account === null) throw new Unauthenticated(undefined, { reason: "account_gone" });
	// Disabling ended every session; one made by a race still opens nothing.
	if (account.disabledAt !== null) throw new Unauthenticated(undefined, { reason: "account_disabled" });
	// Enforced 2FA past the account's deadline: a session without a second factor (made with the
	// password alone before it, or by a sign-in link) ends here, on every surface. (A session at AAL2
	// belongs to an account with 2FA: turning it off drops the session that did it to AAL1 and ends
	// the others (`removeTwoFactor`), the last authenticator is never removed alone, and an
	// operator's reset ends every session.)
	if (session.aal < 2 && deps.config.twoFactorPolicy.enforce !== "off" && isTwoFactorOverdue(deps.config.twoFactorPolicy, account, now)) throw new Unauthenticated(undefined, { reason: "two_factor_overdue" });
	if (now - session.lastActiveAt >= TOUCH_INTERVAL_MS) {
		if (!(await deps.store.sessions.touchSession(session.id, now))) throw new Unauthenticated(undefined, { reason: "revoked" });
		return { session: { ...session, lastActiveAt: now }, account, twoFactorEnabled };
	}
	return { session, account, twoFactorEnabled };
}

/**
 * Ends a session (sign out). Unknown or already ended tokens are ignored: signing out always succeeds.
 */
export async function logout(deps: ServiceDeps, token: string): Promise<void> {
	const session = await findByToken(token, (id) => deps.store.sessions.findSession(id));
	if (session === null) return;
	const ended = await deps.store.transaction(async (tx) => {
		if (!(await tx.sessions.revokeSession(session.id, deps.clock.now()))) return false;
		await endOidcGrantsOfSessions(deps, tx, [session.id]);
		return true;
	});
	if (ended) deps.logger.info({ event: "session.logout", accountId: session.accountId, sessionId: session.id }, "signed out");
}

/**
 * Whether the session proved a factor within `session.reauthenticationTtlSeconds` (sudo mode).
 */
export function isRecentlyReauthenticated(deps: ServiceDeps, session: SessionRecord): boolean {
	return deps.clock.now() - session.reauthenticatedAt < secondsToMillis(deps.config.session.reauthenticationTtlSeconds);
}

/**
 * Refuses a sensitive action unless the session proved its factors within
 * `session.reauthenticationTtlSeconds` (signing in counts; so does `reauthenticate`).
 * @throws ReauthenticationRequired
 */
export function requireRecentReauthentication(deps: ServiceDeps, session: SessionRecord): void {
	if (!isRecentlyReauthenticated(deps, session)) throw new ReauthenticationRequired();
}

/** A session as its owner sees it in the list of active sessions. */
export interface SessionView {
	readonly id: string;
	/** Whether this is the session making the request. */
	readonly current: boolean;
	readonly aal: number;
	readonly createdAt: UnixMillis;
	readonly lastActiveAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly idleExpiresAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly device: DeviceDescription;
	/** The apps behind the forward-auth proxy this session reached recently, newest first (`service/connected-apps.ts`). */
	readonly apps: readonly ConnectedApp[];
}

/** The account's active sessions, newest first, the caller's marked `current`. */
export async function listSessions(deps: ServiceDeps, auth: AuthenticatedSession): Promise<SessionView[]> {
	const now = deps.clock.now();
	const sessions = (await deps.store.sessions.listActiveSessions(auth.account.id, now)).filter((session) => idleExpiresAt(deps, session) > now);
	const apps = await connectedApps(deps, sessions.map((session) => session.id));
	return sessions.map((session) => ({
			id: session.id,
			current: session.id === auth.session.id,
			aal: session.aal,
			createdAt: session.createdAt,
			lastActiveAt: session.lastActiveAt,
			expiresAt: session.expiresAt,
			idleExpiresAt: idleExpiresAt(deps, session),
			ipAddress: session.ipAddress,
			device: describeDevice(session.userAgent),
			apps: apps.get(session.id) ?? [],
		}));
}

/**
 * Ends one of the account's sessions (the current one too: that is signing out).
 * @throws NotFound when no active session of this account has that id
 */
export async function revokeSession(deps: ServiceDeps, auth: AuthenticatedSession, sessionId: string, context: RequestContext = NO_CONTEXT): Promise<void> {
	// An id we never issue (a NUL byte, say, which PostgreSQL refuses outright) is simply not found.
	if (!isWellFormedId(sessionId)) throw new NotFound("No such active session.");
	const session = await deps.store.sessions.findSession(sessionId);
	if (session === null || session.accountId !== auth.account.id) throw new NotFound("No such active session.");
	await deps.store.transaction(async (tx) => {
		if (!(await tx.sessions.revokeSession(session.id, deps.clock.now()))) throw new NotFound("No such active session.");
		await endOidcGrantsOfSessions(deps, tx, [session.id]);
		await recordSecurityEvent(deps, tx, auth.account.id, "session.revoked", context, { current: session.id === auth.session.id });
	});
}

/**
 * Ends every other session of the account (needs a recent re-authentication).
 * @returns how many were ended
 * @throws ReauthenticationRequired
 */
export async function revokeOtherSessions(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<number> {
	requireRecentReauthentication(deps, auth.session);
	return deps.store.transaction(async (tx) => {
		// Under the account's lock, like the code step: a sign-in finishing meanwhile is seen and ended.
		await tx.accounts.lockAccount(auth.account.id);
		const count = (await endAccountAccess(deps, tx, auth.account.id, { sessions: { except: auth.session.id } })).sessionsRevoked;
		await recordSecurityEvent(deps, tx, auth.account.id, "sessions.revoked", context, { scope: "others", sessions: count });
		return count;
	});
}

/** What "sign out everywhere" ended. */
export interface SignOutEverywhereResult {
	readonly sessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
}

/**
 * Ends every session of the account, this one included, and forgets every trusted device
 * (needs a recent re-authentication). A new sign-in needs every factor again.
 * @throws ReauthenticationRequired
 */
export async function signOutEverywhere(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<SignOutEverywhereResult> {
	requireRecentReauthentication(deps, auth.session);
	return deps.store.transaction(async (tx) => {
		// Under the account's lock, like the code step: a sign-in racing this either ends before (and
		// its session and device are ended here) or after (and finds its challenge ended).
		await tx.accounts.lockAccount(auth.account.id);
		const { sessionsRevoked, trustedDevicesRevoked } = await endAccountAccess(deps, tx, auth.account.id, { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true });
		await recordSecurityEvent(deps, tx, auth.account.id, "sessions.revoked", context, { scope: "everywhere", sessions: sessionsRevoked, trustedDevices: trustedDevicesRevoked });
		return { sessionsRevoked, trustedDevicesRevoked };
	});
}
