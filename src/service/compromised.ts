/**
 * "I think my account is compromised" (the seed article's advice, in one action): change the
 * password, end every other session, forget every trusted device, revoke every personal access
 * token, and, with 2FA on, replace the recovery codes. Needs the current password and a recent re-authentication (both factors with 2FA
 * on). All in one transaction; the summary says what was done.
 */
import { endAccountAccess } from "./account-access.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { checkPasswordChange, replacePassword } from "./password-change.js";
import { prepareRecoveryCodes, storeRecoveryCodes } from "./recovery-codes.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/** What the action did. */
export interface SecureAccountSummary {
	readonly passwordChanged: true;
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** Every personal access token of the account is revoked: how many were. */
	readonly accessTokensRevoked: number;
	/** The new recovery codes (shown once), or null when 2FA is off. */
	readonly recoveryCodes: readonly string[] | null;
	/** Whether 2FA is on (if not, the user should turn it on next). */
	readonly twoFactorEnabled: boolean;
	/** This session's new token (session rotation): the old one stopped working. */
	readonly sessionToken: string;
}

/**
 * Secures an account the user believes compromised.
 * A new password that is the current one is refused (400, rule `same_as_current`) and nothing is
 * done: "secured" must mean the password changed.
 * @throws ReauthenticationRequired, InvalidCredentials, InvalidRequest (new password policy, or the current one again), TooManyAttempts
 */
export async function secureCompromisedAccount(deps: ServiceDeps, auth: AuthenticatedSession, input: { currentPassword: string; newPassword: string }, context: RequestContext = NO_CONTEXT): Promise<SecureAccountSummary> {
	requireRecentReauthentication(deps, auth.session);
	const passwordHash = await checkPasswordChange(deps, auth, input, context);
	const twoFactorEnabled = (await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) !== null;
	// Hashed before the transaction: argon2id must not hold the database's lock.
	const prepared = twoFactorEnabled ? await prepareRecoveryCodes(deps, auth.account.id) : null;
	const summary = await deps.store.transaction(async (tx) => {
		const { otherSessionsRevoked, trustedDevicesRevoked, sessionToken } = await replacePassword(deps, tx, auth, passwordHash);
		// Unlike a plain password change, a compromise ends the tokens too: any of them may be the intruder's.
		const { accessTokensRevoked } = await endAccountAccess(deps, tx, auth.account.id, { accessTokens: true });
		const recoveryCodes = prepared === null ? null : await storeRecoveryCodes(tx, auth.account.id, prepared);
		await recordSecurityEvent(deps, tx, auth.account.id, "account.secured", context, { otherSessionsRevoked, trustedDevicesRevoked, accessTokensRevoked, recoveryCodesReplaced: recoveryCodes !== null });
		return { passwordChanged: true as const, otherSessionsRevoked, trustedDevicesRevoked, accessTokensRevoked, recoveryCodes, twoFactorEnabled, sessionToken };
	});
	deps.logger.warn({ event: "account.secured", accountId: auth.account.id, otherSessionsRevoked: summary.otherSessionsRevoked, trustedDevicesRevoked: summary.trustedDevicesRevoked, accessTokensRevoked: summary.accessTokensRevoked }, "account secured after suspected compromise");
	return summary;
}
