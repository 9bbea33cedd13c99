/**
 * `deadbolt restore` refuses a backup whose secrets name key ids the configured rings lack (exit 78),
 * before anything is replaced (docs/operations.md, "Backups and restore"): the built CLI run as an
 * operator runs it (`npm run build` first). A backup made under the encryption key `k1` and the
 * HMAC key `h1` (a TOTP secret sealed under k1, recovery codes under h1), restored by an instance
 * whose rings hold only `k2` (or only `h2`): served as it is, sign-ins would get 503
 * ERR_KEY_UNAVAILABLE. With the retired key back in the ring beside the new one, it restores.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { runCLI, stopAllCLIProcesses } from "../helpers/cli-process.js";

const K1 = Buffer.alloc(32, 41).toString("base64");
const K2 = Buffer.alloc(32, 42).toString("base64");
const H1 = Buffer.alloc(32, 43).toString("base64");
const H2 = Buffer.alloc(32, 44).toString("base64");
const PASSWORD = "correct horse battery staple";

let work = "";
let backup = "";

/** An instance's environment: its own data directory and the given rings. */
function instance(rings: Record<string, string>): Record<string, string> {
	return { DEADBOLT_DATA_DIR: mkdtempSync(join(work, "instance-")), ...rings };
}

const databaseOf = (env: Record<string, string>): string => join(env["DEADBOLT_DATA_DIR"] as string, "deadbolt.sqlite");

/** Rows of a table in a database file (read-only). */
function count(file: string, sql: string): number {
	const database = new SQLiteDatabase(file, { readonly: true });
	try {
		return (database.prepare(sql).get() as { n: number }).n;
	} finally {
		database.close();
	}
}

beforeAll(async () => {
	work = mkdtempSync(join(tmpdir(), "deadbolt-restore-keys-"));
	// The source: rings {k1} and {h1}; an account with an authenticator and recovery codes.
	const source = instance({ DEADBOLT_ENCRYPTION_KEYS: `k1:${K1}`, DEADBOLT_HMAC_KEYS: `h1:${H1}` });
	const deadbolt = await createDeadbolt(loadConfig({ env: source }));
	try {
		const { session } = await deadbolt.registerAccount({ email: "ada@example.com", password: PASSWORD });
		const auth = await deadbolt.validateSession(session!.token);
		const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		const rotated = await deadbolt.validateSession(pending.sessionToken ?? session!.token);
		await deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(pending.secret), Date.now()) });
	} finally {
		await deadbolt.close();
	}
	backup = join(work, "backup.sqlite");
	const made = await runCLI(["backup", backup], source);
	expect(made.code, made.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
	await stopAllCLIProcesses();
	rmSync(work, { recursive: true, force: true });
});

describe("deadbolt restore and the configured key rings", () => {
	it("refuses (78) a backup sealed under an encryption key id the ring lacks, naming it; nothing is replaced", { timeout: 120_000 }, async () => {
		// Into an empty data directory: no database appears.
		const empty = instance({ DEADBOLT_ENCRYPTION_KEYS: `k2:${K2}`, DEADBOLT_HMAC_KEYS: `h1:${H1}` });
		const refused = await runCLI(["restore", backup], empty);
		expect(refused.code, refused.stderr).toBe(78);
		expect(refused.stderr).toContain('encryption key "k1"');
		expect(refused.stderr).toContain("totp_credential: 1");
		expect(refused.stderr).toContain('put it back in keys.encryptionKeys (DEADBOLT_ENCRYPTION_KEYS) as "k1"');
		expect(refused.stderr).toContain("docs/operations.md");
		expect(refused.stderr).toContain("Nothing was changed");
		expect(refused.stderr).not.toContain('"k2"');
		expect(readdirSync(empty["DEADBOLT_DATA_DIR"] as string)).toEqual([]);

		// Over a live database: it stays as it was, and no previous copy is kept.
		const live = instance({ DEADBOLT_ENCRYPTION_KEYS: `k2:${K2}`, DEADBOLT_HMAC_KEYS: `h1:${H1}` });
		expect((await runCLI(["migrate"], live)).code).toBe(0);
		const before = readFileSync(databaseOf(live));
		const again = await runCLI(["restore", backup], live);
		expect(again.code, again.stderr).toBe(78);
		expect(readFileSync(databaseOf(live)).equals(before)).toBe(true);
		expect(readdirSync(live["DEADBOLT_DATA_DIR"] as string).filter((name) => name !== "deadbolt.sqlite")).toEqual([]);
	});

	it("refuses (78) a backup whose recovery codes are under an HMAC key id the ring lacks", { timeout: 120_000 }, async () => {
		const target = instance({ DEADBOLT_ENCRYPTION_KEYS: `k1:${K1}`, DEADBOLT_HMAC_KEYS: `h2:${H2}` });
		const refused = await runCLI(["restore", backup], target);
		expect(refused.code, refused.stderr).toBe(78);
		expect(refused.stderr).toContain('HMAC key "h1"');
		expect(refused.stderr).toContain("10 unused recovery code(s) of 1 account(s)");
		expect(refused.stderr).toContain('put it back in keys.hmacKeys (DEADBOLT_HMAC_KEYS) as "h1"');
		expect(existsSync(databaseOf(target))).toBe(false);
	});

	it("restores with the retired keys back in the rings beside the new primary ones", { timeout: 120_000 }, async () => {
		const target = instance({ DEADBOLT_ENCRYPTION_KEYS: `k1:${K1},k2:${K2}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k2", DEADBOLT_HMAC_KEYS: `h1:${H1},h2:${H2}`, DEADBOLT_PRIMARY_HMAC_KEY_ID: "h2" });
		const restored = await runCLI(["restore", backup], target);
		expect(restored.code, restored.stderr).toBe(0);
		expect(restored.stdout).toContain("1 accounts have recovery codes");
	});

	it("restore --already-restored refuses (78) the same way and does not run the after-restore step", { timeout: 120_000 }, async () => {
		// A database put back by other means (a snapshot): the backup's file in the data directory.
		const target = instance({ DEADBOLT_ENCRYPTION_KEYS: `k2:${K2}`, DEADBOLT_HMAC_KEYS: `h1:${H1}` });
		copyFileSync(backup, databaseOf(target));
		const liveSessions = "select count(*) as n from session where revoked_at is null";
		const sessionsBefore = count(databaseOf(target), liveSessions);
		const deliveriesBefore = count(databaseOf(target), "select count(*) as n from delivery");
		expect(sessionsBefore).toBeGreaterThan(0);
		const refused = await runCLI(["restore", "--already-restored"], target);
		expect(refused.code, refused.stderr).toBe(78);
		expect(refused.stderr).toContain('encryption key "k1"');
		expect(refused.stderr).toContain("Nothing was changed");
		expect(count(databaseOf(target), liveSessions)).toBe(sessionsBefore);
		expect(count(databaseOf(target), "select count(*) as n from security_event where type = 'backup.restored'")).toBe(0);
		expect(count(databaseOf(target), "select count(*) as n from delivery")).toBe(deliveriesBefore);
	});
});
