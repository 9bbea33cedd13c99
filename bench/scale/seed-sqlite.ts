/**
 * Bulk seeding of a SQLite database for `npm run bench:scale`: straight into deadbolt's schema
 * (already migrated by deadbolt's own `migrateConfiguredDatabase`) with better-sqlite3 prepared
 * multi-row INSERTs in large transactions. For the load only: the journal in memory, no fsync, foreign keys
 * unchecked (the rows are consistent by construction), the secondary indexes dropped first and
 * made again after (one sort each instead of millions of random inserts); then the file is back in
 * WAL mode, as deadbolt keeps it.
 */
import SQLiteDatabase from "better-sqlite3";
import { ACCOUNT_COLUMNS, accountBatches, EVENT_COLUMNS, eventBatches, SESSION_COLUMNS, TOTP_COLUMNS, type Columns, type SeedPlan } from "./rows.js";

/** Rows per INSERT statement (8 to 12 columns each: well under SQLite's 32,766 parameters). */
const ROWS_PER_STATEMENT = 200;
const ACCOUNT_BATCH = 50_000;
const EVENT_BATCH = 500_000;

/** Inserts column batches into one table with a prepared multi-row INSERT. */
class BulkInsert {
	readonly #database: SQLiteDatabase.Database;
	readonly #table: string;
	readonly #columns: readonly string[];
	readonly #many: SQLiteDatabase.Statement;
	#rows = 0;

	constructor(database: SQLiteDatabase.Database, table: string, columns: readonly string[]) {
		this.#database = database;
		this.#table = table;
		this.#columns = columns;
		this.#many = this.#prepare(ROWS_PER_STATEMENT);
	}

	#prepare(rows: number): SQLiteDatabase.Statement {
		const tuple = `(${this.#columns.map(() => "?").join(", ")})`;
		return this.#database.prepare(`insert into "${this.#table}" (${this.#columns.map((name) => `"${name}"`).join(", ")}) values ${Array.from({ length: rows }, () => tuple).join(", ")}`);
	}

	get rows(): number {
		return this.#rows;
	}

	insert(columns: Columns): void {
		const count = (columns[0] as unknown[]).length;
		const width = columns.length;
		const params: unknown[] = new Array<unknown>(ROWS_PER_STATEMENT * width);
		let row = 0;
		for (; row + ROWS_PER_STATEMENT <= count; row += ROWS_PER_STATEMENT) {
			let at = 0;
			for (let r = row; r < row + ROWS_PER_STATEMENT; r++) for (let c = 0; c < width; c++) params[at++] = (columns[c] as unknown[])[r];
			this.#many.run(params);
		}
		if (row < count) {
			const rest = count - row;
			const tail: unknown[] = [];
			for (let r = row; r < count; r++) for (let c = 0; c < width; c++) tail.push((columns[c] as unknown[])[r]);
			this.#prepare(rest).run(tail);
		}
		this.#rows += count;
	}
}

/** What a seeding did. */
export interface SeedReport {
	readonly accounts: number;
	readonly totpCredentials: number;
	readonly sessions: number;
	readonly events: number;
	readonly seconds: number;
}

/**
 * Seeds the migrated SQLite database at `file` with `plan`.
 * @param log - progress lines
 */
export function seedSqlite(file: string, plan: SeedPlan, log: (line: string) => void): SeedReport {
	const start = performance.now();
	const database = new SQLiteDatabase(file);
	try {
		// Out of WAL for the load; the rollback journal in memory (better-sqlite3's defensive mode refuses OFF).
		database.pragma("journal_mode = DELETE");
		database.pragma("journal_mode = MEMORY");
		database.pragma("synchronous = OFF");
		database.pragma("locking_mode = EXCLUSIVE");
		database.pragma("foreign_keys = OFF");
		database.pragma("cache_size = -2000000");
		database.pragma("temp_store = MEMORY");
		const tables = ["account", "totp_credential", "session", "security_event"];
		const indexes = database
			.prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${tables.map(() => "?").join(", ")})`)
			.all(...tables) as { name: string; sql: string }[];
		for (const index of indexes) database.exec(`drop index "${index.name}"`);

		const accounts = new BulkInsert(database, "account", ACCOUNT_COLUMNS);
		const totp = new BulkInsert(database, "totp_credential", TOTP_COLUMNS);
		const sessions = new BulkInsert(database, "session", SESSION_COLUMNS);
		const events = new BulkInsert(database, "security_event", EVENT_COLUMNS);
		const ids: string[] = [];
		for (const batch of accountBatches(plan, ACCOUNT_BATCH, ids)) {
			database.transaction(() => {
				accounts.insert(batch.accounts);
				totp.insert(batch.totp);
				sessions.insert(batch.sessions);
			})();
		}
		log(`${accounts.rows.toLocaleString("en-US")} accounts, ${totp.rows.toLocaleString("en-US")} TOTP authenticators, ${sessions.rows.toLocaleString("en-US")} sessions in ${((performance.now() - start) / 1000).toFixed(1)} s`);
		for (const batch of eventBatches(plan, EVENT_BATCH, ids)) database.transaction(() => events.insert(batch))();
		log(`${events.rows.toLocaleString("en-US")} activity rows at ${((performance.now() - start) / 1000).toFixed(1)} s`);
		for (const index of indexes) database.exec(index.sql);
		log(`${indexes.length} indexes made again at ${((performance.now() - start) / 1000).toFixed(1)} s`);
		database.pragma("locking_mode = NORMAL");
		database.pragma("journal_mode = WAL");
		return { accounts: accounts.rows, totpCredentials: totp.rows, sessions: sessions.rows, events: events.rows, seconds: (performance.now() - start) / 1000 };
	} finally {
		database.close();
	}
}
