/**
 * The clock-skew hint (RFC 6238 §6): when a refused TOTP code is the right one for a time step a
 * few minutes away, the user's device clock is off, and telling them so (never accepting the code)
 * saves a support call. Also reported when an accepted code came from the previous or next step.
 */
import { InvalidCode } from "../errors.js";
import { findTOTPStepOffset, timeStep } from "../domain/otp/totp.js";
import type { TOTPCredentialRecord } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";

/** How far to look for the code: 10 steps each side (5 minutes at 30 s). */
export const CLOCK_SKEW_SEARCH_STEPS = 10;

/** A person's words for a number of seconds, rounded. */
function aboutTime(seconds: number): string {
	const abs = Math.abs(seconds);
	if (abs < 90) return `${abs} seconds`;
	return `${Math.round(abs / 60)} minutes`;
}

/**
 * The sentence telling the user how far their clock is off, and how to fix it.
 * @param afterwards - what to do once fixed: try the next code (a refused code), or nothing (an accepted one)
 */
export function clockSkewAdvice(clockSkewSeconds: number, afterwards: "retry" | "accepted" = "retry"): string {
	const direction = clockSkewSeconds < 0 ? "behind" : "ahead";
	const fix = `Turn on automatic date and time in your phone's settings`;
	const tail = afterwards === "retry" ? `${fix}, then try the new code.` : `The code worked, but to keep codes working: ${fix.charAt(0).toLowerCase()}${fix.slice(1)}.`;
	return `Your device's clock seems to be about ${aboutTime(clockSkewSeconds)} ${direction}. ${tail}`;
}

/**
 * The error for a code that did not verify: with the skew hint when the code matches a step within
 * {@link CLOCK_SKEW_SEARCH_STEPS} but outside the drift window.
 * @param options - `futureHints`: also report a clock that is ahead (setup, where the user already
 *   holds the key); false at sign-in
 */
export function refusedCode(deps: ServiceDeps, key: Uint8Array, code: string, credential: TOTPCredentialRecord, options: { futureHints: boolean }): InvalidCode {
	const offset = findTOTPStepOffset(key, code, deps.clock.now(), { periodSeconds: credential.periodSeconds, digits: credential.digits, algorithm: credential.algorithm as "SHA1", searchSteps: CLOCK_SKEW_SEARCH_STEPS });
	if (offset === null || Math.abs(offset) <= deps.config.totp.windowSteps) return new InvalidCode(undefined, { reason: "mismatch" });
	// At sign-in, a hint for a FUTURE step would tell a guesser that they hold a code that will
	// work later: only a behind clock is reported there (a past code can never be used again).
	if (offset > 0 && !options.futureHints) return new InvalidCode(undefined, { reason: "mismatch_future_step" });
	const clockSkewSeconds = offset * credential.periodSeconds;
	return new InvalidCode(`That code is not valid right now. ${clockSkewAdvice(clockSkewSeconds)}`, { reason: "clock_skew", clockSkewSeconds });
}

/** A device clock that looks off: by how much (seconds; negative: behind) and what to do. */
export interface ClockSkew {
	readonly seconds: number;
	readonly advice: string;
}

/** For an accepted code: the skew when it came from a step other than the current one, else null. */
export function acceptedSkew(deps: ServiceDeps, step: number, credential: TOTPCredentialRecord): ClockSkew | null {
	const seconds = (step - timeStep(deps.clock.now(), credential.periodSeconds)) * credential.periodSeconds;
	return seconds === 0 ? null : { seconds, advice: clockSkewAdvice(seconds, "accepted") };
}
