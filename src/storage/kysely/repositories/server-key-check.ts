/**
 * The server-key check: one row with the fixed id `server` (the keys `default`, migration 0005;
 * the primary key decides the first writer), and one `server_key` row per (kind, key id) of the
 * key rings (migration 0019).
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { ServerKeyCheckRecord, ServerKeyCheckRepository, ServerKeyRecord } from "../../store.js";
import { findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { toDriverBytes } from "../rows.js";

/** The id of the one row. */
const SERVER_KEY_CHECK_ID = "server";

/** The server-key check repository over `db`. */
export function createServerKeyCheckRepository(db: Executor, guard: Guard): ServerKeyCheckRepository {
	return Object.freeze({
		findServerKeyCheck(): Promise<ServerKeyCheckRecord | null> {
			return findFirst(
				guard,
				() => db.selectFrom("server_key_check").selectAll().where("id", "=", SERVER_KEY_CHECK_ID),
				(row) => ({ hmacCheck: row.hmac_check, sealedCheck: new Uint8Array(row.sealed_check), createdAt: row.created_at }),
			);
		},
		insertServerKeyCheck(record: ServerKeyCheckRecord): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.insertInto("server_key_check")
					.values({ id: SERVER_KEY_CHECK_ID, hmac_check: record.hmacCheck, sealed_check: toDriverBytes(record.sealedCheck), created_at: record.createdAt })
					.onConflict((oc) => oc.column("id").doNothing()),
			);
		},
		listServerKeys(): Promise<ServerKeyRecord[]> {
			return findEvery(
				guard,
				() => db.selectFrom("server_key").selectAll().orderBy("kind").orderBy("key_id"),
				(row) => ({ kind: row.kind, keyId: row.key_id, checkValue: row.check_value, createdAt: row.created_at, retiredAt: row.retired_at }),
			);
		},
		insertServerKey(record: ServerKeyRecord): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.insertInto("server_key")
					.values({ kind: record.kind, key_id: record.keyId, check_value: record.checkValue, created_at: record.createdAt, retired_at: record.retiredAt })
					.onConflict((oc) => oc.columns(["kind", "key_id"]).doNothing()),
			);
		},
		retireServerKey(kind: ServerKeyRecord["kind"], keyId: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("server_key").set({ retired_at: now }).where("kind", "=", kind).where("key_id", "=", keyId).where("retired_at", "is", null));
		},
	});
}
