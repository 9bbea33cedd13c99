/**
 * Changing the password (OWASP ASVS 6.2.2/6.2.3, NIST SP 800-63B §5.1.1.2).
 */
import { InvalidRequest, ReauthenticationRequired } from "../errors.js";
import { assertAcceptablePassword } from "./accounts.js";
import type { AccountRecord, Repositories, SessionRecord } from "../storage/store.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { endAccountAccess, everythingBut } from "./account-access.js";
import { confirmOwnPassword } from "./reauthentication.js";
import { recordSecurityEvent } from "./security-events.js";
import { isRecentlyReauthenticated, requireRecentReauthentication, rotateSessionToken, type AuthenticatedSession } from "./sessions.js";

/** The message of a new password that is the current one (rule `same_as_current`). */
export const SAME_PASSWORD_MESSAGE = "Your new password must be different from your current one. Nothing was changed.";

/**
 * Refuses a new password that is the current one: verified against the current argon2id hash (the
 * only way with salted hashes; it also catches a string that differs but verifies the same).
 * Called only after the current password was confirmed, so it is no oracle for guessing it.
 * @throws InvalidRequest (field `newPassword`, rule `same_as_current`)
 */
async function assertNewPasswordDiffers(deps: ServiceDeps, account: AccountRecord, newPassword: string): Promise<void> {
	if (account.passwordHash === null || !(await deps.passwords.verify(account.passwordHash, newPassword))) return;
	throw new InvalidRequest(SAME_PASSWORD_MESSAGE, [{ field: "newPassword", rule: "same_as_current", message: SAME_PASSWORD_MESSAGE }]);
}

/**
 * Checks the current password (counting failures), the new one against the policy, and that the
 * new one differs from the current one.
 * @returns the new password's hash
 * @throws InvalidCredentials, InvalidRequest (policy or `same_as_current`, field `newPassword`), TooManyAttempts
 */
export async function checkPasswordChange(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword: string; newPassword: string }, context: RequestContext): Promise<string> {
	await confirmOwnPassword(deps, auth, input.currentPassword, context);
	assertAcceptablePassword(deps, input.newPassword, auth.account.email, "newPassword");
	await assertNewPasswordDiffers(deps, auth.account, input.newPassword);
	return deps.passwords.hash(input.newPassword);
}

/**
 * Inside a transaction: sets the new password hash under the account's lock (sign-ins re-check the
 * hash under it), ends the other sessions, forgets every trusted device and ends open login
 * challenges (half-way sign-ins made with the old password). This session goes on under a new
 * token (session rotation).
 */
export async function replacePassword(deps: ServiceDeps, tx: Repositories, auth: AuthenticatedSession, passwordHash: string, options: { firstPassword?: boolean } = {}): Promise<PasswordChange> {
	const now = deps.clock.now();
	await tx.accounts.lockAccount(auth.account.id);
	if (options.firstPassword === true) {
		// Set under the lock only if still unset: two first passwords racing cannot both win.
		const current = await tx.accounts.findAccountById(auth.account.id);
		if (current === null || current.passwordHash !== null) {
			const message = "Your account has a password already: enter it as your current password.";
			throw new InvalidRequest(message, [{ field: "currentPassword", rule: "required", message }]);
		}
	}
	await tx.accounts.updatePasswordHash(auth.account.id, passwordHash, now);
	const ended = await endAccountAccess(deps, tx, auth.account.id, everythingBut(auth.session.id));
	const sessionToken = (await rotateSessionToken(deps, tx, auth.session)).token;
	return { otherSessionsRevoked: ended.sessionsRevoked, trustedDevicesRevoked: ended.trustedDevicesRevoked, sessionToken };
}

/** What a password change ended, and this session's new token. */
export interface PasswordChange {
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** This session's new token (`<id>.<secret>`): it goes on under it, the old one stopped working. */
	readonly sessionToken: string;
}

/** What a change ended, for the security activity and the log (never the token). */
function endedCounts(change: PasswordChange): { otherSessionsRevoked: number; trustedDevicesRevoked: number } {
	return { otherSessionsRevoked: change.otherSessionsRevoked, trustedDevicesRevoked: change.trustedDevicesRevoked };
}

/**
 * Changes the password (OWASP ASVS 6.2.2/6.2.3): the current one is required, and with 2FA on a
 * recent re-authentication too; the new one must pass the policy. The account's other sessions
 * and every trusted device end; this session stays. An account without a password (created by
 * an operator or integrator) sets its first one here with no `currentPassword`, in a session
 * made within the re-authentication window.
 * @throws InvalidCredentials ("That password is not correct."), ReauthenticationRequired, InvalidRequest (policy, the current password again, or `currentPassword` missing), TooManyAttempts
 */
export async function changePassword(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword?: string; newPassword: string }, context: RequestContext = NO_CONTEXT): Promise<PasswordChange> {
	if (auth.account.passwordHash === null) {
		if (input.currentPassword !== undefined) {
			const message = "Your account does not have a password yet: send only the new one.";
			throw new InvalidRequest(message, [{ field: "currentPassword", rule: "not_allowed", message }]);
		}
		const passwordHash = await checkFirstPassword(deps, auth.account, auth.session, input.newPassword);
		const result = await deps.store.transaction(async (tx) => {
			const ended = await replacePassword(deps, tx, auth, passwordHash, { firstPassword: true });
			await recordSecurityEvent(deps, tx, auth.account.id, "password.set", context, endedCounts(ended));
			return ended;
		});
		deps.logger.info({ event: "password.set", accountId: auth.account.id, ...endedCounts(result) }, "first password set");
		return result;
	}
	if (input.currentPassword === undefined) {
		const message = "Enter your current password.";
		throw new InvalidRequest(message, [{ field: "currentPassword", rule: "required", message }]);
	}
	if ((await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) !== null) requireRecentReauthentication(deps, auth.session);
	const passwordHash = await checkPasswordChange(deps, auth, { currentPassword: input.currentPassword, newPassword: input.newPassword }, context);
	const result = await deps.store.transaction(async (tx) => {
		const ended = await replacePassword(deps, tx, auth, passwordHash);
		await recordSecurityEvent(deps, tx, auth.account.id, "password.changed", context, endedCounts(ended));
		return ended;
	});
	deps.logger.info({ event: "password.changed", accountId: auth.account.id, ...endedCounts(result) }, "password changed");
	return result;
}

/**
 * Checks the first password of an account that has none: the session must be fresh (made or
 * re-proved within the re-authentication window, e.g. by a sign-in link just used) and the
 * password must pass the policy.
 * @returns its hash
 * @throws InvalidRequest (missing, or the policy refuses it; field `newPassword`), ReauthenticationRequired
 */
export async function checkFirstPassword(deps: ServiceDeps, account: AccountRecord, session: SessionRecord, newPassword: string | undefined): Promise<string> {
	if (newPassword === undefined) {
		const message = "Your account does not have a password yet: choose one.";
		throw new InvalidRequest(message, [{ field: "newPassword", rule: "required", message }]);
	}
	if (!isRecentlyReauthenticated(deps, session)) {
		throw new ReauthenticationRequired("To set your first password, sign in again with a new sign-in link (this session is too old).");
	}
	assertAcceptablePassword(deps, newPassword, account.email, "newPassword");
	return deps.passwords.hash(newPassword);
}

/**
 * Inside a transaction, under the account's lock: stores the first password of an account that
 * has none (setup step 1), and, as any password change does, ends the account's other sessions,
 * remembered devices, open sign-ins and unused sign-in links (someone else holding one of those
 * must not keep access, or set up their own authenticator next). `session` stays.
 * @throws InvalidRequest when the account got a password meanwhile (nothing written)
 */
export async function setFirstPassword(deps: ServiceDeps, tx: Repositories, auth: AuthenticatedSession, passwordHash: string, context: RequestContext): Promise<PasswordChange> {
	const current = await tx.accounts.findAccountById(auth.account.id);
	if (current === null || current.passwordHash !== null) {
		const message = "Your account has a password already: confirm it instead.";
		throw new InvalidRequest(message, [{ field: "password", rule: "required", message }]);
	}
	const ended = await replacePassword(deps, tx, auth, passwordHash);
	await recordSecurityEvent(deps, tx, auth.account.id, "password.set", context, endedCounts(ended));
	return ended;
}
