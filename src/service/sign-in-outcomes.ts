/**
 * How a refused sign-in step or second-factor check is counted in `/metrics` (docs/metrics.md):
 * the outcome label of an error, by its class and (for a lock answered like a wrong password) its
 * logged-only reason. The client is told less; these labels never leave the allowed networks.
 */
import { AttemptsInFlight, ChallengeInvalid, InvalidCode, InvalidCredentials, TooManyAttempts } from "../errors.js";
import type { SecondFactorOutcome, SignInOutcome } from "../platform/metrics.js";

/** The outcome of a password step that threw `error`. */
export function signInOutcomeOf(error: unknown): SignInOutcome {
	// Before TooManyAttempts: AttemptsInFlight is one.
	if (error instanceof AttemptsInFlight) return "busy";
	if (error instanceof InvalidCredentials) return error.reason === "locked" ? "locked" : "invalid_credentials";
	if (error instanceof TooManyAttempts) return "locked";
	return "error";
}

/** The outcome of a second-factor check that threw `error`. */
export function secondFactorOutcomeOf(error: unknown): SecondFactorOutcome {
	if (error instanceof AttemptsInFlight) return "busy";
	if (error instanceof TooManyAttempts) return "locked";
	if (error instanceof InvalidCode) return "invalid_code";
	// A wrong code on the challenge's last try is told as a spent challenge; it was a wrong code.
	if (error instanceof ChallengeInvalid) return error.reason === "last_attempt_failed" ? "invalid_code" : "challenge_invalid";
	return "error";
}
