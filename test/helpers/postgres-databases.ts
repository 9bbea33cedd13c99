/**
 * Databases of their own on the machine's shared PostgreSQL server
 * (`DEADBOLT_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`): tests that
 * start real `deadbolt` processes give them a plain URL, as an operator would, so each run
 * creates a database `deadbolt_it_<random>` (needs the CREATEDB privilege) and drops it after.
 *
 * {@link describeWhen} keeps the rule of the storage suite: a suite whose server is missing is
 * skipped with a message, except on CI (`CI=true`), where it fails.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, test } from "vitest";

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
 * Declares a suite that needs something the machine may lack: with `missing` null it is an
 * ordinary `describe`; otherwise it is skipped with the reason, or, when `CI=true`, replaced by
 * one failing test (a suite that did not run proves nothing).
 */
export function describeWhen(title: string, missing: string | null, body: () => void): void {
	if (missing === null) {
		describe(title, body);
	} else if (process.env["CI"] === "true") {
		test(`${title}: what it needs is available (required when CI=true)`, () => {
			throw new Error(missing);
		});
	} else {
		console.warn(`[${title}] skipped: ${missing}`);
		describe.skip(`${title} (skipped: ${missing})`, body);
	}
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
