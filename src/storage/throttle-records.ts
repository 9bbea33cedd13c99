/**
 * Failed attempts: the counters and reservations behind throttling and lockout.
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";

/** Which counter of failures: the password step's, or the second factor's. Kept apart (STANDARDS §9.3). */
export type AuthFailureKind = "password" | "second_factor";

/** The failure counter of one account and kind. */
export interface AuthFailureRecord {
	readonly accountId: string;
	readonly kind: AuthFailureKind;
	/** Consecutive failures: attempts whose check failed (or that never settled: see `attemptsInFlight`). */
	readonly failureCount: number;
	readonly lastFailureAt: UnixMillis;
	/** Until when attempts are refused; null when not locked. */
	readonly lockedUntil: UnixMillis | null;
	/** How many times in a row this counter has locked (each lock counts one; a success resets it). */
	readonly lockoutCount: number;
	/**
	 * Attempts reserved before their check and not yet settled (checks in flight). They count
	 * against the limit like failures until they settle; 0 once `inFlightExpiresAt` has passed
	 * (what a process killed mid-check left reserved).
	 */
	readonly attemptsInFlight: number;
	/** The lease of `attemptsInFlight`, extended by each reservation; 0 when none was made. */
	readonly inFlightExpiresAt: UnixMillis;
}

/** How a reserved attempt ended: its check failed, succeeded, or never ran (`released`). */
export type AttemptOutcome = "failed" | "succeeded" | "released";

/** The arguments of {@link AuthFailureRepository.reserveAuthAttempt}. */
export interface AttemptReservationRequest {
	readonly now: UnixMillis;
	/** Failures last counted before this instant no longer count (the window, or the end of the last lock). */
	readonly windowStartsAt: UnixMillis;
	/** At most this many failures plus attempts in flight at once (`lockout.maxFailures`). */
	readonly maxAttempts: number;
	/** Until when the attempts in flight are held (the lease, renewed by this reservation). */
	readonly leaseExpiresAt: UnixMillis;
}

/** Per-account failure counters (STANDARDS H-06, N-20): server-side, atomic. */
export interface AuthFailureRepository {
	findAuthFailure(accountId: string, kind: AuthFailureKind): Promise<AuthFailureRecord | null>;
	/**
	 * Reserves one attempt before its check, with one conditional upsert: only while no lock runs
	 * at `now` and the failures since `windowStartsAt` plus the live attempts in flight stay under
	 * `maxAttempts`. Of parallel callers, at most that many hold a reservation at once.
	 * @returns true when reserved; false when locked or full (the caller reads the row to tell which)
	 */
	reserveAuthAttempt(accountId: string, kind: AuthFailureKind, request: AttemptReservationRequest): Promise<boolean>;
	/**
	 * Settles a reserved attempt (an upsert), giving its reservation back. `"failed"` adds one
	 * failure, restarting the count at 1 when the last failure is older than `windowStartsAt`;
	 * `"succeeded"` forgets the failures, the lock and the locks in a row (the row goes when
	 * nothing else is in flight); `"released"` only gives the place back (the attempt was never
	 * checked). Settling with nothing reserved just counts (or forgets).
	 * @returns the failures counted after this call (0 after a success; unchanged after a release)
	 */
	settleAuthAttempt(accountId: string, kind: AuthFailureKind, outcome: AttemptOutcome, now: UnixMillis, windowStartsAt: UnixMillis): Promise<number>;
	/**
	 * Locks until `lockedUntil` and adds one to `lockoutCount`, unless a lock is still running at
	 * `now` (an upsert whose update is conditional: of parallel callers, one locks). The count is
	 * kept (failures before the lock's end stop counting because the caller passes
	 * `windowStartsAt >= lockedUntil` afterwards).
	 * @returns true when this call locked; false when a lock was already running
	 */
	lockAuthFailures(accountId: string, kind: AuthFailureKind, lockedUntil: UnixMillis, now: UnixMillis): Promise<boolean>;
	/** Forgets the counter (after a success). */
	clearAuthFailures(accountId: string, kind: AuthFailureKind): Promise<void>;
}
