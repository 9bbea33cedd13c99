/**
 * Scale benchmark: `npm run bench:scale` (issue 15, goal 4). A benchmark, not a test: it prints
 * numbers, and exits 0 when it ran (1 only when seeding, a run or a check of the set-up failed).
 *
 * Question: do the hot paths stay as fast with a million accounts as with a thousand? Measured,
 * on the same machine in the same run, against the same paths on a small database:
 *   - the code step `POST /api/v1/login/totp` (challenge, account and authenticator read, TOTP,
 *     replay record, attempt counters, a new session, an activity row);
 *   - the session check `GET /api/v1/session` (Bearer session token);
 *   - the forward-auth decision `GET /api/v1/authz/forward-auth` (the forward-auth cookie, Caddy's
 *     and Traefik's headers, a `one_factor` rule: 200 with the identity headers and an ES256 JWT).
 *
 * Seeding (bench/scale/databases.ts, rows.ts, seed-sqlite.ts, seed-postgres.ts): two databases,
 * "1K" (1,000 accounts) and "1M" (BENCH_SCALE_ACCOUNTS, default 1,000,000), each migrated by
 * deadbolt's own `migrateConfiguredDatabase`, then filled straight into the schema: every account
 * with one session, every other one with a confirmed TOTP authenticator (2FA on), ten activity rows
 * (security events, the dashboard's activity list) per account on average; one argon2id hash of the
 * benchmark password (made once, with the configured parameters) for all, TOTP keys sealed with
 * deadbolt's `sealTOTPKey` under the database's own keys, session tokens hashed as deadbolt hashes
 * them. SQLite: better-sqlite3 multi-row INSERTs in large transactions; PostgreSQL:
 * `INSERT ... SELECT * FROM unnest(...)` batches; on both the secondary indexes are dropped for the
 * load and made again after. Its duration is printed (goal: under 10 minutes on this 2-core machine).
 *
 * Measuring: one bench server (bench/http/server.ts, `deadbolt serve` with a fixed clock) per
 * database, both running, started with the database's keys. Each first proves the seeded rows
 * work (a seeded account signs in with the password; a seeded account with 2FA with the password
 * and a code of its sealed key), then makes the measured rows the same way on both, on top of the
 * seeded ones: accounts with 2FA on and their login challenges (the server's `seed`, through the
 * service functions; its clock then moves one TOTP step on and stays there), and SESSIONS sessions
 * made by the code step over HTTP, which the session checks and forward-auth decisions take in
 * turn (the fixed clock: no session's activity is written during the run). After a warm-up, ROUNDS
 * rounds: each load on 1K then on 1M (the order reversed every other round). The rate ratio is the
 * median over rounds of (1M rate ÷ 1K rate in the same round), which cancels slow drift; req/s
 * counts 2xx answers over all rounds; p99 is over every answer of every round, and the p99 ratio
 * is 1M's ÷ 1K's. Goal (issue 15): rate ratio >= 0.8 and p99 ratio <= 2.
 *
 * Options: `--json FILE` writes `{scenarios: [{name, backend, reqPerSecond, p99Ms, baselineName,
 * baselineReqPerSecond, ratio, p99Ratio, baselineP99Ms}]}` (the shape of bench:http's, the 1K
 * database the baseline).
 * Environment: BENCH_SCALE_BACKENDS (`sqlite` by default; `postgres` or `sqlite,postgres`: two
 * databases `deadbolt_scale_<random>` on the server of DEADBOLT_TEST_DATABASE_URL, dropped at the
 * end; needs CREATEDB); BENCH_SCALE_KEEP=DIR keeps the seeded SQLite databases in DIR and uses
 * them again in later runs (each run adds its few thousand measured accounts to them);
 * BENCH_SCALE_ACCOUNTS (default 1000000); BENCH_SCALE_CONNECTIONS (default 10).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { combine, median, percentile, rate, secondStepLoad, type LoadSettings, type Run } from "./http/load.js";
import { createDatabases, databaseUrl, dropDatabases, onInterrupt, POSTGRES_URL, postgresUnreachable, redact } from "./http/postgres.js";
import { formatNumber, machineLoad, printTable, progress } from "./http/report.js";
import { postgresDatabase, readSealedKeyOfAccountZero, sqliteDatabase, type SeededDatabase } from "./scale/databases.js";
import { cyclingGetLoad } from "./scale/load.js";
import { startScaleServer, type ScaleServer } from "./scale/server.js";
import { randomBytes } from "node:crypto";

const SETTINGS: LoadSettings = { connections: Number(process.env["BENCH_SCALE_CONNECTIONS"] ?? 10) };
const SMALL_ACCOUNTS = 1_000;
const LARGE_ACCOUNTS = Number(process.env["BENCH_SCALE_ACCOUNTS"] ?? 1_000_000);
const EVENTS_PER_ACCOUNT = 10;
const ROUNDS = 5;
/** Code steps (each needs an account and a challenge of its own). */
const CODE_WARMUP = 200;
const CODE_PER_ROUND = 400;
/** Sessions the session checks and forward-auth decisions take in turn. */
const SESSIONS = 300;
const GET_WARMUP_SECONDS = 1;
const GET_ROUND_SECONDS = 2;
/** Seeding the 1M database must take less (issue 15). */
const SEED_LIMIT_SECONDS = 600;
const TARGET_RATE_RATIO = 0.8;
const TARGET_P99_RATIO = 2;

const BACKENDS = (process.env["BENCH_SCALE_BACKENDS"] ?? "sqlite").split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
const KEEP_DIR = process.env["BENCH_SCALE_KEEP"] === undefined ? undefined : resolve(process.env["BENCH_SCALE_KEEP"]);

const LOADS = ["code-step", "session", "forward-auth"] as const;
type LoadName = (typeof LOADS)[number];
const LABELS: Readonly<Record<LoadName, string>> = {
	"code-step": "POST /api/v1/login/totp (code step)",
	session: "GET /api/v1/session (session check)",
	"forward-auth": "GET /api/v1/authz/forward-auth (decision)",
};

/** The rounds of every load on both databases of one backend. */
interface BackendResult {
	readonly name: string;
	readonly seedSeconds: number | null;
	readonly small: Readonly<Record<LoadName, Run[]>>;
	readonly large: Readonly<Record<LoadName, Run[]>>;
}

/** One round of `load` on `server`; the code step takes the round's slice of prepared challenges. */
function runLoad(server: ScaleServer, load: LoadName, round: number | "warmup"): Promise<Run> {
	const url = `http://127.0.0.1:${server.server.port}`;
	switch (load) {
		case "code-step": {
			const from = round === "warmup" ? 0 : CODE_WARMUP + round * CODE_PER_ROUND;
			return secondStepLoad(SETTINGS, server.server.port, server.codeSteps.slice(from, round === "warmup" ? CODE_WARMUP : from + CODE_PER_ROUND));
		}
		case "session":
			return cyclingGetLoad(SETTINGS, `${url}/api/v1/session`, round === "warmup" ? GET_WARMUP_SECONDS : GET_ROUND_SECONDS, server.sessionHeaders);
		case "forward-auth":
			return cyclingGetLoad(SETTINGS, `${url}/api/v1/authz/forward-auth`, round === "warmup" ? GET_WARMUP_SECONDS : GET_ROUND_SECONDS, server.forwardAuthHeaders);
	}
}

/** Runs the rounds on the two servers; returns every load's runs on each. */
async function measure(name: string, small: ScaleServer, large: ScaleServer): Promise<Pick<BackendResult, "small" | "large">> {
	for (const load of LOADS) for (const server of [small, large]) await runLoad(server, load, "warmup");
	progress(`${name}: warmed up`);
	const runs = { small: { "code-step": [], session: [], "forward-auth": [] } as Record<LoadName, Run[]>, large: { "code-step": [], session: [], "forward-auth": [] } as Record<LoadName, Run[]> };
	for (let round = 0; round < ROUNDS; round++) {
		for (const load of LOADS) {
			const order = round % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const);
			for (const size of order) runs[size][load].push(await runLoad(size === "small" ? small : large, load, round));
		}
		progress(`${name}: round ${round + 1} of ${ROUNDS} done`);
	}
	return runs;
}

/** Seeds (or finds) the two databases of one backend, measures, cleans up. */
async function runBackend(backend: string, problems: string[]): Promise<BackendResult | null> {
	const name = backend === "postgres" ? "PostgreSQL" : "SQLite";
	const workDir = mkdtempSync(join(tmpdir(), `deadbolt-bench-scale-${backend}-`));
	const databases: string[] = [];
	const servers: ScaleServer[] = [];
	const log = (size: string) => (line: string) => progress(`${name} ${size}: ${line}`);
	try {
		let small: SeededDatabase;
		let large: SeededDatabase;
		if (backend === "postgres") {
			const unreachable = await postgresUnreachable();
			if (unreachable !== null) {
				problems.push(`PostgreSQL at ${redact(POSTGRES_URL)}: ${unreachable}`);
				return null;
			}
			const suffix = randomBytes(6).toString("hex");
			databases.push(`deadbolt_scale_${suffix}_1k`, `deadbolt_scale_${suffix}_1m`);
			onInterrupt(() => dropDatabases(databases));
			await createDatabases(databases);
			small = await postgresDatabase(databaseUrl(databases[0]!), join(workDir, "1k", "data"), SMALL_ACCOUNTS, EVENTS_PER_ACCOUNT, log("1K"));
			large = await postgresDatabase(databaseUrl(databases[1]!), join(workDir, "1m", "data"), LARGE_ACCOUNTS, EVENTS_PER_ACCOUNT, log("1M"));
		} else {
			const base = KEEP_DIR ?? workDir;
			small = await sqliteDatabase(join(base, "sqlite-1k"), SMALL_ACCOUNTS, EVENTS_PER_ACCOUNT, KEEP_DIR !== undefined, log("1K"));
			large = await sqliteDatabase(join(base, "sqlite-1m"), LARGE_ACCOUNTS, EVENTS_PER_ACCOUNT, KEEP_DIR !== undefined, log("1M"));
		}
		const seedSeconds = large.report?.seconds ?? null;
		if (seedSeconds !== null) {
			const within = seedSeconds < SEED_LIMIT_SECONDS;
			progress(`${name}: seeding the ${formatNumber(LARGE_ACCOUNTS)}-account database took ${seedSeconds.toFixed(1)} s (goal < ${SEED_LIMIT_SECONDS} s: ${within ? "MET" : "NOT MET"})`);
		}
		const codeSteps = CODE_WARMUP + ROUNDS * CODE_PER_ROUND;
		for (const [label, database] of [["1K", small], ["1M", large]] as const) {
			const start = performance.now();
			servers.push(await startScaleServer(label, join(workDir, `server-${label.toLowerCase()}`), database, codeSteps, SESSIONS, () => readSealedKeyOfAccountZero(database.env)));
			progress(`${name} ${label}: server up, seeded rows checked, ${codeSteps} code steps and ${SESSIONS} sessions prepared in ${((performance.now() - start) / 1000).toFixed(1)} s`);
		}
		const runs = await measure(name, servers[0]!, servers[1]!);
		return { name, seedSeconds, ...runs };
	} catch (error) {
		problems.push(`${name} run failed: ${(error as Error).message} (files kept in ${workDir})`);
		return null;
	} finally {
		for (const server of servers) await server.server.stop();
		if (databases.length > 0) {
			onInterrupt(null);
			await dropDatabases(databases).catch((error: unknown) => problems.push(`could not drop ${databases.join(", ")}: ${(error as Error).message}`));
		}
		if (!problems.some((problem) => problem.includes(workDir))) rmSync(workDir, { recursive: true, force: true });
	}
}

/** One comparison row: a load at 1M against the same at 1K. */
interface Scenario {
	readonly name: string;
	readonly backend: string;
	readonly reqPerSecond: number;
	readonly p99Ms: number;
	readonly baselineName: string;
	readonly baselineReqPerSecond: number;
	readonly baselineP99Ms: number;
	readonly ratio: number;
	readonly p99Ratio: number;
}

function scenariosOf(result: BackendResult): Scenario[] {
	return LOADS.map((load) => {
		const small = combine(result.small[load]);
		const large = combine(result.large[load]);
		const p99Ms = percentile(large.latenciesMs, 99);
		const baselineP99Ms = percentile(small.latenciesMs, 99);
		return {
			name: `${LABELS[load]}, ${formatNumber(LARGE_ACCOUNTS)} accounts`,
			backend: result.name.toLowerCase(),
			reqPerSecond: rate(large),
			p99Ms,
			baselineName: `${LABELS[load]}, ${formatNumber(SMALL_ACCOUNTS)} accounts`,
			baselineReqPerSecond: rate(small),
			baselineP99Ms,
			ratio: median(result.large[load].map((run, round) => rate(run) / rate(result.small[load][round] as Run))),
			p99Ratio: p99Ms / baselineP99Ms,
		};
	});
}

async function main(): Promise<number> {
	const { values } = parseArgs({ options: { json: { type: "string" } } });
	console.log(`deadbolt bench:scale, ${new Date().toISOString()}`);
	console.log(`machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} CPUs, Node ${process.version}; ${machineLoad()}`);
	console.log(`${formatNumber(SMALL_ACCOUNTS)} accounts against ${formatNumber(LARGE_ACCOUNTS)} (half with 2FA, a session each, ${EVENTS_PER_ACCOUNT} activity rows each); ${SETTINGS.connections} connections, ${ROUNDS} alternating rounds\n`);
	const problems: string[] = [];
	const results: BackendResult[] = [];
	for (const backend of BACKENDS) {
		if (backend !== "sqlite" && backend !== "postgres") {
			problems.push(`BENCH_SCALE_BACKENDS: unknown backend ${backend} (sqlite, postgres)`);
			continue;
		}
		const result = await runBackend(backend, problems);
		if (result !== null) results.push(result);
	}
	const scenarios = results.flatMap(scenariosOf);
	if (scenarios.length > 0) {
		console.log("");
		printTable(
			["load", "backend", "req/s 1K", "req/s 1M", "ratio", "p99 1K", "p99 1M", "p99 ratio", "goal"],
			scenarios.map((scenario) => {
				const met = scenario.ratio >= TARGET_RATE_RATIO && scenario.p99Ratio <= TARGET_P99_RATIO;
				return [
					LABELS[LOADS.find((load) => scenario.name.startsWith(LABELS[load])) as LoadName],
					scenario.backend,
					formatNumber(scenario.baselineReqPerSecond),
					formatNumber(scenario.reqPerSecond),
					formatNumber(scenario.ratio, 2),
					`${formatNumber(scenario.baselineP99Ms, 1)} ms`,
					`${formatNumber(scenario.p99Ms, 1)} ms`,
					formatNumber(scenario.p99Ratio, 2),
					`rate >= ${TARGET_RATE_RATIO}, p99 <= ${TARGET_P99_RATIO}x: ${met ? "MET" : "NOT MET"}`,
				];
			}),
			new Set([2, 3, 4, 5, 6, 7]),
		);
		for (const result of results) {
			const failed = LOADS.flatMap((load) => [...result.small[load], ...result.large[load]]).reduce((sum, run) => sum + run.failed, 0);
			if (failed > 0) problems.push(`${result.name}: ${failed} requests failed (non-2xx or errors) during the rounds`);
		}
		console.log(`\n${machineLoad()}`);
	}
	if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ scenarios }, null, 2)}\n`);
	for (const problem of problems) console.error(`problem: ${problem}`);
	return problems.length > 0 || results.length === 0 ? 1 : 0;
}

process.exitCode = await main();
