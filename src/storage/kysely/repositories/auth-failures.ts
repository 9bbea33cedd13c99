/** Failure counters: one row per (account_id, kind), changed only by single upserts. */
import { sql } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { AuthFailureKind, AuthFailureRecord, AuthFailureRepository } from "../../store.js";
import { countOf, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

/** Every field but `kind`, which is narrowed from the stored text by {@link toAuthFailureKind}. */
const authFailureRows = rowMapping<Omit<AuthFailureRecord, "kind">>({ accountId: true, failureCount: true, lastFailureAt: true, lockedUntil: true, lockoutCount: true });

/** The failure counter repository over `db`. */
export function createAuthFailureRepository(db: Executor, guard: Guard): AuthFailureRepository {
	return Object.freeze({
		findAuthFailure(accountId: string, kind: AuthFailureKind): Promise<AuthFailureRecord | null> {
			return findFirst(
				guard,
				() => db.selectFrom("auth_failure").selectAll().where("account_id", "=", accountId).where("kind", "=", kind),
				(row) => ({ ...authFailureRows.toRecord(row), kind: toAuthFailureKind(row.kind) }),
			);
		},
		incrementAuthFailures(accountId: string, kind: AuthFailureKind, now: UnixMillis, windowStartsAt: UnixMillis): Promise<number> {
			return guard(async () => {
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
