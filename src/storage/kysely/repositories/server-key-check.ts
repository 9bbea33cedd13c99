/** The server-key check: one row with the fixed id `server`; the primary key decides the first writer. */
import type { ServerKeyCheckRecord, ServerKeyCheckRepository } from "../../store.js";
import { findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
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
	});
}
