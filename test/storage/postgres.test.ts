/**
 * The storage contract on the real PostgreSQL server of this machine
 * (`DEADBOLT_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`), in a fresh
 * schema `deadbolt_test_<random>` dropped (CASCADE) after the run, plus what only the
 * PostgreSQL opener does (schema, per-pool int8 parsing, concurrent migration).
 *
 * When the server cannot be reached the suite is skipped with one line saying how to enable it,
 * except on CI (`CI=true`), where it fails: a contract that did not run proves nothing.
 */
import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { MIGRATIONS, migrationsAfter } from "../../src/storage/kysely/migrations/index.js";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { unreachablePostgres } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";
import { describeStoreContract } from "./store-contract.js";

const connectionString = process.env["DEADBOLT_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `deadbolt_test_${randomBytes(6).toString("hex")}`;
const unreachable = await probe(connectionString);

if (unreachable !== null) {
	describeWhen("PostgreSQL store contract", unreachablePostgres(connectionString, unreachable), () => {
		test("runs the store contract", () => {});
	});
} else {
	afterAll(async () => {
		await withClient(connectionString, (client) => client.query(`drop schema if exists "${schema}" cascade`));
	});

	describeStoreContract(`PostgreSQL (schema ${schema})`, () => openPostgresStore({ connectionString, schema, poolSize: 10 }));

	describe("PostgreSQL opener", () => {
		test("two stores opening a fresh schema at once both migrate it (the migration lock serializes them)", async () => {
			const fresh = `${schema}_concurrent`;
			try {
				const stores = await Promise.all([
					openPostgresStore({ connectionString, schema: fresh }),
					openPostgresStore({ connectionString, schema: fresh }),
				]);
				for (const store of stores) {
					expect(store.dialect).toBe("postgres");
					await store.ping();
					await store.close();
				}
				const applied = await withClient(connectionString, (client) =>
					client.query<{ name: string }>(`select name from "${fresh}".kysely_migration order by name`),
				);
				expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
			} finally {
				await withClient(connectionString, (client) => client.query(`drop schema if exists "${fresh}" cascade`));
			}
		});

		test("a schema left at 0001-initial is upgraded on opening: its data stays and the new tables work", async () => {
			const fresh = `${schema}_upgrade`;
			try {
				await withClient(connectionString, (client) => client.query(`create schema "${fresh}"`));
				const pool = new pg.Pool({ connectionString, max: 1, options: `-c search_path=${fresh}` });
				const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
				try {
					const initialOnly = new Migrator({
						db,
						provider: { getMigrations: () => Promise.resolve({ "0001-initial": MIGRATIONS["0001-initial"]! }) },
						migrationTableSchema: fresh,
					});
					expect((await initialOnly.migrateToLatest()).error).toBeUndefined();
					await db
						.insertInto("account")
						.values({ id: "acct-old", email: "old@example.com", password_hash: null, created_at: 1, updated_at: 2 })
						.execute();
				} finally {
					await db.destroy();
				}

				const store = await openPostgresStore({ connectionString, schema: fresh });
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
				const applied = await withClient(connectionString, (client) =>
					client.query<{ name: string }>(`select name from "${fresh}".kysely_migration order by name`),
				);
				expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
			} finally {
				await withClient(connectionString, (client) => client.query(`drop schema if exists "${fresh}" cascade`));
			}
		});

		test("migration 0009 goes down (its tables and account.email_verified_at go, the accounts stay) and up again", async () => {
			const fresh = `${schema}_down`;
			try {
				const store = await openPostgresStore({ connectionString, schema: fresh });
				await store.accounts.insertAccount({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: 5, groups: ["admins"], secondFactorMailConfirmedAt: null, disabledAt: null });
				await store.close();
				const pool = new pg.Pool({ connectionString, max: 1, options: `-c search_path=${fresh}` });
				const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
				try {
					const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) }, migrationTableSchema: fresh });
					const down = await migrator.migrateTo("0008-recovery-code-lookup-prefix");
					expect(down.error).toBeUndefined();
					expect(down.results?.map((result) => result.migrationName)).toEqual(migrationsAfter("0008-recovery-code-lookup-prefix"));
					const tables = await withClient(connectionString, (client) => client.query<{ name: string }>("select table_name as name from information_schema.tables where table_schema = $1", [fresh]));
					for (const table of ["delivery", "delivery_attempt", "webhook_endpoint", "email_token"]) expect(tables.rows.map((row) => row.name)).not.toContain(table);
					expect(await db.selectFrom("account").selectAll().execute()).toEqual([{ id: "acct", email: "a@example.com", password_hash: null, created_at: "1", updated_at: "1" }]);
					expect((await migrator.migrateToLatest()).error).toBeUndefined();
				} finally {
					await db.destroy();
				}
				const reopened = await openPostgresStore({ connectionString, schema: fresh });
				try {
					expect(await reopened.accounts.findAccountById("acct")).toEqual({ id: "acct", email: "a@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
					expect(await reopened.outbox.countDeliveriesByStatus()).toEqual({ pending: 0, delivered: 0, dead: 0 });
				} finally {
					await reopened.close();
				}
			} finally {
				await withClient(connectionString, (client) => client.query(`drop schema if exists "${fresh}" cascade`));
			}
		});

		test("int8 is parsed to number for the store's pool only: the global pg parser is untouched", async () => {
			const store = await openPostgresStore({ connectionString, schema });
			try {
				expect(pg.types.getTypeParser(20)("42")).toBe("42");
				await store.ping();
			} finally {
				await store.close();
			}
		});

		test("a connection the server ends while a transaction holds it fails that transaction as StorageUnavailable; the process and the store carry on", async () => {
			// Without an error listener on checked-out clients, pg emits the server's "terminating
			// connection" as an unhandled 'error' event, which ends the whole process (found by
			// `npm run bench:http`). A restart or failover of PostgreSQL under traffic does this.
			const store = await openPostgresStore({ connectionString, schema });
			try {
				const account = { id: "acct-terminated", email: "terminated@example.com", passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null };
				expect(await store.accounts.insertAccount(account)).toBe(true);
				const outcome = store.transaction(async (tx) => {
					await tx.accounts.lockAccount(account.id);
					// The one backend holding a lock on this schema's account table is the transaction's.
					const terminated = await withClient(connectionString, (client) =>
						client.query(
							`select pg_terminate_backend(l.pid) as ended from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
							 where n.nspname = $1 and c.relname = 'account' and l.pid <> pg_backend_pid() group by l.pid`,
							[schema],
						),
					);
					expect(terminated.rows).toEqual([{ ended: true }]);
					// Let the server's FATAL message arrive while the client is checked out and idle.
					await new Promise((resolve) => setTimeout(resolve, 300));
					return tx.accounts.findAccountById(account.id);
				});
				await expect(outcome).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
				await store.ping();
				expect(await store.accounts.findAccountById(account.id)).toEqual(account);
			} finally {
				await store.close();
			}
		});

		test("a schema name that is not a plain identifier is refused before connecting", async () => {
			await expect(openPostgresStore({ connectionString, schema: 'x"; drop table account; --' })).rejects.toBeInstanceOf(TypeError);
		});

		test("a connection lost while a transaction holds it between two statements fails that transaction as StorageUnavailable, with no uncaught error, and the store carries on", async () => {
			// The store's own connections, and only those, are found by a unique application_name.
			const applicationName = `deadbolt_test_${randomBytes(6).toString("hex")}`;
			const store = await openPostgresStore({ connectionString: withApplicationName(connectionString, applicationName), schema, poolSize: 2 });
			const uncaught: unknown[] = [];
			const recordUncaught = (error: unknown): void => {
				uncaught.push(error);
			};
			process.on("uncaughtException", recordUncaught);
			try {
				const transaction = store.transaction(async (tx) => {
					await tx.accounts.findAccountById("nobody");
					// The server ends the connection while the transaction holds it and no query runs:
					// `pg` reports that as an "error" event on the checked-out client.
					await withClient(connectionString, (admin) => admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [applicationName]));
					await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
					await tx.accounts.findAccountById("nobody");
				});
				await expect(transaction).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
				expect(uncaught).toEqual([]);
				await store.ping();
			} finally {
				process.off("uncaughtException", recordUncaught);
				await store.close();
			}
		});

		test("a query left unanswered fails as StorageUnavailable after queryTimeoutMs, and its connection is not reused", async () => {
			const applicationName = `deadbolt_test_${randomBytes(6).toString("hex")}`;
			const store = await openPostgresStore({ connectionString: withApplicationName(connectionString, applicationName), schema, poolSize: 1, queryTimeoutMs: 500 });
			const blocker = new pg.Client({ connectionString });
			blocker.on("error", () => {});
			await blocker.connect();
			let released = false;
			try {
				await store.accounts.insertAccount({ id: `acct-${applicationName}`, email: `${applicationName}@example.com`, passwordHash: null, createdAt: 1, updatedAt: 1, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
				// Another session holds the account's row lock: the store's lockAccount waits for it.
				await blocker.query("begin");
				await blocker.query(`select id from "${schema}".account where id = $1 for update`, [`acct-${applicationName}`]);
				const release = setTimeout(() => {
					released = true;
					void blocker.query("rollback").catch(() => {});
				}, 20_000);
				try {
					await expect(store.accounts.lockAccount(`acct-${applicationName}`)).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE", cause: { message: "Query read timeout" } });
					expect(released).toBe(false);
					// With one pooled connection: the next query gets a NEW connection at once, not
					// the old one still waiting for the lock's answer.
					await store.ping();
					expect(released).toBe(false);
				} finally {
					clearTimeout(release);
				}
			} finally {
				await blocker.end().catch(() => {});
				await store.close();
			}
		});

		test("queryTimeoutMs must be a positive integer", async () => {
			await expect(openPostgresStore({ connectionString, schema, queryTimeoutMs: 0 })).rejects.toBeInstanceOf(TypeError);
		});

		test("an unreachable server fails fast as StorageUnavailable", async () => {
			const started = Date.now();
			// Port 1 on localhost: nothing listens there, the connection is refused at once.
			await expect(openPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/test" })).rejects.toMatchObject({
				code: "ERR_STORAGE_UNAVAILABLE",
			});
			expect(Date.now() - started).toBeLessThan(5_000);
		});
	});
}

/** Tries one connection. @returns null when it works, else the reason. */
async function probe(url: string): Promise<string | null> {
	try {
		await withClient(url, (client) => client.query("select 1"));
		return null;
	} catch (error) {
		return error instanceof Error ? error.message || error.name : String(error);
	}
}

/** Runs `work` on a short-lived client. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
	client.on("error", () => {});
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

/** `url` with `application_name` set (the name the server shows for its connections). */
function withApplicationName(url: string, applicationName: string): string {
	const parsed = new URL(url);
	parsed.searchParams.set("application_name", applicationName);
	return parsed.toString();
}
