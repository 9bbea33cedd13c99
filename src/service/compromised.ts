/**
 * "I think my account is compromised" (the seed article's advice, in one action): change the
 * password, end every other session, forget every trusted device, and, with 2FA on, replace the
 * recovery codes. Needs the current password and a recent re-authentication (both factors with 2FA
 * on). All in one transaction; the summary says what was done.
 */
import { hashPassword } from "../domain/password/hash.js";
import { assertAcceptablePassword } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { confirmOwnPassword } from "./reauthentication.js";
import { issueRecoveryCodes } from "./recovery-codes.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/** What the action did. */
export interface SecureAccountSummary {
	readonly passwordChanged: true;
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** The new recovery codes (shown once), or null when 2FA is off. */
	readonly recoveryCodes: readonly string[] | null;
	/** Whether 2FA is on (if not, the user should turn it on next). */
	readonly twoFactorEnabled: boolean;
}

/**
 * Secures an account the user believes compromised.
 * @throws ReauthenticationRequired, InvalidCredentials, InvalidRequest (new password policy), TooManyAttempts
 */
export async function secureCompromisedAccount(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword: string; newPassword: string }, context: RequestContext = NO_CONTEXT): Promise<SecureAccountSummary> {
	requireRecentReauthentication(deps, auth.session);
	await confirmOwnPassword(deps, auth, input.currentPassword, context);
	assertAcceptablePassword(deps, input.newPassword, auth.account.email, "newPassword");
	const passwordHash = await hashPassword(input.newPassword, deps.config.password.argon2);
	const twoFactorEnabled = (await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) !== null;
	const summary = await deps.store.transaction(async (tx) => {
		const now = deps.clock.now();
		await tx.accounts.lockAccount(auth.account.id);
		await tx.accounts.updatePasswordHash(auth.account.id, passwordHash, now);
		const otherSessionsRevoked = await tx.sessions.revokeAccountSessions(auth.account.id, now, auth.session.id);
		const trustedDevicesRevoked = await tx.trustedDevices.revokeAccountTrustedDevices(auth.account.id, now);
		await tx.loginChallenges.consumeAccountLoginChallenges(auth.account.id, now);
		const recoveryCodes = twoFactorEnabled ? await issueRecoveryCodes(deps, tx, auth.account.id) : null;
		await recordSecurityEvent(deps, tx, auth.account.id, "account.secured", context, { otherSessionsRevoked, trustedDevicesRevoked, recoveryCodesReplaced: recoveryCodes !== null });
		return { passwordChanged: true as const, otherSessionsRevoked, trustedDevicesRevoked, recoveryCodes, twoFactorEnabled };
	});
	deps.logger.warn({ event: "account.secured", accountId: auth.account.id, otherSessionsRevoked: summary.otherSessionsRevoked, trustedDevicesRevoked: summary.trustedDevicesRevoked }, "account secured after suspected compromise");
	return summary;
}
