/**
 * HTTP benchmark: `npm run bench:http` (issue 4). A benchmark, not a test: it prints numbers.
 *
 * autocannon runs in this process; every server runs in a child process of its own (under tsx,
 * with an IPC channel: bench/http/child-server.ts):
 *   - the floor: Fastify's hello world (bench/http/floor.ts: the same Fastify, no logger);
 *   - deadbolt (bench/http/server.ts: what `deadbolt serve` runs, with the default configuration
 *     (argon2id m=19 MiB t=2 p=1, pino at `info`, to a log file) except the per-IP credential limit,
 *     raised to its maximum so the benchmark is not throttled), once on SQLite (a fresh file in a
 *     temp directory) and once on PostgreSQL (a fresh database, dropped after) when the server at
 *     DEADBOLT_TEST_DATABASE_URL answers.
 *
 * Loads, each warmed up first (not counted):
 *   - `POST /api/v1/login/totp`, the second step that makes a session: every request has a login
 *     challenge and an account of its own, prepared before (a TOTP time step is accepted once per
 *     account, so one account per request), with its current code;
 *   - the full sign-in: `POST /api/v1/login` (email + password: argon2id) then
 *     `POST /api/v1/login/totp` with the challenge it returned; one account per sign-in;
 *   - raw `@node-rs/argon2` verify (the same parameters, in the deadbolt server's process, so the
 *     same libuv thread pool, as many at a time as autocannon has connections).
 *
 * Method: the loads alternate in rounds, like bench/otp.ts: a floor round then a second-step
 * round, ROUNDS times; a raw argon2id round then a sign-in round, LOGIN_ROUNDS times. A ratio is
 * the median over rounds of (rate ÷ the rate of its partner round), which cancels slow drift
 * (other work on the machine, CPU frequency). req/s counts 2xx answers; p99 is over every answer
 * of every round. Each server observes itself during every round (bench/http/observe.ts): the
 * event-loop delay (`monitorEventLoopDelay`, 1 ms resolution, the resolution taken off; "loop
 * p99" is the worst round's p99), and on Linux the CPU time of its main thread and its other
 * threads per request and how long the main thread waited for a CPU, which say where the time
 * went whatever else the machine was doing.
 *
 * Targets (issue 4): the second step at >= 60 % of the floor on SQLite; full sign-ins at >= 90 %
 * of the raw argon2id verify rate; event-loop p99 under 20 ms during the sign-ins; and (issue 11)
 * sign-ins with mail and webhooks on at >= 95 % of the same without (from a device the account
 * knows; from a new device, with an alert mail each, printed beside it), measured on two servers
 * side by side in alternating rounds (bench/http/deliveries-overhead.ts). The process exits with code 1
 * when a target is not met or a run fails.
 *
 * Environment: BENCH_HTTP_CONNECTIONS (default 10); BENCH_HTTP_BACKENDS (`sqlite,postgres`);
 * BENCH_HTTP_CPU_PROF=DIR writes a V8 CPU profile of every measured deadbolt round there;
 * UV_THREADPOOL_SIZE reaches the servers (argon2id runs on libuv's pool: default 4 threads);
 * DEADBOLT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test: the benchmark
 * creates a database `deadbolt_bench_<random>` beside it and drops it after; needs CREATEDB).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_CONFIG } from "../src/config/defaults.js";
import { ChildServer, childEnv, startBenchServer } from "./http/child-server.js";
import { measureDeliveriesOverhead, type DeliveriesOverhead } from "./http/deliveries-overhead.js";
import { combine, floorLoad, loginLoad, median, percentile, rate, secondStepLoad, type LoadSettings, type Run } from "./http/load.js";
import { benchDatabaseName, createDatabases, databaseUrl, dropDatabases, POSTGRES_URL, onInterrupt, postgresUnreachable, redact } from "./http/postgres.js";
import type { LoopDelay, RoundObservation } from "./http/protocol.js";
import { formatNumber, machineLoad, printTable, progress } from "./http/report.js";

const SETTINGS: LoadSettings = { connections: Number(process.env["BENCH_HTTP_CONNECTIONS"] ?? 10) };
const ROUNDS = 4;
const FLOOR_WARMUP_SECONDS = 1;
const FLOOR_ROUND_SECONDS = 1;
/** Second-step requests (each needs an account and a challenge). */
const SECOND_STEP_WARMUP = 400;
const SECOND_STEP_PER_ROUND = 800;
const LOGIN_ROUNDS = 3;
/** Full sign-ins (two requests each); multiples of the connections. */
const LOGIN_WARMUP = SETTINGS.connections * 2;
const LOGIN_PER_ROUND = SETTINGS.connections * 24;
const ARGON2_ROUND_MS = 1500;
/** Per-IP limit on the credential routes: the largest the configuration accepts. */
const RATE_LIMIT_PER_MINUTE = 100_000;

const TARGET_SECOND_STEP_OF_FLOOR = 0.6;
const TARGET_LOGIN_OF_ARGON2 = 0.9;
const TARGET_LOOP_P99_MS = 20;
/** Sign-ins with mail and webhooks on, against the same without (issue 11): at least this share. */
const TARGET_DELIVERIES_OF_PLAIN = 0.95;
/** Alternating round pairs of the deliveries comparison, and sign-ins per round. */
const DELIVERY_ROUNDS = 9;
const DELIVERY_PER_ROUND = SETTINGS.connections * 12;

const BACKENDS = new Set((process.env["BENCH_HTTP_BACKENDS"] ?? "sqlite,postgres").split(",").map((name) => name.trim().toLowerCase()));
const PROFILE_DIR = process.env["BENCH_HTTP_CPU_PROF"] === undefined ? undefined : resolve(process.env["BENCH_HTTP_CPU_PROF"]);
const SERVER_SCRIPT = "bench/http/server.ts";
const FLOOR_SCRIPT = "bench/http/floor.ts";

/** A round of raw argon2id verifications. */
interface Argon2Round {
	readonly verifications: number;
	readonly seconds: number;
}

/** A round of some load, and what its server saw of itself meanwhile. */
interface Round<T> {
	readonly result: T;
	readonly observation: RoundObservation;
}

/** What one database gave. */
interface BackendResult {
	readonly name: string;
	/** Round r of `floor` ran right before round r of `secondStep`. */
	readonly floor: Round<Run>[];
	readonly secondStep: Round<Run>[];
	/** Round r ran right before round r of `login`. */
	readonly argon2: Round<Argon2Round>[];
	readonly login: Round<Run>[];
	readonly threadpoolSize: number;
	/** Sign-ins with mail and webhooks on against the same without (deliveries-overhead.ts). */
	readonly deliveries: DeliveriesOverhead | null;
}

const argon2Rate = (round: Argon2Round): number => round.verifications / round.seconds;
const results = <T>(rounds: readonly Round<T>[]): T[] => rounds.map((round) => round.result);

/** Runs `run` while `server` observes itself (and, when asked, writes a CPU profile named `label`). */
async function observed<T>(server: ChildServer, label: string | null, run: () => Promise<T>): Promise<Round<T>> {
	const profile = PROFILE_DIR !== undefined && label !== null;
	if (profile) await server.call({ type: "profile-start" }, "profile-started");
	await server.call({ type: "observe-start" }, "observe-started");
	const result = await run();
	const { observation } = await server.call({ type: "observe-stop" }, "observed");
	if (profile) await server.call({ type: "profile-stop", file: join(PROFILE_DIR, `${label}.cpuprofile`) }, "profile-written");
	return { result, observation };
}

/** The event-loop delay over several rounds: the worst round's p99 (percentiles of separate rounds do not add up). */
function worstLoop(rounds: readonly Round<unknown>[]): LoopDelay {
	const loops = rounds.map((round) => round.observation.loop);
	return {
		p50Ms: median(loops.map((loop) => loop.p50Ms)),
		p99Ms: Math.max(...loops.map((loop) => loop.p99Ms)),
		maxMs: Math.max(...loops.map((loop) => loop.maxMs)),
		samples: loops.reduce((sum, loop) => sum + loop.samples, 0),
	};
}

async function measureBackend(name: string, workDir: string, postgresUrl: string | null, floor: ChildServer): Promise<BackendResult> {
	const server = await startBenchServer(SERVER_SCRIPT, workDir, postgresUrl, { rateLimit: { perMinute: RATE_LIMIT_PER_MINUTE } });
	const logFile = join(workDir, "server.log");
	const key = name.toLowerCase();
	try {
		const seeded = await server.call({ type: "seed", secondStep: SECOND_STEP_WARMUP + ROUNDS * SECOND_STEP_PER_ROUND, logins: LOGIN_WARMUP + LOGIN_ROUNDS * LOGIN_PER_ROUND }, "seeded");
		progress(`${name}: ${seeded.accounts} accounts with 2FA on and ${seeded.secondStep.length} login challenges prepared in ${seeded.seconds.toFixed(1)} s`);

		await secondStepLoad(SETTINGS, server.port, seeded.secondStep.slice(0, SECOND_STEP_WARMUP));
		const floorRounds: Round<Run>[] = [];
		const secondStep: Round<Run>[] = [];
		for (let round = 0; round < ROUNDS; round++) {
			floorRounds.push(await observed(floor, null, () => floorLoad(SETTINGS, `http://127.0.0.1:${floor.port}/`, FLOOR_ROUND_SECONDS)));
			const items = seeded.secondStep.slice(SECOND_STEP_WARMUP + round * SECOND_STEP_PER_ROUND, SECOND_STEP_WARMUP + (round + 1) * SECOND_STEP_PER_ROUND);
			secondStep.push(await observed(server, `${key}-second-step-${round}`, () => secondStepLoad(SETTINGS, server.port, items)));
		}
		progress(`${name}: second step measured`);

		await loginLoad(SETTINGS, server.port, seeded.logins.slice(0, LOGIN_WARMUP));
		const argon2: Round<Argon2Round>[] = [];
		const login: Round<Run>[] = [];
		let threadpoolSize = 0;
		for (let round = 0; round < LOGIN_ROUNDS; round++) {
			argon2.push(
				await observed(server, null, async () => {
					const raw = await server.call({ type: "argon2", concurrency: SETTINGS.connections, durationMs: ARGON2_ROUND_MS }, "argon2");
					threadpoolSize = raw.threadpoolSize;
					return { verifications: raw.verifications, seconds: raw.seconds };
				}),
			);
			const items = seeded.logins.slice(LOGIN_WARMUP + round * LOGIN_PER_ROUND, LOGIN_WARMUP + (round + 1) * LOGIN_PER_ROUND);
			login.push(await observed(server, `${key}-sign-in-${round}`, () => loginLoad(SETTINGS, server.port, items)));
		}
		progress(`${name}: full sign-in measured`);
		return { name, floor: floorRounds, secondStep, argon2, login, threadpoolSize, deliveries: null };
	} catch (error) {
		process.stderr.write(`  ${name}: failed; server log: ${logFile}\n`);
		throw error;
	} finally {
		await server.stop();
	}
}

/**
 * Where a server's time went over `rounds`: main-thread and other-thread CPU per unit of work
 * (microseconds), and the share of the rounds' time its main thread spent waiting for a CPU.
 */
function timeRow(scenario: string, backend: string, rounds: readonly Round<unknown>[], units: number, unit: string): string[] {
	const threads = rounds.map((round) => round.observation.threads);
	const seconds = rounds.reduce((sum, round) => sum + round.observation.seconds, 0);
	if (threads.some((times) => times === null)) return [scenario, backend, "-", "-", "-", formatNumber(worstLoop(rounds).p50Ms, 1), unit];
	const sum = (pick: (times: NonNullable<RoundObservation["threads"]>) => number): number => threads.reduce((total, times) => total + pick(times as NonNullable<typeof times>), 0);
	return [
		scenario,
		backend,
		formatNumber((sum((times) => times.mainMs) * 1000) / units),
		formatNumber((sum((times) => times.otherMs) * 1000) / units),
		formatNumber((sum((times) => times.mainWaitMs) / 1000 / seconds) * 100, 1),
		formatNumber(worstLoop(rounds).p50Ms, 1),
		unit,
	];
}

/** No event-loop figure (the deliveries comparison does not observe its servers). */
const NO_LOOP: LoopDelay = { p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN, samples: 0 };

/** Sign-ins with mail and webhooks on against the same without, on two fresh servers (deliveries-overhead.ts). */
function deliveriesOverhead(workDir: string, databases: readonly [string | null, string | null]): Promise<DeliveriesOverhead> {
	return measureDeliveriesOverhead(SETTINGS, { script: SERVER_SCRIPT, workDir, databases, rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, rounds: DELIVERY_ROUNDS, perRound: DELIVERY_PER_ROUND, warmup: LOGIN_WARMUP });
}

async function measureAll(floor: ChildServer, problems: string[]): Promise<BackendResult[]> {
	const backends: BackendResult[] = [];
	await floorLoad(SETTINGS, `http://127.0.0.1:${floor.port}/`, FLOOR_WARMUP_SECONDS);
	if (BACKENDS.has("sqlite")) {
		const sqliteDir = mkdtempSync(join(tmpdir(), "deadbolt-bench-sqlite-"));
		try {
			const measured = await measureBackend("SQLite", sqliteDir, null, floor);
			const deliveries = await deliveriesOverhead(join(sqliteDir, "deliveries"), [null, null]);
			progress(`SQLite: sign-ins with mail and webhooks on measured`);
			backends.push({ ...measured, deliveries });
			rmSync(sqliteDir, { recursive: true, force: true });
		} catch (error) {
			problems.push(`SQLite run failed: ${(error as Error).message} (files kept in ${sqliteDir})`);
		}
	}
	const unreachable = BACKENDS.has("postgres") ? await postgresUnreachable() : "not asked for (BENCH_HTTP_BACKENDS)";
	if (unreachable !== null) {
		progress(`PostgreSQL at ${redact(POSTGRES_URL)}: ${unreachable}; SQLite only.`);
		return backends;
	}
	const database = benchDatabaseName();
	const pgDir = mkdtempSync(join(tmpdir(), "deadbolt-bench-pg-"));
	// The deliveries comparison runs two servers of its own, each on a fresh database (with keys of its own).
	const comparisonDatabases = [`${database}_off`, `${database}_on`] as const;
	const comparisonUrls = [databaseUrl(comparisonDatabases[0]), databaseUrl(comparisonDatabases[1])] as [string, string];
	const drop = (): Promise<unknown> => dropDatabases([database, ...comparisonDatabases]);
	try {
		await createDatabases([database]);
		// Interrupted (Ctrl-C reaches the servers too): the database goes all the same.
		onInterrupt(drop);
		const measured = await measureBackend("PostgreSQL", pgDir, databaseUrl(database), floor);
		await createDatabases(comparisonDatabases);
		const deliveries = await deliveriesOverhead(join(pgDir, "deliveries"), comparisonUrls);
		progress(`PostgreSQL: sign-ins with mail and webhooks on measured`);
		backends.push({ ...measured, deliveries });
		rmSync(pgDir, { recursive: true, force: true });
	} catch (error) {
		problems.push(`PostgreSQL run failed: ${(error as Error).message} (files kept in ${pgDir})`);
	} finally {
		onInterrupt(null);
		await drop().catch((error: unknown) => {
			problems.push(`could not drop the PostgreSQL database ${database}: ${(error as Error).message}`);
		});
	}
	return backends;
}

async function main(): Promise<void> {
	const started = Date.now();
	const { argon2 } = DEFAULT_CONFIG.password;
	console.log(`node ${process.version}, ${availableParallelism()} CPUs; autocannon ${SETTINGS.connections} connections, pipelining 1, in this process; each server in a child process`);
	console.log(
		`deadbolt: default configuration (argon2id m=${argon2.memoryKiB} KiB t=${argon2.iterations} p=${argon2.parallelism}, log level ${DEFAULT_CONFIG.log.level} to a file, ` +
			`PostgreSQL pool ${DEFAULT_CONFIG.storage.postgresPoolSize}) but rateLimit.perMinute=${RATE_LIMIT_PER_MINUTE}`,
	);
	console.log(
		`rounds: ${ROUNDS} x (floor ${FLOOR_ROUND_SECONDS} s, second step ${SECOND_STEP_PER_ROUND} requests); ` +
			`${LOGIN_ROUNDS} x (raw argon2id ${ARGON2_ROUND_MS / 1000} s, ${LOGIN_PER_ROUND} sign-ins)`,
	);
	// Other work on the machine skews every number: say how busy it was (tasks waiting for a CPU).
	console.log(`machine before: ${machineLoad()}`);
	console.log("");
	if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });

	const problems: string[] = [];
	const floor = await ChildServer.start(FLOOR_SCRIPT, [], childEnv({}), null);
	let backends: BackendResult[];
	try {
		backends = await measureAll(floor, problems);
	} finally {
		await floor.stop();
	}

	console.log("");
	console.log(`machine after: ${machineLoad()}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
	console.log("");
	const floorRounds = backends.flatMap((backend) => backend.floor);
	const allFloor = combine(results(floorRounds));
	const loadRows: string[][] = [];
	const time: string[][] = [];
	const targets: { text: string; met: boolean }[] = [];
	const loadCells = (run: Run, ofFloor: string, loop: LoopDelay): string[] => [
		formatNumber(rate(run)),
		formatNumber(percentile(run.latenciesMs, 99), 1),
		ofFloor,
		formatNumber(loop.p99Ms, 1),
		String(run.failed),
	];
	if (floorRounds.length > 0) {
		loadRows.push(["Fastify hello world (floor)", "-", ...loadCells(allFloor, "1.000", worstLoop(floorRounds)), "GET /"]);
		time.push(timeRow("Fastify hello world (floor)", "-", floorRounds, allFloor.ok + allFloor.failed, "per request"));
	}
	for (const backend of backends) {
		const secondStep = combine(results(backend.secondStep));
		const login = combine(results(backend.login));
		const secondStepOfFloor = median(backend.secondStep.map((round, index) => rate(round.result) / rate((backend.floor[index] as Round<Run>).result)));
		const loginOfArgon2 = median(backend.login.map((round, index) => rate(round.result) / 2 / argon2Rate((backend.argon2[index] as Round<Argon2Round>).result)));
		const argon2Rounds = results(backend.argon2);
		const verifications = argon2Rounds.reduce((sum, round) => sum + round.verifications, 0);
		const argon2Seconds = argon2Rounds.reduce((sum, round) => sum + round.seconds, 0);
		const loginLoop = worstLoop(backend.login);
		loadRows.push(["POST /api/v1/login/totp", backend.name, ...loadCells(secondStep, formatNumber(secondStepOfFloor, 3), worstLoop(backend.secondStep)), "second step, a fresh challenge each"]);
		loadRows.push([
			"full sign-in (password + code)",
			backend.name,
			...loadCells(login, formatNumber(rate(login) / rate(allFloor), 3), loginLoop),
			`${formatNumber(rate(login) / 2, 1)} sign-ins/s (2 requests each) = ${formatNumber(loginOfArgon2, 3)} x raw argon2id`,
		]);
		loadRows.push([
			"raw argon2id verify",
			backend.name,
			"-",
			"-",
			"-",
			formatNumber(worstLoop(backend.argon2).p99Ms, 1),
			"-",
			`${formatNumber(verifications / argon2Seconds, 1)} verifications/s (${SETTINGS.connections} at a time, ${backend.threadpoolSize} libuv threads, in the deadbolt process)`,
		]);
		time.push(timeRow("POST /api/v1/login/totp", backend.name, backend.secondStep, secondStep.ok + secondStep.failed, "per request"));
		time.push(timeRow("full sign-in (password + code)", backend.name, backend.login, (login.ok + login.failed) / 2, "per sign-in"));
		time.push(timeRow("raw argon2id verify", backend.name, backend.argon2, verifications, "per verification"));
		if (backend.name === "SQLite") {
			targets.push({ text: `second step on SQLite >= ${TARGET_SECOND_STEP_OF_FLOOR * 100}% of the floor: ${(secondStepOfFloor * 100).toFixed(1)}%`, met: secondStepOfFloor >= TARGET_SECOND_STEP_OF_FLOOR });
		}
		targets.push({ text: `full sign-in on ${backend.name} >= ${TARGET_LOGIN_OF_ARGON2 * 100}% of the raw argon2id verify rate: ${(loginOfArgon2 * 100).toFixed(1)}%`, met: loginOfArgon2 >= TARGET_LOGIN_OF_ARGON2 });
		targets.push({ text: `event-loop delay p99 during sign-ins on ${backend.name} < ${TARGET_LOOP_P99_MS} ms: ${loginLoop.p99Ms.toFixed(1)} ms (max ${loginLoop.maxMs.toFixed(1)} ms)`, met: loginLoop.p99Ms < TARGET_LOOP_P99_MS });
		if (backend.deliveries !== null) {
			const { ratio, newDeviceRatio, rounds, webhooksReceived } = backend.deliveries;
			const on = combine(rounds.map((round) => round.on));
			const off = combine(rounds.map((round) => round.off));
			const onNew = combine(rounds.map((round) => round.onNewDevice));
			loadRows.push(["full sign-in, no mail or webhook", backend.name, ...loadCells(off, formatNumber(rate(off) / rate(allFloor), 3), NO_LOOP), `${formatNumber(rate(off) / 2, 1)} sign-ins/s, a server of its own`]);
			loadRows.push([
				"full sign-in, mail + webhooks on",
				backend.name,
				...loadCells(on, formatNumber(rate(on) / rate(allFloor), 3), NO_LOOP),
				`${formatNumber(rate(on) / 2, 1)} sign-ins/s = ${formatNumber(ratio, 3)} x without (median of ${rounds.length} rounds); a known device: one webhook message each`,
			]);
			loadRows.push([
				"  the same, a new device each time",
				backend.name,
				...loadCells(onNew, formatNumber(rate(onNew) / rate(allFloor), 3), NO_LOOP),
				`${formatNumber(rate(onNew) / 2, 1)} sign-ins/s = ${formatNumber(newDeviceRatio, 3)} x without; a webhook message and an alert mail each (${webhooksReceived} webhook messages received in all)`,
			]);
			targets.push({ text: `sign-ins on ${backend.name} with mail and webhooks on >= ${TARGET_DELIVERIES_OF_PLAIN * 100}% of the same without: ${(ratio * 100).toFixed(1)}% (a new device each time, an alert mail each: ${(newDeviceRatio * 100).toFixed(1)}%)`, met: ratio >= TARGET_DELIVERIES_OF_PLAIN });
		}
	}
	printTable(["scenario", "backend", "req/s", "p99 ms", "x floor", "loop p99 ms", "failed", "note"], loadRows, new Set([2, 3, 4, 5, 6]));
	console.log("");
	console.log("Where the server's time went (CPU time from /proc; main = the event loop; other = libuv's pool and V8's helpers):");
	printTable(["scenario", "backend", "main CPU µs", "other CPU µs", "main waiting for a CPU %", "loop p50 ms", "unit"], time, new Set([2, 3, 4, 5]));
	console.log("");
	for (const target of targets) console.log(`target: ${target.text} -> ${target.met ? "MET" : "NOT MET"}`);
	const failed = backends.reduce(
		(sum, backend) =>
			sum + [...backend.secondStep, ...backend.login].reduce((total, round) => total + round.result.failed, 0) + (backend.deliveries?.rounds ?? []).reduce((total, round) => total + round.on.failed + round.off.failed + round.onNewDevice.failed, 0),
		0,
	);
	if (failed > 0) console.log(`warning: ${failed} requests failed (non-2xx or connection errors); req/s counts 2xx answers only`);
	if (PROFILE_DIR !== undefined) console.log(`CPU profiles of the deadbolt server: ${PROFILE_DIR}`);
	for (const problem of problems) console.log(`error: ${problem}`);
	if (problems.length > 0 || backends.length === 0 || targets.some((target) => !target.met)) process.exitCode = 1;
}

await main();
