/**
 * Brings a database to the latest schema with Kysely's `Migrator` over the static
 * {@link MIGRATIONS} map. The migrator takes a lock (PostgreSQL: an advisory lock inside the
 * migration transaction; SQLite: the single connection), so concurrent runs are safe: one
 * migrates, the others find nothing left to do.
 */
import { Migrator } from "kysely/migration";
import type { Kysely } from "kysely";
import type { MigrationProvider, MigrationResultSet } from "kysely/migration";
import { MIGRATIONS } from "./migrations/index.js";

/** Options of {@link migrateToLatest}. */
export interface MigrateOptions {
	/**
	 * PostgreSQL schema holding Kysely's `kysely_migration` and `kysely_migration_lock`
	 * tables. Set it whenever the database has more than one schema: without it the migrator
	 * looks for its tables in every schema and can mistake another schema's for its own.
	 * Default: unset (SQLite has no schemas).
	 */
	readonly migrationTableSchema?: string;
}

/**
 * Called once the database is at the latest schema, with the names of the migrations this
 * opening applied, in order (empty when it was up to date, or when a concurrent opener applied
 * them): `deadbolt migrate` prints them.
 */
export type MigratedListener = (applied: readonly string[]) => void;

/** The migrations a successful run applied, in order. */
export function appliedMigrationNames(result: MigrationResultSet): string[] {
	return (result.results ?? []).filter((entry) => entry.status === "Success" && entry.direction === "Up").map((entry) => entry.migrationName);
}

/** The newest migration this deadbolt knows: the schema every successful run ends at. */
export const LATEST_MIGRATION: string = Object.keys(MIGRATIONS).at(-1) as string;

/** A provider that hands Kysely the static migration map. */
const staticProvider: MigrationProvider = Object.freeze({
	getMigrations() {
		return Promise.resolve({ ...MIGRATIONS });
	},
});

/**
 * Runs every migration not yet applied, in name order.
 * @returns Kysely's result set; it never throws for a failed migration: check `error`
 *   (`undefined` on success) and `results` (one entry per migration attempted).
 */
export function migrateToLatest(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationResultSet> {
	const migrator = new Migrator({
		db,
		provider: staticProvider,
		...(options.migrationTableSchema === undefined ? {} : { migrationTableSchema: options.migrationTableSchema }),
	});
	return migrator.migrateToLatest();
}
