/**
 * The embedded backend: SQLite through better-sqlite3 (pinned to 12.x; 13.x crashes on Node 20).
 * Everything SQLite-specific lives here (DESIGN.md §3.6): the driver and its pragmas. The
 * queries are the shared ones of `kysely/kysely-store.ts` (one file per aggregate in `kysely/repositories/`).
 *
 * better-sqlite3 is synchronous and Kysely's SQLite dialect serializes every query on its one
 * connection, so within one process conditional writes never interleave; `busy_timeout`
 * covers other processes (for example `deadbolt` CLI commands) writing the same file.
 *
 * Two departures from Kysely's stock SQLite dialect, both for several processes sharing one
 * file (see {@link DeadboltSqliteDialect}): transactions start with `BEGIN IMMEDIATE`, and
 * migrations run inside a transaction (SQLite has transactional DDL; Kysely's adapter
 * conservatively says it has not, and its SQLite migration lock is a no-op).
 */
import { chmod, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver } from "kysely";
import type { DatabaseConnection, DialectAdapter, Driver, SqliteDatabase, SqliteDialectConfig, SqliteStatement } from "kysely";
import { StorageUnavailable } from "../errors.js";
import type { Database } from "./kysely/database.js";
import { createKyselyStore } from "./kysely/kysely-store.js";
import { appliedMigrationNames, migrateToLatest, type MigratedListener } from "./kysely/migrate.js";
import type { Store } from "./store.js";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
	/**
	 * The database file; its parent directory is created when missing. `":memory:"` opens a
	 * private in-memory database that lives until `close()` (tests).
	 */
	readonly path: string;
	/** Told which migrations the opening applied (`deadbolt migrate`). */
	readonly onMigrated?: MigratedListener;
}

/** How long a write waits for another process's lock before failing, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating when missing) a SQLite database, sets its pragmas (`journal_mode=WAL` for
 * files, `foreign_keys=ON`, `busy_timeout=5000`, `synchronous=NORMAL`), and migrates it to the
 * latest schema.
 * @throws StorageUnavailable when the file cannot be opened or a migration fails (`cause`
 *   holds the driver or migration error).
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
	const inMemory = options.path === ":memory:" || options.path === "";
	let database: SQLiteDatabase.Database;
	try {
		// Owner-only: the file holds password hashes and sealed TOTP keys. SQLite gives its -wal and
		// -shm files the database file's mode.
		if (!inMemory) await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
		database = new SQLiteDatabase(options.path);
		if (!inMemory) await chmod(options.path, 0o600);
	} catch (error) {
		throw new StorageUnavailable(undefined, { cause: error, reason: "sqlite_open_failed" });
	}
	try {
		// First, so that the pragmas below wait for another process's lock instead of failing.
		database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
		// WAL lets readers run beside a writer; an in-memory database has no journal file.
		if (!inMemory) database.pragma("journal_mode = WAL");
		database.pragma("foreign_keys = ON");
		// NORMAL is durable in WAL mode except for the last transactions on power loss.
		database.pragma("synchronous = NORMAL");
	} catch (error) {
		database.close();
		throw new StorageUnavailable(undefined, { cause: error, reason: "sqlite_pragma_failed" });
	}

	const db = new Kysely<Database>({ dialect: new DeadboltSqliteDialect({ database: withStatementCache(database) }) });
	const migration = await migrateToLatest(db);
	if (migration.error !== undefined) {
		await db.destroy();
		throw new StorageUnavailable("The database could not be migrated to the latest schema.", {
			cause: migration.error,
			reason: "migration_failed",
		});
	}
	options.onMigrated?.(appliedMigrationNames(migration));
	return createKyselyStore(db, "sqlite");
}

/** Prepared statements kept, by SQL text (least recently used dropped first). */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * The database as Kysely's SQLite driver sees it, keeping its prepared statements: the driver
 * calls `prepare` for every query it runs, and preparing (parsing and planning the SQL) cost about
 * a tenth of a sign-in's code step (`npm run bench:http`). A statement is reused only when it is
 * not busy (an `iterate()` still open); SQLite re-prepares a statement by itself when the schema
 * changed (migrations), and `close()` finalizes them all. Exported for its tests.
 */
export function withStatementCache(database: SQLiteDatabase.Database): SqliteDatabase {
	const cache = new Map<string, SqliteStatement & { readonly busy: boolean }>();
	return {
		prepare(sql: string): SqliteStatement {
			const cached = cache.get(sql);
			if (cached !== undefined) {
				if (cached.busy) return database.prepare(sql);
				cache.delete(sql);
				cache.set(sql, cached);
				return cached;
			}
			const statement = database.prepare(sql);
			cache.set(sql, statement);
			if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
			return statement;
		},
		close(): void {
			cache.clear();
			database.close();
		},
	};
}

/**
 * Kysely's SQLite dialect with two changes for a file shared by several processes (a server
 * and `deadbolt migrate`, say):
 * - transactions begin with `BEGIN IMMEDIATE`, taking the write lock up front (waiting up to
 *   `busy_timeout`), instead of a deferred `BEGIN` that fails with `SQLITE_BUSY` when another
 *   process wrote between its first read and its first write;
 * - the adapter reports transactional DDL, so Kysely's migrator runs each migration run in one
 *   transaction: a failed migration leaves no half-built schema, and a second process waits for
 *   the first and then finds nothing to do (Kysely's SQLite migration lock is a no-op).
 */
class DeadboltSqliteDialect extends SqliteDialect {
	readonly #config: SqliteDialectConfig;

	constructor(config: SqliteDialectConfig) {
		super(config);
		this.#config = config;
	}

	override createDriver(): Driver {
		return new ImmediateTransactionSqliteDriver(this.#config);
	}

	override createAdapter(): DialectAdapter {
		return new TransactionalDdlSqliteAdapter();
	}
}

/** Kysely's SQLite driver, beginning every transaction with `BEGIN IMMEDIATE`. */
class ImmediateTransactionSqliteDriver extends SqliteDriver {
	override async beginTransaction(connection: DatabaseConnection): Promise<void> {
		await connection.executeQuery(CompiledQuery.raw("begin immediate"));
	}
}

/** Kysely's SQLite adapter, admitting that SQLite runs DDL inside transactions. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
	override get supportsTransactionalDdl(): boolean {
		return true;
	}
}
