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
		if (lockedUntil >= LOCKED_UNTIL_RESET) throw new TooManyAttempts(MAX_RETRY_AFTER_SECONDS, LOCKED_UNTIL_RESET_MESSAGE, { reason: "locked_until_reset" });
		throw new TooManyAttempts((lockedUntil - now) / 1000, undefined, { reason: "locked" });
	}
	// Failures before the end of an earlier lock never count again (the locks themselves are
	// counted in lockoutCount). Second-factor failures count until a success, however slow
	// (NIST SP 800-63B §5.2.2 speaks of consecutive failures); password failures age out after
	// lockout.windowSeconds, since anyone who knows the email can make them.
	const windowStartsAt = kind === "second_factor" ? (lockedUntil ?? 0) : Math.max(now - secondsToMillis(config.lockout.windowSeconds), lockedUntil ?? 0);
	const count = await store.authFailures.incrementAuthFailures(accountId, kind, now, windowStartsAt);
	if (count > config.lockout.maxFailures) {
		const previousLockouts = state?.lockoutCount ?? 0;
		if (kind === "second_factor" && reachesHardCap(deps, previousLockouts)) {
			// Parallel attempts over the limit all get here; one lock (and one event) per round.
			if (!(await store.authFailures.lockAuthFailures(accountId, kind, LOCKED_UNTIL_RESET, now))) throw new TooManyAttempts(MAX_RETRY_AFTER_SECONDS, LOCKED_UNTIL_RESET_MESSAGE, { reason: "hard_cap" });
			logger.error({ event: "account.locked_until_reset", accountId, kind, consecutiveFailures: (previousLockouts + 1) * config.lockout.maxFailures }, "second factor locked until an operator unlocks it");
			await recordSecurityEvent(deps, store, accountId, "login.locked", context, { factor: kind, untilReset: true });
			throw new TooManyAttempts(MAX_RETRY_AFTER_SECONDS, LOCKED_UNTIL_RESET_MESSAGE, { reason: "hard_cap" });
		}
		const durationSeconds = lockDurationSeconds(deps, kind, previousLockouts);
		// Only the first of parallel attempts over the limit locks and counts the lock; the others
		// are refused like it (otherwise one burst would count as many locks in a row).
		if (!(await store.authFailures.lockAuthFailures(accountId, kind, now + secondsToMillis(durationSeconds), now))) throw new TooManyAttempts(durationSeconds, undefined, { reason: "locked" });
		logger.warn({ event: "account.locked", accountId, kind, failures: count - 1, durationSeconds }, "too many failed attempts: locked");
		await recordSecurityEvent(deps, store, accountId, "login.locked", context, { factor: kind, minutes: Math.round(durationSeconds / 60) });
		throw new TooManyAttempts(durationSeconds, undefined, { reason: "limit_reached" });
	}
}

/** NIST SP 800-63B §5.2.2: never more than this many consecutive failed attempts on one account. */
export const MAX_CONSECUTIVE_FAILURES = 100;

/** `lockedUntil` of a lock that only `deadbolt account unlock` (or a success elsewhere) ends: year 275760. */
export const LOCKED_UNTIL_RESET = 8_640_000_000_000_000;

/** `Retry-After` sent for a lock until reset: one day, in seconds (there is no real end). */
const MAX_RETRY_AFTER_SECONDS = 86_400;

const LOCKED_UNTIL_RESET_MESSAGE = "Too many failed attempts: two-factor sign-in is locked for this account. Contact support to unlock it.";

/**
 * Whether another round of `lockout.maxFailures` checks after `previousLockouts` locks would reach
 * {@link MAX_CONSECUTIVE_FAILURES} consecutive failures: then the lock lasts until an operator
 * unlocks the account.
 */
function reachesHardCap(deps: ServiceDeps, previousLockouts: number): boolean {
	const { maxFailures } = deps.config.lockout;
	return (previousLockouts + 1) * maxFailures + maxFailures >= MAX_CONSECUTIVE_FAILURES;
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
