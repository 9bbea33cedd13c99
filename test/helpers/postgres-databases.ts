/**
 * Databases of their own on the machine's shared PostgreSQL server
 * (`DEADBOLT_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`): tests that
 * start real `deadbolt` processes give them a plain URL, as an operator would, so each run
 * creates a database `deadbolt_it_<random>` (needs the CREATEDB privilege) and drops it after.
 *
 * A suite whose server is missing follows test/helpers/requirements.ts ({@link unreachablePostgres}):
 * skipped with one line, except on CI (`CI=true`), where it fails.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Unmet } from "./requirements.js";

/** The shared server's URL (a database on it that exists; others are created beside it). */
export const TEST_DATABASE_URL = process.env["DEADBOLT_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** How long a helper connection may take to open, in milliseconds. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Tries one connection.
 * @returns null when it works, else the reason
 */
export async function probePostgres(url: string): Promise<string | null> {
	try {
		await withClient(url, (client) => client.query("select 1"));
		return null;
	} catch (error) {
		return error instanceof Error ? error.message || error.name : String(error);
	}
}

/** Runs `work` on a short-lived client of `url`. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
	client.on("error", () => {});
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end().catch(() => {});
	}
}

/** A database created for one test run. */
export interface TestDatabase {
	readonly name: string;
	/** Its URL: the server's URL with the database name replaced. */
	readonly url: string;
	/** Drops it, ending any connection still open to it. */
	drop(): Promise<void>;
}

/**
 * Creates an empty database `<prefix>_<random>` next to the one of `serverUrl` (from `template0`,
 * so other sessions on `template1` cannot make it fail).
 * @param serverUrl - default {@link TEST_DATABASE_URL}
 */
export async function createTestDatabase(prefix = "deadbolt_it", serverUrl = TEST_DATABASE_URL): Promise<TestDatabase> {
	const name = `${prefix}_${randomBytes(6).toString("hex")}`;
	await withClient(serverUrl, (client) => client.query(`create database "${name}" template template0`));
	const url = new URL(serverUrl);
	url.pathname = `/${name}`;
	return {
		name,
		url: url.toString(),
		drop: () => withClient(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
	};
}

/**
 * What is unmet when the PostgreSQL server at `url` cannot be used, and how to point the tests at one.
 * @param reason - why the connection failed ({@link probePostgres})
 */
export function unreachablePostgres(url: string, reason: string): Unmet {
	return {
		missing: `no PostgreSQL answers at ${redactURL(url)} (${reason})`,
		enable: "DEADBOLT_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE npm test (USER may create databases)",
	};
}

/** A URL without its password, for messages. */
export function redactURL(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password !== "") parsed.password = "***";
		return parsed.toString();
	} catch {
		return "(unparseable URL)";
	}
}
