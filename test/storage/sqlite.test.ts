/**
 * The storage contract on SQLite (better-sqlite3): an in-memory database and a database file,
 * plus what only the SQLite opener does (parent directory, pragmas, reopening a file).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import SQLiteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { afterAll, describe, expect, test } from "vitest";
import { MIGRATIONS, migrationsAfter } from "../../src/storage/kysely/migrations/index.js";
import { openSqliteStore, STATEMENT_CACHE_SIZE, withStatementCache } from "../../src/storage/sqlite.js";
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
		const account = { id: "acct-1", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 2, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null };
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
			expect(raw.prepare("select name from kysely_migration order by name").all()).toEqual(Object.keys(MIGRATIONS).map((name) => ({ name })));
		} finally {
			raw.close();
		}
	}, 60_000);

	test("a database file left at 0001-initial is upgraded on opening: its data stays and the new tables work", async () => {
		const path = freshFilePath();
		await mkdir(dirname(path), { recursive: true });
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const initialOnly = new Migrator({
				db,
				provider: { getMigrations: () => Promise.resolve({ "0001-initial": MIGRATIONS["0001-initial"]! }) },
			});
			expect((await initialOnly.migrateToLatest()).error).toBeUndefined();
			await db.insertInto("account").values({ id: "acct-old", email: "old@example.com", password_hash: null, created_at: 1, updated_at: 2 }).execute();
		} finally {
			await db.destroy();
		}

		const store = await openSqliteStore({ path });
		try {
			expect(await store.accounts.findAccountById("acct-old")).toEqual({ id: "acct-old", email: "old@example.com", passwordHash: null, createdAt: 1, updatedAt: 2, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
			const device = { id: "dev-1", accountId: "acct-old", secretHash: "h", createdAt: 3, lastUsedAt: 3, expiresAt: 10, revokedAt: null, ipAddress: null, userAgent: null };
			await store.trustedDevices.insertTrustedDevice(device);
			expect(await store.trustedDevices.findTrustedDevice("dev-1")).toEqual(device);
			const event = { id: "evt-1", accountId: "acct-old", type: "login.succeeded", createdAt: 4, ipAddress: null, userAgent: null, details: "{}" };
			await store.securityEvents.insertSecurityEvent(event);
			expect(await store.securityEvents.listSecurityEvents("acct-old", 10)).toEqual([event]);
		} finally {
			await store.close();
		}
	});

	test("a database left at any earlier migration is upgraded on opening, and a login challenge then round-trips", async () => {
		const names = Object.keys(MIGRATIONS);
		for (let upTo = 1; upTo < names.length; upTo++) {
			const path = freshFilePath();
			await mkdir(dirname(path), { recursive: true });
			const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
			try {
				const earlier = Object.fromEntries(names.slice(0, upTo).map((name) => [name, MIGRATIONS[name]!]));
				expect((await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(earlier) } }).migrateToLatest()).error).toBeUndefined();
				await db.insertInto("account").values({ id: "acct", email: "a@example.com", password_hash: null, created_at: 1, updated_at: 1 }).execute();
			} finally {
				await db.destroy();
			}
			const store = await openSqliteStore({ path });
			try {
				const challenge = { id: `chal-${upTo}`, accountId: "acct", secretHash: "h", createdAt: 1, expiresAt: 10, attempts: 0, maxAttempts: 5, consumedAt: null, ipAddress: null, userAgent: null, firstFactor: "sign_in_link", purpose: "sign_in" as const };
				await store.loginChallenges.insertLoginChallenge(challenge);
				expect(await store.loginChallenges.findLoginChallenge(challenge.id), `upgraded from ${names[upTo - 1]}`).toEqual(challenge);
				expect((await store.accounts.findAccountById("acct"))?.emailVerifiedAt, `upgraded from ${names[upTo - 1]}`).toBeNull();
			} finally {
				await store.close();
			}
		}
		// One file per earlier migration, each migrated to the latest: grows with every migration.
	}, 60_000);

	test("migration 0009 goes down (its tables and account.email_verified_at go, the accounts stay) and up again", async () => {
		const path = freshFilePath();
		const store = await openSqliteStore({ path });
		await store.accounts.insertAccount({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: 5, groups: ["admins"], secondFactorMailConfirmedAt: null, disabledAt: null });
		await store.close();
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
			const down = await migrator.migrateTo("0008-recovery-code-lookup-prefix");
			expect(down.error).toBeUndefined();
			expect(down.results?.map((result) => result.migrationName)).toEqual(migrationsAfter("0008-recovery-code-lookup-prefix"));
			const tables = (await db.introspection.getTables()).map((table) => table.name);
			for (const table of ["delivery", "delivery_attempt", "webhook_endpoint", "email_token"]) expect(tables).not.toContain(table);
			expect(await db.selectFrom("account").selectAll().execute()).toEqual([{ id: "acct", email: "a@example.com", password_hash: null, created_at: 1, updated_at: 1 }]);
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
		} finally {
			await db.destroy();
		}
		const reopened = await openSqliteStore({ path });
		try {
			expect(await reopened.accounts.findAccountById("acct")).toEqual({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
			expect(await reopened.outbox.countDeliveriesByStatus()).toEqual({ pending: 0, delivered: 0, dead: 0 });
		} finally {
			await reopened.close();
		}
	});

	test("migration 0020 lowers the live AAL2 sessions of accounts without a confirmed TOTP credential to AAL1 (2FA was turned off in them), and no other", async () => {
		const path = freshFilePath();
		const store = await openSqliteStore({ path });
		for (const id of ["off", "on"]) await store.accounts.insertAccount({ id, email: `${id}@example.com`, passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: 5, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
		const session = (id: string, accountId: string, aal: number, amr: string, revokedAt: number | null = null) => ({ id, accountId, secretHash: `h-${id}`, aal, createdAt: 1, lastActiveAt: 1, expiresAt: 99, reauthenticatedAt: 1, revokedAt, ipAddress: null, userAgent: null, secondFactorAt: aal === 2 ? 1 : null, amr });
		await store.sessions.insertSession(session("kept-aal2", "off", 2, "pwd otp mfa"));
		await store.sessions.insertSession(session("revoked-aal2", "off", 2, "pwd otp mfa", 3));
		await store.sessions.insertSession(session("with-totp", "on", 2, "pwd otp mfa"));
		await store.sessions.insertSession(session("one-factor", "off", 1, "link"));
		await store.totpCredentials.replacePendingTOTPCredential({ id: "cred", accountId: "on", secretCiphertext: new Uint8Array([1]), algorithm: "SHA1", digits: 6, periodSeconds: 30, createdAt: 1, confirmedAt: null, expiresAt: 99, lastUsedStep: 0, enrollmentSessionId: null, name: null, lastUsedAt: null, purpose: null });
		expect(await store.totpCredentials.confirmTOTPCredential("cred", 1, 2, { replaceOthers: false })).toBe(true);
		await store.close();
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
			expect((await migrator.migrateTo("0019-key-rings")).error).toBeUndefined();
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
			const rows = await db.selectFrom("session").select(["id", "aal", "amr", "second_factor_at"]).orderBy("id").execute();
			expect(rows).toEqual([
				{ id: "kept-aal2", aal: 1, amr: "pwd", second_factor_at: null },
				{ id: "one-factor", aal: 1, amr: "link", second_factor_at: null },
				{ id: "revoked-aal2", aal: 2, amr: "pwd otp mfa", second_factor_at: 1 },
				{ id: "with-totp", aal: 2, amr: "pwd otp mfa", second_factor_at: 1 },
			]);
		} finally {
			await db.destroy();
		}
	});

	test("migration 0013 goes down (access_token goes, the accounts stay) and up again", async () => {
		const path = freshFilePath();
		const store = await openSqliteStore({ path });
		await store.accounts.insertAccount({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: 5, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
		await store.accessTokens.insertAccessToken({ id: "pat-1", accountId: "acct", name: "n", secretHash: "h", hosts: "[]", aal: 1, createdAt: 1, expiresAt: 2, lastUsedAt: null, lastUsedIp: null, revokedAt: null });
		await store.close();
		const before = Object.keys(MIGRATIONS).filter((name) => name < "0013-access-token").sort().at(-1)!;
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
			const down = await migrator.migrateTo(before);
			expect(down.error).toBeUndefined();
			expect(down.results?.map((result) => result.migrationName)).toEqual(migrationsAfter(before));
			expect((await db.introspection.getTables()).map((table) => table.name)).not.toContain("access_token");
			expect(await db.selectFrom("account").select("id").execute()).toEqual([{ id: "acct" }]);
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
		} finally {
			await db.destroy();
		}
		const reopened = await openSqliteStore({ path });
		try {
			expect(await reopened.accessTokens.listAccountAccessTokens("acct")).toEqual([]);
		} finally {
			await reopened.close();
		}
	});

	test("migration 0015 keeps every mailed link through the rebuild of email_token, accepts confirm_two_factor, and goes down without it", async () => {
		const path = freshFilePath();
		const store = await openSqliteStore({ path });
		await store.accounts.insertAccount({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: 5, groups: [], secondFactorMailConfirmedAt: 7, disabledAt: null });
		const link = { id: "tok-1", purpose: "verify_email" as const, accountId: "acct", email: "a@example.com", secretHash: "h", passwordHash: null, createdAt: 1, expiresAt: 99, consumedAt: null, secondFactorVerifiedAt: null, attempts: 0, ipAddress: "192.0.2.1" };
		await store.emailTokens.insertEmailToken(link);
		await store.emailTokens.insertEmailToken({ ...link, id: "tok-2", purpose: "confirm_two_factor" });
		await store.close();
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
			expect((await migrator.migrateTo("0014-session-apps")).error).toBeUndefined();
			expect(await db.selectFrom("email_token").select(["id", "purpose"]).execute()).toEqual([{ id: "tok-1", purpose: "verify_email" }]);
			// The narrower check is back: the purpose is refused by the schema itself.
			await expect(db.insertInto("email_token").values({ id: "tok-3", purpose: "confirm_two_factor", account_id: "acct", email: "a@example.com", secret_hash: "h", created_at: 1, expires_at: 2, attempts: 0 }).execute()).rejects.toThrow(/CHECK/);
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
			const indexes = (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'email_token' and name not like 'sqlite_%' order by name`.execute(db)).rows.map((row) => row.name);
			expect(indexes).toEqual(["email_token_account_id_purpose_created_at_idx", "email_token_expires_at_idx", "email_token_purpose_email_created_at_idx", "email_token_purpose_ip_address_created_at_idx"]);
		} finally {
			await db.destroy();
		}
		const reopened = await openSqliteStore({ path });
		try {
			expect(await reopened.emailTokens.findEmailToken("tok-1")).toEqual(link);
			expect((await reopened.accounts.findAccountById("acct"))?.secondFactorMailConfirmedAt).toBeNull();
			await reopened.emailTokens.insertEmailToken({ ...link, id: "tok-4", purpose: "confirm_two_factor" });
			expect((await reopened.emailTokens.findEmailToken("tok-4"))?.purpose).toBe("confirm_two_factor");
			// Deleting the account still takes its links (the foreign key survived the rebuild).
			expect(await reopened.accounts.deleteAccount("acct")).toBe(true);
			expect(await reopened.emailTokens.findEmailToken("tok-1")).toBeNull();
		} finally {
			await reopened.close();
		}
	});

	test("migration 0018 backfills the account's one replay record from its authenticator (no used code becomes usable again), and goes down to one authenticator", async () => {
		const path = freshFilePath();
		const before = Object.keys(MIGRATIONS).filter((name) => name < "0018-authenticators").sort().at(-1)!;
		await mkdir(dirname(path), { recursive: true });
		const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
		try {
			const earlier = Object.fromEntries(Object.keys(MIGRATIONS).filter((name) => name <= before).map((name) => [name, MIGRATIONS[name]!]));
			expect((await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(earlier) } }).migrateToLatest()).error).toBeUndefined();
			for (const id of ["with", "without"]) await db.insertInto("account").values({ id, email: `${id}@example.com`, password_hash: null, created_at: 1, updated_at: 1 }).execute();
			const credential = { account_id: "with", secret_ciphertext: Buffer.from([1]), algorithm: "SHA1", digits: 6, period_seconds: 30, created_at: 1, enrollment_session_id: null };
			await db.insertInto("totp_credential").values({ ...credential, id: "c1", confirmed_at: 2, expires_at: null, last_used_step: 56_000_123 }).execute();
			await db.insertInto("totp_credential").values({ ...credential, id: "p1", confirmed_at: null, expires_at: 99, last_used_step: -1 }).execute();
			const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
			expect(await db.selectFrom("account").select(["id", "totp_replay_until_ms"]).orderBy("id").execute()).toEqual([
				{ id: "with", totp_replay_until_ms: (56_000_123 + 1) * 30_000 },
				{ id: "without", totp_replay_until_ms: 0 },
			]);
			// A second authenticator, then down: the newest confirmed one stays, with the account's record.
			await db.insertInto("totp_credential").values({ ...credential, id: "c2", confirmed_at: 3, expires_at: null, last_used_step: 5, name: "second" }).execute();
			await db.updateTable("account").set({ totp_replay_until_ms: (56_000_200 + 1) * 30_000 }).where("id", "=", "with").execute();
			expect((await migrator.migrateTo(before)).error).toBeUndefined();
			expect(await db.selectFrom("totp_credential").select(["id", "last_used_step"]).orderBy("id").execute()).toEqual([
				{ id: "c2", last_used_step: 56_000_200 },
				{ id: "p1", last_used_step: -1 },
			]);
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
		} finally {
			await db.destroy();
		}
	});

	test("an unopenable path fails as StorageUnavailable", async () => {
		// A directory cannot be opened as a database file.
		await expect(openSqliteStore({ path: scratch })).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
	});
});

describe("SQLite prepared-statement cache", () => {
	test("the same SQL gets the same statement, one busy iterating gets a fresh one, and the least recently used are dropped", () => {
		const raw = new SQLiteDatabase(":memory:");
		const database = withStatementCache(raw);
		try {
			raw.exec("create table t (n integer)");
			const insert = database.prepare("insert into t (n) values (?)");
			for (let n = 1; n <= 3; n++) expect(insert.run([n]).changes).toBe(1);
			expect(database.prepare("insert into t (n) values (?)")).toBe(insert);

			const select = database.prepare("select n from t order by n");
			const rows = select.iterate([]);
			expect(rows.next().value).toEqual({ n: 1 });
			// While `select` is still iterating, the same SQL must not hand it out again.
			const other = database.prepare("select n from t order by n");
			expect(other).not.toBe(select);
			expect(other.all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
			expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
			expect(database.prepare("select n from t order by n")).toBe(select);

			// `insert` was prepared first but used last: filling the cache drops `select` (used least recently).
			expect(database.prepare("insert into t (n) values (?)")).toBe(insert);
			for (let i = 0; i < STATEMENT_CACHE_SIZE - 1; i++) database.prepare(`select ${i} as n`);
			expect(database.prepare("insert into t (n) values (?)")).toBe(insert);
			expect(database.prepare("select n from t order by n")).not.toBe(select);
		} finally {
			database.close();
		}
		expect(raw.open).toBe(false);
	});
});
