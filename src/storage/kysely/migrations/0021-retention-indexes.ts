/**
 * Migration `0021-retention-indexes` (issue 15, goal 4: retention): the indexes housekeeping's
 * pruning reads, so that each of its batched deletes (`service/housekeeping.ts`) walks an index from
 * the oldest row instead of scanning the table (ten million activity rows, a million sessions):
 *
 * - `security_event(created_at)`: events older than `activity.retentionSeconds`. The existing
 *   `(account_id, created_at)` index serves one account's list, not a range over every account.
 * - `session(expires_at)`: sessions whose absolute end passed more than `session.retentionSeconds` ago.
 * - `delivery(status, created_at)`: delivered and dead deliveries older than
 *   `outbox.retentionSeconds`, one range per status, so that pending ones are never visited; with
 *   only `delivery_created_at_idx` and `delivery_status_next_attempt_at_idx` (migration 0009) SQLite
 *   (no statistics) took the status index and sorted every delivered row.
 *
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Creates the three indexes. */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.createIndex("security_event_created_at_idx").on("security_event").column("created_at").execute();
	await db.schema.createIndex("session_expires_at_idx").on("session").column("expires_at").execute();
	await db.schema.createIndex("delivery_status_created_at_idx").on("delivery").columns(["status", "created_at"]).execute();
}

/** Drops them (pruning then scans the tables). */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex("delivery_status_created_at_idx").execute();
	await db.schema.dropIndex("session_expires_at_idx").execute();
	await db.schema.dropIndex("security_event_created_at_idx").execute();
}

/** The migration, for `migrations/index.ts`. */
export const retentionIndexesMigration: Migration = Object.freeze({ up, down });
