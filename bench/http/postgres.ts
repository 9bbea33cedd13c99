/**
 * The PostgreSQL side of the HTTP benchmarks: whether the server at DEADBOLT_TEST_DATABASE_URL
 * answers, and fresh databases beside it (`deadbolt_bench_<random>`, made from template0 and
 * dropped after; the role needs CREATEDB).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server the benchmarks create their databases on. */
export const POSTGRES_URL = process.env["DEADBOLT_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Runs `fn` with a client of {@link POSTGRES_URL}'s database, closed after. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
	client.on("error", () => {});
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => {});
	}
}

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresUnreachable(): Promise<string | null> {
	try {
		await withAdmin((client) => client.query("select 1"));
		return null;
	} catch (error) {
		return (error as Error).message || String(error);
	}
}

/** `url` without its password. */
export function redact(url: string): string {
	return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** A new database name, `deadbolt_bench_<12 hex digits>`. */
export function benchDatabaseName(): string {
	return `deadbolt_bench_${randomBytes(6).toString("hex")}`;
}

/** The URL of database `name` on the server of {@link POSTGRES_URL}. */
export function databaseUrl(name: string): string {
	const url = new URL(POSTGRES_URL);
	url.pathname = `/${name}`;
	return url.toString();
}

/** Creates the databases `names` (from template0: another session on template1 cannot make it fail). */
export function createDatabases(names: readonly string[]): Promise<void> {
	return withAdmin(async (client) => {
		for (const name of names) await client.query(`create database "${name}" template template0`);
	});
}

/** Drops the databases `names` (and ends their sessions). */
export function dropDatabases(names: readonly string[]): Promise<void> {
	return withAdmin(async (client) => {
		for (const name of names) await client.query(`drop database if exists "${name}" with (force)`);
	});
}

/** What to undo when the benchmark is interrupted (Ctrl-C reaches the servers too), or nothing. */
let undoOnInterrupt: (() => Promise<unknown>) | null = null;
let interruptHandled = false;

/**
 * Sets what an interruption (SIGINT) undoes before the process exits with 130: dropping the
 * databases made so far; null: nothing.
 */
export function onInterrupt(undo: (() => Promise<unknown>) | null): void {
	undoOnInterrupt = undo;
	if (interruptHandled) return;
	interruptHandled = true;
	process.once("SIGINT", () => {
		const pending = undoOnInterrupt ?? (() => Promise.resolve());
		void pending()
			.catch(() => {})
			.finally(() => process.exit(130));
	});
}
