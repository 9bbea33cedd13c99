/**
 * What a server process of `npm run bench:http` measures about itself during a round: the
 * event-loop delay (`perf_hooks.monitorEventLoopDelay`) and, on Linux, the CPU time of its main
 * thread and of its other threads (libuv's pool: argon2id; V8's GC helpers) and how long the main
 * thread waited for a CPU (from /proc/self/task/<tid>/schedstat, in nanoseconds). CPU time per
 * request barely depends on what else runs on the machine; throughput and delays do.
 */
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { LoopDelay, ObserveReply, ObserveRequest, RoundObservation, ThreadTimes } from "./protocol.js";

/**
 * `monitorEventLoopDelay` resolution, ms, taken off every sample. 1 ms rather than Node's default
 * 10 ms: ten times the samples, so that a p99 over a round of a second or two means something.
 */
const LOOP_RESOLUTION_MS = 1;

/** This process's thread times so far, or null where /proc does not tell. */
function threadTimes(): ThreadTimes | null {
	try {
		let mainMs = 0;
		let mainWaitMs = 0;
		let otherMs = 0;
		for (const tid of readdirSync("/proc/self/task")) {
			let schedstat: string;
			try {
				schedstat = readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8");
			} catch {
				continue; // the thread ended meanwhile
			}
			const [run = "0", wait = "0"] = schedstat.trim().split(" ");
			if (Number(tid) === process.pid) {
				mainMs = Number(run) / 1e6;
				mainWaitMs = Number(wait) / 1e6;
			} else {
				otherMs += Number(run) / 1e6;
			}
		}
		return { mainMs, mainWaitMs, otherMs };
	} catch {
		return null;
	}
}

/** One round being observed. */
export class Observation {
	readonly #loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
	readonly #threads = threadTimes();
	readonly #started = process.hrtime.bigint();

	/** Starts observing. A monitor is used once: one disabled and enabled again counts the pause as a delay (Node 20). */
	constructor() {
		this.#loop.enable();
	}

	/** Stops observing and says what happened since the start. */
	finish(): RoundObservation {
		this.#loop.disable();
		const seconds = Number(process.hrtime.bigint() - this.#started) / 1e9;
		// A sample is the time between two runs of the timer: the resolution itself is no delay.
		const toMs = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS);
		const loop: LoopDelay = { p50Ms: toMs(this.#loop.percentile(50)), p99Ms: toMs(this.#loop.percentile(99)), maxMs: toMs(this.#loop.max), samples: this.#loop.count };
		const end = threadTimes();
		const threads = this.#threads === null || end === null ? null : { mainMs: end.mainMs - this.#threads.mainMs, mainWaitMs: end.mainWaitMs - this.#threads.mainWaitMs, otherMs: end.otherMs - this.#threads.otherMs };
		return { loop, threads, seconds };
	}
}

/**
 * A server process's answers to the driver's `observe-start` and `observe-stop` (one round
 * observed at a time).
 * @throws Error on an `observe-stop` before an `observe-start`
 */
export function createRoundObserver(): (request: ObserveRequest) => ObserveReply {
	let observation: Observation | null = null;
	return (request) => {
		if (request.type === "observe-start") {
			observation = new Observation();
			return { id: request.id, type: "observe-started" };
		}
		if (observation === null) throw new Error("observe-stop before observe-start");
		const observed = observation.finish();
		observation = null;
		return { id: request.id, type: "observed", observation: observed };
	};
}
