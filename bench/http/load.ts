/**
 * The loads of `npm run bench:http`, driven by autocannon in the driver's process: a GET for a
 * while (the floor, the session checks), deadbolt's code step (one prepared challenge per
 * request), the hand-written verify (one prepared row per request) and the full sign-in (password
 * step, then the code step with the challenge it returned).
 */
import autocannon, { type Options, type RequestSpec } from "autocannon";
import { BENCH_PASSWORD, type HandVerifyItem, type LoginItem, type SecondStepItem } from "./protocol.js";

/** One run of autocannon. */
export interface Run {
	/** 2xx answers. */
	readonly ok: number;
	/** Other answers, connection errors and timeouts. */
	readonly failed: number;
	readonly seconds: number;
	/** The latency of every answer, milliseconds. */
	readonly latenciesMs: readonly number[];
}

/** 2xx answers per second. */
export function rate(run: Run): number {
	return run.ok / run.seconds;
}

/** Several runs of one load, taken as one. */
export function combine(runs: readonly Run[]): Run {
	return {
		ok: runs.reduce((sum, run) => sum + run.ok, 0),
		failed: runs.reduce((sum, run) => sum + run.failed, 0),
		seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
		latenciesMs: runs.flatMap((run) => run.latenciesMs),
	};
}

/** The `p`-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** autocannon settings shared by every load. */
export interface LoadSettings {
	readonly connections: number;
}

/** Runs one autocannon load with the shared settings; counts 2xx answers and keeps every answer's latency. */
export async function runAutocannon(settings: LoadSettings, options: Omit<Options, "connections" | "pipelining" | "timeout" | "sampleInt">): Promise<Run> {
	const latenciesMs: number[] = [];
	// The time from the start to the last answer. autocannon's own `duration` is only as fine as
	// its sampling interval (it notices the end of an `amount` at the next sample: by default, the
	// next whole second); a short interval makes it stop promptly too.
	const startedAt = performance.now();
	let lastAnswerAt = startedAt;
	const instance = autocannon({ connections: settings.connections, pipelining: 1, timeout: 30, sampleInt: 10, ...options });
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

/** `GET url` for `seconds`, every request with the same `headers` (a `host` among them replaces the URL's). */
export function getLoad(settings: LoadSettings, url: string, seconds: number, headers: Readonly<Record<string, string>> = {}): Promise<Run> {
	return runAutocannon(settings, { url, duration: seconds, headers: { ...headers } });
}

/** `GET url` for `seconds`. */
export function floorLoad(settings: LoadSettings, url: string, seconds: number): Promise<Run> {
	return getLoad(settings, url, seconds);
}

const JSON_POST = { method: "POST", headers: { "content-type": "application/json" } } as const;

/**
 * `POST /api/v1/login/totp`, once per item: each request takes the next prepared challenge
 * (autocannon gives each connection its own copy of the request and calls `setupRequest` once
 * per request it sends).
 */
export function secondStepLoad(settings: LoadSettings, port: number, items: readonly SecondStepItem[]): Promise<Run> {
	return postEach(settings, port, "/api/v1/login/totp", items.map((item) => JSON.stringify({ challengeToken: item.challengeToken, code: item.code })));
}

/** `POST /verify` of the hand-written server (hand-verify.ts), once per item. */
export function handVerifyLoad(settings: LoadSettings, port: number, items: readonly HandVerifyItem[]): Promise<Run> {
	return postEach(settings, port, "/verify", items.map((item) => JSON.stringify({ accountId: item.accountId, code: item.code })));
}

/** `POST path` with each of `bodies` once, in order. */
function postEach(settings: LoadSettings, port: number, path: string, bodies: readonly string[]): Promise<Run> {
	let next = 0;
	const request: RequestSpec = {
		...JSON_POST,
		path,
		setupRequest: (shape) => {
			const body = bodies[next++];
			if (body === undefined) throw new Error(`out of prepared requests for ${path}`);
			return { ...shape, body };
		},
	};
	return runAutocannon(settings, { url: `http://127.0.0.1:${port}`, amount: bodies.length, requests: [request] });
}

/**
 * Full sign-ins, one per item: `POST /api/v1/login` with the email and password, then
 * `POST /api/v1/login/totp` with the challenge it returned and the item's code, on the same
 * connection. `items.length` must be a multiple of the connections.
 * @param userAgent - the User-Agent header of every request (default: autocannon's, none)
 */
export function loginLoad(settings: LoadSettings, port: number, items: readonly LoginItem[], userAgent?: string): Promise<Run> {
	if (items.length % settings.connections !== 0) throw new Error("sign-ins must be a multiple of the connections");
	let next = 0;
	const post = userAgent === undefined ? JSON_POST : { ...JSON_POST, headers: { ...JSON_POST.headers, "user-agent": userAgent } };
	const passwordStep: RequestSpec = {
		...post,
		path: "/api/v1/login",
		setupRequest: (shape, context) => {
			const item = items[next++];
			if (item === undefined) throw new Error("out of prepared accounts");
			context["code"] = item.code;
			return { ...shape, body: JSON.stringify({ email: item.email, password: BENCH_PASSWORD }) };
		},
		onResponse: (status, body, context) => {
			context["challengeToken"] = status === 200 ? (JSON.parse(body) as { challenge?: { challengeToken?: string } }).challenge?.challengeToken : undefined;
		},
	};
	const codeStep: RequestSpec = {
		...post,
		path: "/api/v1/login/totp",
		// A failed password step still sends its code step (which fails too, and is counted).
		setupRequest: (shape, context) => ({ ...shape, body: JSON.stringify({ challengeToken: context["challengeToken"] ?? "missing", code: context["code"] }) }),
	};
	return runAutocannon(settings, { url: `http://127.0.0.1:${port}`, amount: items.length * 2, requests: [passwordStep, codeStep] });
}
