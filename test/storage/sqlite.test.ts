/**
 * The storage contract on SQLite (better-sqlite3): an in-memory database and a database file,
 * plus what only the SQLite opener does (parent directory, pragmas, reopening a file).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import SQLiteDatabase from "better-sqlite3";
import { afterAll, describe, expect, test } from "vitest";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { describeStoreContract } from "./store-contract.js";

const scratch = await mkdtemp(join(tmpdir(), "deadbolt-sqlite-"));
let fileCount = 0;

/** A path for a new database file inside a not-yet-existing directory of the scratch folder. */
function freshFilePath(): string {
	fileCount += 1;
	return join(scratch, `run-${fileCount}`, "nested", "deadbolt.sqlite");
}

afterAll(async () => {
	await rm(scratch, { recursive: true, force: true });
});

describeStoreContract("SQLite :memory:", () => openSqliteStore({ path: ":memory:" }));
describeStoreContract("SQLite file", () => openSqliteStore({ path: freshFilePath() }));

describe("SQLite opener", () => {
	test("a file store creates its parent directory, uses WAL and foreign keys, and keeps data across reopening", async () => {
		const path = freshFilePath();
		let store: Store = await openSqliteStore({ path });
		const account = { id: "acct-1", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 2 };
		expect(store.dialect).toBe("sqlite");
		expect(await store.accounts.insertAccount(account)).toBe(true);
		await store.close();

		const raw = new SQLiteDatabase(path, { readonly: true });
		try {
			expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
		} finally {
			raw.close();
		}

		// Reopening runs the migrations again: there is nothing left to do, and the data is there.
		store = await openSqliteStore({ path });
		try {
			expect(await store.accounts.findAccountById("acct-1")).toEqual(account);
		} finally {
			await store.close();
		}
	});

	test("several processes opening the same new file at once all succeed, and the schema is migrated once", async () => {
		const path = freshFilePath();
		const opener = fileURLToPath(new URL("../../src/storage/sqlite.ts", import.meta.url));
		const script = [
			`import { openSqliteStore } from ${JSON.stringify(opener)};`,
			`const store = await openSqliteStore({ path: ${JSON.stringify(path)} });`,
			"await store.ping();",
			"await store.close();",
			"console.log('opened');",
		].join("\n");
		const runs = Array.from({ length: 4 }, () =>
			promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { timeout: 30_000 }),
		);
		const outputs = await Promise.all(runs);
		expect(outputs.map((output) => output.stdout.trim())).toEqual(["opened", "opened", "opened", "opened"]);

		const raw = new SQLiteDatabase(path, { readonly: true });
		try {
			expect(raw.prepare("select name from kysely_migration").all()).toEqual([{ name: "0001-initial" }]);
		} finally {
			raw.close();
		}
	}, 60_000);

	test("an unopenable path fails as StorageUnavailable", async () => {
		// A directory cannot be opened as a database file.
		await expect(openSqliteStore({ path: scratch })).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
	});
});
