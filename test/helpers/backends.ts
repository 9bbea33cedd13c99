/**
 * The databases service tests run on: SQLite (in memory) always, and the real PostgreSQL of
 * this machine when it answers (`DEADBOLT_TEST_DATABASE_URL`), in a schema of its own per test
 * file, dropped at the end. The storage suite (test/storage/postgres.test.ts) is the one that
 * fails on CI when PostgreSQL is missing.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";

/** A database to run a suite on. */
export interface Backend {
	readonly name: string;
	open(): Promise<Store>;
}

const connectionString = process.env["DEADBOLT_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

async function reachable(): Promise<boolean> {
	const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
	try {
		await client.connect();
		return true;
	} catch {
		return false;
	} finally {
		await client.end().catch(() => {});
	}
}

/** The backends of this machine; call once per test file (top level). */
export async function testBackends(): Promise<Backend[]> {
	const backends: Backend[] = [{ name: "SQLite", open: () => openSqliteStore({ path: ":memory:" }) }];
	if (await reachable()) {
		const schema = `deadbolt_svc_${randomBytes(6).toString("hex")}`;
		afterAll(async () => {
			const client = new pg.Client({ connectionString });
			await client.connect();
			await client.query(`drop schema if exists "${schema}" cascade`);
			await client.end();
		});
		backends.push({ name: "PostgreSQL", open: () => openPostgresStore({ connectionString, schema, poolSize: 10 }) });
	} else {
		console.warn("[service] PostgreSQL unreachable: service tests run on SQLite only");
	}
	return backends;
}
