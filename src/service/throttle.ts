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
		const until = now + secondsToMillis(config.lockout.durationSeconds);
		await store.authFailures.lockAuthFailures(accountId, kind, until);
		logger.warn({ event: "account.locked", accountId, kind, failures: count - 1 }, "too many failed attempts: locked");
		await recordSecurityEvent(deps, store, accountId, "login.locked", context, { factor: kind, minutes: Math.round(config.lockout.durationSeconds / 60) });
		throw new TooManyAttempts(config.lockout.durationSeconds, undefined, { reason: "limit_reached" });
	}
}

/** Forgets the account's failures of `kind` after a success. */
export async function clearAttempts(deps: ServiceDeps, accountId: string, kind: AuthFailureKind): Promise<void> {
	await deps.store.authFailures.clearAuthFailures(accountId, kind);
}
