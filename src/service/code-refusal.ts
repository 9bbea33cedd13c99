/**
 * Why a code was refused, said to a user who holds the key: at setup (the key was just shown)
 * and at re-authentication (the password was just proved). Each refusal names its cause and what
 * to do (issue 10, item 7): a code from a time step that just ended, one already used (the replay
 * guard, RFC 6238 §5.2), one wrong for this authenticator, one from a clock minutes off (RFC 6238
 * §6), a recovery code used up. At sign-in, wrong and reused codes still answer alike (DESIGN §4
 * rule 6, `clock-skew.ts`): nothing here is used there.
 *
 * The causes are found only after the normal check refused the code, by searching the steps
 * around now (at most `2 × CLOCK_SKEW_SEARCH_STEPS + 1` HMACs); the search never accepts a code.
 */
import { InvalidCode, type CodeRefusalReason } from "../errors.js";
import { isWellFormedOTP } from "../domain/otp/hotp.js";
import { findTOTPStepOffset } from "../domain/otp/totp.js";
import type { TOTPCredentialRecord } from "../storage/store.js";
import { CLOCK_SKEW_SEARCH_STEPS, clockSkewAdvice } from "./clock-skew.js";
import type { ServiceDeps } from "./deps.js";

/**
 * How many time steps past the drift window a code counts as expired rather than as the sign of
 * a clock that is behind: 2 (with 30 s steps and the default window of 1, a code shown 30 to 90
 * seconds before the last accepted one: typed slowly, or read before a pause). Further back, up
 * to {@link CLOCK_SKEW_SEARCH_STEPS}, the clock-skew advice is given instead.
 */
export const EXPIRED_CODE_STEPS = 2;

/** Where the user typed the code: the setup of a new key, or re-authentication with the confirmed one. */
export type CodeHolder = "setup" | "reauthentication";

/** The account whose key it is, as the authenticator app names it (`issuer (email)`). */
export interface KeyLabel {
	readonly issuer: string;
	readonly email: string;
}

/** A refusal with its cause. */
function refusal(refusal: CodeRefusalReason, message: string, options: { clockSkewSeconds?: number; logReason?: string } = {}): InvalidCode {
	return new InvalidCode(message, { reason: options.logReason ?? refusal, refusal, ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }) });
}

/** The refusal of a code already used (its time step, or a later one, was accepted before). */
export function alreadyUsedCode(): InvalidCode {
	return refusal("already_used", "That code was already used: each code works once. Wait for the next one in your authenticator app.");
}

/**
 * The refusal of input that is no code at all: not `digits` digits, nor (at re-authentication,
 * where a recovery code also works) a recovery code.
 */
export function malformedCode(holder: CodeHolder, digits: number): InvalidCode {
	return holder === "setup"
		? refusal("malformed", `This setup's codes have ${digits} digits: enter the ${digits}-digit code your authenticator app shows.`)
		: refusal("malformed", `That is neither a ${digits}-digit code nor a recovery code. Enter the code your authenticator app shows, or one of your recovery codes.`);
}

/**
 * The refusal of a TOTP code that matched no time step of the drift window, with its cause:
 * `malformed`, `expired` (a step or two past the window), `clock_skew` (further off; at setup
 * also a clock that is ahead: the key was just shown, so a future match tells a guesser nothing
 * they could use, while at re-authentication it would, as at sign-in), or `wrong`.
 * @param code - the code as normalized (`normalizeOTPInput`)
 */
export function refusedTOTPCode(deps: ServiceDeps, key: Uint8Array, code: string, credential: TOTPCredentialRecord, holder: CodeHolder, label: KeyLabel): InvalidCode {
	const { digits, periodSeconds } = credential;
	if (!isWellFormedOTP(code, digits)) return malformedCode(holder, digits);
	const offset = findTOTPStepOffset(key, code, deps.clock.now(), { periodSeconds, digits, algorithm: credential.algorithm as "SHA1", searchSteps: CLOCK_SKEW_SEARCH_STEPS });
	const windowSteps = deps.config.totp.windowSteps;
	if (offset !== null && offset < -windowSteps && offset >= -(windowSteps + EXPIRED_CODE_STEPS)) {
		return refusal("expired", `That code has expired: codes change every ${periodSeconds} seconds. Enter the code your app shows now. If this keeps happening, turn on automatic date and time on your phone.`);
	}
	if (offset !== null && (offset < 0 || holder === "setup") && Math.abs(offset) > windowSteps) {
		const clockSkewSeconds = offset * periodSeconds;
		return refusal("clock_skew", `That code is not valid right now. ${clockSkewAdvice(clockSkewSeconds)}`, { clockSkewSeconds });
	}
	const account = `${label.issuer} (${label.email})`;
	return holder === "setup"
		? refusal("wrong", `That code doesn't match this setup's key. In your app, use the entry for ${account} you just added (if there are several, the newest), or delete it and scan the QR code again.`, { logReason: offset === null ? "mismatch" : "mismatch_future_step" })
		: refusal("wrong", `That code doesn't match your authenticator. Use the code your app shows for ${account}, or one of your recovery codes.`, { logReason: offset === null ? "mismatch" : "mismatch_future_step" });
}

/**
 * Moving to a new phone: the refusal of a code that the authenticator being replaced shows (the
 * old phone's entry), which is wrong for the new key. Checked with the old key's usual window;
 * nothing is accepted or used.
 */
export function oldAuthenticatorCode(label: KeyLabel): InvalidCode {
	return refusal("wrong", `That code comes from the authenticator you're replacing. Enter the code your new phone shows for ${label.issuer} (${label.email}).`, { logReason: "old_authenticator" });
}

/** The refusal of a recovery code of the account that was already used. */
export function usedRecoveryCode(): InvalidCode {
	return refusal("recovery_code_used", "That recovery code was already used: each one works once. Enter another of your recovery codes, or the code from your authenticator app.");
}

/** The refusal of a recovery code that is not one of the account's (a typo, or a set replaced since). */
export function unknownRecoveryCode(): InvalidCode {
	return refusal("recovery_code_wrong", "That is not one of your recovery codes. Check it (codes from an older set stop working when new ones are made), or enter the code from your authenticator app.");
}
