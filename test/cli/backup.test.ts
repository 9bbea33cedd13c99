/**
 * `deadbolt backup` and `deadbolt restore` as an operator runs them: real `deadbolt serve`
 * processes, the built CLI (`npm run build` first), real HTTP (docs/operations.md, "Backups and
 * restore"). A backup taken while the server writes is consistent; restored into a NEW instance
 * (a new data directory, the same keys) it lets its users sign in with an authenticator code
 * (computed by oathtool) and with a recovery code, while every session from before is refused and
 * the owners of recovery codes are mailed. The refusals leave the live database as it was.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { Migrator } from "kysely/migration";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MIGRATIONS } from "../../src/storage/kysely/migrations/index.js";
import { apiClient, type APIClient } from "../helpers/api-client.js";
import { expectAnswer, passwordStep, signUp, signUpWith2FA, type SignedUpWith2FA } from "../helpers/api-flows.js";
import { authenticatorCode } from "../helpers/authenticator-codes.js";
import { runCLI, startServe, stopAllCLIProcesses } from "../helpers/cli-process.js";
import { eventually, readMails } from "../helpers/delivery-processes.js";
import { createTestDatabase, probePostgres, TEST_DATABASE_URL, unreachablePostgres, type TestDatabase } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const LATEST = Object.keys(MIGRATIONS).at(-1) as string;
const KEYS = { DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"), DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64") };
const unreachable = await probePostgres(TEST_DATABASE_URL);
const postgresMissing = unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable);

let work = "";
const databases: TestDatabase[] = [];

beforeAll(() => {
	work = mkdtempSync(join(tmpdir(), "deadbolt-backup-"));
});

afterAll(async () => {
	await stopAllCLIProcesses();
	for (const database of databases) await database.drop();
	rmSync(work, { recursive: true, force: true });
});

/** The environment of an instance with a data directory of its own (SQLite), or on `databaseUrl`. */
function instance(keys: Record<string, string> = KEYS, databaseUrl: string | null = null): Record<string, string> {
	const dir = mkdtempSync(join(work, "instance-"));
	const file = join(dir, "deadbolt.json");
	writeFileSync(file, JSON.stringify({ rateLimit: { perMinute: 10_000 } }));
	return {
		DEADBOLT_CONFIG_FILE: file,
		DEADBOLT_DATA_DIR: join(dir, "data"),
		DEADBOLT_LOG_LEVEL: "info",
		DEADBOLT_HTTP_PORT: "0",
		...keys,
		...(databaseUrl === null ? {} : { DEADBOLT_DATABASE_URL: databaseUrl }),
	};
}

const databaseOf = (env: Record<string, string>): string => join(env["DEADBOLT_DATA_DIR"] as string, "deadbolt.sqlite");

/** Marks the address verified in the database (what the verification link does), so that alerts go to it. */
function markVerified(env: Record<string, string>, email: string): void {
	const database = new SQLiteDatabase(databaseOf(env), { timeout: 5_000 });
	try {
		database.prepare("update account set email_verified_at = ? where email = ?").run(Date.now(), email);
	} finally {
		database.close();
	}
}

/**
 * Signs in with the password and the NEXT step's code (the setup used the current one, and the
 * restored database remembers it: a step is accepted once). @returns the new session's token
 */
async function signInWithCode(api: APIClient, email: string, code: string): Promise<string> {
	const challengeToken = await passwordStep(api, email);
	const answer = await api.post("/api/v1/login/totp", { body: { challengeToken, code } });
	expectAnswer(answer, 200);
	expect(answer.body.status).toBe("authenticated");
	return answer.body.session.token;
}

async function signInWithRecoveryCode(api: APIClient, account: SignedUpWith2FA, code: string): Promise<void> {
	const challengeToken = await passwordStep(api, account.email);
	expectAnswer(await api.post("/api/v1/login/recovery-code", { body: { challengeToken, code } }), 200);
}

describe("deadbolt backup and restore (SQLite)", () => {
	let source: Record<string, string>;
	let backup = "";
	let withCodes: SignedUpWith2FA;
	let secret = "";
	let withoutCodes: { email: string; token: string };

	test("a backup taken while the server is writing is consistent, written once, replaced only with --force", { timeout: 240_000 }, async () => {
		source = instance();
		const server = await startServe(source);
		const api = apiClient(server.url);
		const begun = await signUp(api);
		const setup = await api.post("/api/v1/two-factor/totp/enrollment", { token: begun.token, body: { password: "correct horse battery staple" } });
		expectAnswer(setup, 201);
		secret = new URL(setup.body.keyUri).searchParams.get("secret") as string;
		const confirmed = await api.post("/api/v1/two-factor/totp/enrollment/confirm", { token: setup.body.session.token, body: { code: authenticatorCode(secret, Date.now()) } });
		expectAnswer(confirmed, 200);
		withCodes = { ...begun, token: confirmed.body.session.token, recoveryCodes: confirmed.body.recoveryCodes, authenticator: null as never };
		withoutCodes = await signUp(api);
		markVerified(source, withCodes.email);
		markVerified(source, withoutCodes.email);

		// Sign-ups keep writing (an account and its account.created event in one transaction) while the backup runs.
		let writing = true;
		let written = 0;
		const writer = (async () => {
			while (writing) {
				await signUp(api);
				written++;
			}
		})();
		await eventually(() => (written >= 2 ? true : undefined), "sign-ups under way");
		backup = join(work, "deadbolt-backup.sqlite");
		const made = await runCLI(["backup", backup], source);
		const writtenDuringBackup = written;
		writing = false;
		await writer;
		expect(made.code, made.stderr).toBe(0);
		expect(made.stdout).toContain(`schema ${LATEST}`);
		expect(made.stdout).toContain("not the keys");
		expect(statSync(backup).mode & 0o777).toBe(0o600);
		expect(readdirSync(work).filter((name) => name.includes(".tmp"))).toEqual([]);

		const copy = new SQLiteDatabase(backup, { readonly: true });
		try {
			expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
			expect(copy.pragma("journal_mode", { simple: true })).toBe("delete");
			const accounts = (copy.prepare("select count(*) as n from account").get() as { n: number }).n;
			// Each account came with its event in one transaction: a consistent copy has both or neither.
			const orphans = copy.prepare("select count(*) as n from account a where not exists (select 1 from security_event e where e.account_id = a.id and e.type = 'account.created')").get() as { n: number };
			expect(orphans.n).toBe(0);
			expect(accounts).toBeGreaterThanOrEqual(4);
			expect(accounts).toBeLessThanOrEqual(2 + writtenDuringBackup + 2);
		} finally {
			copy.close();
		}

		const before = readFileSync(backup);
		const again = await runCLI(["backup", backup], source);
		expect(again.code).toBe(1);
		expect(again.stderr).toContain("--force");
		expect(readFileSync(backup).equals(before)).toBe(true);
		await signUp(api);
		const forced = await runCLI(["backup", backup, "--force"], source);
		expect(forced.code, forced.stderr).toBe(0);
		expect(readFileSync(backup).equals(before)).toBe(false);

		// A restore while deadbolt runs on the data directory is refused, and changes nothing.
		const live = readFileSync(databaseOf(source)).length;
		const refused = await runCLI(["restore", backup], source);
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain("stop deadbolt");
		expect(readdirSync(source["DEADBOLT_DATA_DIR"] as string).filter((name) => name.includes("before-restore") || name.includes("restoring"))).toEqual([]);
		expect(readFileSync(databaseOf(source)).length).toBe(live);
		await server.stop();
	});

	test("restored into a NEW instance (new data directory, same keys): a code and a recovery code sign in, sessions from before are refused, owners of recovery codes are mailed", { timeout: 240_000 }, async () => {
		const target = instance();
		const restored = await runCLI(["restore", backup], target);
		expect(restored.code, restored.stderr).toBe(0);
		expect(restored.stdout).toMatch(/accounts: \d+; ended: [1-9]\d* sessions/);
		expect(restored.stdout).toContain("1 accounts have recovery codes");
		expect(statSync(databaseOf(target)).mode & 0o777).toBe(0o600);
		expect(readdirSync(target["DEADBOLT_DATA_DIR"] as string).filter((name) => name.startsWith(".") || name.endsWith("-wal"))).toEqual([]);

		const server = await startServe(target);
		const api = apiClient(server.url);
		// Sessions from before the backup are refused.
		expectAnswer(await api.get("/api/v1/session", { token: withCodes.token }), 401);
		expectAnswer(await api.get("/api/v1/session", { token: withoutCodes.token }), 401);
		// The TOTP secret (sealed in the backup) opens with the same keys; a recovery code works.
		const session = await signInWithCode(api, withCodes.email, authenticatorCode(secret, Date.now() + 30_000));
		await signInWithRecoveryCode(api, withCodes, withCodes.recoveryCodes[0] as string);
		// The owner of recovery codes is told; the other account is not (its activity has the event).
		const mails = await eventually(async () => {
			const found = (await readMails(join(target["DEADBOLT_DATA_DIR"] as string, "mail"))).filter((mail) => mail.subject?.includes("recovery codes"));
			return found.length > 0 ? found : undefined;
		}, "the backup_restored mail");
		expect(mails.map((mail) => mail.to && "text" in mail.to ? mail.to.text : "")).toEqual([withCodes.email]);
		expect(mails[0]?.text).toContain("restored from a backup");
		const events = await api.get("/api/v1/security-events", { token: session });
		expectAnswer(events, 200);
		expect(JSON.stringify(events.body)).toContain("backup.restored");
		await server.stop();
	});

	test("refused, changing nothing: a file that is not a database, a backup from a newer deadbolt, a backup made with other keys; an older one is migrated forward", { timeout: 240_000 }, async () => {
		const target = instance();
		const garbage = join(work, "not-a-database.sqlite");
		writeFileSync(garbage, "this is not SQLite".repeat(100));
		const notDatabase = await runCLI(["restore", garbage], target);
		expect(notDatabase.code).toBe(1);
		expect(notDatabase.stderr).toContain("not a readable SQLite database");

		const newer = join(work, "newer.sqlite");
		copyFileSync(backup, newer);
		const database = new SQLiteDatabase(newer);
		database.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run("9999-from-the-future", new Date().toISOString());
		database.close();
		const fromNewer = await runCLI(["restore", newer], target);
		expect(fromNewer.code).toBe(1);
		expect(fromNewer.stderr).toContain("newer deadbolt");
		expect(fromNewer.stderr).toContain("9999-from-the-future");

		const otherKeysTarget = instance({ DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"), DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64") });
		const otherKeys = await runCLI(["restore", backup], otherKeysTarget);
		expect(otherKeys.code).toBe(78);
		expect(otherKeys.stderr).toContain("do not open");
		expect(existsSync(databaseOf(target))).toBe(false);
		expect(existsSync(otherKeysTarget["DEADBOLT_DATA_DIR"] as string)).toBe(false);

		// Into a NEW data directory without keys: the development keys made for the check do not
		// open it either; refused, and neither they nor the directory are left behind.
		const fresh = instance({});
		const freshDir = fresh["DEADBOLT_DATA_DIR"] as string;
		const withoutKeys = await runCLI(["restore", backup], fresh);
		expect(withoutKeys.code).toBe(78);
		expect(withoutKeys.stderr).toContain("Nothing was changed");
		expect(existsSync(freshDir)).toBe(false);
		// An existing, empty data directory stays, without a development keys file.
		mkdirSync(freshDir, { mode: 0o700 });
		expect((await runCLI(["restore", backup], fresh)).code).toBe(78);
		expect(readdirSync(freshDir)).toEqual([]);

		// An older schema (a backup from an earlier deadbolt) is brought to the latest.
		const older = join(work, "older.sqlite");
		const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(older) }) });
		const names = Object.keys(MIGRATIONS);
		const result = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } }).migrateTo(names.at(-2) as string);
		await db.destroy();
		expect(result.error).toBeUndefined();
		const fromOlder = await runCLI(["restore", older], target);
		expect(fromOlder.code, fromOlder.stderr).toBe(0);
		expect(fromOlder.stdout).toContain(`migrated forward to ${LATEST}`);
		const restored = new SQLiteDatabase(databaseOf(target), { readonly: true });
		expect((restored.prepare("select name from kysely_migration order by name desc limit 1").get() as { name: string }).name).toBe(LATEST);
		restored.close();
		// The file it replaced is kept beside it.
		const again = await runCLI(["restore", backup], target);
		expect(again.code, again.stderr).toBe(0);
		expect(again.stdout).toContain("before-restore-");
		expect(readdirSync(target["DEADBOLT_DATA_DIR"] as string).filter((name) => name.includes("before-restore-"))).toHaveLength(1);
	});

	test("usage: backup needs one file, restore one file or --already-restored (exit 64)", { timeout: 120_000 }, async () => {
		const env = instance();
		expect((await runCLI(["backup"], env)).code).toBe(64);
		expect((await runCLI(["restore"], env)).code).toBe(64);
		expect((await runCLI(["restore", "x.sqlite", "--already-restored"], env)).code).toBe(64);
		expect((await runCLI(["backup", "x.sqlite", "--already-restored"], env)).code).toBe(64);
		expect((await runCLI(["migrate", "--force"], env)).code).toBe(64);
		const help = await runCLI(["help"], env);
		expect(help.stdout).toContain("backup <file>");
		expect(help.stdout).toContain("restore --already-restored");
	});
});

describeWhen("deadbolt backup and restore (PostgreSQL: pg_dump, pg_restore, restore --already-restored)", postgresMissing, () => {
	test("backup and restore <file> point to pg_dump; after pg_restore, --already-restored ends every session and codes still sign in", { timeout: 240_000 }, async () => {
		const first = await createTestDatabase("deadbolt_backup");
		databases.push(first);
		const env = instance(KEYS, first.url);
		const server = await startServe(env);
		const api = apiClient(server.url);
		const account = await signUpWith2FA(api);
		const plain = await signUp(api);
		await server.stop();

		const backup = await runCLI(["backup", join(work, "pg.sqlite")], env);
		expect(backup.code).toBe(1);
		expect(backup.stderr).toContain("pg_dump --format=custom");
		const restoreFile = await runCLI(["restore", join(work, "pg.sqlite")], env);
		expect(restoreFile.code).toBe(1);
		expect(restoreFile.stderr).toContain("pg_restore");

		const dump = join(work, "deadbolt.dump");
		execFileSync("pg_dump", ["--format=custom", `--file=${dump}`, first.url]);
		const second = await createTestDatabase("deadbolt_restored");
		databases.push(second);
		execFileSync("pg_restore", ["--no-owner", `--dbname=${second.url}`, dump]);
		const restoredEnv = instance(KEYS, second.url);
		const step = await runCLI(["restore", "--already-restored", "--json"], restoredEnv);
		expect(step.code, step.stderr).toBe(0);
		const report = JSON.parse(step.stdout);
		expect(report.accounts).toBe(2);
		expect(report.sessionsRevoked).toBeGreaterThanOrEqual(2);
		expect(report.accountsWithRecoveryCodes).toBe(1);

		const restored = await startServe(restoredEnv);
		const restoredApi = apiClient(restored.url);
		expectAnswer(await restoredApi.get("/api/v1/session", { token: account.token }), 401);
		expectAnswer(await restoredApi.get("/api/v1/session", { token: plain.token }), 401);
		await signInWithCode(restoredApi, account.email, account.authenticator.codeAt(Date.now() + 30_000));
		await signInWithRecoveryCode(restoredApi, account, account.recoveryCodes[1] as string);
		await restored.stop();
	});
});
