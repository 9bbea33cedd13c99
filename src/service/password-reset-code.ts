/**
 * The second factor of a password reset: an account with 2FA proves a current TOTP code or an
 * unused recovery code with the reset link BEFORE anything of the account changes (issue 11 item 5:
 * a reset never bypasses 2FA; OWASP Forgot Password Cheat Sheet "do not bypass MFA"). The same
 * protections as the sign-in code step (`login.ts`): the account's second-factor attempt is reserved
 * before the check, on the counter sign-in uses, so a lockout is shared (`throttle.ts`); each link
 * has its own budget of `loginChallenge.maxAttempts` codes; a TOTP time step is accepted once
 * (`advanceTOTPStep`, RFC 6238 §5.2); a recovery code is consumed once. Every refusal answers alike
 * (the holder proved a mailbox, not the password). Success is recorded on the link
 * (`markEmailTokenSecondFactorVerified`); only then does the new-password step accept a password.
 */
import { EmailLinkInvalid, InvalidCode } from "../errors.js";
import { isWellFormedOTP, normalizeOTPInput } from "../domain/otp/hotp.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveResetLink } from "./password-reset.js";
import { checkRecoveryCode, consumeRecoveryCode } from "./recovery-codes.js";
import { recordSecurityEvent } from "./security-events.js";
import { attemptsForKeys, withAttempt } from "./throttle.js";
import { checkTOTPCodeOfAny } from "./totp-key.js";

/** The one answer to every refused code at this step: wrong, reused and malformed alike. */
export const RESET_CODE_REFUSED = "That code is not valid or was already used. Enter the current code from your authenticator app, or one of your recovery codes.";

/** The message once a link's code attempts are spent. */
export const RESET_CODES_SPENT = "Too many wrong codes for this link. For your security, ask for a new password reset link.";

/** How the second factor was proved (or that none is needed). */
export type ResetSecondFactor = "totp" | "recovery_code" | "not_needed" | "already_proved";

/** The link's state changed under the code step (used, expired): the transaction rolls back. */
function assertStillLive(record: { consumedAt: number | null; expiresAt: number } | null, now: number): void {
	if (record === null || record.consumedAt !== null || record.expiresAt <= now) throw new EmailLinkInvalid(undefined, { reason: "ended_during_code_step" });
}

/**
 * Checks a TOTP or recovery code with a reset link, and records on the link that the second factor
 * was proved. Nothing of the account changes but the consumed code (and its time step).
 * @returns how it was proved; `"not_needed"` for an account without 2FA, `"already_proved"` when the link proved it before
 * @throws AccountDisabled (its account is disabled); EmailLinkInvalid (unknown, expired, used, or its code attempts spent); InvalidCode (one
 *   message for every refusal); TooManyAttempts (the account's second factor is locked, shared with sign-in)
 */
export async function provePasswordResetSecondFactor(deps: ServiceDeps, input: { token: string; code: string }, context: RequestContext = NO_CONTEXT): Promise<ResetSecondFactor> {
	const { record, twoFactor } = await findLiveResetLink(deps, input.token);
	if (!twoFactor) return "not_needed";
	if (record.secondFactorVerifiedAt !== null) return "already_proved";
	const { accountId } = record;
	// Each code is checked against every authenticator: the link's budget is divided among them.
	const credentials = await deps.store.totpCredentials.listConfirmedTOTPCredentials(accountId);
	if (credentials.length === 0) return "not_needed";
	const maxAttempts = attemptsForKeys(deps.config.loginChallenge.maxAttempts, credentials.length);
	// Spent: told as such, and not counted against the account again.
	if (record.attempts >= maxAttempts) throw new EmailLinkInvalid(RESET_CODES_SPENT, { reason: "attempts_exhausted" });
	return withAttempt(deps, accountId, "second_factor", context, async (startBy) => {
		if (!(await deps.store.emailTokens.reserveEmailTokenAttempt(record.id, deps.clock.now(), maxAttempts))) throw new EmailLinkInvalid(RESET_CODES_SPENT, { reason: "attempts_exhausted" });
		let proved: ResetSecondFactor | null = null;
		let reason = "mismatch";
		const otp = normalizeOTPInput(input.code);
		if (credentials.some((credential) => isWellFormedOTP(otp, credential.digits))) {
			const { step, credential } = checkTOTPCodeOfAny(deps, credentials, otp);
			if (step !== null) {
				const accepted = await deps.store.transaction(async (tx) => {
					await tx.accounts.lockAccount(accountId);
					assertStillLive(await tx.emailTokens.findEmailToken(record.id), deps.clock.now());
					if (!(await tx.totpCredentials.advanceTOTPStep(credential, step, deps.clock.now()))) return false;
					await tx.emailTokens.markEmailTokenSecondFactorVerified(record.id, deps.clock.now());
					return true;
				});
				if (accepted) proved = "totp";
				else reason = "reused";
			}
		} else {
			// Outside the transaction: an argon2id verification must not hold the database's lock.
			const checked = await checkRecoveryCode(deps, accountId, input.code, startBy);
			if (checked.candidate !== undefined) {
				const candidate = checked.candidate;
				const accepted = await deps.store.transaction(async (tx) => {
					await tx.accounts.lockAccount(accountId);
					const now = deps.clock.now();
					assertStillLive(await tx.emailTokens.findEmailToken(record.id), now);
					if (!(await consumeRecoveryCode(tx, accountId, candidate, now))) return false;
					await tx.emailTokens.markEmailTokenSecondFactorVerified(record.id, now);
					await recordSecurityEvent(deps, tx, accountId, "recovery_code.used", context, { recoveryCodesLeft: await tx.recoveryCodes.countUnusedRecoveryCodes(accountId), during: "password_reset" });
					return true;
				});
				if (accepted) proved = "recovery_code";
				else reason = "recovery_code_used";
			} else reason = checked.refused ?? "mismatch";
		}
		if (proved !== null) {
			deps.logger.info({ event: "password.reset_second_factor", accountId, method: proved }, "second factor proved for a password reset");
			return proved;
		}
		deps.logger.warn({ event: "login.second_factor_failed", accountId, during: "password_reset", reason, ip: context.ipAddress }, "second factor rejected (password reset)");
		await recordSecurityEvent(deps, deps.store, accountId, "login.second_factor_failed", context, { during: "password_reset" });
		// The link's last try failed: say that another code here cannot work.
		if (record.attempts + 1 >= maxAttempts) throw new EmailLinkInvalid(RESET_CODES_SPENT, { reason: "last_attempt_failed" });
		throw new InvalidCode(RESET_CODE_REFUSED, { reason });
	}, credentials.length);
}
