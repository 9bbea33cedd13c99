/**
 * The seeded databases of `npm run bench:scale`: made (migrated by deadbolt's own
 * `migrateConfiguredDatabase`, then bulk-seeded) with keys of their own, which the bench server
 * is then started with. A SQLite database can be kept in BENCH_SCALE_KEEP=DIR and used again by
 * later runs (its keys and what it holds are written beside it, in `seed.json`).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hash } from "@node-rs/argon2";
import SQLiteDatabase from "better-sqlite3";
import pg from "pg";
import { loadConfig } from "../../src/config/load.js";
import { migrateConfiguredDatabase, resolveKeys, SQLITE_FILE } from "../../src/deadbolt.js";
import type { Logger } from "../../src/platform/logger.js";
import { nodeRandom } from "../../src/platform/random.js";
import { BENCH_PASSWORD } from "../http/protocol.js";
import type { SeedPlan } from "./rows.js";
import { seedPostgres } from "./seed-postgres.js";
import { seedSqlite, type SeedReport } from "./seed-sqlite.js";

/** `Algorithm.Argon2id` of `@node-rs/argon2` (a const enum; see src/domain/password/hash.ts). */
const ARGON2ID = 2;

/** The `DEADBOLT_*` variables of a database: where it is and its keys (base64). */
export type DatabaseEnv = Readonly<Record<string, string>>;

/** A seeded database, ready for a bench server. */
export interface SeededDatabase {
	readonly accounts: number;
	/** What the bench server is started with besides its config file. */
	readonly env: DatabaseEnv;
	/** null when a kept database was used again. */
	readonly report: SeedReport | null;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT } as unknown as Logger;

/** Fresh keys for a database, as `DEADBOLT_*` variables. */
function freshKeys(): DatabaseEnv {
	return { DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"), DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64") };
}

/** Migrates the database of `env` with deadbolt's own migration, then seeds it. */
async function migrateAndSeed(env: DatabaseEnv, accounts: number, eventsPerAccount: number, log: (line: string) => void): Promise<SeedReport> {
	const start = performance.now();
	const report = await migrateAndSeedUntimed(env, accounts, eventsPerAccount, log);
	// The whole of it: the migration and the hash too.
	return { ...report, seconds: (performance.now() - start) / 1000 };
}

async function migrateAndSeedUntimed(env: DatabaseEnv, accounts: number, eventsPerAccount: number, log: (line: string) => void): Promise<SeedReport> {
	const config = loadConfig({ env: { ...env } });
	const migrated = await migrateConfiguredDatabase(config);
	log(`migrated (${migrated.applied.length} migrations, schema ${migrated.schema})`);
	const { keys } = resolveKeys(config, nodeRandom, SILENT);
	const { argon2 } = config.password;
	// One hash for every account, with the configured parameters: a sign-in verifies it at full cost.
	const passwordHash = await hash(BENCH_PASSWORD.normalize("NFKC"), { algorithm: ARGON2ID, memoryCost: argon2.memoryKiB, timeCost: argon2.iterations, parallelism: argon2.parallelism });
	const plan: SeedPlan = { accounts, events: accounts * eventsPerAccount, passwordHash, keys, nowMs: Date.now() };
	if (config.storage.databaseUrl !== null) return seedPostgres(config.storage.databaseUrl, plan, log);
	return seedSqlite(join(config.dataDir, SQLITE_FILE), plan, log);
}

/** What `seed.json` beside a kept SQLite database says. */
interface KeptSeed {
	readonly accounts: number;
	readonly eventsPerAccount: number;
	readonly env: DatabaseEnv;
	readonly seededAt: string;
}

/**
 * A seeded SQLite database in `dir` (`dir/data/deadbolt.sqlite`): the one kept there by an
 * earlier run when `keep` and it holds as many accounts, otherwise a new one (replacing what was there).
 */
export async function sqliteDatabase(dir: string, accounts: number, eventsPerAccount: number, keep: boolean, log: (line: string) => void): Promise<SeededDatabase> {
	const dataDir = join(dir, "data");
	const marker = join(dir, "seed.json");
	if (keep && existsSync(marker) && existsSync(join(dataDir, SQLITE_FILE))) {
		const kept = JSON.parse(readFileSync(marker, "utf8")) as KeptSeed;
		if (kept.accounts === accounts && kept.eventsPerAccount === eventsPerAccount) {
			log(`using the database seeded on ${kept.seededAt} (${dataDir})`);
			return { accounts, env: kept.env, report: null };
		}
	}
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dataDir, { recursive: true });
	const env = { DEADBOLT_DATA_DIR: dataDir, ...freshKeys() };
	const report = await migrateAndSeed(env, accounts, eventsPerAccount, log);
	if (keep) writeFileSync(marker, `${JSON.stringify({ accounts, eventsPerAccount, env, seededAt: new Date().toISOString() } satisfies KeptSeed, null, 2)}\n`);
	return { accounts, env, report };
}

/** A seeded PostgreSQL database at `url` (created and empty); `dataDir` for the server's other files. */
export async function postgresDatabase(url: string, dataDir: string, accounts: number, eventsPerAccount: number, log: (line: string) => void): Promise<SeededDatabase> {
	mkdirSync(dataDir, { recursive: true });
	const env = { DEADBOLT_DATA_DIR: dataDir, DEADBOLT_DATABASE_URL: url, ...freshKeys() };
	return { accounts, env, report: await migrateAndSeed(env, accounts, eventsPerAccount, log) };
}

/** The sealed TOTP key of seeded account 0 (`scale-0@example.com`, 2FA on) and its row, for the check of the seeded rows. */
export async function readSealedKeyOfAccountZero(env: DatabaseEnv): Promise<{ id: string; accountId: string; secretCiphertext: Uint8Array }> {
	const query = "select t.id, t.account_id, t.secret_ciphertext from totp_credential t join account a on a.id = t.account_id where a.email = 'scale-0@example.com'";
	let row: { id: string; account_id: string; secret_ciphertext: Uint8Array } | undefined;
	const url = env["DEADBOLT_DATABASE_URL"];
	if (url === undefined) {
		const database = new SQLiteDatabase(join(env["DEADBOLT_DATA_DIR"] as string, SQLITE_FILE), { readonly: true });
		try {
			row = database.prepare(query).get() as typeof row;
		} finally {
			database.close();
		}
	} else {
		const client = new pg.Client({ connectionString: url });
		await client.connect();
		try {
			row = (await client.query<NonNullable<typeof row>>(query)).rows[0];
		} finally {
			await client.end();
		}
	}
	if (row === undefined) throw new Error("no TOTP authenticator for scale-0@example.com");
	return { id: row.id, accountId: row.account_id, secretCiphertext: new Uint8Array(row.secret_ciphertext) };
}
