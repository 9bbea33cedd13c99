/**
 * Migration `0015-two-factor-mail-confirmation` (issue 12, "a first 2FA enrollment reached from a
 * `two_factor` rule needs a link mailed to the verified address"):
 *
 * - `account.second_factor_mail_confirmed_at` (nullable instant): when a mailed link confirmed the
 *   account's second factor. Null for every existing account: an authenticator enrolled before
 *   this migration was enrolled with the password alone, so it is confirmed once by mail like any
 *   new one before it passes a `two_factor` rule.
 * - `email_token.purpose` accepts `'confirm_two_factor'` and `'approve_email_change'` (an address
 *   change approved from the current address, for accounts whose second factor is not confirmed by mail). A CHECK constraint cannot be altered in
 *   SQLite, so the table is rebuilt in both databases the same way (a new table with the wider
 *   check, the rows copied, the old table dropped, the new one renamed, its indexes made again
 *   under their old names); nothing references `email_token`, so no foreign key is touched.
 *
 * Released migrations never change (DESIGN.md rule 10).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

const PURPOSES_BEFORE = sql`purpose in ('verify_email', 'reset_password', 'change_email', 'sign_up')`;
const PURPOSES_AFTER = sql`purpose in ('verify_email', 'reset_password', 'change_email', 'sign_up', 'confirm_two_factor', 'approve_email_change')`;

/** Rebuilds `email_token` (same columns and indexes as `0009-outbox-and-email-tokens`) with `purposes` as its check. */
async function rebuildEmailTokenTable(db: Kysely<any>, purposes: typeof PURPOSES_AFTER): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema
		.createTable("email_token_next")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("purpose", "text", (col) => col.notNull())
		.addColumn("account_id", "text", (col) => col.references("account.id").onDelete("cascade"))
		.addColumn("email", "text", (col) => col.notNull())
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("password_hash", "text")
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("consumed_at", int64)
		.addColumn("second_factor_verified_at", int64)
		.addColumn("attempts", "integer", (col) => col.notNull())
		.addColumn("ip_address", "text")
		.addCheckConstraint("email_token_purpose_check", purposes)
		.execute();
	const columns = sql.raw("id, purpose, account_id, email, secret_hash, password_hash, created_at, expires_at, consumed_at, second_factor_verified_at, attempts, ip_address");
	await sql`insert into email_token_next (${columns}) select ${columns} from email_token`.execute(db);
	await db.schema.dropTable("email_token").execute();
	await db.schema.alterTable("email_token_next").renameTo("email_token").execute();
	await db.schema.createIndex("email_token_account_id_purpose_created_at_idx").on("email_token").columns(["account_id", "purpose", "created_at"]).execute();
	await db.schema.createIndex("email_token_purpose_email_created_at_idx").on("email_token").columns(["purpose", "email", "created_at"]).execute();
	await db.schema.createIndex("email_token_purpose_ip_address_created_at_idx").on("email_token").columns(["purpose", "ip_address", "created_at"]).execute();
	await db.schema.createIndex("email_token_expires_at_idx").on("email_token").column("expires_at").execute();
}

/** Adds the column (null for every account) and widens the purposes of `email_token`. */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("account").addColumn("second_factor_mail_confirmed_at", portableColumnTypes(db).int64).execute();
	await rebuildEmailTokenTable(db, PURPOSES_AFTER);
}

/** Drops the column and the links of the two new purposes (which no longer exist), and narrows the purposes again. */
async function down(db: Kysely<any>): Promise<void> {
	await db.deleteFrom("email_token").where("purpose", "in", ["confirm_two_factor", "approve_email_change"]).execute();
	await rebuildEmailTokenTable(db, PURPOSES_BEFORE);
	await db.schema.alterTable("account").dropColumn("second_factor_mail_confirmed_at").execute();
}

/** The migration, for `migrations/index.ts`. */
export const twoFactorMailConfirmationMigration: Migration = Object.freeze({ up, down });
