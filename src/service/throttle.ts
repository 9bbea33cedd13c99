/**
 * Per-account failure counting (RFC 4226 §7.3, NIST SP 800-63B §5.2.2, OWASP Authentication
 * Cheat Sheet "Account Lockout"). Counters are server-side and shared by every session, challenge
 * and instance; a success clears them. The password step and the second factor have separate
 * counters, so a stranger guessing passwords cannot lock the owner out of the code step
 * (STANDARDS.md §9.3).
 *
 * Attempts are counted BEFORE they are checked ({@link reserveAttempt}), so a burst of parallel
 * guesses cannot run more checks than the limit; attempts still in flight count too, so a burst
 * of more than `lockout.maxFailures` parallel sign-ins of one account is refused in part.
 */
import { TooManyAttempts } from "../errors.js";
import type { AuthFailureKind } from "../storage/store.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";

/**
 * Counts one attempt of `kind` for the account, and refuses it when the account is locked or
 * the attempt goes over `lockout.maxFailures` within `lockout.windowSeconds` (which locks it
 * for `lockout.durationSeconds`).
 * @throws TooManyAttempts with the seconds until the lock ends
 */
export async function reserveAttempt(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, context: RequestContext = NO_CONTEXT): Promise<void> {
	const { store, clock, config, logger } = deps;
	const now = clock.now();
	const state = await store.authFailures.findAuthFailure(accountId, kind);
	const lockedUntil = state?.lockedUntil ?? null;
	if (lockedUntil !== null && lockedUntil > now) {
		logger.warn({ event: "attempt.locked", accountId, kind }, "attempt refused: account locked");
		throw new TooManyAttempts((lockedUntil - now) / 1000, undefined, { reason: "locked" });
	}
	// Failures before the end of an earlier lock never count again.
	const windowStartsAt = Math.max(now - secondsToMillis(config.lockout.windowSeconds), lockedUntil ?? 0);
	const count = await store.authFailures.incrementAuthFailures(accountId, kind, now, windowStartsAt);
	if (count > config.lockout.maxFailures) {
		const durationSeconds = lockDurationSeconds(deps, kind, state?.lockoutCount ?? 0);
		await store.authFailures.lockAuthFailures(accountId, kind, now + secondsToMillis(durationSeconds));
		logger.warn({ event: "account.locked", accountId, kind, failures: count - 1, durationSeconds }, "too many failed attempts: locked");
		await recordSecurityEvent(deps, store, accountId, "login.locked", context, { factor: kind, minutes: Math.round(durationSeconds / 60) });
		throw new TooManyAttempts(durationSeconds, undefined, { reason: "limit_reached" });
	}
}

/**
 * How long the next lock lasts after `previousLockouts` locks in a row. The second factor (only
 * reachable with the right password): `lockout.durationSeconds` doubled for each, at most
 * `lockout.maxDurationSeconds` (growing delays, NIST SP 800-63B §5.2.2). The password step
 * (reachable by anyone who knows the email): always `lockout.durationSeconds`, so a stranger
 * cannot keep the owner out for long; per-IP limits slow them down.
 */
export function lockDurationSeconds(deps: ServiceDeps, kind: AuthFailureKind, previousLockouts: number): number {
	const { durationSeconds, maxDurationSeconds } = deps.config.lockout;
	if (kind === "password") return durationSeconds;
	return Math.min(durationSeconds * 2 ** Math.min(previousLockouts, 30), maxDurationSeconds);
}

/** Forgets the account's failures of `kind` after a success. */
export async function clearAttempts(deps: ServiceDeps, accountId: string, kind: AuthFailureKind): Promise<void> {
	await deps.store.authFailures.clearAuthFailures(accountId, kind);
}
