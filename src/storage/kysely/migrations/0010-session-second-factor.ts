/**
 * Migration `0010-session-second-factor`: how and when a session proved its factors, for
 * forward-auth's step-up rules and the `amr` of assertions and introspection (issue 12):
 * `session.second_factor_at` (the last time a TOTP or recovery code was typed in this session;
 * null when none was, e.g. a remembered device stood in) and `session.amr` (the authentication
 * methods, space-separated, `domain/access/authentication-methods.ts`). Existing sessions get
 * null and `""`: a rule asking for a recent second factor asks them again.
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Adds `session.second_factor_at` (nullable) and `session.amr` (text, `""` for existing rows). */
async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("session").addColumn("second_factor_at", portableColumnTypes(db).int64).execute();
	await db.schema.alterTable("session").addColumn("amr", "text", (col) => col.notNull().defaultTo("")).execute();
}

/** Drops both columns. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("session").dropColumn("amr").execute();
	await db.schema.alterTable("session").dropColumn("second_factor_at").execute();
}

/** The migration, for `migrations/index.ts`. */
export const sessionSecondFactorMigration: Migration = Object.freeze({ up, down });
