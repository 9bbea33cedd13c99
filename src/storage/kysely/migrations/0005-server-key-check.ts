/**
 * Migration `0005-server-key-check`: `server_key_check`, one row that proves which server keys
 * the database was set up with (a keyed hash under `DEADBOLT_HMAC_KEY` and a value sealed under
 * `DEADBOLT_ENCRYPTION_KEY`), so that an instance started with other keys refuses to start instead
 * of failing users' sign-ins. Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `server_key_check`. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64, bytes } = portableColumnTypes(db);
	await db.schema
		.createTable("server_key_check")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("hmac_check", "text", (col) => col.notNull())
		.addColumn("sealed_check", bytes, (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.execute();
}

/** Drops `server_key_check`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("server_key_check").execute();
}

/** The migration, for `migrations/index.ts`. */
export const serverKeyCheckMigration: Migration = Object.freeze({ up, down });
