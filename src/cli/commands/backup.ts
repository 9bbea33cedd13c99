/**
 * `deadbolt backup <file> [--force]` and `deadbolt restore <file>` / `deadbolt restore
 * --already-restored` (issue 14 item 7; docs/operations.md, "Backups and restore").
 *
 * - backup: a consistent copy of the SQLite database while deadbolt serves (the online backup
 *   API), written atomically; an existing file is replaced only with `--force`. On PostgreSQL it
 *   says to use `pg_dump` and exits 1.
 * - restore <file>: deadbolt must be stopped (the command refuses while a process has the
 *   database open). The file must be a deadbolt database of this version or an older one (it is
 *   migrated forward; a newer one is refused) made with the configured keys (they are not in the
 *   backup): every key id its sealed secrets and recovery codes name must be in the configured
 *   rings, or it is refused (exit 78) before anything is replaced. It is prepared beside the live database (migrated, then every session, device, link
 *   and token ended and owners of recovery codes told: `service/restored-database.ts`), and only
 *   then put in its place; the replaced file is kept as `deadbolt.sqlite.before-restore-<time>`.
 * - restore --already-restored: the same "after restore" step on the configured database, for a
 *   database restored by other means (`pg_restore`, a file-system snapshot), after the same key
 *   check (exit 78, the step not run).
 * - Both refuse (exit 78) a data directory without a database (`requireDatabase`): `backup` and
 *   `restore --already-restored` never make an empty one; `restore <file>` may fill an empty one.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Config } from "../../config/schema.js";
import { BackupDestinationExists, backupSqliteFile, createDeadbolt, DEVELOPMENT_KEYS_FILE, inspectSqliteBackup, isSqliteDatabaseInUse, replaceSqliteFile, SQLITE_FILE, type Deadbolt } from "../../deadbolt.js";
import { ConfigInvalid } from "../../errors.js";
import type { Command } from "commander";
import { action, EXIT, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

/** The options of `deadbolt backup` and `deadbolt restore` as parsed from the command line. */
export interface BackupOptions {
	readonly force?: boolean | undefined;
	readonly "already-restored"?: boolean | undefined;
	readonly json?: boolean | undefined;
}

/** The options each command takes (besides --config, --data-dir). */
export const BACKUP_COMMAND_OPTIONS: Readonly<Record<"backup" | "restore", readonly string[]>> = Object.freeze({ backup: ["force", "json"], restore: ["already-restored", "json"] });

/** What `deadbolt backup` says on PostgreSQL (docs/operations.md). */
export const PG_DUMP_ADVICE = `deadbolt: "deadbolt backup" copies the embedded SQLite database; this deadbolt uses PostgreSQL (storage.databaseUrl).
Back it up with PostgreSQL's own tools, for example:
  pg_dump --format=custom --file=deadbolt-$(date -u +%Y%m%dT%H%M%SZ).dump "$DEADBOLT_DATABASE_URL"
and restore with pg_restore, then run "deadbolt restore --already-restored" before starting deadbolt
(see docs/operations.md, "Backups and restore").`;

/**
 * What is wrong with the words and options of `deadbolt backup|restore ...`, or null when they make a command.
 * @param words - the words after the command
 */
export function backupUsageProblem(command: "backup" | "restore", words: readonly string[], options: BackupOptions): string | null {
	if (command === "backup") return words.length === 1 ? null : `"backup" takes one file name: deadbolt backup <file> [--force]`;
	if (options["already-restored"] === true) return words.length === 0 ? null : `"restore --already-restored" takes no file: it works on the configured database`;
	return words.length === 1 ? null : `"restore" takes one backup file (or --already-restored after pg_restore)`;
}

/**
 * `deadbolt backup <file>`.
 * @returns the exit code: 0 written, 1 refused (PostgreSQL, the file exists)
 * @throws MissingDatabase (exit 78) when there is no database where the configuration points
 * @throws Error from the driver or the file system (the caller reports it)
 */
export async function runBackupCommand(config: Config, file: string, options: BackupOptions, output: CommandOutput): Promise<number> {
	if (config.storage.databaseUrl !== null) {
		output.err(PG_DUMP_ADVICE);
		return 1;
	}
	// Through symbolic links too: a link to the data directory must not name the live file.
	const live = realPathOf(resolve(config.dataDir, SQLITE_FILE));
	const destination = realPathOf(resolve(file));
	if (destination === live || destination.startsWith(`${live}-`)) {
		output.err(`deadbolt: ${file} is the live database: name another file`);
		return 1;
	}
	requireDatabase(config, "backup");
	try {
		const written = await backupSqliteFile(live, destination, options.force === true);
		if (options.json === true) output.out(JSON.stringify({ file: written.path, sizeBytes: written.sizeBytes, migration: written.migration }, null, 2));
		else {
			output.out(`backup written to ${written.path} (${written.sizeBytes} bytes, schema ${written.migration ?? "unknown"})`);
			output.out("It holds password hashes and sealed 2FA secrets, but not the keys (keys.encryptionKey, keys.hmacKey) that open them: keep the keys, apart from the backup; restoring needs both.");
		}
		return 0;
	} catch (error) {
		if (error instanceof BackupDestinationExists) {
			output.err(`deadbolt: ${error.path} exists: choose another name, or pass --force to replace it`);
			return 1;
		}
		throw error;
	}
}

/** A file name part for an instant: `20260101T090500Z`. */
function fileTime(at: Date): string {
	return at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Prints what the "after restore" step did. */
function printReport(report: Awaited<ReturnType<Awaited<ReturnType<typeof createDeadbolt>>["secureRestoredDatabase"]>>, extra: Record<string, unknown>, options: BackupOptions, output: CommandOutput): void {
	if (options.json === true) {
		output.out(JSON.stringify({ ...extra, ...report }, null, 2));
		return;
	}
	for (const [key, value] of Object.entries(extra)) if (value !== null) output.out(`${key}: ${String(value)}`);
	output.out(`accounts: ${report.accounts}; ended: ${report.sessionsRevoked} sessions, ${report.trustedDevicesRevoked} remembered devices, ${report.accessTokensRevoked} access tokens (and every half-way sign-in, sign-in link, mailed link and OpenID Connect grant)`);
	output.out(`${report.accountsWithRecoveryCodes} accounts have recovery codes that may have come back: their owners (with a verified address) are mailed to make new ones when deadbolt starts`);
}

/**
 * `deadbolt restore <file>` and `deadbolt restore --already-restored`.
 * @returns the exit code: 0 restored, 1 refused (not a deadbolt database, a newer one, deadbolt
 *   running, PostgreSQL with a file), 78 the configured keys are not the backup's, or its secrets
 *   name key ids the configured rings lack ({@link refuseMissingKeys}); nothing replaced then
 * @throws MissingDatabase (exit 78) for `--already-restored` without a database
 * @throws Error from the driver or the file system (the caller reports it)
 */
export async function runRestoreCommand(config: Config, file: string | null, options: BackupOptions, output: CommandOutput): Promise<number> {
	// A refused restore leaves nothing behind: not the development keys file that resolving the
	// keys creates in a new data directory (it would then be the keys of nothing), nor the directory.
	const developmentKeys = join(config.dataDir, DEVELOPMENT_KEYS_FILE);
	const before = { dataDir: existsSync(config.dataDir), developmentKeys: existsSync(developmentKeys) };
	let code: number | null = null;
	try {
		code = await restore(config, file, options, output);
		return code;
	} finally {
		if (code !== 0) {
			if (!before.developmentKeys) rmSync(developmentKeys, { force: true });
			if (!before.dataDir) removeIfEmpty(config.dataDir);
		}
	}
}

/** Removes a directory when it is empty; leaves it otherwise. */
function removeIfEmpty(directory: string): void {
	try {
		if (readdirSync(directory).length === 0) rmdirSync(directory);
	} catch {
		// Gone already, or not ours to remove: leave it.
	}
}

/** {@link runRestoreCommand} without the clean-up of a refusal. */
async function restore(config: Config, file: string | null, options: BackupOptions, output: CommandOutput): Promise<number> {
	const live = resolve(config.dataDir, SQLITE_FILE);
	const sqlite = config.storage.databaseUrl === null;
	if (sqlite && isSqliteDatabaseInUse(live)) {
		output.err(`deadbolt: ${live} is open in another process: stop deadbolt (every "deadbolt serve" on this data directory) before restoring`);
		return 1;
	}
	if (file === null) {
		requireDatabase(config, "restore --already-restored");
		if (sqlite && inspectSqliteBackup(live).kind !== "deadbolt") {
			output.err(`deadbolt: ${live} is not a deadbolt database: run "restore --already-restored" with the configuration "deadbolt serve" uses`);
			return 1;
		}
		const deadbolt = await createDeadbolt(config);
		try {
			if (await refuseMissingKeys(deadbolt, sqlite ? live : "the restored database", output)) return EXIT.CONFIG;
			printReport(await deadbolt.secureRestoredDatabase(), {}, options, output);
		} finally {
			await deadbolt.close();
		}
		return 0;
	}
	if (!sqlite) {
		output.err(`deadbolt: "restore <file>" puts back a SQLite backup; this deadbolt uses PostgreSQL: restore with pg_restore, then run "deadbolt restore --already-restored" (docs/operations.md)`);
		return 1;
	}
	const inspection = inspectSqliteBackup(resolve(file));
	if (inspection.kind === "not_a_database") {
		output.err(`deadbolt: ${file} is not a readable SQLite database (${inspection.problem})`);
		return 1;
	}
	if (inspection.kind === "not_deadbolt") {
		output.err(`deadbolt: ${file} is a SQLite database, but not a deadbolt one`);
		return 1;
	}
	if (inspection.unknown.length > 0) {
		output.err(`deadbolt: ${file} comes from a newer deadbolt (schema ${inspection.migration}; unknown here: ${inspection.unknown.join(", ")}): restore it with that version or a later one`);
		return 1;
	}
	mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
	const staged = join(config.dataDir, `.${SQLITE_FILE}.restoring-${process.pid}`);
	try {
		await backupSqliteFile(resolve(file), staged, true);
		let deadbolt;
		try {
			// Migrates the copy forward and checks the configured keys against the backup's key check.
			deadbolt = await createDeadbolt(config, { sqlitePath: staged });
		} catch (error) {
			if (error instanceof ConfigInvalid) {
				output.err(`deadbolt: the configured keys do not open ${file}: a backup does not hold the keys; restore with the keys (DEADBOLT_ENCRYPTION_KEY or DEADBOLT_ENCRYPTION_KEYS, DEADBOLT_HMAC_KEY or DEADBOLT_HMAC_KEYS, or the development-keys.json of its data directory) of the deadbolt it was taken from. Nothing was changed.`);
				output.err(`  ${error.issues.join("\n  ")}`);
				return EXIT.CONFIG;
			}
			throw error;
		}
		let report;
		try {
			// Before anything is replaced: a backup whose secrets name a key the rings lack would be served with 503s.
			if (await refuseMissingKeys(deadbolt, file, output)) return EXIT.CONFIG;
			report = await deadbolt.secureRestoredDatabase();
		} finally {
			await deadbolt.close();
		}
		// Checked again: a deadbolt started meanwhile must not see its file replaced.
		if (isSqliteDatabaseInUse(live)) {
			output.err(`deadbolt: ${live} was opened by another process meanwhile: stop deadbolt and run the restore again. Nothing was changed.`);
			return 1;
		}
		const previous = replaceSqliteFile(live, staged, `${live}.before-restore-${fileTime(new Date())}`);
		printReport(report, { restored: `${file} (schema ${inspection.migration}${inspection.missing.length > 0 ? `, migrated forward to ${deadboltSchema(inspection)}` : ""}) into ${live}`, previous: previous === null ? null : `${previous} (delete it once the restore is checked: it holds the same kind of secrets)` }, options, output);
		return 0;
	} finally {
		rmSync(staged, { force: true });
		rmSync(`${staged}-wal`, { force: true });
		rmSync(`${staged}-shm`, { force: true });
	}
}

/** Where the operator puts a missing key back, for an id of a kind. */
function whereToAdd(kind: "encryption" | "hmac", keyId: string): string {
	const [single, ring] = kind === "encryption" ? ["keys.encryptionKey (DEADBOLT_ENCRYPTION_KEY)", "keys.encryptionKeys (DEADBOLT_ENCRYPTION_KEYS)"] : ["keys.hmacKey (DEADBOLT_HMAC_KEY)", "keys.hmacKeys (DEADBOLT_HMAC_KEYS)"];
	return keyId === "default" ? `put it back as ${single}, or as "default" in ${ring}` : `put it back in ${ring} as "${keyId}"`;
}

/**
 * Refuses a database whose sealed secrets or recovery codes name key ids the configured rings lack
 * (served as it is, they would fail with 503 `ERR_KEY_UNAVAILABLE`): prints each missing id, what
 * depends on it, and what to do (docs/operations.md, "Backups and restore").
 * @param what - the file or database named in the message
 * @returns true when it refused (the caller exits 78 and changes nothing)
 */
async function refuseMissingKeys(deadbolt: Deadbolt, what: string, output: CommandOutput): Promise<boolean> {
	const missing = await deadbolt.keysMissingFromRings();
	if (missing.length === 0) return false;
	const ids = missing.map((key) => `${key.kind === "encryption" ? "encryption" : "HMAC"} key "${key.keyId}"`);
	output.err(`deadbolt: ${what} needs keys this configuration does not hold: ${ids.join(", ")}. Nothing was changed.`);
	for (const key of missing) {
		const uses = key.kind === "encryption" ? Object.entries(key.sealedValues).map(([source, count]) => `${source}: ${count}`).join(", ") : `${key.recoveryCodes} unused recovery code(s) of ${key.accounts} account(s)`;
		output.err(`  ${key.kind === "encryption" ? "encryption" : "HMAC"} key "${key.keyId}" (${uses}): ${whereToAdd(key.kind, key.keyId)}`);
	}
	output.err(`Add the retired key(s) to the ring beside the current ones (the primary stays as it is), restore again, then run "deadbolt keys rotate" to re-seal under the primary; see docs/operations.md, "Backups and restore".`);
	return true;
}

/** The newest migration this deadbolt knows (the schema a restored file ends at). */
function deadboltSchema(inspection: { readonly missing: readonly string[] }): string {
	return inspection.missing.at(-1) ?? "latest";
}

type ParsedBackupOptions = CommonOptions & { readonly force?: boolean; readonly alreadyRestored?: boolean; readonly json?: boolean };

/** Runs `backup` or `restore` after its checks. */
async function runChecked(command: "backup" | "restore", words: readonly string[], parsed: ParsedBackupOptions): Promise<number> {
	const options: BackupOptions = { force: parsed.force, "already-restored": parsed.alreadyRestored, json: parsed.json };
	const problem = backupUsageProblem(command, words, options);
	if (problem !== null) throw new UsageError(problem);
	const config = loadCliConfig(parsed);
	return command === "backup" ? runBackupCommand(config, words[0] as string, options, STDIO) : runRestoreCommand(config, words[0] ?? null, options, STDIO);
}

/** Registers `backup <file>` and `restore <file> | --already-restored` on `program`. */
export function registerBackupCommands(program: Command): void {
	withCommonOptions(program.command("backup").description("Copy the SQLite database to <file> while deadbolt serves (consistent, atomic); on PostgreSQL: use pg_dump (docs/operations.md)"))
		.argument("<file>", "where the copy goes")
		.option("--force", "replace an existing file")
		.option("--json", "print JSON")
		.action(action(async (file: string, options: ParsedBackupOptions) => runChecked("backup", [file], options)));
	withCommonOptions(program.command("restore").description("Put a backup back (deadbolt stopped), then end every session, device, link and token and mail owners of recovery codes; --already-restored: only that step, after pg_restore or a snapshot"))
		.argument("[file]", "the backup file")
		.option("--already-restored", "run only the after-restore step on the configured database")
		.option("--json", "print JSON")
		.action(action(async (file: string | undefined, options: ParsedBackupOptions) => runChecked("restore", file === undefined ? [] : [file], options)));
}

/** A path with its directory's symbolic links resolved (the file itself may not exist yet). */
function realPathOf(path: string): string {
	try {
		return join(realpathSync(dirname(path)), basename(path));
	} catch {
		return path;
	}
}
