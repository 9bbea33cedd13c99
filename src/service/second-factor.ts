/**
 * Proving the second factor again, for sensitive actions (re-authentication, turning 2FA off):
 * a current TOTP code (its time step then counts as used) or an unused recovery code (checked
 * with one argon2id verification, then consumed). Attempts count on the account's second-factor
 * counter before the check, exactly as at sign-in (NIST SP 800-63B §5.2.2).
 */
import { InvalidCode, TOTPNotEnabled } from "../errors.js";
import { isWellFormedOTP, normalizeOTPInput } from "../domain/otp/hotp.js";
import type { AccountRecord } from "../storage/store.js";
import type { RequestContext, ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { withAttempt } from "./throttle.js";
import { checkTOTPCode } from "./totp-key.js";
import { checkRecoveryCode, consumeRecoveryCode } from "./recovery-codes.js";

/** Which factor a code proved. */
export type ProvedFactor = "totp" | "recovery_code";

/**
 * Checks a TOTP code or a recovery code of the account, consuming what it uses.
 * @returns which kind of code it was
 * @throws TOTPNotEnabled when the account has no 2FA; InvalidCode (wrong, used, malformed alike); TooManyAttempts
 */
export async function proveSecondFactor(deps: ServiceDeps, account: AccountRecord, code: string, context: RequestContext): Promise<ProvedFactor> {
	const credential = await deps.store.totpCredentials.findConfirmedTOTPCredential(account.id);
	if (credential === null) throw new TOTPNotEnabled();
	return withAttempt(deps, account.id, "second_factor", context, async (startBy) => {
		const otp = normalizeOTPInput(code);
		let proved: ProvedFactor | null = null;
		if (isWellFormedOTP(otp, credential.digits)) {
			const { step } = checkTOTPCode(deps, credential, otp);
			if (step !== null && (await deps.store.totpCredentials.advanceTOTPStep(credential.id, step))) proved = "totp";
		} else {
			const checked = await checkRecoveryCode(deps, account.id, code, startBy);
			if (checked.candidate !== undefined && (await consumeRecoveryCode(deps.store, account.id, checked.candidate, deps.clock.now()))) {
				proved = "recovery_code";
				await recordSecurityEvent(deps, deps.store, account.id, "recovery_code.used", context, { recoveryCodesLeft: await deps.store.recoveryCodes.countUnusedRecoveryCodes(account.id) });
			}
		}
		if (proved === null) {
			deps.logger.warn({ event: "second_factor.failed", accountId: account.id }, "second factor rejected (re-authentication)");
			await recordSecurityEvent(deps, deps.store, account.id, "login.second_factor_failed", context, { during: "reauthentication" });
			throw isWellFormedOTP(otp, credential.digits) ? new InvalidCode() : new InvalidCode("That recovery code is not valid or was already used. Check it, or enter the current code from your authenticator app.");
		}
		return proved;
	});
}
