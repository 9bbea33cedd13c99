/**
 * TOTP: time-based one-time passwords (RFC 6238), HOTP over a time-step counter.
 *
 * Time is always a parameter (`nowUnixMillis`); nothing here reads the clock. T0 is 0.
 *
 * @see RFC 6238 §4 (algorithm), §5.2 (validation window), §6 (resynchronisation)
 */
import type { UnixMillis } from "../../platform/clock.js";
import {
	assertOTPDigits,
	assertOTPKey,
	computeHOTPValue,
	DEFAULT_OTP_ALGORITHM,
	DEFAULT_OTP_DIGITS,
	formatOTPValue,
	isWellFormedOTP,
	nodeHashName,
	otpEqualsValue,
} from "./hotp.js";
import type { OTPAlgorithm, OTPOptions } from "./hotp.js";

/** Default time step X in seconds (RFC 6238 §5.2 recommends 30). */
export const DEFAULT_TOTP_PERIOD_SECONDS = 30;
/** Default acceptance window in steps on each side (RFC 6238 §5.2: at most one step of delay). */
export const DEFAULT_TOTP_WINDOW_STEPS = 1;

/** Options for TOTP generation. */
export interface TOTPOptions {
	/** Time step X in seconds, a positive integer. @default 30 */
	periodSeconds?: number;
	/** Number of decimal digits, an integer 6 to 8. @default 6 */
	digits?: number;
	/** HMAC hash function. @default "SHA1" */
	algorithm?: OTPAlgorithm;
}

/** Options for {@link verifyTOTP}. */
export interface TOTPVerifyOptions extends TOTPOptions {
	/**
	 * Steps accepted on each side of the current one, a non-negative integer: with 1,
	 * steps n-1, n and n+1 are tried. @default 1
	 */
	windowSteps?: number;
}

/** Options for {@link findTOTPStepOffset}. */
export interface TOTPSearchOptions extends TOTPOptions {
	/** Steps searched on each side of the current one, a non-negative integer. Required. */
	searchSteps: number;
}

const TWO_POW_32 = 0x1_0000_0000;

function assertPeriodSeconds(periodSeconds: number): void {
	if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) {
		throw new RangeError(`TOTP periodSeconds must be a positive integer, got ${String(periodSeconds)}`);
	}
}

function assertStepCount(name: string, steps: number): void {
	if (!Number.isSafeInteger(steps) || steps < 0) {
		throw new RangeError(`TOTP ${name} must be a non-negative integer, got ${String(steps)}`);
	}
}

function assertStep(step: number): void {
	if (!Number.isSafeInteger(step) || step < 0) {
		throw new RangeError(`TOTP step must be a non-negative safe integer, got ${String(step)}`);
	}
}

/** Writes a step in [0, 2^53) into `bytes` as an 8-byte big-endian counter. */
function writeStep(bytes: Buffer, step: number): void {
	const high = Math.floor(step / TWO_POW_32);
	bytes.writeUInt32BE(high, 0);
	bytes.writeUInt32BE(step - high * TWO_POW_32, 4);
}

/**
 * Returns the time step T = floor((now - T0) / X) with T0 = 0.
 *
 * Computed on whole seconds with exact integer arithmetic (no floating division
 * rounding), so it is exact for every instant up to `Number.MAX_SAFE_INTEGER` ms.
 *
 * @param nowUnixMillis - the instant, epoch milliseconds (UTC), finite and >= 0;
 *   fractions of a millisecond are allowed
 * @param periodSeconds - time step X in seconds, a positive integer
 * @returns T, a non-negative integer (e.g. 1 for t = 59 s and X = 30)
 * @throws TypeError when `nowUnixMillis` is not a number; RangeError when it is
 *   negative, NaN or above `Number.MAX_SAFE_INTEGER`, or when `periodSeconds` is not a
 *   positive integer
 * @see RFC 6238 §4.2 (T = (Current Unix time - T0) / X, floor), §4.1 (T0 = 0)
 */
export function timeStep(nowUnixMillis: UnixMillis, periodSeconds: number): number {
	if (typeof nowUnixMillis !== "number") {
		throw new TypeError("time must be a number of epoch milliseconds");
	}
	if (!(nowUnixMillis >= 0) || nowUnixMillis > Number.MAX_SAFE_INTEGER) {
		throw new RangeError(`time must be finite epoch milliseconds >= 0, got ${String(nowUnixMillis)}`);
	}
	assertPeriodSeconds(periodSeconds);
	const seconds = Math.floor(nowUnixMillis / 1000);
	// floor(floor(t / 1000) / X) == floor(t / 1000 / X); the subtraction makes the last
	// division exact.
	return (seconds - (seconds % periodSeconds)) / periodSeconds;
}

/**
 * Generates the TOTP code for a given time step (HOTP with C = step).
 *
 * @param key - shared secret K, non-empty
 * @param step - time step T, a non-negative safe integer (see {@link timeStep})
 * @param options - `digits` 6 to 8 (default 6); `algorithm` (default "SHA1")
 * @returns exactly `digits` ASCII digits, zero-padded
 * @throws TypeError for a bad key or algorithm; RangeError for a bad step or digits
 * @see RFC 6238 §4.2
 */
export function generateTOTPAtStep(key: Uint8Array, step: number, options: OTPOptions = {}): string {
	const digits = options.digits ?? DEFAULT_OTP_DIGITS;
	assertOTPKey(key);
	assertOTPDigits(digits);
	assertStep(step);
	const hashName = nodeHashName(options.algorithm ?? DEFAULT_OTP_ALGORITHM);
	const counterBytes = Buffer.allocUnsafe(8);
	writeStep(counterBytes, step);
	return formatOTPValue(computeHOTPValue(key, hashName, counterBytes, digits), digits);
}

/**
 * Generates the TOTP code valid at an instant.
 *
 * @param key - shared secret K, non-empty
 * @param nowUnixMillis - the instant, epoch milliseconds (UTC), >= 0
 * @param options - `periodSeconds` (default 30), `digits` 6 to 8 (default 6),
 *   `algorithm` (default "SHA1")
 * @returns exactly `digits` ASCII digits, zero-padded
 * @throws TypeError for a bad key or algorithm; RangeError for a bad time, period or
 *   digits
 * @see RFC 6238 §4.2, Appendix B (test vectors)
 */
export function generateTOTP(key: Uint8Array, nowUnixMillis: UnixMillis, options: TOTPOptions = {}): string {
	const step = timeStep(nowUnixMillis, options.periodSeconds ?? DEFAULT_TOTP_PERIOD_SECONDS);
	return generateTOTPAtStep(key, step, options);
}

/**
 * Searches steps `current`, `current - 1`, `current + 1`, `current - 2`, ... up to
 * `rangeSteps` on each side and returns the first matching step. Steps below 0 are
 * skipped. Arguments must already be checked.
 */
function searchSteps(
	key: Uint8Array,
	code: string,
	currentStep: number,
	rangeSteps: number,
	hashName: string,
	digits: number,
): number | null {
	// One 8-byte buffer per call, reused for every step tried.
	const counterBytes = Buffer.allocUnsafe(8);
	writeStep(counterBytes, currentStep);
	if (otpEqualsValue(code, computeHOTPValue(key, hashName, counterBytes, digits), digits)) {
		return currentStep;
	}
	for (let distance = 1; distance <= rangeSteps; distance++) {
		const earlier = currentStep - distance;
		if (earlier >= 0) {
			writeStep(counterBytes, earlier);
			if (otpEqualsValue(code, computeHOTPValue(key, hashName, counterBytes, digits), digits)) {
				return earlier;
			}
		}
		const later = currentStep + distance;
		if (later <= Number.MAX_SAFE_INTEGER) {
			writeStep(counterBytes, later);
			if (otpEqualsValue(code, computeHOTPValue(key, hashName, counterBytes, digits), digits)) {
				return later;
			}
		}
	}
	return null;
}

/**
 * Verifies a TOTP code and returns the time step it matched, so the caller can enforce
 * one-time use by accepting only steps greater than the last accepted one (RFC 6238 §5.2,
 * STANDARDS.md T-07; the service does this with a compare-and-set).
 *
 * Steps are tried in the order current, -1, +1, -2, +2, ... up to `windowSteps` on each
 * side; steps before the epoch are skipped. The code is NOT normalised here (callers use
 * {@link normalizeOTPInput}); a code that is not exactly `digits` ASCII digits returns
 * `null` without computing any HMAC. Each candidate is compared in constant time.
 *
 * @param key - shared secret K, non-empty
 * @param code - the submitted code
 * @param nowUnixMillis - the verifier's trusted time, epoch milliseconds (UTC), >= 0;
 *   never a client-supplied time
 * @param options - `periodSeconds` (default 30), `digits` 6 to 8 (default 6),
 *   `algorithm` (default "SHA1"), `windowSteps` >= 0 (default 1: previous, current and
 *   next step)
 * @returns the matched time step T (a non-negative integer); `null` when the code
 *   matches no step in the window or is malformed
 * @throws TypeError for a bad key or algorithm; RangeError for a bad time, period,
 *   digits or window. Never for a wrong or malformed code.
 * @see RFC 6238 §5.2 (window, one-time use), §6 (resynchronisation)
 */
export function verifyTOTP(
	key: Uint8Array,
	code: string,
	nowUnixMillis: UnixMillis,
	options: TOTPVerifyOptions = {},
): number | null {
	const digits = options.digits ?? DEFAULT_OTP_DIGITS;
	const windowSteps = options.windowSteps ?? DEFAULT_TOTP_WINDOW_STEPS;
	assertOTPKey(key);
	assertOTPDigits(digits);
	assertStepCount("windowSteps", windowSteps);
	const hashName = nodeHashName(options.algorithm ?? DEFAULT_OTP_ALGORITHM);
	const currentStep = timeStep(nowUnixMillis, options.periodSeconds ?? DEFAULT_TOTP_PERIOD_SECONDS);
	if (!isWellFormedOTP(code, digits)) return null;
	return searchSteps(key, code, currentStep, windowSteps, hashName, digits);
}

/**
 * Finds how far the prover's clock seems to be off: the offset in steps (e.g. `-4`, or
 * `0` for the current step) of the nearest step within `±searchSteps` whose code equals
 * `code`. When both `-k` and `+k` match, `-k` wins (same order as {@link verifyTOTP}).
 *
 * FOR HINTS ONLY ("your device clock looks about 2 minutes slow"). The result must never
 * be used to accept a code or to widen the acceptance window: a wide search multiplies an
 * attacker's chance of a random match (RFC 6238 §5.2, §6). Call it only after
 * {@link verifyTOTP} has rejected the code, and count the attempt as a failure.
 *
 * Costs up to `2 * searchSteps + 1` HMACs; the code is not normalised and a malformed
 * code returns `null` without computing any HMAC.
 *
 * @param key - shared secret K, non-empty
 * @param code - the submitted code
 * @param nowUnixMillis - the verifier's time, epoch milliseconds (UTC), >= 0
 * @param options - `searchSteps` (required, >= 0), `periodSeconds` (default 30),
 *   `digits` 6 to 8 (default 6), `algorithm` (default "SHA1")
 * @returns the offset in steps from the current step (negative: the device is behind);
 *   `null` when nothing within the range matches or the code is malformed
 * @throws TypeError for a bad key or algorithm; RangeError for a bad time, period,
 *   digits or searchSteps
 * @see RFC 6238 §6 (resynchronisation, clock drift)
 */
export function findTOTPStepOffset(
	key: Uint8Array,
	code: string,
	nowUnixMillis: UnixMillis,
	options: TOTPSearchOptions,
): number | null {
	const digits = options.digits ?? DEFAULT_OTP_DIGITS;
	assertOTPKey(key);
	assertOTPDigits(digits);
	assertStepCount("searchSteps", options.searchSteps);
	const hashName = nodeHashName(options.algorithm ?? DEFAULT_OTP_ALGORITHM);
	const currentStep = timeStep(nowUnixMillis, options.periodSeconds ?? DEFAULT_TOTP_PERIOD_SECONDS);
	if (!isWellFormedOTP(code, digits)) return null;
	const matchedStep = searchSteps(key, code, currentStep, options.searchSteps, hashName, digits);
	return matchedStep === null ? null : matchedStep - currentStep;
}
