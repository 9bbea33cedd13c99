/**
 * Migration `0007-attempts-in-flight`: `auth_failure.attempts_in_flight` and
 * `auth_failure.in_flight_expires_at`. Attempts are still counted before they are checked, but
 * as reservations apart from the failures they may become: a check that succeeds gives its
 * reservation back instead of counting as a failure, so parallel sign-ins with the right
 * password wait for each other instead of locking the account (issue 9, item 1). The lease
 * bounds what a process killed mid-check leaves reserved. Released migrations never change
 * (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Adds both columns (0 for existing rows: nothing is in flight during a migration). */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema.alterTable("auth_failure").addColumn("attempts_in_flight", "integer", (col) => col.notNull().defaultTo(0)).execute();
	await db.schema.alterTable("auth_failure").addColumn("in_flight_expires_at", int64, (col) => col.notNull().defaultTo(0)).execute();
}

/** Drops both columns. */
async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable("auth_failure").dropColumn("in_flight_expires_at").execute();
	await db.schema.alterTable("auth_failure").dropColumn("attempts_in_flight").execute();
}

/** The migration, for `migrations/index.ts`. */
export const attemptsInFlightMigration: Migration = Object.freeze({ up, down });
