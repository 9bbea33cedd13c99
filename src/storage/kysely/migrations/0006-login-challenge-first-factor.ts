/**
 * Migration `0006-login-challenge-first-factor`: `login_challenge.first_factor`, what the
 * challenge's holder proved before the code step (`password` or `sign_in_link`), for the security
 * activity and for deciding whether the session it makes is a fresh re-authentication. Existing
 * rows get `password`. Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Adds `login_challenge.first_factor` (text, `password` for existing rows). */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("login_challenge").addColumn("first_factor", "text", (col) => col.notNull().defaultTo("password")).execute();
}

/** Drops `login_challenge.first_factor`. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("login_challenge").dropColumn("first_factor").execute();
}

/** The migration, for `migrations/index.ts`. */
export const loginChallengeFirstFactorMigration: Migration = Object.freeze({ up, down });
