/**
 * Changing the password (OWASP ASVS 6.2.2/6.2.3, NIST SP 800-63B §5.1.1.2).
 */
import { hashPassword } from "../domain/password/hash.js";
import { assertAcceptablePassword } from "./accounts.js";
import type { Repositories } from "../storage/store.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { confirmOwnPassword } from "./reauthentication.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/**
 * Checks the current password (counting failures) and the new one against the policy.
 * @returns the new password's hash
 * @throws InvalidCredentials, InvalidRequest (policy, field `newPassword`), TooManyAttempts
 */
export async function checkPasswordChange(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword: string; newPassword: string }, context: RequestContext): Promise<string> {
	await confirmOwnPassword(deps, auth, input.currentPassword, context);
	assertAcceptablePassword(deps, input.newPassword, auth.account.email, "newPassword");
	return hashPassword(input.newPassword, deps.config.password.argon2);
}

/**
 * Inside a transaction: sets the new password hash under the account's lock (sign-ins re-check the
 * hash under it), ends the other sessions, forgets every trusted device and ends open login
 * challenges (half-way sign-ins made with the old password).
 */
export async function replacePassword(deps: ServiceDeps, tx: Repositories, auth: AuthenticatedSession, passwordHash: string): Promise<PasswordChange> {
	const now = deps.clock.now();
	await tx.accounts.lockAccount(auth.account.id);
	await tx.accounts.updatePasswordHash(auth.account.id, passwordHash, now);
	const otherSessionsRevoked = await tx.sessions.revokeAccountSessions(auth.account.id, now, auth.session.id);
	const trustedDevicesRevoked = await tx.trustedDevices.revokeAccountTrustedDevices(auth.account.id, now);
	await tx.loginChallenges.consumeAccountLoginChallenges(auth.account.id, now);
	return { otherSessionsRevoked, trustedDevicesRevoked };
}

/** What a password change ended. */
export interface PasswordChange {
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
}

/**
 * Changes the password (OWASP ASVS 6.2.2/6.2.3): the current one is required, and with 2FA on a
 * recent re-authentication too; the new one must pass the policy. The account's other sessions
 * and every trusted device end; this session stays.
 * @throws InvalidCredentials ("That password is not correct."), ReauthenticationRequired, InvalidRequest (policy), TooManyAttempts
 */
export async function changePassword(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword: string; newPassword: string }, context: RequestContext = NO_CONTEXT): Promise<PasswordChange> {
	if ((await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) !== null) requireRecentReauthentication(deps, auth.session);
	const passwordHash = await checkPasswordChange(deps, auth, input, context);
	const result = await deps.store.transaction(async (tx) => {
		const ended = await replacePassword(deps, tx, auth, passwordHash);
		await recordSecurityEvent(deps, tx, auth.account.id, "password.changed", context, { ...ended });
		return ended;
	});
	deps.logger.info({ event: "password.changed", accountId: auth.account.id, ...result }, "password changed");
	return result;
}
