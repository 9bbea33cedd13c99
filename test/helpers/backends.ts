/**
 * The databases service tests run on: SQLite (in memory) always, and the real PostgreSQL of
 * this machine when it answers (`DEADBOLT_TEST_DATABASE_URL`), in a schema of its own per test
 * file, dropped at the end. Without it each file says in one line that its PostgreSQL half was
 * skipped and how to enable it; when `CI=true` it fails instead (test/helpers/requirements.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { probePostgres, unreachablePostgres } from "./postgres-databases.js";
import { describeWhen } from "./requirements.js";

/** A database to run a suite on. */
export interface Backend {
	readonly name: string;
	open(): Promise<Store>;
	/**
	 * `count` stores on ONE database, each with its own connections, as `count` deadbolt processes
	 * open it (opened one after the other: the first runs the migrations). SQLite: a new file in a
	 * temporary directory (removed after the file's tests); PostgreSQL: the file's schema.
	 */
	openInstances(count: number): Promise<Store[]>;
}

async function openEach(count: number, open: () => Promise<Store>): Promise<Store[]> {
	const stores: Store[] = [];
	for (let i = 0; i < count; i++) stores.push(await open());
	return stores;
}

const connectionString = process.env["DEADBOLT_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** The backends of this machine; call once per test file (top level). */
export async function testBackends(): Promise<Backend[]> {
	const directories: string[] = [];
	afterAll(() => {
		for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
	});
	const backends: Backend[] = [
		{
			name: "SQLite",
			open: () => openSqliteStore({ path: ":memory:" }),
			openInstances: (count) => {
				const dir = mkdtempSync(join(tmpdir(), "deadbolt-svc-"));
				directories.push(dir);
				return openEach(count, () => openSqliteStore({ path: join(dir, "deadbolt.sqlite") }));
			},
		},
	];
	const unreachable = await probePostgres(connectionString);
	if (unreachable === null) {
		const schema = `deadbolt_svc_${randomBytes(6).toString("hex")}`;
		afterAll(async () => {
			const client = new pg.Client({ connectionString });
			await client.connect();
			await client.query(`drop schema if exists "${schema}" cascade`);
			await client.end();
		});
		const open = () => openPostgresStore({ connectionString, schema, poolSize: 10 });
		backends.push({ name: "PostgreSQL", open, openInstances: (count) => openEach(count, open) });
	} else {
		const testFile = expect.getState().testPath;
		describeWhen(`${testFile === undefined ? "these tests" : basename(testFile)} on PostgreSQL`, unreachablePostgres(connectionString, unreachable), () => {
			test("run on PostgreSQL as on SQLite", () => {});
		});
	}
	return backends;
}
