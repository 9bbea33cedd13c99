/**
 * Migration `0011-signing-key`: `signing_key`, the keys deadbolt signs its assertions with
 * (`Remote-Assertion`, issue 12), shared by every instance of a database. One row per key: its
 * `kid` (the RFC 7638 thumbprint of its public key), its JWS algorithm (RFC 7518 §3.1, `ES256`),
 * its private key as a JWK sealed under the server's encryption key (`service/sealed-text.ts`), its
 * public key as a JWK (JSON text) and a `generation`, unique: the key in use is the one of the
 * highest generation, and two instances that start together on a new database both try to insert
 * generation 1, so exactly one key is created and both read it back.
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Creates `signing_key`. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64, bytes } = portableColumnTypes(db);
	await db.schema
		.createTable("signing_key")
		.addColumn("kid", "text", (col) => col.primaryKey())
		.addColumn("generation", "integer", (col) => col.notNull().unique())
		.addColumn("algorithm", "text", (col) => col.notNull())
		.addColumn("sealed_private_jwk", bytes, (col) => col.notNull())
		.addColumn("public_jwk", "text", (col) => col.notNull())
		.addColumn("created_at", int64, (col) => col.notNull())
		.execute();
}

/** Drops `signing_key`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable("signing_key").execute();
}

/** The migration, for `migrations/index.ts`. */
export const signingKeyMigration: Migration = Object.freeze({ up, down });
