/**
 * What `npm run bench:http` prints and writes (`--json FILE`) from its scenarios (scenarios.ts):
 * the table of rates and ratios, where each server's time went, a MET / NOT MET line per goal, and
 * the machine-readable summary `{ scenarios: [{ name, backend, reqPerSecond, p99Ms, baselineName,
 * baselineReqPerSecond, ratio, ... }] }`.
 */
import { combine, median, percentile, rate } from "./load.js";
import type { LoopDelay, RoundObservation, ThreadTimes } from "./protocol.js";
import { formatNumber, printTable } from "./report.js";
import type { Round, Scenario } from "./scenarios.js";

/** One entry of the JSON summary. Rates are per unit (`unit`: requests, or sign-ins of two requests each). */
export interface ScenarioSummary {
	readonly name: string;
	readonly backend: string;
	readonly unit: string;
	readonly reqPerSecond: number;
	/** Over every answer of every round (for sign-ins: of both requests). */
	readonly p99Ms: number;
	readonly baselineName: string;
	readonly baselineUnit: string;
	readonly baselineReqPerSecond: number;
	readonly ratio: number;
	readonly goal: string | null;
	readonly target: number | null;
	readonly loopTargetMs: number | null;
	/** null: no goal applies. */
	readonly met: boolean | null;
	/** The subject's server: the worst round's event-loop p99 (null: not observed). */
	readonly loopP99Ms: number | null;
	/** The subject's server: main-thread and other threads' CPU per unit, microseconds (null: not known). */
	readonly cpuMicrosPerRequest: number | null;
	readonly otherCpuMicrosPerRequest: number | null;
	readonly baselineCpuMicrosPerRequest: number | null;
	readonly failed: number;
	readonly rounds: number;
	readonly note: string | null;
}

/** The event-loop delay over several rounds: the worst round's p99 (percentiles of separate rounds do not add up); null: not observed. */
export function worstLoop(rounds: readonly Round[]): LoopDelay | null {
	const loops = rounds.map((round) => round.observation?.loop);
	if (loops.length === 0 || loops.some((loop) => loop === undefined)) return null;
	const known = loops as LoopDelay[];
	return {
		p50Ms: median(known.map((loop) => loop.p50Ms)),
		p99Ms: Math.max(...known.map((loop) => loop.p99Ms)),
		maxMs: Math.max(...known.map((loop) => loop.maxMs)),
		samples: known.reduce((sum, loop) => sum + loop.samples, 0),
	};
}

/** CPU of the server's threads over `rounds` per unit (µs), and the share of the time its main thread waited for a CPU (%); null: not known. */
function cpuPerUnit(rounds: readonly Round[], requestsPerUnit: number): { main: number; other: number; waitPercent: number } | null {
	const observations = rounds.map((round) => round.observation);
	if (observations.length === 0 || observations.some((observation) => observation?.threads == null)) return null;
	const known = observations as (RoundObservation & { threads: ThreadTimes })[];
	const run = combine(rounds.map((round) => round.result));
	const units = (run.ok + run.failed) / requestsPerUnit;
	const sum = (pick: (times: ThreadTimes) => number): number => known.reduce((total, observation) => total + pick(observation.threads), 0);
	const seconds = known.reduce((total, observation) => total + observation.seconds, 0);
	return { main: (sum((times) => times.mainMs) * 1000) / units, other: (sum((times) => times.otherMs) * 1000) / units, waitPercent: (sum((times) => times.mainWaitMs) / 1000 / seconds) * 100 };
}

/** Whether the scenario meets its goal (null: none applies). */
function metOf(scenario: Scenario): boolean | null {
	if (scenario.target === null) return null;
	const loop = worstLoop(scenario.subject);
	const loopMet = scenario.loopTargetMs === undefined || (loop !== null && loop.p99Ms < scenario.loopTargetMs);
	return scenario.ratio >= scenario.target && loopMet;
}

/** The JSON entry of a scenario. */
export function summarize(scenario: Scenario): ScenarioSummary {
	const subject = combine(scenario.subject.map((round) => round.result));
	const baseline = combine(scenario.baseline.map((round) => round.result));
	const cpu = cpuPerUnit(scenario.subject, scenario.requestsPerUnit);
	const baselinePerUnit = scenario.baselineRequestsPerUnit ?? 1;
	const baselineCpu = cpuPerUnit(scenario.baseline, baselinePerUnit);
	return {
		name: scenario.name,
		backend: scenario.backend,
		unit: scenario.unit,
		reqPerSecond: rate(subject) / scenario.requestsPerUnit,
		p99Ms: percentile(subject.latenciesMs, 99),
		baselineName: scenario.baselineName,
		baselineUnit: scenario.baselineUnit,
		baselineReqPerSecond: rate(baseline) / baselinePerUnit,
		ratio: scenario.ratio,
		goal: scenario.goal,
		target: scenario.target,
		loopTargetMs: scenario.loopTargetMs ?? null,
		met: metOf(scenario),
		loopP99Ms: worstLoop(scenario.subject)?.p99Ms ?? null,
		cpuMicrosPerRequest: cpu?.main ?? null,
		otherCpuMicrosPerRequest: cpu?.other ?? null,
		baselineCpuMicrosPerRequest: baselineCpu?.main ?? null,
		failed: subject.failed,
		rounds: scenario.subject.length,
		note: scenario.note ?? null,
	};
}

const number = (value: number | null, digits = 0): string => (value === null ? "-" : formatNumber(value, digits));

/** Prints the table of rates and ratios, the CPU table and one line per goal. */
export function printSummary(scenarios: readonly Scenario[]): void {
	const rows = scenarios.map((scenario) => {
		const summary = summarize(scenario);
		const goal = summary.goal === null ? "-" : summary.target === null ? `(${summary.goal})` : `${summary.goal}: >= ${formatNumber(summary.target, 2)}`;
		return [
			scenario.name,
			scenario.backend,
			`${formatNumber(summary.reqPerSecond, summary.unit === "sign-ins" ? 1 : 0)}${summary.unit === "sign-ins" ? " sign-ins" : ""}`,
			number(summary.p99Ms, 1),
			number(summary.loopP99Ms, 1),
			String(summary.failed),
			formatNumber(summary.baselineReqPerSecond, summary.baselineUnit === "requests" ? 0 : 1),
			formatNumber(summary.ratio, 3),
			goal,
			summary.baselineName,
		];
	});
	printTable(["scenario", "backend", "/s", "p99 ms", "loop p99 ms", "failed", "baseline /s", "ratio", "goal", "baseline (same run, alternating rounds)"], rows, new Set([2, 3, 4, 5, 6, 7]));
	console.log("");
	console.log("Where the server's time went (CPU time from /proc; main = the event loop; other = libuv's pool and V8's helpers):");
	const time: string[][] = [];
	const seen = new Set<string>();
	for (const scenario of scenarios) {
		const rowsOf: [string, readonly Round[], number, string][] = [
			[scenario.name, scenario.subject, scenario.requestsPerUnit, scenario.unit === "sign-ins" ? "per sign-in" : "per request"],
			[`  baseline: ${scenario.baselineName}`, scenario.baseline, scenario.baselineRequestsPerUnit ?? 1, scenario.baselineUnit === "verifications" ? "per verification" : scenario.baselineUnit === "sign-ins" ? "per sign-in" : "per request"],
		];
		for (const [label, rounds, perUnit, unit] of rowsOf) {
			const key = `${label}|${scenario.backend}`;
			const cpu = cpuPerUnit(rounds, perUnit);
			if (seen.has(key) || cpu === null) continue;
			seen.add(key);
			time.push([label, scenario.backend, formatNumber(cpu.main), formatNumber(cpu.other), formatNumber(cpu.waitPercent, 1), number(worstLoop(rounds)?.p50Ms ?? null, 1), unit]);
		}
	}
	printTable(["load", "backend", "main CPU µs", "other CPU µs", "main waiting for a CPU %", "loop p50 ms", "unit"], time, new Set([2, 3, 4, 5]));
	console.log("");
	for (const scenario of scenarios) {
		const summary = summarize(scenario);
		const percent = `${(summary.ratio * 100).toFixed(1)}%`;
		if (summary.met === null) {
			console.log(`info${scenario.goal === null ? "" : ` (goal ${scenario.goal}, no target)`}: ${scenario.name} on ${scenario.backend} = ${percent} of ${scenario.baselineName}`);
			continue;
		}
		const loop = summary.loopTargetMs === null ? "" : `, event-loop p99 ${number(summary.loopP99Ms, 1)} ms (< ${summary.loopTargetMs} ms)`;
		console.log(`goal ${scenario.goal}: ${scenario.name} on ${scenario.backend} >= ${((summary.target ?? 0) * 100).toFixed(0)}% of ${scenario.baselineName}: ${percent}${loop} -> ${summary.met ? "MET" : "NOT MET"}`);
	}
}
