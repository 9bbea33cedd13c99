/**
 * CPU time of whole processes, read from /proc (Linux): `npm run bench:forward-auth` runs the load
 * generator, nginx, the upstream, deadbolt and PostgreSQL on the same cores, and says what each
 * of them spent per request. CPU time per request moves much less with other work on the machine
 * than requests per second do.
 *
 * A process's time is the sum over its threads of the time on a CPU from
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds; the first field). A thread that ends between
 * two readings is lost (none of the measured processes start or end threads during a round).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Which threads of a process count: all, its main thread (a Node process's event loop), or the others (libuv's pool, V8's helpers). */
export type Threads = "all" | "main" | "others";

/** Milliseconds on a CPU of the `threads` of `pid` so far; 0 when the process is gone or /proc does not tell. */
export function processCpuMs(pid: number, threads: Threads = "all"): number {
	let tasks: string[];
	try {
		tasks = readdirSync(`/proc/${pid}/task`);
	} catch {
		return 0;
	}
	let nanoseconds = 0;
	for (const tid of tasks) {
		if ((threads === "main" && Number(tid) !== pid) || (threads === "others" && Number(tid) === pid)) continue;
		try {
			nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
		} catch {
			// The thread ended meanwhile.
		}
	}
	return nanoseconds / 1e6;
}

/** Whether /proc tells thread times here. */
export function processCpuAvailable(): boolean {
	try {
		readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8");
		return true;
	} catch {
		return false;
	}
}

/** Named groups of processes: their pids (the same for the two readings of a round), and which of their threads count (default all). */
export type ProcessGroups = Readonly<Record<string, readonly number[] | { readonly pids: readonly number[]; readonly threads: Threads }>>;

/** CPU milliseconds of each group so far. */
export type CpuReading = Readonly<Record<string, number>>;

/** Reads every group's CPU time. */
export function readCpu(groups: ProcessGroups): CpuReading {
	const reading: Record<string, number> = {};
	for (const [name, group] of Object.entries(groups)) {
		const { pids, threads } = "pids" in group ? group : { pids: group, threads: "all" as const };
		reading[name] = pids.reduce((sum, pid) => sum + processCpuMs(pid, threads), 0);
	}
	return reading;
}

/** What each group spent between two readings, milliseconds. */
export function cpuBetween(before: CpuReading, after: CpuReading): CpuReading {
	const spent: Record<string, number> = {};
	for (const name of Object.keys(after)) spent[name] = (after[name] ?? 0) - (before[name] ?? 0);
	return spent;
}
