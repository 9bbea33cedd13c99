/**
 * Migration `0019-key-rings` (issue 14, "Keys": key rings and rotation without downtime):
 *
 * - `server_key`: one row per (kind, key id) an instance has started with, proving that key
 *   (`service/server-keys.ts`): an HMAC of a fixed text under an HMAC key, or a fixed text sealed
 *   under an encryption key (base64). The key id `default` of both kinds keeps its proof in
 *   `server_key_check` (migration 0005). `retired_at`: when `deadbolt keys retire` retired the key.
 * - `recovery_code.hmac_key_id`: the id of the HMAC key a code was made under; null for codes made
 *   before this migration (the key `default`).
 * - `signing_key.activates_at`: when a key starts signing (published in the JWKS before that);
 *   null for keys made before this migration (signing since they were made). `signing_key.retired_at`:
 *   when a key left the JWKS.
 *
 * Released migrations never change (DESIGN.md rule 10).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `server_key`, adds the columns. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema
		.createTable("server_key")
		.addColumn("kind", "text", (col) => col.notNull())
		.addColumn("key_id", "text", (col) => col.notNull())
		.addColumn("check_value", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("retired_at", int64)
		.addPrimaryKeyConstraint("server_key_pk", ["kind", "key_id"])
		.addCheckConstraint("server_key_kind_check", sql`kind in ('encryption', 'hmac')`)
		.execute();
	await db.schema.alterTable("recovery_code").addColumn("hmac_key_id", "text").execute();
	await db.schema.alterTable("signing_key").addColumn("activates_at", int64).execute();
	await db.schema.alterTable("signing_key").addColumn("retired_at", int64).execute();
}

/** Drops what `up` added. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("signing_key").dropColumn("retired_at").execute();
	await db.schema.alterTable("signing_key").dropColumn("activates_at").execute();
	await db.schema.alterTable("recovery_code").dropColumn("hmac_key_id").execute();
	await db.schema.dropTable("server_key").execute();
}

/** The migration, for `migrations/index.ts`. */
export const keyRingsMigration: Migration = Object.freeze({ up, down });
