/**
 * Migration `0016-oidc`: the OpenID Connect provider's state (issue 13; `oidc/adapter.ts`), one
 * table for every model `oidc-provider` stores (sessions, interactions, grants, codes, tokens).
 * `payload` is the library's JSON; the other columns are what deadbolt queries by:
 * - `grant_id`: every token of a grant, to revoke them together;
 * - `session_id`, `account_id`, `client_id` on a grant: the deadbolt session it was given under
 *   (a token lives only while that session does), and Connected apps;
 * - `sid`: the provider's session id of the sign-in, for back-channel logout tokens;
 * - `consumed_at`: a code or refresh token used once (a conditional write: one winner).
 * A row whose `expires_at` passed is gone for the library and deleted by housekeeping.
 *
 * `oidc_client`: the clients added through the admin API or the CLI (`service/oidc-client-admin.ts`;
 * the config file's are not stored). `sealed_secret` is the client secret sealed with the server
 * key and bound to the id (null: a public client); the lists are JSON text; `public` and
 * `first_party` are 0 or 1.
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `oidc_payload` with its indexes, and `oidc_client`. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64, bytes } = portableColumnTypes(db);
	await db.schema
		.createTable("oidc_payload")
		.addColumn("model", "text", (col) => col.notNull())
		.addColumn("id", "text", (col) => col.notNull())
		.addColumn("payload", "text", (col) => col.notNull())
		.addColumn("grant_id", "text")
		.addColumn("uid", "text")
		.addColumn("user_code", "text")
		.addColumn("session_id", "text")
		.addColumn("account_id", "text")
		.addColumn("client_id", "text")
		.addColumn("sid", "text")
		.addColumn("created_at", int64, (col) => col.notNull())
		.addColumn("expires_at", int64)
		.addColumn("consumed_at", int64)
		.addColumn("last_used_at", int64)
		.addPrimaryKeyConstraint("oidc_payload_pk", ["model", "id"])
		.execute();
	await db.schema.createIndex("oidc_payload_grant_id").on("oidc_payload").column("grant_id").execute();
	await db.schema.createIndex("oidc_payload_uid").on("oidc_payload").column("uid").execute();
	await db.schema.createIndex("oidc_payload_session_id").on("oidc_payload").column("session_id").execute();
	await db.schema.createIndex("oidc_payload_account_client").on("oidc_payload").columns(["account_id", "client_id"]).execute();
	await db.schema.createIndex("oidc_payload_expires_at").on("oidc_payload").column("expires_at").execute();
	await db.schema.createIndex("oidc_payload_client_id").on("oidc_payload").column("client_id").execute();

	await db.schema
		.createTable("oidc_client")
		.addColumn("id", "text", (col) => col.primaryKey())
		.addColumn("name", "text", (col) => col.notNull())
		.addColumn("sealed_secret", bytes)
		.addColumn("redirect_uris", "text", (col) => col.notNull())
		.addColumn("post_logout_redirect_uris", "text", (col) => col.notNull())
		.addColumn("backchannel_logout_uri", "text")
		.addColumn("public", "integer", (col) => col.notNull())
		.addColumn("first_party", "integer", (col) => col.notNull())
		.addColumn("minimum_aal", "integer", (col) => col.notNull())
		.addColumn("groups", "text")
		.addColumn("accounts", "text")
		.addColumn("created_at", int64, (col) => col.notNull())
		.execute();
}

/** Drops `oidc_client` and `oidc_payload`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("oidc_client").execute();
	await db.schema.dropTable("oidc_payload").execute();
}

/** The migration, for `migrations/index.ts`. */
export const oidcMigration: Migration = Object.freeze({ up, down });
