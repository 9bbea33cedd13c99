/**
 * The GET loads of `npm run bench:scale`: autocannon in the driver's process, like
 * bench/http/load.ts, except that each request takes the next of several header sets (the
 * measured sessions in turn), so a round reads many sessions, not one.
 */
import autocannon, { type RequestSpec } from "autocannon";
import type { LoadSettings, Run } from "../http/load.js";

/**
 * `GET url` for `seconds`, request n with `headerSets[n % headerSets.length]`.
 * @returns the run, as bench/http/load.ts counts it (2xx answers; latencies of every answer)
 */
export async function cyclingGetLoad(settings: LoadSettings, url: string, seconds: number, headerSets: readonly Readonly<Record<string, string>>[]): Promise<Run> {
	if (headerSets.length === 0) throw new Error("no header sets");
	let next = 0;
	const request: RequestSpec = {
		method: "GET",
		setupRequest: (shape) => ({ ...shape, headers: { ...shape.headers, ...headerSets[next++ % headerSets.length] } }),
	};
	const latenciesMs: number[] = [];
	const startedAt = performance.now();
	let lastAnswerAt = startedAt;
	const instance = autocannon({ url, connections: settings.connections, pipelining: 1, timeout: 30, sampleInt: 10, duration: seconds, requests: [request] });
	instance.on("response", (_client, _status, _bytes, responseTime) => {
		latenciesMs.push(responseTime);
		lastAnswerAt = performance.now();
	});
	const result = await instance;
	let ok = 0;
	let failed = result.errors;
	for (const [status, stats] of Object.entries(result.statusCodeStats)) {
		if (status.startsWith("2")) ok += stats.count;
		else failed += stats.count;
	}
	return { ok, failed, seconds: (lastAnswerAt - startedAt) / 1000, latenciesMs };
}
