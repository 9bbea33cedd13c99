/**
 * Migration `0009-outbox-and-email-tokens` (issue 11): mail and webhooks from one transactional
 * outbox, and single-use mailed links.
 *
 * - `account.email_verified_at` (nullable instant): when the owner proved the address; null for
 *   every existing account (none has been asked yet).
 * - `delivery`: the outbox, one row per message and recipient, written in the transaction of the
 *   change it reports. `account_id` references `account.id` ON DELETE CASCADE: deleting an account
 *   deletes its deliveries, pending ones included (no mail goes to a deleted account, no webhook
 *   reports one). Indexes: (status, next_attempt_at) for the dispatcher's claim, (account_id, kind,
 *   created_at) for the alert rate limit, (created_at) for listing and housekeeping.
 * - `delivery_attempt`: the attempt log, ON DELETE CASCADE with its delivery.
 * - `webhook_endpoint`: endpoints added through the admin API (the secret sealed).
 * - `email_token`: mailed links, only a hash of their secret; `account_id` nullable (a sign-up in
 *   `verified` mode has no account yet), ON DELETE CASCADE. Indexes for the per-account, per-address
 *   and per-IP counts, (account_id, purpose, created_at) also serving the account's own lookups
 *   and the cascade, and (expires_at) for housekeeping.
 *
 * Released migrations never change (DESIGN.md rule 10).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Adds the column and creates the four tables with their indexes. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64, bytes } = portableColumnTypes(db);
	await db.schema.alterTable("account").addColumn("email_verified_at", int64).execute();

	await db.schema
		.createTable("delivery")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("event_id", "text")
		.addColumn("account_id", "text", (col) => col.references("account.id").onDelete("cascade"))
		.addColumn("channel", "text", (col) => col.notNull())
		.addColumn("kind", "text", (col) => col.notNull())
		.addColumn("target", "text", (col) => col.notNull())
		.addColumn("payload", "text", (col) => col.notNull())
		.addColumn("sealed_secret", bytes)
		.addColumn("status", "text", (col) => col.notNull())
		.addColumn("attempts", "integer", (col) => col.notNull())
		.addColumn("next_attempt_at", int64, (col) => col.notNull())
		.addColumn("lease_expires_at", int64, (col) => col.notNull())
		.addColumn("lease_owner", "text")
		.addColumn("last_error", "text")
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("delivered_at", int64)
		.addCheckConstraint("delivery_channel_check", sql`channel in ('email', 'webhook')`)
		.addCheckConstraint("delivery_status_check", sql`status in ('pending', 'delivered', 'dead')`)
		.execute();
	await db.schema.createIndex("delivery_status_next_attempt_at_idx").on("delivery").columns(["status", "next_attempt_at"]).execute();
	await db.schema.createIndex("delivery_account_id_kind_created_at_idx").on("delivery").columns(["account_id", "kind", "created_at"]).execute();
	await db.schema.createIndex("delivery_created_at_idx").on("delivery").column("created_at").execute();

	await db.schema
		.createTable("delivery_attempt")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("delivery_id", "text", (col) => col.notNull().references("delivery.id").onDelete("cascade"))
		.addColumn("attempted_at", int64, (col) => col.notNull())
		.addColumn("outcome", "text", (col) => col.notNull())
		.addColumn("detail", "text", (col) => col.notNull())
		.addColumn("duration_millis", "integer", (col) => col.notNull())
		.addCheckConstraint("delivery_attempt_outcome_check", sql`outcome in ('delivered', 'failed')`)
		.execute();
	await db.schema.createIndex("delivery_attempt_delivery_id_idx").on("delivery_attempt").column("delivery_id").execute();

	await db.schema
		.createTable("webhook_endpoint")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("url", "text", (col) => col.notNull())
		.addColumn("events", "text", (col) => col.notNull())
		.addColumn("sealed_secret", bytes, (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("description", "text")
		.execute();

	await db.schema
		.createTable("email_token")
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
		.addCheckConstraint("email_token_purpose_check", sql`purpose in ('verify_email', 'reset_password', 'change_email', 'sign_up')`)
		.execute();
	await db.schema.createIndex("email_token_account_id_purpose_created_at_idx").on("email_token").columns(["account_id", "purpose", "created_at"]).execute();
	await db.schema.createIndex("email_token_purpose_email_created_at_idx").on("email_token").columns(["purpose", "email", "created_at"]).execute();
	await db.schema.createIndex("email_token_purpose_ip_address_created_at_idx").on("email_token").columns(["purpose", "ip_address", "created_at"]).execute();
	await db.schema.createIndex("email_token_expires_at_idx").on("email_token").column("expires_at").execute();
}

/** Drops the four tables (their indexes go with them) and the column; undelivered messages and open links are lost. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("email_token").execute();
	await db.schema.dropTable("webhook_endpoint").execute();
	await db.schema.dropTable("delivery_attempt").execute();
	await db.schema.dropTable("delivery").execute();
	await db.schema.alterTable("account").dropColumn("email_verified_at").execute();
}

/** The migration, for `migrations/index.ts`. */
export const outboxAndEmailTokensMigration: Migration = Object.freeze({ up, down });
