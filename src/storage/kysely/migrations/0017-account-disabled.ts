/**
 * Migration `0017-account-disabled` (issue 14 item 1, the operators' admin API and CLI):
 *
 * - `account.disabled_at` (nullable instant): when an operator disabled the account; null while it
 *   may sign in. Null for every existing account.
 * - `deleted_account`: what is kept of an account an operator deleted, for the audit trail (one row
 *   per deleted account: its id, when, by which way in, the operator's OS user and reason). No
 *   foreign key: the account row is gone. No address is kept (docs/decisions.md, "Deleting an
 *   account").
 *
 * The account list (`service/admin-accounts.ts`) pages by `email`, whose unique index already
 * serves both the order and a prefix search; the per-page facts (2FA, locks, last sign-in) are read
 * through the `account_id` indexes of `totp_credential`, `auth_failure` (its primary key) and
 * `session`. Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Adds `account.disabled_at` and creates `deleted_account`. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema.alterTable("account").addColumn("disabled_at", int64).execute();
	await db.schema
		.createTable("deleted_account")
		.addColumn("account_id", "text", (col) => col.primaryKey())
		.addColumn("deleted_at", int64, (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("via", "text", (col) => col.notNull())
		.addColumn("operator", "text")
		.addColumn("reason", "text", (col) => col.notNull())
		.execute();
	await db.schema.createIndex("deleted_account_deleted_at_idx").on("deleted_account").column("deleted_at").execute();
}

/** Drops both (every account can sign in again; the deletion records are forgotten). */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("deleted_account").execute();
	await db.schema.alterTable("account").dropColumn("disabled_at").execute();
}

/** The migration, for `migrations/index.ts`. */
export const accountDisabledMigration: Migration = Object.freeze({ up, down });
