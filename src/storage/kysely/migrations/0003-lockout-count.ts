/**
 * Migration `0003-lockout-count`: `auth_failure.lockout_count`, how many times in a row the
 * counter has locked (growing lock durations, NIST SP 800-63B §5.2.2). Released migrations never
 * change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Adds `auth_failure.lockout_count` (integer, 0 for existing rows). */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("auth_failure").addColumn("lockout_count", "integer", (col) => col.notNull().defaultTo(0)).execute();
}

/** Drops `auth_failure.lockout_count`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("auth_failure").dropColumn("lockout_count").execute();
}

/** The migration, for `migrations/index.ts`. */
export const lockoutCountMigration: Migration = Object.freeze({ up, down });
