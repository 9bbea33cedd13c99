/**
 * Issue 10, item 2: codes issued before migration `0008-recovery-code-lookup-prefix` keep working.
 * An account is set up, its database is taken back to 0007 (the migration's `down`), and the
 * rows a build before 0008 wrote are put in the 0007 table as it was: 24-character codes stored
 * as HMAC-SHA-256 under the server key, no lookup prefix. Opening the store migrates it again;
 * the old codes then sign in and re-authenticate (typed any way, with no argon2id run), each once,
 * until a new set replaces them. On a SQLite file and on a PostgreSQL schema of its own.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidCode } from "../../src/errors.js";
import { generateId } from "../../src/domain/crypto/token.js";
import { hashLegacyRecoveryCode, LEGACY_RECOVERY_CODE_ALPHABET, LEGACY_RECOVERY_CODE_LENGTH, normalizeLegacyRecoveryCode } from "../../src/domain/recovery-codes/legacy-recovery-codes.js";
import { nodeRandom, randomString } from "../../src/platform/random.js";
import { MIGRATIONS, migrationsAfter } from "../../src/storage/kysely/migrations/index.js";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { testBackends } from "../helpers/backends.js";
import { countingHasher } from "../helpers/counting-hasher.js";
import { createTestDeadbolt, T0, TEST_KEYS } from "../helpers/deadbolt.js";
import { TEST_DATABASE_URL, withClient } from "../helpers/postgres-databases.js";
import { PASSWORD, passwordStep, signUpWith2FA } from "../helpers/flows.js";

/** A database the test can open as a store and also reach underneath, with Kysely's migrator. */
interface MigratableDatabase {
	open(): Promise<Store>;
	/** Runs `work` on a connection of its own, with a migrator over every migration. */
	underneath<T>(work: (db: Kysely<any>, migrator: Migrator) => Promise<T>): Promise<T>;
}

const scratch = await mkdtemp(join(tmpdir(), "deadbolt-legacy-codes-"));
afterAll(async () => {
	await rm(scratch, { recursive: true, force: true });
});

function sqliteFile(): MigratableDatabase {
	const path = join(scratch, `${randomBytes(6).toString("hex")}.sqlite`);
	return {
		open: () => openSqliteStore({ path }),
		async underneath(work) {
			const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLiteDatabase(path) }) });
			try {
				return await work(db, new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } }));
			} finally {
				await db.destroy();
			}
		},
	};
}

function postgresSchema(): MigratableDatabase {
	const schema = `deadbolt_legacy_${randomBytes(6).toString("hex")}`;
	afterAll(async () => {
		await withClient(TEST_DATABASE_URL, (client) => client.query(`drop schema if exists "${schema}" cascade`));
	});
	return {
		open: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 5 }),
		async underneath(work) {
			const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
			const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
			try {
				return await work(db, new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) }, migrationTableSchema: schema }));
			} finally {
				await db.destroy();
			}
		},
	};
}

/** A legacy code as a build before 0008 showed it: `xxxxxx-xxxxxx-xxxxxx-xxxxxx`. */
function legacyCode(): string {
	return randomString(nodeRandom, LEGACY_RECOVERY_CODE_ALPHABET, LEGACY_RECOVERY_CODE_LENGTH).match(/.{6}/g)!.join("-");
}

/** How a user might type a legacy code: upper case, spaces for hyphens, O for 0 and l for 1. */
function typedCarelessly(code: string): string {
	return code.toUpperCase().replaceAll("-", " ").replaceAll("0", "O").replaceAll("1", "l");
}

const databases: { name: string; make: () => MigratableDatabase }[] = [{ name: "SQLite", make: sqliteFile }];
if ((await testBackends()).some((backend) => backend.name === "PostgreSQL")) databases.push({ name: "PostgreSQL", make: postgresSchema });

for (const { name, make } of databases) {
	describe(`recovery codes issued before migration 0008, on ${name}`, () => {
		it("keep working after the migration, typed any way and without argon2id, each once; a new set replaces them", async () => {
			const database = make();
			// An account with 2FA on, as any build sets it up.
			let t = await createTestDeadbolt({ store: await database.open() });
			const user = await signUpWith2FA(t);
			await t.deadbolt.close();

			// Back to 0007, and the account's codes as a build before 0008 stored them.
			const codes = Array.from({ length: 10 }, legacyCode);
			await database.underneath(async (db, migrator) => {
				const down = await migrator.migrateTo("0007-attempts-in-flight");
				expect(down.error).toBeUndefined();
				expect(down.results?.map((result) => result.migrationName)).toEqual(migrationsAfter("0007-attempts-in-flight"));
				expect(await db.selectFrom("recovery_code").selectAll().where("account_id", "=", user.account.id).execute()).toEqual([]);
				await db
					.insertInto("recovery_code")
					.values(codes.map((code) => ({ id: generateId(nodeRandom), account_id: user.account.id, code_hash: hashLegacyRecoveryCode(TEST_KEYS.hmacKey, normalizeLegacyRecoveryCode(code.replaceAll("-", ""))!), created_at: T0, used_at: null })))
					.execute();
			});

			// Opening the store migrates to the latest schema: the rows stay, with no prefix.
			const counting = countingHasher();
			t = await createTestDeadbolt({ store: await database.open(), passwords: counting.hasher });
			try {
				expect(await t.deadbolt.countUnusedRecoveryCodes(user.account.id)).toBe(10);
				await database.underneath(async (db) => {
					const rows = await db.selectFrom("recovery_code").select(["lookup_prefix", "code_hash"]).where("account_id", "=", user.account.id).execute();
					expect(rows.map((row) => row.lookup_prefix)).toEqual(codes.map(() => null));
				});

				// Sign-in: an HMAC and one conditional write; no argon2id verification for the code.
				const challengeToken = await passwordStep(t, user.email);
				const before = counting.counts.verifications;
				const signedIn = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code: typedCarelessly(codes[0]!) });
				expect(signedIn.recoveryCodesLeft).toBe(9);
				expect(counting.counts.verifications).toBe(before);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: codes[0]! })).rejects.toBeInstanceOf(InvalidCode);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: legacyCode() })).rejects.toBeInstanceOf(InvalidCode);

				// Re-authentication with an old code, then a new set: the old codes stop working, the new ones work.
				const auth = await t.deadbolt.validateSession(signedIn.session.token);
				const reauthenticated = await t.deadbolt.reauthenticate(auth, { password: PASSWORD, code: codes[1]! });
				expect(await t.deadbolt.countUnusedRecoveryCodes(user.account.id)).toBe(8);
				const fresh = await t.deadbolt.regenerateRecoveryCodes(await t.deadbolt.validateSession(reauthenticated.sessionToken));
				expect(fresh[0]).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: codes[2]! })).rejects.toBeInstanceOf(InvalidCode);
				expect((await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: fresh[0]! })).recoveryCodesLeft).toBe(9);
			} finally {
				await t.deadbolt.close();
			}
		});

		it("the same old code sent by 8 parallel sign-ins signs in exactly once", async () => {
			const database = make();
			let t = await createTestDeadbolt({ store: await database.open() });
			const user = await signUpWith2FA(t);
			await t.deadbolt.close();
			const code = legacyCode();
			await database.underneath(async (db, migrator) => {
				expect((await migrator.migrateTo("0007-attempts-in-flight")).error).toBeUndefined();
				await db
					.insertInto("recovery_code")
					.values({ id: generateId(nodeRandom), account_id: user.account.id, code_hash: hashLegacyRecoveryCode(TEST_KEYS.hmacKey, normalizeLegacyRecoveryCode(code.replaceAll("-", ""))!), created_at: T0, used_at: null })
					.execute();
			});
			t = await createTestDeadbolt({ store: await database.open() });
			try {
				const tokens = await Promise.all(Array.from({ length: 8 }, () => passwordStep(t, user.email)));
				const results = await Promise.allSettled(tokens.map((challengeToken) => t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code })));
				expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
				expect(await t.deadbolt.countUnusedRecoveryCodes(user.account.id)).toBe(0);
			} finally {
				await t.deadbolt.close();
			}
		});
	});
}
