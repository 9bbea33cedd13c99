/**
 * Bulk seeding of a PostgreSQL database for `npm run bench:scale`: straight into deadbolt's schema
 * (already migrated by deadbolt's own `migrateConfiguredDatabase`) with
 * `INSERT ... SELECT * FROM unnest($1::text[], ...)`, one statement per batch (the three tables of
 * the accounts in one, with data-modifying CTEs), the next batch made while the server writes the
 * last. For the load only: the foreign-key triggers off (`session_replication_role = replica`,
 * when the role may: the rows are consistent by construction), the secondary indexes dropped first
 * and made again after; then ANALYZE, which autovacuum would do soon after such a load anyway.
 */
import pg from "pg";
import { ACCOUNT_COLUMNS, accountBatches, EVENT_COLUMNS, eventBatches, SESSION_COLUMNS, TOTP_COLUMNS, type Columns, type SeedPlan } from "./rows.js";
import type { SeedReport } from "./seed-sqlite.js";

const ACCOUNT_BATCH = 20_000;
const EVENT_BATCH = 50_000;

/** The PostgreSQL array type of each seeded column. */
const TYPES: Readonly<Record<string, string>> = {
	created_at: "bigint", updated_at: "bigint", email_verified_at: "bigint", totp_replay_until_ms: "bigint", confirmed_at: "bigint",
	last_used_step: "bigint", last_used_at: "bigint", last_active_at: "bigint", expires_at: "bigint", reauthenticated_at: "bigint",
	second_factor_at: "bigint", digits: "int", period_seconds: "int", aal: "int", secret_ciphertext: "bytea",
};

/** `insert into table (...) select * from unnest($<first>::text[], ...)`. */
function unnestInsert(table: string, columns: readonly string[], first = 1): string {
	const arrays = columns.map((name, index) => `$${first + index}::${TYPES[name] ?? "text"}[]`);
	return `insert into "${table}" (${columns.map((name) => `"${name}"`).join(", ")}) select * from unnest(${arrays.join(", ")})`;
}

/** One statement for the three tables of an account batch (data-modifying CTEs): the next batch is made while the server writes it. */
const ACCOUNT_BATCH_INSERT = `with accounts as (${unnestInsert("account", ACCOUNT_COLUMNS)}), totp as (${unnestInsert("totp_credential", TOTP_COLUMNS, ACCOUNT_COLUMNS.length + 1)}) ${unnestInsert("session", SESSION_COLUMNS, ACCOUNT_COLUMNS.length + TOTP_COLUMNS.length + 1)}`;

/** Seeds the migrated PostgreSQL database at `url` with `plan`. */
export async function seedPostgres(url: string, plan: SeedPlan, log: (line: string) => void): Promise<SeedReport> {
	const start = performance.now();
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		await client.query("set session_replication_role = replica").catch(() => log("foreign keys checked (the role may not set session_replication_role)"));
		await client.query("set synchronous_commit = off");
		await client.query("set maintenance_work_mem = '1GB'");
		const tables = ["account", "totp_credential", "session", "security_event"];
		// Indexes that are no constraint (primary keys and unique constraints stay).
		const { rows: indexes } = await client.query<{ name: string; definition: string }>(
			`select i.indexname as name, i.indexdef as definition from pg_indexes i
			 where i.schemaname = current_schema() and i.tablename = any($1)
			 and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
			[tables],
		);
		for (const index of indexes) await client.query(`drop index "${index.name}"`);

		const eventInsert = unnestInsert("security_event", EVENT_COLUMNS);
		const counts = { accounts: 0, totpCredentials: 0, sessions: 0, events: 0 };
		let pending: Promise<unknown> = Promise.resolve();
		const send = (text: string, columns: Columns): Promise<unknown> => client.query(text, columns);
		const ids: string[] = [];
		for (const batch of accountBatches(plan, ACCOUNT_BATCH, ids)) {
			await pending;
			pending = send(ACCOUNT_BATCH_INSERT, [...batch.accounts, ...batch.totp, ...batch.sessions]);
			counts.accounts += (batch.accounts[0] as unknown[]).length;
			counts.totpCredentials += (batch.totp[0] as unknown[]).length;
			counts.sessions += (batch.sessions[0] as unknown[]).length;
		}
		await pending;
		log(`${counts.accounts.toLocaleString("en-US")} accounts, ${counts.totpCredentials.toLocaleString("en-US")} TOTP authenticators, ${counts.sessions.toLocaleString("en-US")} sessions in ${((performance.now() - start) / 1000).toFixed(1)} s`);
		for (const batch of eventBatches(plan, EVENT_BATCH, ids)) {
			await pending;
			pending = send(eventInsert, batch);
			counts.events += (batch[0] as unknown[]).length;
		}
		await pending;
		log(`${counts.events.toLocaleString("en-US")} activity rows at ${((performance.now() - start) / 1000).toFixed(1)} s`);
		for (const index of indexes) await client.query(index.definition);
		await client.query("set session_replication_role = default").catch(() => {});
		await client.query(`analyze ${tables.map((name) => `"${name}"`).join(", ")}`);
		log(`${indexes.length} indexes made again, tables analyzed at ${((performance.now() - start) / 1000).toFixed(1)} s`);
		return { ...counts, seconds: (performance.now() - start) / 1000 };
	} finally {
		await client.end();
	}
}
