/**
 * Migration `0013-access-token`: personal access tokens (issue 12), table `access_token` as
 * described in `../database.ts`. Same conventions as the others: portable types only, epoch-ms
 * instants as {@link portableColumnTypes}' `int64`, state as a nullable instant (`revoked_at`),
 * a foreign key to `account` that cascades on delete (deleting an account takes its tokens along).
 * Every token has an expiry (`expires_at` not null). Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `access_token` and its index on `account_id` (the list, and "revoke all"). */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema
		.createTable("access_token")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("name", "text", (col) => col.notNull())
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("hosts", "text", (col) => col.notNull())
		.addColumn("aal", "integer", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("last_used_at", int64)
		.addColumn("last_used_ip", "text")
		.addColumn("revoked_at", int64)
		.execute();
	await db.schema.createIndex("access_token_account_id_idx").on("access_token").column("account_id").execute();
}

/** Drops `access_token` (its index goes with it; the tokens are lost). */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("access_token").execute();
}

/** Personal access tokens: up creates the table, down drops it. */
export const accessTokenMigration: Migration = Object.freeze({ up, down });
