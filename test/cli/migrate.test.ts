/**
 * `deadbolt migrate` says what it did, as an operator runs it (the built CLI; `npm run build`
 * first): on a new database one `applied: <name>` line per migration, in order, then where the
 * schema stands; run again, "already up to date" and nothing applied. On SQLite and on PostgreSQL
 * (`DEADBOLT_DATABASE_URL`).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/storage/kysely/migrations/index.js";
import { runCLI } from "../helpers/cli-process.js";
import { createTestDatabase, probePostgres, TEST_DATABASE_URL, unreachablePostgres, type TestDatabase } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const NAMES = Object.keys(MIGRATIONS);
const LATEST = NAMES.at(-1) as string;
const unreachable = await probePostgres(TEST_DATABASE_URL);
const work = mkdtempSync(join(tmpdir(), "deadbolt-migrate-"));
const databases: TestDatabase[] = [];

afterAll(async () => {
	for (const database of databases) await database.drop();
	rmSync(work, { recursive: true, force: true });
});

/** Runs migrate twice on `env`'s database, new at first, and checks what each run printed. */
async function migrateTwice(env: Record<string, string>, dialect: "sqlite" | "postgres"): Promise<void> {
	const first = await runCLI(["migrate"], env);
	expect(first.code, first.stderr).toBe(0);
	const lines = first.stdout.trim().split("\n");
	expect(lines.slice(0, -1)).toEqual(NAMES.map((name) => `applied: ${name}`));
	expect(lines.at(-1)).toBe(`migrations: up to date (${dialect}, schema ${LATEST}; ${NAMES.length} applied now)`);
	const second = await runCLI(["migrate"], env);
	expect(second.code, second.stderr).toBe(0);
	expect(second.stdout.trim()).toBe(`migrations: already up to date (${dialect}, schema ${LATEST}; none applied)`);
}

describe("deadbolt migrate (SQLite)", () => {
	it("lists the migrations it applied to a new database, then says it is already up to date", { timeout: 60_000 }, async () => {
		const dataDir = join(work, "data");
		await migrateTwice({ DEADBOLT_DATA_DIR: dataDir }, "sqlite");
		expect(statSync(join(dataDir, "deadbolt.sqlite")).mode & 0o777).toBe(0o600);
	});
});

describeWhen("deadbolt migrate (PostgreSQL)", unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable), () => {
	it("lists the migrations it applied to a new database, then says it is already up to date", { timeout: 60_000 }, async () => {
		const database = await createTestDatabase("deadbolt_migrate");
		databases.push(database);
		await migrateTwice({ DEADBOLT_DATA_DIR: join(work, "unused"), DEADBOLT_DATABASE_URL: database.url }, "postgres");
	});
});
