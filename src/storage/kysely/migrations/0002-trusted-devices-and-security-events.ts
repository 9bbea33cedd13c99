/**
 * Migration `0002-trusted-devices-and-security-events`: "remember this device" tokens
 * (`trusted_device`) and the account's security activity (`security_event`), as described in
 * `../database.ts`. Released migrations never change (DESIGN.md rule 10): a later schema
 * change is a new `0003-...` file.
 *
 * Same conventions as `0001-initial`: portable types only, epoch-ms instants as
 * {@link portableColumnTypes}' `int64`, state as a nullable instant, and foreign keys to
 * `account` that cascade on delete (deleting an account takes its devices and events along).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `trusted_device` and `security_event` and their indexes. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);

	await db.schema
		.createTable("trusted_device")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("secret_hash", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("last_used_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64, (col) => col.notNull())
		.addColumn("revoked_at", int64)
		.addColumn("ip_address", "text")
		.addColumn("user_agent", "text")
		.execute();
	await db.schema.createIndex("trusted_device_account_id_idx").on("trusted_device").column("account_id").execute();

	await db.schema
		.createTable("security_event")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("account_id", "text", (col) => col.notNull().references("account.id").onDelete("cascade"))
		.addColumn("type", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("ip_address", "text")
		.addColumn("user_agent", "text")
		.addColumn("details", "text", (col) => col.notNull())
		.execute();
	// Serves the one query on this table: an account's events, newest first, paged by created_at.
	await db.schema
		.createIndex("security_event_account_id_created_at_idx")
		.on("security_event")
		.columns(["account_id", "created_at"])
		.execute();
}

/** Drops both tables of this migration (their indexes go with them). */
async function down(db: Kysely<any>): Promise<void> {
	for (const table of ["security_event", "trusted_device"]) {
		await db.schema.dropTable(table).execute();
	}
}

/** Trusted devices and security events: up creates, down drops (their data is lost). */
export const trustedDevicesAndSecurityEventsMigration: Migration = Object.freeze({ up, down });
