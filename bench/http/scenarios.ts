/**
 * The measured scenarios of `npm run bench:http` on one database (issue 15, goals 1 to 3): each
 * subject alternates in rounds with its baseline, on servers that observe themselves during every
 * round (observe.ts). See the comment at the top of bench/http.ts for what each compares.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import type { ChildServer } from "./child-server.js";
import { getLoad, handVerifyLoad, loginLoad, median, rate, secondStepLoad, type LoadSettings, type Run } from "./load.js";
import type { RoundObservation } from "./protocol.js";
import { progress } from "./report.js";

/** A round of some load, and what its server saw of itself meanwhile. */
export interface Round {
	readonly result: Run;
	/** null: not observed (a server that does not observe itself). */
	readonly observation: RoundObservation | null;
}

/** A subject against its baseline, measured in alternating rounds on one database. */
export interface Scenario {
	/** The subject, e.g. "POST /api/v1/login/totp". */
	readonly name: string;
	readonly backend: string;
	/** Issue 15's goal number ("1", "2", "3"), "issue 11", or null: none; with no `target`, printed for information beside that goal. */
	readonly goal: string | null;
	/** The least ratio that meets the goal. */
	readonly target: number | null;
	/** Also a goal: the subject's event-loop p99 under this (goal 2), ms. */
	readonly loopTargetMs?: number;
	/** What a unit of the subject's rate is, and how many requests each takes (a sign-in: 2). */
	readonly unit: "requests" | "sign-ins";
	readonly requestsPerUnit: number;
	readonly subject: readonly Round[];
	readonly baselineName: string;
	/** The baseline's rounds: round r ran beside the subject's round r (or, for a best-of, its best run). */
	readonly baseline: readonly Round[];
	readonly baselineUnit: string;
	/** Requests per unit of the baseline (default 1). */
	readonly baselineRequestsPerUnit?: number;
	/** Median over rounds of (subject's rate ÷ the baseline's rate in the same round), or as noted. */
	readonly ratio: number;
	readonly note?: string;
}

/** What one database's run needs. */
export interface BackendRun {
	readonly name: string;
	readonly settings: LoadSettings;
	readonly server: ChildServer;
	readonly hand: ChildServer;
	readonly floor: ChildServer;
	readonly postgres: boolean;
	/** Where V8 CPU profiles of the measured deadbolt rounds go (null: none). */
	readonly profileDir: string | null;
}

/** How much of each load (counts of prepared requests, seconds, rounds). */
export const SIZES = Object.freeze({
	rounds: 4,
	codeStepWarmup: 200,
	codeStepPerRound: 600,
	handVerifyWarmup: 1000,
	handVerifyPerRound: 4000,
	sessionRoundSeconds: 1,
	sessionWarmupSeconds: 1,
	loginRounds: 3,
	/** Sign-ins per connection (full sign-ins must be a multiple of the connections). */
	loginWarmupPerConnection: 2,
	loginPerRoundPerConnection: 16,
	argon2RoundMs: 1500,
	/** Raw argon2id verifications at once for the machine's best rate. */
	argon2Concurrencies: [1, 2, 4] as readonly number[],
});

/** The forward-auth set-up of bench/forward-auth.ts (a rule for this host, the forward-auth cookie). */
export const APP_HOST = "app.example.test";
export const FORWARD_AUTH_CONFIG = Object.freeze({
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["loopback"] },
	session: { cookieDomain: "example.test" },
	accessControl: { defaultPolicy: "deny", rules: [{ domains: [APP_HOST], policy: "one_factor" }] },
});
/** The forward-auth cookie's name with `session.cookieDomain` set and an http public URL (src/http/cookies.ts). */
const FORWARD_AUTH_COOKIE = "deadbolt_forward_auth";

const argon2Run = (verifications: number, seconds: number): Run => ({ ok: verifications, failed: 0, seconds, latenciesMs: [] });
const pairedRatio = (subject: readonly Round[], baseline: readonly Round[], requestsPerUnit = 1): number =>
	median(subject.map((round, index) => rate(round.result) / requestsPerUnit / rate((baseline[index] as Round).result)));

/** Runs `run` while `server` observes itself (and, given a `profile` file, writes a V8 CPU profile there). */
async function observed(server: ChildServer, profile: string | null, run: () => Promise<Run>): Promise<Round> {
	if (profile !== null) await server.call({ type: "profile-start" }, "profile-started");
	await server.call({ type: "observe-start" }, "observe-started");
	const result = await run();
	const { observation } = await server.call({ type: "observe-stop" }, "observed");
	if (profile !== null) await server.call({ type: "profile-stop", file: profile }, "profile-written");
	return { result, observation };
}

/** One GET with exactly `headers`; resolves with the status. */
function getStatus(url: string, headers: Readonly<Record<string, string>>): Promise<number> {
	return new Promise((done, fail) => {
		const request = httpRequest(url, { headers, timeout: 10_000 }, (response) => {
			response.resume();
			response.on("end", () => done(response.statusCode ?? 0));
		});
		request.on("timeout", () => request.destroy(new Error(`GET ${url}: no answer within 10 s`)));
		request.on("error", fail);
		request.end();
	});
}

/** Measures goals 1 to 3 on one database; the scenarios in the order of the goals. */
export async function measureScenarios(run: BackendRun): Promise<Scenario[]> {
	const { name, settings, server, hand, floor } = run;
	const key = name.toLowerCase();
	const profile = (label: string): string | null => (run.profileDir === null ? null : join(run.profileDir, `${key}-${label}.cpuprofile`));
	const loginWarmup = settings.connections * SIZES.loginWarmupPerConnection;
	const loginPerRound = settings.connections * SIZES.loginPerRoundPerConnection;

	const seeded = await server.call({ type: "seed", secondStep: SIZES.codeStepWarmup + SIZES.rounds * SIZES.codeStepPerRound, logins: loginWarmup + SIZES.loginRounds * loginPerRound }, "seeded");
	progress(`${name}: ${seeded.accounts} accounts with 2FA on and ${seeded.secondStep.length} login challenges prepared in ${seeded.seconds.toFixed(1)} s`);
	const handSeeded = await hand.call({ type: "hand-seed", verifies: SIZES.handVerifyWarmup + SIZES.rounds * SIZES.handVerifyPerRound }, "hand-seeded");
	const signedIn = await server.call({ type: "forward-auth-session" }, "forward-auth-session");
	progress(`${name}: hand-written server seeded (${handSeeded.verifies.length} rows) in ${handSeeded.seconds.toFixed(1)} s`);

	// Goal 3's requests, checked before measuring: every one must be answered 200.
	const deadbolt = `http://127.0.0.1:${server.port}`;
	const forwardHeaders = { accept: "application/json", cookie: `${FORWARD_AUTH_COOKIE}=${signedIn.forwardAuthToken}`, "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": APP_HOST, "x-forwarded-uri": "/projects/42/issues?state=open", "x-forwarded-for": "127.0.0.1" };
	const sessionHeaders = { accept: "application/json", authorization: `Bearer ${signedIn.sessionToken}` };
	const handSessionHeaders = { accept: "application/json", authorization: `Bearer ${handSeeded.sessionToken}` };
	const checkTargets = {
		session: { url: `${deadbolt}/api/v1/session`, headers: sessionHeaders },
		forwardAuth: { url: `${deadbolt}/api/v1/authz/forward-auth`, headers: forwardHeaders },
		// SQLite: the Fastify hello, sent what deadbolt gets; PostgreSQL: the hand-written session check.
		baseline: run.postgres ? { url: `http://127.0.0.1:${hand.port}/session`, headers: handSessionHeaders } : { url: `http://127.0.0.1:${floor.port}/`, headers: { ...forwardHeaders, authorization: sessionHeaders.authorization } },
	};
	for (const [label, target] of Object.entries(checkTargets)) {
		const status = await getStatus(target.url, target.headers);
		if (status !== 200) throw new Error(`set-up check: GET ${target.url} (${label}) answered ${status}, not 200`);
	}
	const scenarios: Scenario[] = [];

	// Goal 1: the code step against the hand-written verify.
	const handItems = handSeeded.verifies;
	await handVerifyLoad(settings, hand.port, handItems.slice(0, SIZES.handVerifyWarmup));
	await secondStepLoad(settings, server.port, seeded.secondStep.slice(0, SIZES.codeStepWarmup));
	const handRounds: Round[] = [];
	const codeStep: Round[] = [];
	for (let round = 0; round < SIZES.rounds; round++) {
		const handSlice = handItems.slice(SIZES.handVerifyWarmup + round * SIZES.handVerifyPerRound, SIZES.handVerifyWarmup + (round + 1) * SIZES.handVerifyPerRound);
		handRounds.push(await observed(hand, null, () => handVerifyLoad(settings, hand.port, handSlice)));
		const items = seeded.secondStep.slice(SIZES.codeStepWarmup + round * SIZES.codeStepPerRound, SIZES.codeStepWarmup + (round + 1) * SIZES.codeStepPerRound);
		codeStep.push(await observed(server, profile(`code-step-${round}`), () => secondStepLoad(settings, server.port, items)));
	}
	const handName = `hand-written verify (Fastify + ${run.postgres ? "pg Pool" : "better-sqlite3 WAL"})`;
	scenarios.push({ name: "code step POST /api/v1/login/totp", backend: name, goal: "1", target: 0.5, unit: "requests", requestsPerUnit: 1, subject: codeStep, baselineName: handName, baseline: handRounds, baselineUnit: "requests", ratio: pairedRatio(codeStep, handRounds) });
	progress(`${name}: code step measured`);

	// Goal 3: the session check and the forward-auth decision against the floor (SQLite) or the hand-written session check (PostgreSQL).
	const loads = {
		baseline: () => getLoad(settings, checkTargets.baseline.url, SIZES.sessionRoundSeconds, checkTargets.baseline.headers),
		session: () => getLoad(settings, checkTargets.session.url, SIZES.sessionRoundSeconds, checkTargets.session.headers),
		forwardAuth: () => getLoad(settings, checkTargets.forwardAuth.url, SIZES.sessionRoundSeconds, checkTargets.forwardAuth.headers),
	};
	const baselineServer = run.postgres ? hand : floor;
	await getLoad(settings, checkTargets.baseline.url, SIZES.sessionWarmupSeconds, checkTargets.baseline.headers);
	await getLoad(settings, checkTargets.session.url, SIZES.sessionWarmupSeconds, checkTargets.session.headers);
	await getLoad(settings, checkTargets.forwardAuth.url, SIZES.sessionWarmupSeconds, checkTargets.forwardAuth.headers);
	const checkRounds = { baseline: [] as Round[], session: [] as Round[], forwardAuth: [] as Round[] };
	for (let round = 0; round < SIZES.rounds; round++) {
		// The baseline first, then the subjects; the order reversed in every other round.
		const order = (["baseline", "session", "forwardAuth"] as const).slice();
		if (round % 2 === 1) order.reverse();
		for (const load of order) {
			const where = load === "baseline" ? baselineServer : server;
			checkRounds[load].push(await observed(where, load === "baseline" ? null : profile(`${load}-${round}`), loads[load]));
		}
	}
	const checkBaselineName = run.postgres ? "hand-written session check (Fastify + pg Pool, one SELECT)" : "Fastify hello world (floor)";
	for (const [subject, label] of [["session", "session check GET /api/v1/session"], ["forwardAuth", "forward-auth GET /api/v1/authz/forward-auth"]] as const) {
		scenarios.push({ name: label, backend: name, goal: "3", target: 0.5, unit: "requests", requestsPerUnit: 1, subject: checkRounds[subject], baselineName: checkBaselineName, baseline: checkRounds.baseline, baselineUnit: "requests", ratio: pairedRatio(checkRounds[subject], checkRounds.baseline) });
	}
	progress(`${name}: session check and forward-auth measured`);

	// Goal 2: full sign-ins against raw argon2id in the same process, as many at once as deadbolt hashes.
	await loginLoad(settings, server.port, seeded.logins.slice(0, loginWarmup));
	const argon2: Round[] = [];
	const login: Round[] = [];
	let hashConcurrency = 0;
	let threadpoolSize = 0;
	for (let round = 0; round < SIZES.loginRounds; round++) {
		argon2.push(
			await observed(server, null, async () => {
				const raw = await server.call({ type: "argon2", concurrency: null, durationMs: SIZES.argon2RoundMs }, "argon2");
				hashConcurrency = raw.concurrency;
				threadpoolSize = raw.threadpoolSize;
				return argon2Run(raw.verifications, raw.seconds);
			}),
		);
		const items = seeded.logins.slice(loginWarmup + round * loginPerRound, loginWarmup + (round + 1) * loginPerRound);
		login.push(await observed(server, profile(`sign-in-${round}`), () => loginLoad(settings, server.port, items)));
	}
	// The machine's best raw rate: 1, 2, 4 at a time (and the rounds above), the best taken.
	let best = { concurrency: hashConcurrency, round: argon2.reduce((top, round) => (rate(round.result) > rate(top.result) ? round : top)) };
	for (const concurrency of SIZES.argon2Concurrencies) {
		const round = await observed(server, null, async () => {
			const raw = await server.call({ type: "argon2", concurrency, durationMs: SIZES.argon2RoundMs }, "argon2");
			return argon2Run(raw.verifications, raw.seconds);
		});
		if (rate(round.result) > rate(best.round.result)) best = { concurrency, round };
	}
	scenarios.push({
		name: "full sign-in (password + code)",
		backend: name,
		goal: "2",
		target: 0.9,
		loopTargetMs: 20,
		unit: "sign-ins",
		requestsPerUnit: 2,
		subject: login,
		baselineName: `raw argon2id verify, ${hashConcurrency} at a time (password.hashConcurrency), in the deadbolt process`,
		baseline: argon2,
		baselineUnit: "verifications",
		ratio: pairedRatio(login, argon2, 2),
		note: `${threadpoolSize} libuv threads`,
	});
	scenarios.push({
		name: "full sign-in (password + code)",
		backend: name,
		// Printed beside goal 2 (the issue asks for it), with no target of its own.
		goal: "2",
		target: null,
		unit: "sign-ins",
		requestsPerUnit: 2,
		subject: login,
		baselineName: `the machine's best raw argon2id verify rate (${best.concurrency} at a time, the best of ${[...new Set([hashConcurrency, ...SIZES.argon2Concurrencies])].sort((a, b) => a - b).join(", ")} at a time)`,
		baseline: [best.round],
		baselineUnit: "verifications",
		ratio: median(login.map((round) => rate(round.result) / 2)) / rate(best.round.result),
		note: "median sign-in round ÷ the best raw round",
	});
	progress(`${name}: full sign-in measured`);
	return scenarios;
}
