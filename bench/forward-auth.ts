/**
 * Forward-auth benchmark: `npm run bench:forward-auth` (issue 12). A benchmark, not a test: it
 * prints numbers, and exits 0 when it ran (1 only when a run or a check of the set-up failed).
 *
 * A forward-auth check runs before every request of every protected app, so it is measured
 * against what the same request costs without it, in the same run:
 *   - through nginx: `GET http://app.example.test/...` through the docs' nginx site file
 *     (docs/integrations/nginx.conf: `auth_request` to deadbolt's `/api/v1/authz/auth-request`,
 *     then the app), against `plain.example.test`, the same server block without its
 *     `auth_request` line (bench/forward-auth/nginx.ts), both in front of the same upstream (the
 *     proxy tests' echo server, test/helpers/processes/echo-upstream.mjs);
 *   - deadbolt alone: `GET /api/v1/authz/auth-request` (the headers nginx sends) and
 *     `GET /api/v1/authz/forward-auth` (Caddy's and Traefik's headers) sent straight to deadbolt,
 *     against the Fastify floor of `npm run bench:http` (bench/http/floor.ts: Fastify's hello
 *     world, no logger), sent the same headers.
 * Three more rows, measured the same way, say where the cost lies; no goal applies to them:
 *   - deadbolt's `GET /healthz` against the floor: deadbolt's HTTP stack alone (its hooks, its
 *     request logging at `info`, its security headers), no decision;
 *   - the docs' app block with a new connection to deadbolt per subrequest (nginx's default; the
 *     docs' file keeps them, `upstream deadbolt` with `keepalive`), against the nginx baseline;
 *   - the docs' app block with `auth_request` answered by the floor over kept connections (a check
 *     that costs nothing: nginx's own share), against the nginx baseline.
 * The rows that do not read the database (`/healthz`, the free check) run with the first one only.
 * Every request is allowed: it carries the forward-auth cookie of a signed-in, password-only
 * session of an account with a verified address, and the one rule is
 * `{domains: ["app.example.test"], policy: "one_factor"}`; deadbolt answers 200 with the six
 * identity headers, `Remote-Assertion` an ES256 JWT made for the request.
 *
 * deadbolt is bench/http/server.ts: what `deadbolt serve` runs with the default configuration
 * (log level `info`, to a file) plus `http.publicUrl` http://auth.example.test,
 * `http.trustedProxies` ["loopback"], `session.cookieDomain` example.test and that rule; once on
 * SQLite (a fresh file) and once on PostgreSQL (a fresh database `deadbolt_bench_<random>` on the
 * server of DEADBOLT_TEST_DATABASE_URL, dropped after) when it answers. Its clock is fixed at the
 * start: the session's last activity is never written during the run (deadbolt writes it at most
 * once a minute per session).
 *
 * Method: autocannon in this process, keep-alive connections, pipelining 1, the same number of
 * connections for every load. Each load is warmed up, then ROUNDS rounds: the nginx loads (the
 * baseline first) then the direct ones (the floor first), each load for ROUND_SECONDS, the order
 * reversed in every other round. A ratio is the median over rounds of (subject's rate ÷ its
 * baseline's rate in the same round), which cancels slow drift; req/s
 * counts 2xx answers over all rounds. CPU time per request of each process (load generator,
 * nginx master and worker, upstream, deadbolt or the floor, deadbolt's PostgreSQL backends) is
 * read from /proc: on two cores shared by all of them, a rate ratio is roughly the ratio of the
 * CPU time a request costs in all.
 *
 * Goal (issue 12): each subject at >= 50 % of its baseline.
 *
 * Environment: BENCH_FORWARD_AUTH_CONNECTIONS (default 8: modest, for two cores);
 * BENCH_FORWARD_AUTH_BACKENDS (`sqlite,postgres`); BENCH_FORWARD_AUTH_CPU_PROF=DIR writes a V8
 * CPU profile of deadbolt for every measured round of `auth-request` alone and through nginx;
 * BENCH_FORWARD_AUTH_LOADS=auth-request,... measures only those loads (and their baselines);
 * DEADBOLT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; needs CREATEDB).
 * Needs nginx with `auth_request` (Debian: nginx-light).
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../test/helpers/cli-process.js";
import { childPids } from "../test/helpers/system-tools.js";
import { proxiedRequest, proxyUnmet, startEchoUpstream, stopProxies, type EchoUpstream, type RunningProxy } from "../test/helpers/proxies.js";
import { ChildServer, childEnv, startBenchServer } from "./http/child-server.js";
import { combine, getLoad, median, percentile, rate, type LoadSettings, type Run } from "./http/load.js";
import { benchDatabaseName, createDatabases, databaseUrl, dropDatabases, POSTGRES_URL, onInterrupt, postgresUnreachable, redact, withAdmin } from "./http/postgres.js";
import { formatNumber, machineLoad, printTable, progress } from "./http/report.js";
import { APP_HOST, PLAIN_HOST, startBenchNginx, type VariantPorts } from "./forward-auth/nginx.js";
import { cpuBetween, processCpuAvailable, readCpu, type CpuReading, type ProcessGroups } from "./forward-auth/process-cpu.js";

const SETTINGS: LoadSettings = { connections: Number(process.env["BENCH_FORWARD_AUTH_CONNECTIONS"] ?? 8) };
const ROUNDS = 4;
const ROUND_SECONDS = 2;
const WARMUP_SECONDS = 1;
/** Goal of issue 12: a subject at least this share of its baseline's rate. */
const TARGET_OF_BASELINE = 0.5;

const BACKENDS = new Set((process.env["BENCH_FORWARD_AUTH_BACKENDS"] ?? "sqlite,postgres").split(",").map((name) => name.trim().toLowerCase()));
const PROFILE_DIR = process.env["BENCH_FORWARD_AUTH_CPU_PROF"] === undefined ? undefined : resolve(process.env["BENCH_FORWARD_AUTH_CPU_PROF"]);
const SERVER_SCRIPT = "bench/http/server.ts";
const FLOOR_SCRIPT = "bench/http/floor.ts";

/** The protected request every load asks about (or makes). */
const ORIGINAL_PATH = "/projects/42/issues?state=open";
/** The forward-auth cookie's name with `session.cookieDomain` set and an http public URL (src/http/cookies.ts). */
const COOKIE_NAME = "deadbolt_forward_auth";
/** deadbolt's configuration on top of the defaults (and of `DEADBOLT_*` set by startBenchServer). */
const DEADBOLT_CONFIG = Object.freeze({
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["loopback"] },
	session: { cookieDomain: "example.test" },
	accessControl: { defaultPolicy: "deny", rules: [{ domains: [APP_HOST], policy: "one_factor" }] },
});

/** The loads: two baselines, three subjects, and two rows that say where the cost lies. */
const ALL_LOADS = ["nginx", "nginx-auth", "nginx-auth-new-connection", "nginx-free-check", "floor", "healthz", "auth-request", "forward-auth"] as const;
type LoadName = (typeof ALL_LOADS)[number];

/**
 * What each load is, what it is measured against, whether issue 12's goal applies to it, and
 * whether it is measured on the first database only (it does not read the database).
 */
const DESCRIPTIONS: Readonly<Record<LoadName, { readonly label: string; readonly baseline: LoadName | null; readonly goal: boolean; readonly once?: true }>> = {
	nginx: { label: "nginx -> app, no auth (baseline)", baseline: null, goal: false },
	"nginx-auth": { label: "nginx auth_request -> deadbolt, then app", baseline: "nginx", goal: true },
	"nginx-auth-new-connection": { label: "  the same, a new connection per check (not the docs')", baseline: "nginx", goal: false },
	"nginx-free-check": { label: "  the same, auth_request -> the floor (a free check)", baseline: "nginx", goal: false, once: true },
	floor: { label: "Fastify hello world (floor)", baseline: null, goal: false },
	healthz: { label: "deadbolt GET /healthz (its HTTP stack alone)", baseline: "floor", goal: false, once: true },
	"auth-request": { label: "deadbolt GET /api/v1/authz/auth-request", baseline: "floor", goal: true },
	"forward-auth": { label: "deadbolt GET /api/v1/authz/forward-auth", baseline: "floor", goal: true },
};

/** The loads asked for (BENCH_FORWARD_AUTH_LOADS; default all), with their baselines, in the order of {@link ALL_LOADS}. */
const LOADS: readonly LoadName[] = (() => {
	const asked = process.env["BENCH_FORWARD_AUTH_LOADS"]?.split(",").map((name) => name.trim());
	if (asked === undefined) return ALL_LOADS;
	const unknown = asked.filter((name) => !(ALL_LOADS as readonly string[]).includes(name));
	if (unknown.length > 0) throw new Error(`BENCH_FORWARD_AUTH_LOADS: unknown ${unknown.join(", ")}; the loads are ${ALL_LOADS.join(", ")}`);
	const wanted = new Set(asked.flatMap((name) => [name, DESCRIPTIONS[name as LoadName].baseline ?? name]));
	return ALL_LOADS.filter((load) => wanted.has(load));
})();

/** The order of one round: the nginx loads, then the direct ones (each group reversed in every other round). */
const ROUND_GROUPS: readonly (readonly LoadName[])[] = [
	(["nginx", "nginx-auth", "nginx-auth-new-connection", "nginx-free-check"] as const).filter((load) => LOADS.includes(load)),
	(["floor", "healthz", "auth-request", "forward-auth"] as const).filter((load) => LOADS.includes(load)),
].filter((group) => group.length > 0);

/** Where a load sends its requests. */
interface Target {
	readonly url: string;
	readonly headers: Readonly<Record<string, string>>;
}

/** One round of one load. */
interface Measured {
	readonly run: Run;
	/** CPU milliseconds each process group spent during the round. */
	readonly cpuMs: CpuReading;
}

/** What one database gave: the rounds of every load, in order. */
interface BackendResult {
	readonly name: string;
	readonly loads: readonly LoadName[];
	/** nginx's error lines during the run (its `error_log` at `warn`), the same message counted once. */
	readonly proxyErrors: readonly string[];
	readonly rounds: Readonly<Record<LoadName, Measured[]>>;
}

/** The running parts shared by both databases. */
interface Shared {
	readonly floor: ChildServer;
	readonly upstream: EchoUpstream;
}

/** The requests of every load, for deadbolt on `deadboltPort` behind `nginx`, with the session's cookie. */
function targetsOf(nginx: RunningProxy, variants: VariantPorts, deadboltPort: number, floorPort: number, forwardAuthToken: string): Record<LoadName, Target> {
	const common = { accept: "application/json", cookie: `${COOKIE_NAME}=${forwardAuthToken}` };
	// What nginx sends in its subrequest (docs/integrations/nginx.conf, location = /.deadbolt/authz).
	const authRequest = { ...common, "x-original-url": `http://${APP_HOST}${ORIGINAL_PATH}`, "x-original-method": "GET", "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http" };
	// What Caddy's forward_auth and Traefik's forwardAuth send.
	const forwardAuth = { ...common, "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": APP_HOST, "x-forwarded-uri": ORIGINAL_PATH, "x-forwarded-for": "127.0.0.1" };
	const deadbolt = `http://127.0.0.1:${deadboltPort}`;
	return {
		nginx: { url: `http://127.0.0.1:${nginx.port}${ORIGINAL_PATH}`, headers: { ...common, host: PLAIN_HOST } },
		"nginx-auth": { url: `http://127.0.0.1:${nginx.port}${ORIGINAL_PATH}`, headers: { ...common, host: APP_HOST } },
		"nginx-auth-new-connection": { url: `http://127.0.0.1:${variants.newConnection}${ORIGINAL_PATH}`, headers: { ...common, host: APP_HOST } },
		"nginx-free-check": { url: `http://127.0.0.1:${variants.freeCheck}${ORIGINAL_PATH}`, headers: { ...common, host: APP_HOST } },
		// The floor gets the headers deadbolt gets (it parses them, and ignores them).
		floor: { url: `http://127.0.0.1:${floorPort}/`, headers: authRequest },
		healthz: { url: `${deadbolt}/healthz`, headers: authRequest },
		"auth-request": { url: `${deadbolt}/api/v1/authz/auth-request`, headers: authRequest },
		"forward-auth": { url: `${deadbolt}/api/v1/authz/forward-auth`, headers: forwardAuth },
	};
}

/** One GET with exactly `headers`; resolves with the status, the response's headers and its body. */
function get(target: Target): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
	return new Promise((done, fail) => {
		const request = httpRequest(target.url, { headers: target.headers, timeout: 10_000 }, (response) => {
			let body = "";
			response.setEncoding("utf8");
			response.on("data", (chunk: string) => (body += chunk));
			response.on("end", () => done({ status: response.statusCode ?? 0, headers: response.headers, body }));
		});
		request.on("timeout", () => request.destroy(new Error(`GET ${target.url}: no answer within 10 s`)));
		request.on("error", fail);
		request.end();
	});
}

/**
 * Checks, before measuring, that every load gets what it should: the subjects are allowed with
 * the session's identity, the baseline site reaches the app without asking deadbolt, and nginx
 * refuses the app without the cookie (so the subject really asks).
 * @throws Error naming what is wrong
 */
async function checkSetUp(nginx: RunningProxy, targets: Record<LoadName, Target>, email: string): Promise<void> {
	const cookie: [string, string] = ["Cookie", targets.nginx.headers["cookie"] as string];
	const accept: [string, string] = ["Accept", "application/json"];
	const allowed = await proxiedRequest(nginx, APP_HOST, ORIGINAL_PATH, { headers: [accept, cookie] });
	if (allowed.status !== 200 || allowed.echoed?.headers["remote-email"] !== email || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(String(allowed.echoed.headers["remote-assertion"]))) {
		throw new Error(`through nginx with the cookie: expected the app with ${email}'s identity, got ${allowed.status} ${allowed.body.slice(0, 300)}`);
	}
	const anonymous = await proxiedRequest(nginx, APP_HOST, ORIGINAL_PATH, { headers: [accept] });
	if (anonymous.status !== 401 || anonymous.echoed !== null) throw new Error(`through nginx without the cookie: expected 401, got ${anonymous.status} ${anonymous.body.slice(0, 300)}`);
	const plain = await proxiedRequest(nginx, PLAIN_HOST, ORIGINAL_PATH, { headers: [accept] });
	if (plain.status !== 200 || plain.echoed === null || Object.keys(plain.echoed.headers).some((name) => name.startsWith("remote-"))) {
		throw new Error(`the baseline site without the cookie: expected the app without identity, got ${plain.status} ${plain.body.slice(0, 300)}`);
	}
	const newConnection = await get(targets["nginx-auth-new-connection"]);
	if (newConnection.status !== 200 || !newConnection.body.includes(`"remote-email":"${email}"`)) throw new Error(`the new-connection variant: expected the app with ${email}'s identity, got ${newConnection.status} ${newConnection.body.slice(0, 300)}`);
	const freeCheck = await get(targets["nginx-free-check"]);
	if (freeCheck.status !== 200 || !freeCheck.body.startsWith('{"method":"GET"') || freeCheck.body.includes('"remote-')) throw new Error(`the free-check variant: expected the app without identity, got ${freeCheck.status} ${freeCheck.body.slice(0, 300)}`);
	for (const load of ["auth-request", "forward-auth"] as const) {
		const answer = await get(targets[load]);
		if (answer.status !== 200 || answer.headers["remote-email"] !== email) throw new Error(`${load} straight to deadbolt: expected 200 for ${email}, got ${answer.status} ${JSON.stringify(answer.headers)}`);
	}
	const floor = await get(targets.floor);
	if (floor.status !== 200) throw new Error(`the floor answered ${floor.status}`);
}

/** deadbolt's PostgreSQL backends (its pool's connections to `database`). */
async function postgresBackends(database: string): Promise<number[]> {
	const { rows } = await withAdmin((client) => client.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1", [database]));
	return rows.map((row) => row.pid);
}

/** Runs one round of `load`, reading every group's CPU time around it. */
async function measure(target: Target, groups: ProcessGroups): Promise<Measured> {
	const before = readCpu(groups);
	const run = await getLoad(SETTINGS, target.url, ROUND_SECONDS, target.headers);
	return { run, cpuMs: cpuBetween(before, readCpu(groups)) };
}

/**
 * Measures `loads` with deadbolt on one database.
 * @param postgres - the fresh database; null: SQLite (a file in `workDir`)
 */
async function measureBackend(name: string, workDir: string, postgres: { url: string; database: string } | null, shared: Shared, loads: readonly LoadName[]): Promise<BackendResult> {
	const server = await startBenchServer(SERVER_SCRIPT, workDir, postgres?.url ?? null, DEADBOLT_CONFIG);
	let nginx: RunningProxy | null = null;
	try {
		const session = await server.call({ type: "forward-auth-session" }, "forward-auth-session");
		const variants: VariantPorts = { newConnection: await freePort(), freeCheck: await freePort(), floor: `127.0.0.1:${shared.floor.port}` };
		nginx = await startBenchNginx({ deadbolt: `127.0.0.1:${server.port}`, upstream: shared.upstream.address }, variants);
		const targets = targetsOf(nginx, variants, server.port, shared.floor.port, session.forwardAuthToken);
		await checkSetUp(nginx, targets, session.email);
		for (const load of loads) await getLoad(SETTINGS, targets[load].url, WARMUP_SECONDS, targets[load].headers);
		progress(`${name}: set up, checked and warmed up`);

		const nginxPid = nginx.pid;
		const rounds = Object.fromEntries(loads.map((load) => [load, [] as Measured[]])) as Record<LoadName, Measured[]>;
		const order = ROUND_GROUPS.map((group) => group.filter((load) => loads.includes(load)));
		for (let round = 0; round < ROUNDS; round++) {
			const groups: ProcessGroups = {
				client: [process.pid],
				nginx: [nginxPid, ...childPids(nginxPid)],
				upstream: [shared.upstream.pid],
				deadbolt: [server.pid],
				"deadbolt main": { pids: [server.pid], threads: "main" },
				floor: [shared.floor.pid],
				postgres: postgres === null ? [] : await postgresBackends(postgres.database),
			};
			for (const group of order) {
				for (const load of round % 2 === 0 ? group : [...group].reverse()) {
					const profile = PROFILE_DIR !== undefined && (load === "auth-request" || load === "nginx-auth");
					if (profile) await server.call({ type: "profile-start" }, "profile-started");
					rounds[load].push(await measure(targets[load], groups));
					if (profile) await server.call({ type: "profile-stop", file: join(PROFILE_DIR, `${name.toLowerCase()}-${load}-${round}.cpuprofile`) }, "profile-written");
				}
			}
		}
		progress(`${name}: measured`);
		// "connect() failed (99: ...)" and the like: the message without its time, connection and client.
		const proxyErrors = [...new Set(nginx.output().split("\n").filter((line) => / \[(error|crit|alert|emerg)\] /.test(line)).map((line) => line.replace(/^\S+ \S+ /, "").replace(/, client: .*$/, "").replace(/\d+#\d+: \*\d+ /, "")))];
		return { name, loads, rounds, proxyErrors };
	} catch (error) {
		process.stderr.write(`  ${name}: failed; deadbolt's log: ${join(workDir, "server.log")}${nginx === null ? "" : `; nginx's output:\n${nginx.output()}`}\n`);
		throw error;
	} finally {
		await nginx?.stop();
		await server.stop();
	}
}

/** The loads of a database's run: those that do not read the database, on the first one only. */
function loadsOf(first: boolean): LoadName[] {
	return LOADS.filter((load) => first || DESCRIPTIONS[load].once !== true);
}

async function measureAll(shared: Shared, problems: string[]): Promise<BackendResult[]> {
	const backends: BackendResult[] = [];
	if (BACKENDS.has("sqlite")) {
		const dir = mkdtempSync(join(tmpdir(), "deadbolt-bench-forward-auth-sqlite-"));
		try {
			backends.push(await measureBackend("SQLite", dir, null, shared, loadsOf(backends.length === 0)));
			rmSync(dir, { recursive: true, force: true });
		} catch (error) {
			problems.push(`SQLite run failed: ${(error as Error).message} (files kept in ${dir})`);
		}
	}
	const unreachable = BACKENDS.has("postgres") ? await postgresUnreachable() : "not asked for (BENCH_FORWARD_AUTH_BACKENDS)";
	if (unreachable !== null) {
		progress(`PostgreSQL at ${redact(POSTGRES_URL)}: ${unreachable}; no PostgreSQL run.`);
		return backends;
	}
	const database = benchDatabaseName();
	const dir = mkdtempSync(join(tmpdir(), "deadbolt-bench-forward-auth-pg-"));
	const drop = (): Promise<unknown> => dropDatabases([database]);
	try {
		await createDatabases([database]);
		onInterrupt(drop);
		backends.push(await measureBackend("PostgreSQL", dir, { url: databaseUrl(database), database }, shared, loadsOf(backends.length === 0)));
		rmSync(dir, { recursive: true, force: true });
	} catch (error) {
		problems.push(`PostgreSQL run failed: ${(error as Error).message} (files kept in ${dir})`);
	} finally {
		onInterrupt(null);
		await drop().catch((error: unknown) => problems.push(`could not drop the PostgreSQL database ${database}: ${(error as Error).message}`));
	}
	return backends;
}

/** The median over rounds of the load's rate ÷ its baseline's rate in the same round. */
function ratioOf(backend: BackendResult, load: LoadName): number {
	const baseline = DESCRIPTIONS[load].baseline;
	if (baseline === null) return 1;
	return median(backend.rounds[load].map((round, index) => rate(round.run) / rate((backend.rounds[baseline][index] as Measured).run)));
}

/** The process groups shown for a load (the ones that serve it). */
function groupsOf(load: LoadName, postgres: boolean): string[] {
	const database = postgres ? ["postgres"] : [];
	switch (load) {
		case "nginx":
			return ["client", "nginx", "upstream"];
		case "nginx-auth":
		case "nginx-auth-new-connection":
			return ["client", "nginx", "upstream", "deadbolt", ...database];
		case "nginx-free-check":
			return ["client", "nginx", "upstream", "floor"];
		case "floor":
			return ["client", "floor"];
		case "healthz":
			return ["client", "deadbolt"];
		default:
			return ["client", "deadbolt", ...database];
	}
}

const CPU_COLUMNS = ["client", "nginx", "upstream", "deadbolt", "floor", "postgres"] as const;

function report(backends: readonly BackendResult[]): { text: string; met: boolean }[] {
	const rateRows: string[][] = [];
	const cpuRows: string[][] = [];
	const targets: { text: string; met: boolean }[] = [];
	for (const backend of backends) {
		const postgres = backend.name === "PostgreSQL";
		for (const load of backend.loads) {
			const servedByDeadbolt = groupsOf(load, postgres).includes("deadbolt");
			const { label, baseline, goal } = DESCRIPTIONS[load];
			const runs = backend.rounds[load].map((round) => round.run);
			const all = combine(runs);
			const ratio = ratioOf(backend, load);
			const roundRates = runs.map((run) => formatNumber(rate(run))).join(" / ");
			rateRows.push([backend.name, label, formatNumber(rate(all)), formatNumber(percentile(all.latenciesMs, 99), 1), baseline === null ? "1.000" : formatNumber(ratio, 3), String(all.failed), roundRates]);
			const requests = all.ok + all.failed;
			const shown = new Set(groupsOf(load, postgres));
			const perRequest = (group: string): number => (backend.rounds[load].reduce((sum, round) => sum + (round.cpuMs[group] ?? 0), 0) * 1000) / requests;
			const cells = CPU_COLUMNS.map((group) => (shown.has(group) ? formatNumber(perRequest(group)) : ""));
			const total = [...shown].reduce((sum, group) => sum + perRequest(group), 0);
			cpuRows.push([backend.name, label, ...cells, formatNumber(total), servedByDeadbolt ? formatNumber(perRequest("deadbolt main")) : ""]);
			if (baseline !== null && goal) {
				targets.push({ text: `${label} on ${backend.name} >= ${TARGET_OF_BASELINE * 100}% of ${DESCRIPTIONS[baseline].label}: ${(ratio * 100).toFixed(1)}%`, met: ratio >= TARGET_OF_BASELINE });
			}
		}
	}
	printTable(["backend", "load", "req/s", "p99 ms", "x baseline", "failed", "req/s by round"], rateRows, new Set([2, 3, 4, 5]));
	console.log("");
	if (processCpuAvailable()) {
		console.log("CPU time per request, µs, by process (from /proc; client = autocannon in this process):");
		printTable(["backend", "load", ...CPU_COLUMNS, "total", "deadbolt's main thread"], cpuRows, new Set([2, 3, 4, 5, 6, 7, 8, 9]));
		console.log("");
	}
	return targets;
}

async function main(): Promise<void> {
	const started = Date.now();
	const unmet = proxyUnmet("nginx");
	if (unmet !== null) {
		console.log(`nginx with auth_request is needed: ${unmet.missing} (${unmet.enable})`);
		process.exitCode = 1;
		return;
	}
	console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? "unknown"}); autocannon ${SETTINGS.connections} keep-alive connections, pipelining 1, in this process`);
	console.log(`rounds: ${ROUNDS} x (${ROUND_GROUPS.map((group) => group.join(", ")).join("; then ")}), ${ROUND_SECONDS} s per load, each group's order reversed every other round; ${WARMUP_SECONDS} s warm-up per load`);
	console.log(`deadbolt: default configuration (log level info, to a file), one allow rule (one_factor), a password-only session's forward-auth cookie`);
	console.log(`machine before: ${machineLoad()}`);
	console.log("");
	if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });

	// Interrupted: exit through process.exit, so that the proxy harness's exit handler kills nginx
	// and the app (each in a process group of its own, out of reach of the terminal's Ctrl-C).
	onInterrupt(null);
	const problems: string[] = [];
	const floor = await ChildServer.start(FLOOR_SCRIPT, [], childEnv({}), null);
	const upstream = await startEchoUpstream();
	let backends: BackendResult[];
	try {
		backends = await measureAll({ floor, upstream }, problems);
	} finally {
		await floor.stop();
		await upstream.stop();
		await stopProxies();
	}

	console.log("");
	console.log(`machine after: ${machineLoad()}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
	console.log("");
	const targets = report(backends);
	for (const target of targets) console.log(`goal: ${target.text} -> ${target.met ? "MET" : "NOT MET"}`);
	const failed = backends.reduce((sum, backend) => sum + backend.loads.reduce((total, load) => total + backend.rounds[load].reduce((count, round) => count + round.run.failed, 0), 0), 0);
	if (failed > 0) console.log(`warning: ${failed} requests failed (non-2xx or connection errors); req/s counts 2xx answers only`);
	for (const backend of backends) for (const line of backend.proxyErrors.slice(0, 5)) console.log(`nginx (${backend.name} run): ${line}`);
	if (PROFILE_DIR !== undefined) console.log(`CPU profiles of deadbolt (auth-request alone and through nginx): ${PROFILE_DIR}`);
	for (const problem of problems) console.log(`error: ${problem}`);
	if (problems.length > 0 || backends.length === 0) process.exitCode = 1;
}

await main();
