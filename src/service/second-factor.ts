/**
 * Proving the second factor again, for sensitive actions (re-authentication, turning 2FA off):
 * a current TOTP code (its time step then counts as used) or an unused recovery code (checked
 * with one argon2id verification, then consumed). Attempts count on the account's second-factor
 * counter before the check, exactly as at sign-in (NIST SP 800-63B §5.2.2).
 */
import { InvalidCode, TOTPNotEnabled } from "../errors.js";
import { isWellFormedOTP, normalizeOTPInput } from "../domain/otp/hotp.js";
import type { AccountRecord, TOTPCredentialRecord } from "../storage/store.js";
import type { RequestContext, ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { withAttempt } from "./throttle.js";
import { secondFactorOutcomeOf } from "./sign-in-outcomes.js";
import { checkTOTPCodeOfAny } from "./totp-key.js";
import { checkRecoveryCode, consumeRecoveryCode, recoveryCodeUsedUp } from "./recovery-codes.js";
import { alreadyUsedCode, malformedCode, refusedTOTPCode, unknownRecoveryCode, usedRecoveryCode } from "./code-refusal.js";

/** Which factor a code proved. */
export type ProvedFactor = "totp" | "recovery_code";

/**
 * Checks a TOTP code or a recovery code of the account, consuming what it uses. The user has just
 * proved the password (they hold the key), so a refusal says its cause (`InvalidCode.refusal`):
 * an expired code, one already used, one wrong for this authenticator, a clock that is behind, a
 * recovery code used up or not the account's, or input that is neither kind of code.
 * @returns which kind of code it was
 * @throws TOTPNotEnabled when the account has no 2FA; InvalidCode (with its cause); TooManyAttempts
 */
export async function proveSecondFactor(deps: ServiceDeps, account: AccountRecord, code: string, context: RequestContext): Promise<ProvedFactor> {
	const credentials = await deps.store.totpCredentials.listConfirmedTOTPCredentials(account.id);
	if (credentials.length === 0) throw new TOTPNotEnabled();
	// Counted by the kind of code it looks like (`/metrics`): a lock refuses before any is checked.
	const otp = normalizeOTPInput(code);
	const method = credentials.some((credential) => isWellFormedOTP(otp, credential.digits)) ? "totp" : "recovery_code";
	try {
		const proved = await checkSecondFactor(deps, account, credentials, code, context);
		deps.metrics.secondFactor("reauthentication", proved, "success");
		return proved;
	} catch (error) {
		deps.metrics.secondFactor("reauthentication", method, secondFactorOutcomeOf(error));
		throw error;
	}
}

/**
 * {@link proveSecondFactor} once the authenticators are found, uncounted. A code is checked against
 * every authenticator: the attempt budget is divided among them.
 */
function checkSecondFactor(deps: ServiceDeps, account: AccountRecord, credentials: readonly TOTPCredentialRecord[], code: string, context: RequestContext): Promise<ProvedFactor> {
	return withAttempt(deps, account.id, "second_factor", context, async (startBy) => {
		const otp = normalizeOTPInput(code);
		let refused: InvalidCode;
		if (credentials.some((credential) => isWellFormedOTP(otp, credential.digits))) {
			const checked = checkTOTPCodeOfAny(deps, credentials, otp);
			if (checked.step !== null) {
				if (await deps.store.totpCredentials.advanceTOTPStep(checked.credential, checked.step, deps.clock.now())) return "totp";
				refused = alreadyUsedCode();
			} else refused = refusedTOTPCode(deps, checked.key, checked.code, checked.credential, "reauthentication", { issuer: deps.config.issuer, email: account.email });
		} else {
			const checked = await checkRecoveryCode(deps, account.id, code, startBy);
			if (checked.refused === "malformed") refused = malformedCode("reauthentication", credentials[0]!.digits);
			else if (checked.candidate !== undefined && (await consumeRecoveryCodeRecorded(deps, account.id, checked.candidate, context))) return "recovery_code";
			else refused = (await recoveryCodeUsedUp(deps, account.id, code)) ? usedRecoveryCode() : unknownRecoveryCode();
		}
		deps.logger.warn({ event: "second_factor.failed", accountId: account.id, reason: refused.reason }, "second factor rejected (re-authentication)");
		await recordSecurityEvent(deps, deps.store, account.id, "login.second_factor_failed", context, { during: "reauthentication" });
		throw refused;
	}, credentials.length);
}

/**
 * Consumes a recovery code and records its use (with how many are left) in one transaction.
 * @returns false when another request used it first (nothing recorded)
 */
async function consumeRecoveryCodeRecorded(deps: ServiceDeps, accountId: string, candidate: Parameters<typeof consumeRecoveryCode>[2], context: RequestContext): Promise<boolean> {
	return deps.store.transaction(async (tx) => {
		if (!(await consumeRecoveryCode(tx, accountId, candidate, deps.clock.now()))) return false;
		await recordSecurityEvent(deps, tx, accountId, "recovery_code.used", context, { recoveryCodesLeft: await tx.recoveryCodes.countUnusedRecoveryCodes(accountId) });
		return true;
	});
}
