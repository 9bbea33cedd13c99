/**
 * The GET loads of `npm run bench:scale`: autocannon in the driver's process, like
 * bench/http/load.ts, except that each request takes the next of several header sets (the
 * measured sessions in turn), so a round reads many sessions, not one.
 */
import type { RequestSpec } from "autocannon";
import { runAutocannon, type LoadSettings, type Run } from "../http/load.js";

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
	return runAutocannon(settings, { url, duration: seconds, requests: [request] });
}
