/**
 * Failure counters: one row per (account_id, kind), changed only by single upserts (and, when an
 * attempt succeeds, a conditional delete). Attempts reserve a place before their check
 * (`attempts_in_flight`, migration 0007) and give it back when they settle.
 */
import { sql } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { AttemptOutcome, AttemptReservationRequest, AuthFailureKind, AuthFailureRecord, AuthFailureRepository } from "../../store.js";
import { countOf, wroteAny, type Executor, type Guard } from "../executor.js";
import { prepared } from "../prepared.js";
import { rowMapping } from "../rows.js";

/** Every field but `kind`, which is narrowed from the stored text by {@link toAuthFailureKind}. */
const authFailureRows = rowMapping<Omit<AuthFailureRecord, "kind">>({ accountId: true, failureCount: true, lastFailureAt: true, lockedUntil: true, lockoutCount: true, attemptsInFlight: true, inFlightExpiresAt: true });

/** The hot statements of a sign-in, compiled once per dialect (`prepared.ts`). */
const FIND_AUTH_FAILURE = prepared("auth_failure.find", (db, accountId: string, kind: AuthFailureKind) => db.selectFrom("auth_failure").selectAll().where("account_id", "=", accountId).where("kind", "=", kind));
const RESERVE_AUTH_ATTEMPT = prepared("auth_failure.reserve", (db, accountId: string, kind: AuthFailureKind, now: UnixMillis, windowStartsAt: UnixMillis, maxAttempts: number, leaseExpiresAt: UnixMillis) => {
	// One conditional upsert (atomic per row in SQLite >= 3.35 and PostgreSQL): failures out of
	// the window count 0, attempts in flight whose lease passed count 0.
	const failures = sql<number>`(case when auth_failure.last_failure_at < ${windowStartsAt} then 0 else auth_failure.failure_count end)`;
	const inFlight = sql<number>`(case when auth_failure.in_flight_expires_at <= ${now} then 0 else auth_failure.attempts_in_flight end)`;
	return db
		.insertInto("auth_failure")
		.values({ account_id: accountId, kind, failure_count: 0, last_failure_at: 0, locked_until: null, attempts_in_flight: 1, in_flight_expires_at: leaseExpiresAt })
		.onConflict((oc) =>
			oc
				.columns(["account_id", "kind"])
				.doUpdateSet({ failure_count: failures, attempts_in_flight: sql<number>`${inFlight} + 1`, in_flight_expires_at: leaseExpiresAt })
				.where((eb) => eb.and([eb.or([eb("auth_failure.locked_until", "is", null), eb("auth_failure.locked_until", "<=", now)]), eb(sql<number>`${failures} + ${inFlight}`, "<", maxAttempts)])),
		);
});
/** A success's usual settlement: the row goes when this attempt is the only one in flight. */
const DELETE_SETTLED = prepared("auth_failure.deleteSettled", (db, accountId: string, kind: AuthFailureKind, now: UnixMillis) =>
	db
		.deleteFrom("auth_failure")
		.where("account_id", "=", accountId)
		.where("kind", "=", kind)
		.where((eb) => eb.or([eb("attempts_in_flight", "<=", 1), eb("in_flight_expires_at", "<=", now)])),
);

/** The failure counter repository over `db`. */
export function createAuthFailureRepository(db: Executor, guard: Guard): AuthFailureRepository {
	return Object.freeze({
		findAuthFailure(accountId: string, kind: AuthFailureKind): Promise<AuthFailureRecord | null> {
			return guard(async () => {
				const row = await FIND_AUTH_FAILURE.first(db, accountId, kind);
				return row === undefined ? null : { ...authFailureRows.toRecord(row), kind: toAuthFailureKind(row.kind) };
			});
		},
		reserveAuthAttempt(accountId: string, kind: AuthFailureKind, request: AttemptReservationRequest): Promise<boolean> {
			const { now, windowStartsAt, maxAttempts, leaseExpiresAt } = request;
			return guard(async () => (await RESERVE_AUTH_ATTEMPT.written(db, accountId, kind, now, windowStartsAt, maxAttempts, leaseExpiresAt)) > 0);
		},
		settleAuthAttempt(accountId: string, kind: AuthFailureKind, outcome: AttemptOutcome, now: UnixMillis, windowStartsAt: UnixMillis): Promise<number> {
			return guard(async () => {
				const released = sql<number>`(case when auth_failure.attempts_in_flight > 0 and auth_failure.in_flight_expires_at > ${now} then auth_failure.attempts_in_flight - 1 else 0 end)`;
				if (outcome === "released") {
					const row = await db.updateTable("auth_failure").set({ attempts_in_flight: released }).where("account_id", "=", accountId).where("kind", "=", kind).returning("failure_count").executeTakeFirst();
					return row === undefined ? 0 : countOf(row.failure_count);
				}
				if (outcome === "succeeded") {
					// A success forgets the failures and a lock. Usually this attempt is the only one in
					// flight: then the row holds nothing any more and goes, in one statement.
					if ((await DELETE_SETTLED.written(db, accountId, kind, now)) > 0) return 0;
					// Other attempts in flight: the row keeps their places, without this one's.
					await db
						.updateTable("auth_failure")
						.set({ failure_count: 0, last_failure_at: 0, locked_until: null, lockout_count: 0, attempts_in_flight: released })
						.where("account_id", "=", accountId)
						.where("kind", "=", kind)
						.execute();
					// Then the row goes if it holds nothing any more (the others settled in between). A
					// reservation, a failure or a lock that lands in between keeps it: the delete is conditional.
					await db
						.deleteFrom("auth_failure")
						.where("account_id", "=", accountId)
						.where("kind", "=", kind)
						.where((eb) =>
							eb.and([
								eb.or([eb("attempts_in_flight", "=", 0), eb("in_flight_expires_at", "<=", now)]),
								eb("failure_count", "=", 0),
								eb("locked_until", "is", null),
								eb("lockout_count", "=", 0),
							]),
						)
						.execute();
					return 0;
				}
				// One upsert: both SQLite (>= 3.35) and PostgreSQL apply it atomically per row.
				const row = await db
					.insertInto("auth_failure")
					.values({ account_id: accountId, kind, failure_count: 1, last_failure_at: now, locked_until: null })
					.onConflict((oc) =>
						oc.columns(["account_id", "kind"]).doUpdateSet((eb) => ({
							failure_count: eb
								.case()
								.when("auth_failure.last_failure_at", "<", windowStartsAt)
								.then(1)
								.else(eb("auth_failure.failure_count", "+", 1))
								.end(),
							last_failure_at: now,
							attempts_in_flight: released,
						})),
					)
					.returning("failure_count")
					.executeTakeFirstOrThrow();
				return countOf(row.failure_count);
			});
		},
		lockAuthFailures(accountId: string, kind: AuthFailureKind, lockedUntil: UnixMillis, now: UnixMillis): Promise<boolean> {
			// Upsert so that a lock holds even without an earlier failure row; such a row gets
			// last_failure_at 0 (no failure recorded). A running lock is left as it is.
			return wroteAny(guard, () =>
				db
					.insertInto("auth_failure")
					.values({ account_id: accountId, kind, failure_count: 0, last_failure_at: 0, locked_until: lockedUntil, lockout_count: 1 })
					.onConflict((oc) =>
						oc
							.columns(["account_id", "kind"])
							.doUpdateSet({ locked_until: lockedUntil, lockout_count: sql<number>`auth_failure.lockout_count + 1` })
							.where((eb) => eb.or([eb("auth_failure.locked_until", "is", null), eb("auth_failure.locked_until", "<=", now)])),
					),
			);
		},
		clearAuthFailures(accountId: string, kind: AuthFailureKind): Promise<void> {
			return guard(async () => {
				await db.deleteFrom("auth_failure").where("account_id", "=", accountId).where("kind", "=", kind).execute();
			});
		},
	});
}

/** Narrows the stored `kind` (guarded by a CHECK constraint) to {@link AuthFailureKind}. */
function toAuthFailureKind(kind: string): AuthFailureKind {
	if (kind === "password" || kind === "second_factor") return kind;
	throw new TypeError(`unknown auth_failure.kind ${JSON.stringify(kind)}`);
}
