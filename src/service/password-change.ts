/**
 * Changing the password (OWASP ASVS 6.2.2/6.2.3, NIST SP 800-63B §5.1.1.2).
 */
import { hashPassword } from "../domain/password/hash.js";
import { assertAcceptablePassword } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { confirmOwnPassword } from "./reauthentication.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

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
	await confirmOwnPassword(deps, auth, input.currentPassword, context);
	assertAcceptablePassword(deps, input.newPassword, auth.account.email, "newPassword");
	const passwordHash = await hashPassword(input.newPassword, deps.config.password.argon2);
	const result = await deps.store.transaction(async (tx) => {
		const now = deps.clock.now();
		// Serializes with sign-ins of this account, which re-check the password hash under this lock.
		await tx.accounts.lockAccount(auth.account.id);
		await tx.accounts.updatePasswordHash(auth.account.id, passwordHash, now);
		const otherSessionsRevoked = await tx.sessions.revokeAccountSessions(auth.account.id, now, auth.session.id);
		const trustedDevicesRevoked = await tx.trustedDevices.revokeAccountTrustedDevices(auth.account.id, now);
		// Sign-ins half-way (password checked, code not yet) were made with the old password.
		await tx.loginChallenges.consumeAccountLoginChallenges(auth.account.id, now);
		await recordSecurityEvent(deps, tx, auth.account.id, "password.changed", context, { otherSessionsRevoked, trustedDevicesRevoked });
		return { otherSessionsRevoked, trustedDevicesRevoked };
	});
	deps.logger.info({ event: "password.changed", accountId: auth.account.id, ...result }, "password changed");
	return result;
}
