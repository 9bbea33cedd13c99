/**
 * Backups of the embedded SQLite database (issue 14 item 7; docs/operations.md "Backups and
 * restore"): a consistent copy taken while deadbolt serves, with SQLite's online backup API
 * (better-sqlite3 `db.backup()`), and the checks and file moves of a restore. The "after restore"
 * step (sessions, tokens, mails) is the service's (`service/restored-database.ts`): here are only
 * files, pages and migration names.
 *
 * A backup holds password hashes and sealed TOTP keys, but not the keys that open them
 * (`keys.*` live in the configuration): both are needed to use it.
 * @see https://www.sqlite.org/backup.html (the online backup API)
 */
import { closeSync, constants, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { MIGRATIONS } from "./kysely/migrations/index.js";

/** How long the backup's reads wait for another process's lock, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000;

/** What {@link backupSqliteFile} wrote. */
export interface SqliteBackupResult {
	/** The backup file (its final name). */
	readonly path: string;
	readonly sizeBytes: number;
	/** The newest migration the copy carries (its schema version). */
	readonly migration: string | null;
}

/** Thrown by {@link backupSqliteFile} when the destination exists and `overwrite` is false (nothing written). */
export class BackupDestinationExists extends Error {
	readonly path: string;
	constructor(path: string) {
		super(`${path} exists`);
		this.path = path;
		this.name = "BackupDestinationExists";
	}
}

/** Flushes a file's or a directory's data to the disk. */
function fsyncPath(path: string): void {
	const fd = openSync(path, constants.O_RDONLY);
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}

/**
 * Copies the live database at `sourcePath` to `destinationPath`, consistently and atomically:
 * the online backup API copies every page in ONE step (one read transaction: WAL mode lets the
 * server go on writing meanwhile, and the copy is the database as of one commit), into a
 * temporary file (mode 0600) beside the destination, which is switched to a self-contained
 * rollback journal, checked (`quick_check`), flushed (fsync) and only then given its name
 * (a hard link when `overwrite` is false, so an existing file is never replaced; a rename
 * otherwise), and the directory is flushed. A failure leaves no partial file under the name.
 * @param sourcePath - the live database file (must exist)
 * @param overwrite - replace an existing destination (`--force`); default false
 * @throws BackupDestinationExists when the destination exists and `overwrite` is false
 * @throws Error from the driver or the file system (the source is not a database, a full disk, ...)
 */
export async function backupSqliteFile(sourcePath: string, destinationPath: string, overwrite = false): Promise<SqliteBackupResult> {
	if (!overwrite && existsSync(destinationPath)) throw new BackupDestinationExists(destinationPath);
	const temporary = join(dirname(destinationPath), `.${basename(destinationPath)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
	// Owner-only from the first byte: the copy holds password hashes and sealed TOTP keys.
	writeFileSync(temporary, "", { mode: 0o600, flag: "wx" });
	try {
		const source = new SQLiteDatabase(sourcePath, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
		try {
			// The first step copies nothing; then every remaining page in one step (one read transaction).
			await source.backup(temporary, { progress: () => 0x7fffffff });
		} finally {
			source.close();
		}
		const copy = new SQLiteDatabase(temporary, { fileMustExist: true });
		let migration: string | null;
		try {
			// The copy carries the live database's WAL flag: make it one self-contained file.
			copy.pragma("journal_mode = DELETE");
			const check = copy.pragma("quick_check", { simple: true });
			if (check !== "ok") throw new Error(`the copy does not pass SQLite's quick_check: ${String(check)}`);
			migration = appliedMigrations(copy).at(-1) ?? null;
		} finally {
			copy.close();
		}
		fsyncPath(temporary);
		if (overwrite) renameSync(temporary, destinationPath);
		else {
			try {
				linkSync(temporary, destinationPath);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new BackupDestinationExists(destinationPath);
				throw error;
			}
			unlinkSync(temporary);
		}
		fsyncPath(dirname(destinationPath));
		return { path: destinationPath, sizeBytes: statSync(destinationPath).size, migration };
	} finally {
		rmSync(temporary, { force: true });
	}
}

/** The names in `kysely_migration`, in order; empty when there is no such table. */
function appliedMigrations(database: SQLiteDatabase.Database): string[] {
	const table = database.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
	if (table === undefined) return [];
	return (database.prepare("select name from kysely_migration order by name").all() as { name: string }[]).map((row) => row.name);
}

/** What {@link inspectSqliteBackup} found in a file. */
export type SqliteBackupInspection =
	| { readonly kind: "not_a_database"; readonly problem: string }
	/** A SQLite database, but not deadbolt's (no migrations of deadbolt's, or no server-key check). */
	| { readonly kind: "not_deadbolt" }
	| {
			readonly kind: "deadbolt";
			/** The newest migration it carries. */
			readonly migration: string;
			/** Migrations this deadbolt has and the file lacks: it is older and is migrated forward. */
			readonly missing: readonly string[];
			/** Migrations the file has and this deadbolt does not know: it comes from a newer deadbolt. */
			readonly unknown: readonly string[];
	  };

/**
 * Reads a file (read-only, never changing it) to tell whether it is a deadbolt database that this
 * deadbolt can restore: a SQLite file that passes `quick_check`, with deadbolt's migration table
 * and a server-key check, and how its schema stands against this version's migrations.
 */
export function inspectSqliteBackup(path: string): SqliteBackupInspection {
	let database: SQLiteDatabase.Database;
	try {
		database = new SQLiteDatabase(path, { readonly: true, fileMustExist: true });
	} catch (error) {
		return { kind: "not_a_database", problem: (error as Error).message };
	}
	try {
		const check = database.pragma("quick_check", { simple: true });
		if (check !== "ok") return { kind: "not_a_database", problem: `SQLite's quick_check says: ${String(check)}` };
		const applied = appliedMigrations(database);
		const hasKeyCheck = database.prepare("select name from sqlite_master where type = 'table' and name = 'server_key_check'").get() !== undefined;
		if (!applied.includes("0001-initial") || !hasKeyCheck) return { kind: "not_deadbolt" };
		const known = Object.keys(MIGRATIONS);
		return { kind: "deadbolt", migration: applied.at(-1) as string, missing: known.filter((name) => !applied.includes(name)), unknown: applied.filter((name) => !known.includes(name)) };
	} catch (error) {
		// "file is not a database" shows at the first read.
		return { kind: "not_a_database", problem: (error as Error).message };
	} finally {
		database.close();
	}
}

/**
 * Whether a process has the database open (a running deadbolt): another connection's lock keeps
 * this one from taking the file's exclusive lock, which is tried once without waiting. When it is
 * free, the WAL is checkpointed into the file and removed on the way out (the file is whole).
 * @returns false too when there is no such file
 */
export function isSqliteDatabaseInUse(path: string): boolean {
	if (!existsSync(path)) return false;
	const database = new SQLiteDatabase(path, { fileMustExist: true, timeout: 0 });
	try {
		database.pragma("locking_mode = EXCLUSIVE");
		database.exec("BEGIN EXCLUSIVE");
		database.exec("COMMIT");
		return false;
	} catch (error) {
		if ((error as { code?: string }).code === "SQLITE_BUSY") return true;
		throw error;
	} finally {
		database.close();
	}
}

/**
 * Puts the database file `stagedPath` (a closed, self-contained database in the same directory) in
 * the place of `livePath`, keeping the file it replaces as `previousPath` (mode 0600), and flushes
 * the directory. The caller has checked that no process has the live database open
 * ({@link isSqliteDatabaseInUse}), which also folded its WAL into the file.
 * @returns the kept previous file, or null when there was no live database
 */
export function replaceSqliteFile(livePath: string, stagedPath: string, previousPath: string): string | null {
	// A WAL left beside the file would be replayed into the restored one.
	if (existsSync(`${livePath}-wal`) && statSync(`${livePath}-wal`).size > 0) throw new Error(`${livePath}-wal still holds transactions: is deadbolt running?`);
	let kept: string | null = null;
	if (existsSync(livePath)) {
		renameSync(livePath, previousPath);
		kept = previousPath;
	}
	rmSync(`${livePath}-wal`, { force: true });
	rmSync(`${livePath}-shm`, { force: true });
	fsyncPath(stagedPath);
	renameSync(stagedPath, livePath);
	fsyncPath(dirname(livePath));
	return kept;
}
