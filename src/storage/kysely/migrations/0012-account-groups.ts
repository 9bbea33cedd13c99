/**
 * Migration `0012-account-groups`: the groups an account belongs to, for forward-auth's access
 * rules (`groups`), the `Remote-Groups` header, assertions and introspection (issue 12).
 * `account.groups` holds a JSON array of group names as text (`'["admins","ops"]'`), normalized,
 * deduplicated and sorted by `service/groups.ts`; existing accounts get `'[]'` (no group). A text
 * column rather than a join table: an account has a handful of groups, always read with the account
 * (every forward-auth check), and one portable type serves SQLite and PostgreSQL alike.
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Adds `account.groups` (text, not null, `'[]'` for existing rows). */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("account").addColumn("groups", "text", (col) => col.notNull().defaultTo("[]")).execute();
}

/** Drops the column (every account's groups are forgotten). */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("account").dropColumn("groups").execute();
}

/** The migration, for `migrations/index.ts`. */
export const accountGroupsMigration: Migration = Object.freeze({ up, down });
