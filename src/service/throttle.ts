/**
 * Per-account failure counting (RFC 4226 §7.3, NIST SP 800-63B §5.2.2, OWASP Authentication
 * Cheat Sheet "Account Lockout"). Counters are server-side and shared by every session, challenge
 * and instance; a success clears them. The password step and the second factor have separate
 * counters, so a stranger guessing passwords cannot lock the owner out of the code step
 * (STANDARDS.md §9.3).
 *
 * Attempts are counted BEFORE they are checked: each check holds a reservation
 * ({@link withAttempt}) and the failures plus the reservations in flight never exceed
 * `lockout.maxFailures`, so a burst of parallel guesses cannot run more checks than the limit. A
 * check that succeeds gives its reservation back instead of counting as a failure, so a burst of
 * parallel sign-ins with the RIGHT password waits for the checks in flight (in arrival order in
 * one process; across processes at most {@link ATTEMPT_WAIT_MAX_MS}) instead of locking the account: a correct password is never
 * called incorrect (issue 9). Only when the wait runs out is an attempt refused, as
 * {@link AttemptsInFlight} (429 with `Retry-After`, saying what happened).
 */
import { AttemptsInFlight, KeyUnavailable, StorageUnavailable, TooManyAttempts } from "../errors.js";
import { ATTEMPTS_IN_FLIGHT_RETRY_SECONDS } from "./password-hasher.js";
import type { AttemptOutcome, AuthFailureKind, AuthFailureRecord, Repositories } from "../storage/store.js";
import { secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { endAccountAccess } from "./account-access.js";
import { recordSecurityEvent } from "./security-events.js";

/**
 * How long a reservation is held at most, in seconds: longer than any check takes (an argon2id
 * verify waiting its turn under load). What a process killed mid-check left reserved frees
 * itself after this.
 */
export const ATTEMPT_LEASE_SECONDS = 60;

/**
 * How long, in real milliseconds, an attempt waits for the checks in flight of the same account
 * before it is refused as {@link AttemptsInFlight}.
 */
export const ATTEMPT_WAIT_MAX_MS = 15_000;

/**
 * How long after its reservation a check may still start, in real milliseconds: well inside
 * {@link ATTEMPT_LEASE_SECONDS}, so that every check has ended before the store can count its
 * place as free (a password check waiting for argon2id under heavy load is refused instead).
 */
export const ATTEMPT_START_MAX_MS = 45_000;

/**
 * Runs one checked attempt of `kind` on the account: reserves it first (refused when the
 * account is locked, or when `lockout.maxFailures` failures are counted, which locks it for
 * `lockout.durationSeconds`), then runs `check` (which must not start a password verification
 * after `startBy`, a `performance.now()` instant). When `check` resolves the reservation is given
 * back and the failures are forgotten; when it throws, the attempt counts as a failure (a wrong
 * password or code, a reused code, a spent challenge alike) and the error is rethrown, except
 * when the server could not check (AttemptsInFlight, KeyUnavailable, StorageUnavailable: the place
 * is only given back, so an outage never locks out the users who retry through it).
 *
 * A code checked against the account's `keysChecked` authenticators is `keysChecked` guesses: the
 * budget is divided by it (`floor(lockout.maxFailures / keysChecked)` failures, at least one, before
 * a lock, and the hard cap of {@link MAX_CONSECUTIVE_FAILURES} counts guesses), so a second
 * authenticator never doubles a guesser's chances (issue 14).
 * @param keysChecked - how many keys each attempt checks a code against (second factor: the
 *   account's authenticators); default 1
 * @returns what `check` returned
 * @throws TooManyAttempts with the seconds until the lock ends; AttemptsInFlight when the checks in
 *   flight of this account kept it waiting for {@link ATTEMPT_WAIT_MAX_MS}; whatever `check` throws
 */
export function withAttempt<T>(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, context: RequestContext, check: (startBy: number, settleSucceeded: SettleSucceeded) => Promise<T>, keysChecked = 1): Promise<T> {
	// In this process, the checks of one account take turns in arrival order (no polling, no
	// starving); the reservation in the store bounds them across processes.
	return deps.attemptQueue(`${accountId}:${kind}`, async () => {
		await reserveAttempt(deps, accountId, kind, context, keysChecked);
		// A check that could not start before its place's lease nears its end is not run at all:
		// no check ever runs on a place the store may already count as free (ATTEMPT_LEASE_SECONDS).
		const startBy = performance.now() + ATTEMPT_START_MAX_MS;
		let settledInTransaction = false;
		const settleSucceeded: SettleSucceeded = async (tx) => {
			await tx.authFailures.settleAuthAttempt(accountId, kind, "succeeded", deps.clock.now(), 0);
			settledInTransaction = true;
		};
		let result: T;
		try {
			result = await check(startBy, settleSucceeded);
		} catch (error) {
			// A settlement inside a transaction that then failed was rolled back with it: settle here.
			await settleQuietly(deps, accountId, kind, isServerSide(error) ? "released" : "failed");
			throw error;
		}
		if (!settledInTransaction) await settleQuietly(deps, accountId, kind, "succeeded");
		return result;
	});
}

/**
 * Settles an attempt as succeeded inside `tx`, the transaction that acts on the success (the code
 * step's, which makes the session): one commit instead of two, and the counter is cleared exactly
 * when the session exists. The transaction must take the account's lock before it calls this (the
 * lock order of {@link lock}: account, then the counter), and must call it last, after every check
 * that reads the counter. A check that resolves without calling it is settled after it, as before.
 */
export type SettleSucceeded = (tx: Repositories) => Promise<void>;

/** Whether the attempt failed on the server's side (nothing was checked against the user's guess). */
function isServerSide(error: unknown): boolean {
	return error instanceof AttemptsInFlight || error instanceof KeyUnavailable || error instanceof StorageUnavailable;
}

/** Settles a reservation; a storage failure here must not turn a checked answer into a 503. */
async function settleQuietly(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, outcome: AttemptOutcome): Promise<void> {
	const now = deps.clock.now();
	try {
		// Only a failure needs the window (from the counter's last lock); a success or a release does not read it.
		const windowStartsAt = outcome === "failed" ? windowStart(deps, kind, await deps.store.authFailures.findAuthFailure(accountId, kind), now) : 0;
		await deps.store.authFailures.settleAuthAttempt(accountId, kind, outcome, now, windowStartsAt);
	} catch (error) {
		// The reservation then ends with its lease, and counts as a failure until then.
		deps.logger.error({ event: "attempt.settle_failed", accountId, kind, outcome, err: error }, "could not settle an attempt");
	}
}

/**
 * Failures last counted before this instant no longer count. Failures before the end of an
 * earlier lock never count again (the locks themselves are counted in lockoutCount).
 * Second-factor failures count until a success, however slow (NIST SP 800-63B §5.2.2 speaks of
 * consecutive failures); password failures age out after lockout.windowSeconds, since anyone who
 * knows the email can make them.
 */
function windowStart(deps: ServiceDeps, kind: AuthFailureKind, state: AuthFailureRecord | null, now: number): number {
	const lockedUntil = state?.lockedUntil ?? null;
	return kind === "second_factor" ? (lockedUntil ?? 0) : Math.max(now - secondsToMillis(deps.config.lockout.windowSeconds), lockedUntil ?? 0);
}

/**
 * Reserves one attempt of `kind`, waiting while the checks in flight fill the budget.
 * @throws TooManyAttempts (locked, or the limit reached now), AttemptsInFlight
 */
async function reserveAttempt(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, context: RequestContext, keysChecked: number): Promise<void> {
	const { store, clock, logger } = deps;
	const maxAttempts = attemptsPerRound(deps, keysChecked);
	const waitUntil = performance.now() + ATTEMPT_WAIT_MAX_MS;
	for (let round = 0; ; round++) {
		const now = clock.now();
		const state = await store.authFailures.findAuthFailure(accountId, kind);
		throwIfLocked(deps, accountId, kind, state, now);
		const windowStartsAt = windowStart(deps, kind, state, now);
		const reservation = { now, windowStartsAt, maxAttempts, leaseExpiresAt: now + secondsToMillis(ATTEMPT_LEASE_SECONDS) };
		if (await store.authFailures.reserveAuthAttempt(accountId, kind, reservation)) return;
		const current = await store.authFailures.findAuthFailure(accountId, kind);
		throwIfLocked(deps, accountId, kind, current, now);
		const failures = current === null || current.lastFailureAt < windowStartsAt ? 0 : current.failureCount;
		if (failures >= maxAttempts) await lock(deps, accountId, kind, current?.lockoutCount ?? 0, failures, context, keysChecked);
		// Not locked and under the failure limit: the checks in flight fill the budget. Wait for them.
		if (performance.now() >= waitUntil) {
			logger.warn({ event: "attempt.busy", accountId, kind, attemptsInFlight: current?.attemptsInFlight }, "attempt refused: too many checks in flight");
			throw new AttemptsInFlight(ATTEMPTS_IN_FLIGHT_RETRY_SECONDS);
		}
		await sleep(Math.min(5 * 2 ** Math.min(round, 4), 50) * (0.5 + Math.random()));
	}
}

/**
 * Refuses early, without reserving anything, when a lock of `kind` runs (so that a sign-in
 * ended by the lock says so, rather than that it expired).
 * @throws TooManyAttempts with the seconds until the lock ends
 */
export async function assertNotLocked(deps: ServiceDeps, accountId: string, kind: AuthFailureKind): Promise<void> {
	throwIfLocked(deps, accountId, kind, await deps.store.authFailures.findAuthFailure(accountId, kind), deps.clock.now());
}

/** @throws TooManyAttempts when a lock of `kind` runs at `now` */
function throwIfLocked(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, state: AuthFailureRecord | null, now: number): void {
	const lockedUntil = state?.lockedUntil ?? null;
	if (lockedUntil === null || lockedUntil <= now) return;
	deps.logger.warn({ event: "attempt.locked", accountId, kind }, "attempt refused: account locked");
	if (lockedUntil >= LOCKED_UNTIL_RESET) throw new TooManyAttempts(MAX_RETRY_AFTER_SECONDS, LOCKED_UNTIL_RESET_MESSAGE, { reason: "locked_until_reset" });
	throw new TooManyAttempts((lockedUntil - now) / 1000, undefined, { reason: "locked" });
}

/**
 * Locks `kind` after `lockout.maxFailures` failures: for a growing duration, or until an operator
 * unlocks it when the next round would reach {@link MAX_CONSECUTIVE_FAILURES}. Of parallel
 * attempts that get here, one locks (and records one event); the others are refused like it. A
 * second-factor lock also ends the account's open login challenges: a sign-in begun before the
 * lock must start again from the password, whatever the lock's duration against a challenge's
 * lifetime.
 * @throws TooManyAttempts always
 */
async function lock(deps: ServiceDeps, accountId: string, kind: AuthFailureKind, previousLockouts: number, failures: number, context: RequestContext, keysChecked: number): Promise<never> {
	const { store, clock, logger } = deps;
	const now = clock.now();
	const untilReset = kind === "second_factor" && reachesHardCap(deps, previousLockouts, keysChecked);
	const durationSeconds = untilReset ? MAX_RETRY_AFTER_SECONDS : lockDurationSeconds(deps, kind, previousLockouts);
	const message = untilReset ? LOCKED_UNTIL_RESET_MESSAGE : undefined;
	const locked = await store.transaction(async (tx) => {
		// The account's lock first, as every transaction that writes the account's counter inside
		// (the code step settles its success there): one lock order, no deadlock across instances.
		await tx.accounts.lockAccount(accountId);
		if (!(await tx.authFailures.lockAuthFailures(accountId, kind, untilReset ? LOCKED_UNTIL_RESET : now + secondsToMillis(durationSeconds), now))) return false;
		if (kind === "second_factor") await endAccountAccess(deps, tx, accountId, { loginChallenges: true });
		await recordSecurityEvent(deps, tx, accountId, "login.locked", context, untilReset ? { factor: kind, untilReset: true } : { factor: kind, minutes: Math.round(durationSeconds / 60) });
		return true;
	});
	if (!locked) throw new TooManyAttempts(durationSeconds, message, { reason: untilReset ? "hard_cap" : "locked" });
	deps.metrics.lockout(kind, untilReset);
	if (untilReset) logger.error({ event: "account.locked_until_reset", accountId, kind, consecutiveFailures: (previousLockouts + 1) * attemptsPerRound(deps, keysChecked), keysChecked }, "second factor locked until an operator unlocks it");
	else logger.warn({ event: "account.locked", accountId, kind, failures, durationSeconds }, "too many failed attempts: locked");
	throw new TooManyAttempts(durationSeconds, message, { reason: untilReset ? "hard_cap" : "limit_reached" });
}

/** Resolves after `ms` real milliseconds. */
function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** NIST SP 800-63B §5.2.2: never more than this many consecutive failed attempts on one account. */
export const MAX_CONSECUTIVE_FAILURES = 100;

/** `lockedUntil` of a lock that only `deadbolt account unlock` (or a success elsewhere) ends: year 275760. */
export const LOCKED_UNTIL_RESET = 8_640_000_000_000_000;

/** `Retry-After` sent for a lock until reset: one day, in seconds (there is no real end). */
const MAX_RETRY_AFTER_SECONDS = 86_400;

const LOCKED_UNTIL_RESET_MESSAGE = "Too many failed attempts: two-factor sign-in is locked for this account. Contact support to unlock it.";

/**
 * A budget of `maxAttempts` single-key guesses as attempts that each check a code against
 * `keysChecked` keys: `floor(maxAttempts / keysChecked)`, at least one (issue 14: a second
 * authenticator must not double a guesser's chances).
 */
export function attemptsForKeys(maxAttempts: number, keysChecked: number): number {
	return Math.max(1, Math.floor(maxAttempts / Math.max(1, keysChecked)));
}

/** The failures allowed between locks when each attempt checks `keysChecked` keys. */
function attemptsPerRound(deps: ServiceDeps, keysChecked: number): number {
	return attemptsForKeys(deps.config.lockout.maxFailures, keysChecked);
}

/**
 * Whether another round of checks after `previousLockouts` locks would reach
 * {@link MAX_CONSECUTIVE_FAILURES} consecutive failed guesses (attempts times the keys each one
 * checked): then the lock lasts until an operator unlocks the account.
 */
function reachesHardCap(deps: ServiceDeps, previousLockouts: number, keysChecked: number): boolean {
	const perRound = attemptsPerRound(deps, keysChecked);
	return ((previousLockouts + 1) * perRound + perRound) * Math.max(1, keysChecked) >= MAX_CONSECUTIVE_FAILURES;
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
