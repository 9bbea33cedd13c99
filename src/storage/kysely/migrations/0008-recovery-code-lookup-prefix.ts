/**
 * Migration `0008-recovery-code-lookup-prefix`: `recovery_code.lookup_prefix` (nullable text) and
 * a unique index on (account_id, lookup_prefix). Codes issued from now on are shorter (58.9 bits)
 * and stored as argon2id hashes, which cannot be looked up by hash: the first characters of each
 * code, kept in clear and unique in the account's set, find the one row to verify (issue 10,
 * item 2). Existing rows keep a null prefix and their HMAC-SHA-256 `code_hash`, and go on working
 * (looked up by hash, as before). Null prefixes never collide in the unique index (SQLite and
 * PostgreSQL both treat NULLs as distinct). Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** The index that finds a code by prefix and keeps prefixes unique per account. */
const INDEX = "recovery_code_account_id_lookup_prefix_idx";

/** Adds the column (null for every existing row) and its unique index. */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("recovery_code").addColumn("lookup_prefix", "text").execute();
	await db.schema.createIndex(INDEX).on("recovery_code").columns(["account_id", "lookup_prefix"]).unique().execute();
}

/**
 * Drops the index, the codes issued with a prefix (an earlier build could neither find nor check
 * them; their accounts then have no code left and can make a new set), and the column.
 */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex(INDEX).execute();
	await db.deleteFrom("recovery_code").where("lookup_prefix", "is not", null).execute();
	await db.schema.alterTable("recovery_code").dropColumn("lookup_prefix").execute();
}

/** The migration, for `migrations/index.ts`. */
export const recoveryCodeLookupPrefixMigration: Migration = Object.freeze({ up, down });
