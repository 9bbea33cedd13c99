/**
 * HTTP benchmark: `npm run bench:http [-- --json FILE]` (issue 15, "Fast where it counts"). A
 * benchmark, not a test: it prints numbers, a MET / NOT MET line per goal, and exits 0 when the run
 * worked (1 only when a run failed), whether or not the goals are met.
 *
 * autocannon runs in this process; every server runs in a child process of its own (under tsx,
 * with an IPC channel: bench/http/child-server.ts), so subject and baseline pay the same for the
 * process, the loader, the socket and the load generator:
 *   - deadbolt (bench/http/server.ts: what `deadbolt serve` runs, with the default configuration
 *     (argon2id m=19 MiB t=2 p=1, `password.hashConcurrency` the cores minus one, pino at `info`
 *     to a log file) plus bench/forward-auth.ts's forward-auth set-up (`http.publicUrl`,
 *     `http.trustedProxies`, `session.cookieDomain`, one rule) and the per-IP credential limit
 *     raised to its maximum so the benchmark is not throttled);
 *   - the hand-written server (bench/http/hand-verify.ts): Fastify + better-sqlite3 in WAL, or
 *     Fastify + a `pg` Pool, a TOTP verify (one SELECT, the TOTP check, one conditional UPDATE)
 *     and a session check (one SELECT by the token's hash);
 *   - the floor (bench/http/floor.ts): Fastify's hello world, no logger.
 * Each runs once on SQLite (fresh files in a temp directory) and once on PostgreSQL (a fresh
 * database, dropped after) when the server at DEADBOLT_TEST_DATABASE_URL answers.
 *
 * What each scenario compares (scenarios.ts), each warmed up first (not counted):
 *   1. the code step `POST /api/v1/login/totp` (a prepared login challenge and account per
 *      request, its current code) against the hand-written verify `POST /verify` (a row per
 *      request) on the same database. Goal: >= 0.5.
 *   2. the full sign-in (`POST /api/v1/login` with email + password, then `POST /api/v1/login/totp`
 *      with the challenge it returned; an account per sign-in) in sign-ins/s against raw
 *      `@node-rs/argon2` verifications/s in the deadbolt process, as many at a time as deadbolt
 *      hashes at once (`password.hashConcurrency`). Goal: >= 0.9 with event-loop p99 < 20 ms.
 *      Also printed: the ratio to the machine's best raw rate (1, 2 and 4 at a time, the best).
 *   3. the session check `GET /api/v1/session` (Bearer token of a signed-in session) and the
 *      forward-auth decision `GET /api/v1/authz/forward-auth` (the forward-auth cookie, Caddy's
 *      and Traefik's X-Forwarded-* headers, allowed) against, on SQLite, the floor (sent the same
 *      headers) and, on PostgreSQL, the hand-written session check over `pg`. Goal: >= 0.5.
 *   With BENCH_HTTP_DELIVERIES=1, also issue 11's comparison: sign-ins with mail and webhooks on
 *   against the same without, on two more servers side by side (deliveries-overhead.ts; >= 0.95).
 *
 * Method: a subject alternates in rounds with its baseline (goal 3: baseline, session,
 * forward-auth, the order reversed every other round). A ratio is the median over rounds of
 * (subject's rate ÷ its baseline's rate in the same round), which cancels slow drift (other work on
 * the machine, CPU frequency). Rates count 2xx answers; p99 is over every answer of every round.
 * Each server observes itself during every round (bench/http/observe.ts): the event-loop delay
 * (`monitorEventLoopDelay`, 1 ms resolution taken off; "loop p99" is the worst round's p99) and,
 * on Linux, the CPU time of its main thread and its other threads per request and how long the
 * main thread waited for a CPU, which say where the time went whatever else the machine was doing.
 *
 * `--json FILE` writes `{ date, machine, settings, scenarios: [{ name, backend, unit,
 * reqPerSecond, p99Ms, baselineName, baselineReqPerSecond, ratio, goal, target, met, loopP99Ms,
 * cpuMicrosPerRequest, ... }], problems }` (summary.ts; rates per `unit`: requests or sign-ins).
 *
 * Environment: BENCH_HTTP_CONNECTIONS (default 10); BENCH_HTTP_BACKENDS (`sqlite,postgres`);
 * BENCH_HTTP_CPU_PROF=DIR writes a V8 CPU profile of every measured deadbolt round there;
 * BENCH_HTTP_DELIVERIES=1 adds the deliveries comparison (about a minute per database);
 * UV_THREADPOOL_SIZE reaches the servers (argon2id runs on libuv's pool: default 4 threads);
 * DEADBOLT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test: the benchmark
 * creates databases `deadbolt_bench_<random>` beside it and drops them after; needs CREATEDB).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_CONFIG } from "../src/config/defaults.js";
import { ChildServer, childEnv, startBenchServer } from "./http/child-server.js";
import { measureDeliveriesOverhead } from "./http/deliveries-overhead.js";
import type { LoadSettings } from "./http/load.js";
import { benchDatabaseName, createDatabases, databaseUrl, dropDatabases, POSTGRES_URL, onInterrupt, postgresUnreachable, redact } from "./http/postgres.js";
import { machineLoad, progress } from "./http/report.js";
import { FORWARD_AUTH_CONFIG, measureScenarios, SIZES, type Round, type Scenario } from "./http/scenarios.js";
import { printSummary, summarize } from "./http/summary.js";

const SETTINGS: LoadSettings = { connections: Number(process.env["BENCH_HTTP_CONNECTIONS"] ?? 10) };
/** Per-IP limit on the credential routes: the largest the configuration accepts. */
const RATE_LIMIT_PER_MINUTE = 100_000;
/** Issue 11: sign-ins with mail and webhooks on at least this share of the same without. */
const TARGET_DELIVERIES_OF_PLAIN = 0.95;
/** Alternating round pairs of the deliveries comparison, sign-ins per round (a multiple of the connections), warm-up. */
const DELIVERY_ROUNDS = 9;
const DELIVERY_PER_ROUND = SETTINGS.connections * 12;
const DELIVERY_WARMUP = SETTINGS.connections * 2;

const BACKENDS = new Set((process.env["BENCH_HTTP_BACKENDS"] ?? "sqlite,postgres").split(",").map((name) => name.trim().toLowerCase()));
const PROFILE_DIR = process.env["BENCH_HTTP_CPU_PROF"] === undefined ? null : resolve(process.env["BENCH_HTTP_CPU_PROF"]);
const DELIVERIES = process.env["BENCH_HTTP_DELIVERIES"] === "1";
const SERVER_SCRIPT = "bench/http/server.ts";
const HAND_SCRIPT = "bench/http/hand-verify.ts";
const FLOOR_SCRIPT = "bench/http/floor.ts";

/** `--json FILE` from the command line, or null. */
function jsonFile(): string | null {
	const args = process.argv.slice(2);
	const at = args.indexOf("--json");
	if (at === -1) return null;
	const file = args[at + 1];
	if (file === undefined || file.startsWith("--")) throw new Error("--json needs a file name");
	return resolve(file);
}

/** Issue 11's comparison as scenarios (sign-ins with deliveries against the same without; not observed). */
async function deliveriesScenarios(name: string, workDir: string, databases: readonly [string | null, string | null]): Promise<Scenario[]> {
	const measured = await measureDeliveriesOverhead(SETTINGS, { script: SERVER_SCRIPT, workDir, databases, rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, rounds: DELIVERY_ROUNDS, perRound: DELIVERY_PER_ROUND, warmup: DELIVERY_WARMUP });
	const rounds = (pick: (round: (typeof measured.rounds)[number]) => Round["result"]): Round[] => measured.rounds.map((round) => ({ result: pick(round), observation: null }));
	const common = { backend: name, unit: "sign-ins", requestsPerUnit: 2, baselineName: "full sign-in, no mail or webhook (a server of its own)", baseline: rounds((round) => round.off), baselineUnit: "sign-ins", baselineRequestsPerUnit: 2 } as const;
	progress(`${name}: sign-ins with mail and webhooks on measured (${measured.webhooksReceived} webhook messages received)`);
	return [
		{ ...common, name: "full sign-in, mail + webhooks on (known device: a webhook each)", goal: "issue 11", target: TARGET_DELIVERIES_OF_PLAIN, subject: rounds((round) => round.on), ratio: measured.ratio },
		{ ...common, name: "full sign-in, mail + webhooks on (new device: + an alert mail each)", goal: null, target: null, subject: rounds((round) => round.onNewDevice), ratio: measured.newDeviceRatio },
	];
}

/** Measures one database: deadbolt and the hand-written server on it, the floor shared. */
async function measureBackend(name: string, workDir: string, postgresUrl: string | null, floor: ChildServer): Promise<Scenario[]> {
	const server = await startBenchServer(SERVER_SCRIPT, workDir, postgresUrl, { rateLimit: { perMinute: RATE_LIMIT_PER_MINUTE }, ...FORWARD_AUTH_CONFIG });
	let hand: ChildServer | null = null;
	try {
		hand = await ChildServer.start(HAND_SCRIPT, postgresUrl === null ? ["sqlite", join(workDir, "hand.sqlite")] : ["postgres", postgresUrl], childEnv({}), null);
		return await measureScenarios({ name, settings: SETTINGS, server, hand, floor, postgres: postgresUrl !== null, profileDir: PROFILE_DIR });
	} catch (error) {
		process.stderr.write(`  ${name}: failed; server log: ${join(workDir, "server.log")}\n`);
		throw error;
	} finally {
		await server.stop();
		await hand?.stop();
	}
}

async function measureAll(floor: ChildServer, problems: string[]): Promise<Scenario[]> {
	const scenarios: Scenario[] = [];
	if (BACKENDS.has("sqlite")) {
		const sqliteDir = mkdtempSync(join(tmpdir(), "deadbolt-bench-sqlite-"));
		try {
			scenarios.push(...(await measureBackend("SQLite", sqliteDir, null, floor)));
			if (DELIVERIES) scenarios.push(...(await deliveriesScenarios("SQLite", join(sqliteDir, "deliveries"), [null, null])));
			rmSync(sqliteDir, { recursive: true, force: true });
		} catch (error) {
			problems.push(`SQLite run failed: ${(error as Error).message} (files kept in ${sqliteDir})`);
		}
	}
	const unreachable = BACKENDS.has("postgres") ? await postgresUnreachable() : "not asked for (BENCH_HTTP_BACKENDS)";
	if (unreachable !== null) {
		progress(`PostgreSQL at ${redact(POSTGRES_URL)}: ${unreachable}; SQLite only.`);
		return scenarios;
	}
	const database = benchDatabaseName();
	const pgDir = mkdtempSync(join(tmpdir(), "deadbolt-bench-pg-"));
	// The deliveries comparison runs two servers of its own, each on a fresh database (with keys of its own).
	const comparisonDatabases = [`${database}_off`, `${database}_on`] as const;
	const drop = (): Promise<unknown> => dropDatabases(DELIVERIES ? [database, ...comparisonDatabases] : [database]);
	try {
		await createDatabases([database]);
		// Interrupted (Ctrl-C reaches the servers too): the database goes all the same.
		onInterrupt(drop);
		scenarios.push(...(await measureBackend("PostgreSQL", pgDir, databaseUrl(database), floor)));
		if (DELIVERIES) {
			await createDatabases(comparisonDatabases);
			scenarios.push(...(await deliveriesScenarios("PostgreSQL", join(pgDir, "deliveries"), [databaseUrl(comparisonDatabases[0]), databaseUrl(comparisonDatabases[1])])));
		}
		rmSync(pgDir, { recursive: true, force: true });
	} catch (error) {
		problems.push(`PostgreSQL run failed: ${(error as Error).message} (files kept in ${pgDir})`);
	} finally {
		onInterrupt(null);
		await drop().catch((error: unknown) => {
			problems.push(`could not drop the PostgreSQL database ${database}: ${(error as Error).message}`);
		});
	}
	return scenarios;
}

async function main(): Promise<void> {
	const output = jsonFile();
	const started = Date.now();
	const date = new Date().toISOString();
	const { argon2 } = DEFAULT_CONFIG.password;
	const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", memoryBytes: totalmem(), node: process.version, platform: `${process.platform} ${process.arch}`, loadBefore: machineLoad(), loadAfter: "" };
	console.log(`node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); autocannon ${SETTINGS.connections} connections, pipelining 1, in this process; each server in a child process`);
	console.log(
		`deadbolt: default configuration (argon2id m=${argon2.memoryKiB} KiB t=${argon2.iterations} p=${argon2.parallelism}, password.hashConcurrency ${DEFAULT_CONFIG.password.hashConcurrency ?? "cores - 1"}, ` +
			`log level ${DEFAULT_CONFIG.log.level} to a file, PostgreSQL pool ${DEFAULT_CONFIG.storage.postgresPoolSize}) + forward-auth set-up, rateLimit.perMinute=${RATE_LIMIT_PER_MINUTE}`,
	);
	console.log(
		`rounds: ${SIZES.rounds} x (hand-written verify ${SIZES.handVerifyPerRound} requests, code step ${SIZES.codeStepPerRound} requests); ` +
			`${SIZES.rounds} x (baseline, session, forward-auth, ${SIZES.sessionRoundSeconds} s each); ` +
			`${SIZES.loginRounds} x (raw argon2id ${SIZES.argon2RoundMs / 1000} s, ${SETTINGS.connections * SIZES.loginPerRoundPerConnection} sign-ins), then raw argon2id at ${SIZES.argon2Concurrencies.join(", ")} at a time` +
			(DELIVERIES ? `; deliveries ${DELIVERY_ROUNDS} x 3 x ${DELIVERY_PER_ROUND} sign-ins` : ""),
	);
	// Other work on the machine skews every number: say how busy it was (tasks waiting for a CPU).
	console.log(`machine before: ${machine.loadBefore}`);
	console.log("");
	if (PROFILE_DIR !== null) mkdirSync(PROFILE_DIR, { recursive: true });

	const problems: string[] = [];
	const floor = await ChildServer.start(FLOOR_SCRIPT, [], childEnv({}), null);
	let scenarios: Scenario[];
	try {
		scenarios = await measureAll(floor, problems);
	} finally {
		await floor.stop();
	}

	machine.loadAfter = machineLoad();
	console.log("");
	console.log(`machine after: ${machine.loadAfter}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
	console.log("");
	printSummary(scenarios);
	const summaries = scenarios.map(summarize);
	const failed = summaries.reduce((sum, summary) => sum + summary.failed, 0);
	if (failed > 0) console.log(`warning: ${failed} requests failed (non-2xx or connection errors); rates count 2xx answers only`);
	if (PROFILE_DIR !== null) console.log(`CPU profiles of the deadbolt server: ${PROFILE_DIR}`);
	for (const problem of problems) console.log(`error: ${problem}`);
	if (output !== null) {
		const settings = { connections: SETTINGS.connections, pipelining: 1, ...SIZES, deliveries: DELIVERIES, threadpoolSize: Number(process.env["UV_THREADPOOL_SIZE"] ?? 4) };
		writeFileSync(output, `${JSON.stringify({ date, seconds: (Date.now() - started) / 1000, machine, settings, scenarios: summaries, problems }, null, 2)}\n`);
		console.log(`summary written to ${output}`);
	}
	if (problems.length > 0 || scenarios.length === 0) process.exitCode = 1;
}

await main();
