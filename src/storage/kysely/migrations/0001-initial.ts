/**
 * Migration `0001-initial`: the first schema (tables of `../database.ts`). Released migrations
 * never change (DESIGN.md rule 10): a schema change is a new `0002-...` file.
 *
 * Portable types only: `text`, `integer`, and the two types that differ by dialect, picked by
 * {@link portableColumnTypes} (shared with later migrations, in `./column-types.ts`): epoch-ms
 * instants (`integer` in SQLite, which stores 64-bit integers anyway; `bigint` in PostgreSQL)
 * and bytes (`blob` / `bytea`).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates the six tables and their indexes. Foreign keys to `account` cascade on delete. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64, bytes } = portableColumnTypes(db);

	await db.schema
		.createTable("account")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("email", "text", (col) => col.notNull())
		.addColumn("password_hash", "text")
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("updated_at", int64, (col) => col.notNull())
		.addUniqueConstraint("account_email_key", ["email"])
		.execute();

	await db.schema
		.createTable("totp_credential")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("secret_ciphertext", bytes, (col) => col.notNull())
		.addColumn("algorithm", "text", (col) => col.notNull())
		.addColumn("digits", "integer", (col) => col.notNull())
		.addColumn("period_seconds", "integer", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("confirmed_at", int64)
		.addColumn("expires_at", int64)
		.addColumn("last_used_step", int64, (col) => col.notNull().defaultTo(-1))
		.addColumn("enrollment_session_id", "text")
		.execute();
	await db.schema.createIndex("totp_credential_account_id_idx").on("totp_credential").column("account_id").execute();

	await db.schema
		.createTable("recovery_code")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("code_hash", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("used_at", int64)
		.execute();
	await db.schema
		.createIndex("recovery_code_account_id_code_hash_idx")
		.on("recovery_code")
		.columns(["account_id", "code_hash"])
		.execute();

	await db.schema
		.createTable("session")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("aal", "integer", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("last_active_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("reauthenticated_at", int64, (col) => col.notNull())
		.addColumn("revoked_at", int64)
		.addColumn("ip_address", "text")
		.addColumn("user_agent", "text")
		.execute();
	await db.schema.createIndex("session_account_id_idx").on("session").column("account_id").execute();

	await db.schema
		.createTable("login_challenge")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("attempts", "integer", (col) => col.notNull().defaultTo(0))
		.addColumn("max_attempts", "integer", (col) => col.notNull())
		.addColumn("consumed_at", int64)
		.addColumn("ip_address", "text")
		.addColumn("user_agent", "text")
		.execute();
	await db.schema.createIndex("login_challenge_account_id_idx").on("login_challenge").column("account_id").execute();
	await db.schema.createIndex("login_challenge_expires_at_idx").on("login_challenge").column("expires_at").execute();

	await db.schema
		.createTable("auth_failure")
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("kind", "text", (col) => col.notNull())
		.addColumn("failure_count", "integer", (col) => col.notNull())
		.addColumn("last_failure_at", int64, (col) => col.notNull())
		.addColumn("locked_until", int64)
		.addPrimaryKeyConstraint("auth_failure_pkey", ["account_id", "kind"])
		.addCheckConstraint("auth_failure_kind_check", sql`kind in ('password', 'second_factor')`)
		.execute();
}

/** Drops every table of this migration, children first. */
async function down(db: Kysely<any>): Promise<void> {
	for (const table of ["auth_failure", "login_challenge", "session", "recovery_code", "totp_credential", "account"]) {
		await db.schema.dropTable(table).execute();
	}
}

/** The initial schema: up creates, down drops (all data is lost). */
export const initialMigration: Migration = Object.freeze({ up, down });
