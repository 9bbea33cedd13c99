/**
 * The transactional outbox: deliveries and their attempt log.
 *
 * Claiming is one statement: a materialized CTE picks the due rows (oldest first, at most
 * `limit`), the UPDATE leases them and returns them. On PostgreSQL the CTE locks its rows
 * `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers (in one process or several) each take rows
 * the others did not; the UPDATE repeats the due conditions, so a row re-checked after another
 * claim committed is left out. On SQLite one
 * writer runs at a time (BEGIN IMMEDIATE for other processes): the single statement is atomic.
 * Settling is decided by `lease_owner = :owner`; the attempt is logged in the same transaction.
 *
 * On PostgreSQL, claims and settles commit without waiting for the WAL flush: they run on the
 * store's bookkeeping connections (`synchronous_commit = off`), each as ONE statement (a settle is
 * a data-modifying CTE: the conditional UPDATE and the attempt's INSERT together), or, without
 * those connections, in a transaction with `SET LOCAL synchronous_commit TO OFF`. They are the
 * outbox's bookkeeping, not the message: a crash can forget the last few, and then a delivery is
 * claimed and sent again with the same id, which at-least-once delivery allows; it never loses a
 * message, whose row was committed durably with the change it reports. Durable commits and
 * transactions for each claim and settle cost sign-ins with mail and webhooks on a sixth of their
 * rate on PostgreSQL (bench:http, "mail + webhooks on").
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { DeliveryAttemptRecord, DeliveryBacklogRecord, DeliveryChannel, DeliveryRecord, DeliveryStatus, OutboxRepository, Store } from "../../store.js";
import { checkDeleteBatch, countOf, countWritten, findEvery, findFirst, inTransaction, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";
import { sql } from "kysely";

/** Most deliveries one {@link OutboxRepository.listDeliveries} call returns. */
const DELIVERIES_LIST_MAX = 500;

const deliveryRows = rowMapping<DeliveryRecord>({
	id: true, eventId: true, accountId: true, channel: true, kind: true, target: true, payload: true, sealedSecret: true, status: true,
	attempts: true, nextAttemptAt: true, leaseExpiresAt: true, leaseOwner: true, lastError: true, createdAt: true, deliveredAt: true,
});

const attemptRows = rowMapping<DeliveryAttemptRecord>({ id: true, deliveryId: true, attemptedAt: true, outcome: true, detail: true, durationMillis: true });

/** Oldest first, ties by id: the order claims return. */
function byAge(a: DeliveryRecord, b: DeliveryRecord): number {
	return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The outbox repository over `db`.
 * @param dialect - decides the one dialect difference: the row locks (`FOR UPDATE SKIP LOCKED`) of the claim on PostgreSQL.
 */
export function createOutboxRepository(db: Executor, guard: Guard, dialect: Store["dialect"], asyncCommitDb?: Executor): OutboxRepository {
	/**
	 * Runs `work` where a claim or settle goes: on the asynchronous-commit connections when the
	 * store has them (one statement each, no transaction), else in a transaction of `db` that
	 * commits asynchronously on PostgreSQL (see the file comment).
	 */
	const bookkeeping = <T>(work: (executor: Executor) => Promise<T>): Promise<T> => {
		if (asyncCommitDb !== undefined && !db.isTransaction) return work(asyncCommitDb);
		return inTransaction(db, async (trx) => {
			if (dialect === "postgres" && !db.isTransaction) await sql`SET LOCAL synchronous_commit TO OFF`.execute(trx);
			return work(trx);
		});
	};
	/** The settling UPDATE (only the lease holder settles; the lease is freed). */
	const settleUpdate = (executor: Executor, id: string, owner: string, outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: UnixMillis; readonly lastError: string | null; readonly deliveredAt: UnixMillis | null }) =>
		executor
			.updateTable("delivery")
			.set((eb) => ({
				status: outcome.status,
				attempts: eb("attempts", "+", 1),
				next_attempt_at: outcome.nextAttemptAt,
				last_error: outcome.lastError,
				delivered_at: outcome.deliveredAt,
				lease_owner: null,
				lease_expires_at: 0,
				// A settled message's secret (a link token) is no longer needed.
				...(outcome.status === "pending" ? {} : { sealed_secret: null }),
			}))
			.where("id", "=", id)
			.where("lease_owner", "=", owner)
			.where("status", "=", "pending");
	return Object.freeze({
		async insertDeliveries(records: readonly DeliveryRecord[]): Promise<void> {
			if (records.length === 0) return;
			await guard(async () => {
				await db.insertInto("delivery").values(records.map((record) => deliveryRows.toRow(record))).execute();
			});
		},
		detachPendingWebhookDeliveries(accountId: string): Promise<number> {
			return countWritten(guard, () => db.updateTable("delivery").set({ account_id: null }).where("account_id", "=", accountId).where("channel", "=", "webhook").where("status", "=", "pending"));
		},
		async claimDueDeliveries(owner: string, now: UnixMillis, leaseExpiresAt: UnixMillis, limit: number): Promise<DeliveryRecord[]> {
			if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_LIST_MAX) {
				throw new TypeError(`claimDueDeliveries: limit must be an integer from 1 to ${DELIVERIES_LIST_MAX}, not ${String(limit)}`);
			}
			if (!(leaseExpiresAt > now)) throw new TypeError("claimDueDeliveries: leaseExpiresAt must be after now");
			const claimed = await guard(() =>
				bookkeeping((trx) =>
					findEvery(
						guard,
						() =>
							trx
								// MATERIALIZED: the locking subquery runs once. Inlined into `id IN (...)`, PostgreSQL
								// may run it again for the outer rows, and with SKIP LOCKED each run picks other rows
								// (a claim returned more than `limit`).
								.with(
									(cte) => cte("due").materialized(),
									(qb) => {
										const due = qb
											.selectFrom("delivery")
											.select("id")
											.where("status", "=", "pending")
											.where("next_attempt_at", "<=", now)
											.where("lease_expires_at", "<=", now)
											.orderBy("created_at", "asc")
											.orderBy("id", "asc")
											.limit(limit);
										return dialect === "postgres" ? due.forUpdate().skipLocked() : due;
									},
								)
								.updateTable("delivery")
								.set({ lease_owner: owner, lease_expires_at: leaseExpiresAt })
								.where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
								.where("status", "=", "pending")
								.where("next_attempt_at", "<=", now)
								.where("lease_expires_at", "<=", now)
								.returningAll(),
						deliveryRows.toRecord,
					),
				),
			);
			return claimed.sort(byAge);
		},
		settleDelivery(
			id: string,
			owner: string,
			outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: UnixMillis; readonly lastError: string | null; readonly deliveredAt: UnixMillis | null },
			attempt: DeliveryAttemptRecord,
		): Promise<boolean> {
			if (attempt.deliveryId !== id) throw new TypeError("settleDelivery: the attempt must belong to the delivery");
			return guard(() =>
				bookkeeping(async (executor) => {
					if (dialect === "postgres" && !executor.isTransaction) {
						// One statement: the conditional UPDATE in a CTE, the attempt's INSERT, and whether it settled.
						const row = await executor
							.with("settled", (qb) => settleUpdate(qb as unknown as Executor, id, owner, outcome).returning("id"))
							.insertInto("delivery_attempt")
							.values(attemptRows.toRow(attempt))
							.returning((eb) => eb.selectFrom("settled").select((inner) => inner.fn.countAll<number>().as("n")).as("settled"))
							.executeTakeFirstOrThrow();
						return Number(row.settled) > 0;
					}
					const settled = await settleUpdate(executor, id, owner, outcome).executeTakeFirst();
					await executor.insertInto("delivery_attempt").values(attemptRows.toRow(attempt)).execute();
					return countOf(settled.numUpdatedRows) > 0;
				}),
			);
		},
		findDelivery(id: string): Promise<DeliveryRecord | null> {
			return findFirst(guard, () => db.selectFrom("delivery").selectAll().where("id", "=", id), deliveryRows.toRecord);
		},
		async listDeliveries(filter: { readonly status?: DeliveryStatus; readonly channel?: DeliveryChannel; readonly accountId?: string; readonly limit: number }): Promise<DeliveryRecord[]> {
			const { status, channel, accountId, limit } = filter;
			if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_LIST_MAX) {
				throw new TypeError(`listDeliveries: limit must be an integer from 1 to ${DELIVERIES_LIST_MAX}, not ${String(limit)}`);
			}
			return findEvery(
				guard,
				() => {
					let query = db.selectFrom("delivery").selectAll();
					if (status !== undefined) query = query.where("status", "=", status);
					if (channel !== undefined) query = query.where("channel", "=", channel);
					if (accountId !== undefined) query = query.where("account_id", "=", accountId);
					return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit);
				},
				deliveryRows.toRecord,
			);
		},
		listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]> {
			return findEvery(
				guard,
				() => db.selectFrom("delivery_attempt").selectAll().where("delivery_id", "=", deliveryId).orderBy("attempted_at", "asc").orderBy("id", "asc"),
				attemptRows.toRecord,
			);
		},
		retryDelivery(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.updateTable("delivery")
					.set({ status: "pending", attempts: 0, next_attempt_at: now, delivered_at: null, lease_owner: null, lease_expires_at: 0 })
					.where("id", "=", id)
					.where("status", "<>", "pending"),
			);
		},
		countRecentDeliveries(accountId: string, kind: string, since: UnixMillis): Promise<number> {
			return guard(async () => {
				const row = await db
					.selectFrom("delivery")
					.select((eb) => eb.fn.countAll().as("recent"))
					.where("account_id", "=", accountId)
					.where("kind", "=", kind)
					.where("created_at", ">=", since)
					.executeTakeFirstOrThrow();
				return countOf(row.recent);
			});
		},
		deleteSettledDeliveries(before: UnixMillis, limit: number): Promise<number> {
			checkDeleteBatch("deleteSettledDeliveries", limit);
			// Their attempts go with them: `delivery_attempt.delivery_id` is ON DELETE CASCADE. The
			// subquery reads two ranges of `delivery_status_created_at_idx` (migration 0021), one per
			// status, and never a pending row; no ORDER BY, which would sort every match first.
			return countWritten(guard, () =>
				db.deleteFrom("delivery").where("id", "in", db.selectFrom("delivery").select("id").where("status", "in", ["delivered", "dead"]).where("created_at", "<", before).limit(limit)),
			);
		},
		countDeliveriesByStatus(): Promise<Readonly<Record<DeliveryStatus, number>>> {
			return guard(async () => {
				const rows = await db
					.selectFrom("delivery")
					.select((eb) => ["status", eb.fn.countAll().as("count")])
					.groupBy("status")
					.execute();
				const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
				for (const row of rows) counts[row.status] = countOf(row.count);
				return Object.freeze(counts);
			});
		},
		summarizeBacklog(): Promise<DeliveryBacklogRecord[]> {
			// One grouped read over the (status, next_attempt_at) index: delivered rows are not visited.
			return guard(async () => {
				const rows = await db
					.selectFrom("delivery")
					.select((eb) => ["channel", "status", eb.fn.countAll().as("count"), eb.fn.min("created_at").as("oldest")])
					.where("status", "in", ["pending", "dead"])
					.groupBy(["channel", "status"])
					.execute();
				return rows.map((row) => ({ channel: row.channel, status: row.status as "pending" | "dead", count: countOf(row.count), oldestCreatedAt: countOf(row.oldest) }));
			});
		},
	});
}
