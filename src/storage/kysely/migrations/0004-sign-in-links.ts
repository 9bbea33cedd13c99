/**
 * Migration `0004-sign-in-links`: `sign_in_link`, one-time links that stand in for the password
 * step, issued by an operator (`deadbolt account sign-in-link`) or an integrator's backend (the
 * admin API), e.g. for an account created without a password after a social sign-in elsewhere.
 * Only a hash of the link's secret is kept. Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `sign_in_link` and its account index. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema
		.createTable("sign_in_link")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("consumed_at", int64)
		.execute();
	await db.schema.createIndex("sign_in_link_account_id_idx").on("sign_in_link").column("account_id").execute();
}

/** Drops `sign_in_link` (its index goes with it). */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("sign_in_link").execute();
}

/** The migration, for `migrations/index.ts`. */
export const signInLinksMigration: Migration = Object.freeze({ up, down });
