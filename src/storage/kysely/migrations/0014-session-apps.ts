/**
 * Migration `0014-session-apps`: the apps (hosts behind the forward-auth proxy) each session
 * reached recently, for "Connected apps" on the sessions page (issue 12 item 9). One row per
 * session and host, `last_used_at` written at most once a minute; rows go with their session's
 * account (ON DELETE CASCADE through `session`).
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `session_app` (session_id, host, last_used_at; primary key session_id + host). */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable("session_app")
		.addColumn("session_id", "text", (col) => col.notNull().references("session.id").onDelete("cascade"))
		.addColumn("host", "text", (col) => col.notNull())
		.addColumn("last_used_at", portableColumnTypes(db).int64, (col) => col.notNull())
		.addPrimaryKeyConstraint("session_app_pk", ["session_id", "host"])
		.execute();
}

/** Drops `session_app`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("session_app").execute();
}

/** The migration, for `migrations/index.ts`. */
export const sessionAppsMigration: Migration = Object.freeze({ up, down });
