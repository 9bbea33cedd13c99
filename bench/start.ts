/**
 * Start benchmark: `npm run bench:start [-- --json FILE]` (issue 15, goal 5). A benchmark, not a
 * test: it prints numbers and a MET / NOT MET line per goal, and exits 0 when the run worked (1
 * only when a start failed). Needs `npm run build` first (it runs the built CLI, as operators do).
 *
 * Measures, for `node dist/cli/main.js serve` on SQLite:
 *   - start to ready: from the spawn of the process to the first 200 answer of `GET /healthz`
 *     (polled every POLL_MS over a new connection), RUNS times, each on a fresh data directory (so
 *     every start creates the database and runs every migration: the slowest start), each followed
 *     by a second start on that directory (a restart: the usual case); median, min, max;
 *   - idle memory: VmRSS of the process (/proc/PID/status) after IDLE_MS idle past the first 200
 *     (the last restart).
 * Goals: ready in under 1 s (the median of the fresh starts), idle RSS under 100 MB.
 * Baseline, started and measured the same way, alternating with deadbolt run by run: a bare
 * Fastify hello (`node -e`, the same Node and Fastify, answering `GET /healthz`), which is what any
 * Node server pays before its own work.
 * deadbolt gets a port, a data directory, `http.host` 127.0.0.1 and keys (`DEADBOLT_ENCRYPTION_KEY`,
 * `DEADBOLT_HMAC_KEY`, as a production set-up would: no development keys written), and the
 * default configuration otherwise (log level `info`, to /dev/null here).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../test/helpers/cli-process.js";
import { childEnv, ROOT } from "./http/child-server.js";
import { median } from "./http/load.js";
import { formatNumber, machineLoad, printTable } from "./http/report.js";

const RUNS = Number(process.env["BENCH_START_RUNS"] ?? 5);
const POLL_MS = 5;
const IDLE_MS = 3000;
/** A start that has not answered by then failed. */
const START_TIMEOUT_MS = 30_000;
const TARGET_READY_MS = 1000;
const TARGET_RSS_MB = 100;
const CLI = join(ROOT, "dist", "cli", "main.js");

/** The baseline: Fastify's hello world on PORT, answering GET /healthz (CommonJS, for `node -e`). */
const HELLO = `const app = require("fastify")({ logger: false }); app.get("/healthz", async () => ({ status: "ok" })); app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });`;

/** What is started and how. */
interface Subject {
	readonly name: string;
	/** The process for a data directory and a port. */
	spawn(dataDir: string, port: number): ChildProcess;
}

/** The keys of every deadbolt start (a restart must use the data directory's keys). */
const KEYS = { DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"), DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64") };

const DEADBOLT: Subject = {
	name: "deadbolt serve (SQLite)",
	spawn: (dataDir, port) =>
		spawn(process.execPath, [CLI, "serve", "--data-dir", dataDir], {
			cwd: ROOT,
			stdio: ["ignore", "ignore", "pipe"],
			env: childEnv({ DEADBOLT_HTTP_HOST: "127.0.0.1", DEADBOLT_HTTP_PORT: String(port), ...KEYS }),
		}),
};
const BASELINE: Subject = {
	name: "node -e Fastify hello",
	spawn: (_dataDir, port) => spawn(process.execPath, ["-e", HELLO], { cwd: ROOT, stdio: "ignore", env: childEnv({ PORT: String(port) }) }),
};

/** The status of one `GET /healthz` on a new connection, or 0 when nothing answers. */
function status(port: number): Promise<number> {
	return new Promise((done) => {
		const request = get({ host: "127.0.0.1", port, path: "/healthz", agent: false, timeout: 1000 }, (response) => {
			response.resume();
			done(response.statusCode ?? 0);
		});
		request.on("timeout", () => request.destroy());
		request.on("error", () => done(0));
	});
}

/** VmRSS of `pid`, in MB (10^6 bytes), or NaN where /proc does not tell. */
function rssMB(pid: number): number {
	try {
		const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
		return match === null ? Number.NaN : (Number(match[1]) * 1024) / 1e6;
	} catch {
		return Number.NaN;
	}
}

/** Stops `child` (SIGTERM; SIGKILL after 10 s) and waits for its exit. */
async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((done) => child.once("exit", done));
	child.kill("SIGTERM");
	const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
	await exited;
	clearTimeout(timer);
}

/**
 * Starts `subject` on `dataDir`; resolves with the milliseconds from the spawn to the first 200 of
 * `GET /healthz`, and (when `idle`) the RSS after `IDLE_MS` idle. Stops it after.
 * @throws Error when it exits or does not answer within START_TIMEOUT_MS
 */
async function start(subject: Subject, dataDir: string, idle: boolean): Promise<{ readyMs: number; rssMB: number }> {
	const port = await freePort();
	const started = performance.now();
	const child = subject.spawn(dataDir, port);
	let errors = "";
	child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (errors += chunk));
	try {
		while ((await status(port)) !== 200) {
			if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${subject.name} exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering${errors === "" ? "" : `: ${errors.trim()}`}`);
			if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${subject.name} did not answer within ${START_TIMEOUT_MS / 1000} s`);
			await sleep(POLL_MS);
		}
		const readyMs = performance.now() - started;
		if (!idle) return { readyMs, rssMB: Number.NaN };
		await sleep(IDLE_MS);
		return { readyMs, rssMB: rssMB(child.pid as number) };
	} finally {
		await stop(child);
	}
}

interface Measured {
	readonly fresh: number[];
	readonly restart: number[];
	rssMB: number;
}

/** One run of `subject`: a start on a fresh data directory, then a second start on it (restart); on the last run, its idle RSS. */
async function measureOnce(subject: Subject, into: Measured, last: boolean): Promise<void> {
	const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-bench-start-"));
	try {
		into.fresh.push((await start(subject, dataDir, false)).readyMs);
		const again = await start(subject, dataDir, last);
		into.restart.push(again.readyMs);
		if (last) into.rssMB = again.rssMB;
	} finally {
		rmSync(dataDir, { recursive: true, force: true });
	}
}

const stats = (values: readonly number[]): { medianMs: number; minMs: number; maxMs: number; runsMs: readonly number[] } => ({ medianMs: median(values), minMs: Math.min(...values), maxMs: Math.max(...values), runsMs: values });

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	const jsonAt = args.indexOf("--json");
	const output = jsonAt === -1 ? null : resolve(args[jsonAt + 1] ?? "");
	if (!existsSync(CLI)) {
		console.error(`${CLI} is missing: run "npm run build" first`);
		process.exitCode = 1;
		return;
	}
	const date = new Date().toISOString();
	const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", memoryBytes: totalmem(), node: process.version, platform: `${process.platform} ${process.arch}`, loadBefore: machineLoad(), loadAfter: "" };
	console.log(`node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); ${RUNS} starts on fresh data directories, each started again (restart), polling GET /healthz every ${POLL_MS} ms; idle RSS after ${IDLE_MS / 1000} s`);
	console.log(`machine before: ${machine.loadBefore}`);
	// The baseline and deadbolt alternate, run by run (slow drift of the machine hits both alike).
	const baseline: Measured = { fresh: [], restart: [], rssMB: Number.NaN };
	const deadbolt: Measured = { fresh: [], restart: [], rssMB: Number.NaN };
	for (let run = 0; run < RUNS; run++) {
		await measureOnce(BASELINE, baseline, run === RUNS - 1);
		await measureOnce(DEADBOLT, deadbolt, run === RUNS - 1);
	}
	machine.loadAfter = machineLoad();
	console.log(`machine after: ${machine.loadAfter}`);
	console.log("");
	const ms = (value: number): string => formatNumber(value, 0);
	const rows: string[][] = [];
	for (const [subject, result] of [[BASELINE, baseline], [DEADBOLT, deadbolt]] as const) {
		for (const [kind, values] of [["fresh data directory", result.fresh], ["restart (same directory)", result.restart]] as const) {
			const summary = stats(values);
			rows.push([subject.name, kind, ms(summary.medianMs), ms(summary.minMs), ms(summary.maxMs), kind.startsWith("fresh") ? "-" : formatNumber(result.rssMB, 1)]);
		}
	}
	printTable(["process", "start", "ready median ms", "min ms", "max ms", "idle RSS MB"], rows, new Set([2, 3, 4, 5]));
	console.log("");
	const ready = median(deadbolt.fresh);
	const readyMet = ready < TARGET_READY_MS;
	const rssMet = deadbolt.rssMB < TARGET_RSS_MB;
	console.log(`goal 5: deadbolt serve on SQLite ready in < ${TARGET_READY_MS} ms from the spawn (median, fresh data directory): ${ms(ready)} ms (restart ${ms(median(deadbolt.restart))} ms; Fastify hello ${ms(median(baseline.fresh))} ms) -> ${readyMet ? "MET" : "NOT MET"}`);
	console.log(`goal 5: deadbolt serve idle RSS < ${TARGET_RSS_MB} MB: ${formatNumber(deadbolt.rssMB, 1)} MB (Fastify hello ${formatNumber(baseline.rssMB, 1)} MB) -> ${rssMet ? "MET" : "NOT MET"}`);
	if (output !== null) {
		const summary = {
			date,
			machine,
			settings: { runs: RUNS, pollMs: POLL_MS, idleMs: IDLE_MS },
			scenarios: [
				{ name: "start to first 200 of GET /healthz, fresh SQLite data directory", backend: "SQLite", ...stats(deadbolt.fresh), baselineName: BASELINE.name, baselineMedianMs: median(baseline.fresh), ratio: median(deadbolt.fresh) / median(baseline.fresh), goal: "5", targetMs: TARGET_READY_MS, met: readyMet },
				{ name: "start to first 200 of GET /healthz, restart on the same data directory", backend: "SQLite", ...stats(deadbolt.restart), baselineName: BASELINE.name, baselineMedianMs: median(baseline.restart), ratio: median(deadbolt.restart) / median(baseline.restart), goal: null, targetMs: null, met: null },
				{ name: "idle RSS", backend: "SQLite", rssMB: deadbolt.rssMB, baselineName: BASELINE.name, baselineRssMB: baseline.rssMB, ratio: deadbolt.rssMB / baseline.rssMB, goal: "5", targetMB: TARGET_RSS_MB, met: rssMet },
			],
		};
		writeFileSync(output, `${JSON.stringify(summary, null, 2)}\n`);
		console.log(`summary written to ${output}`);
	}
}

await main();
