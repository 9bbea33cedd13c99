/**
 * Faults: what a running `deadbolt serve` (the built CLI) does when its database goes away,
 * stops answering or comes back, and what is left in the database when deadbolt itself is killed
 * in the middle of its work.
 *
 * - PostgreSQL stopped: every request is answered at once with 503 `ERR_STORAGE_UNAVAILABLE`
 *   (never a 500, never a hang) and `/readyz` says not ready; started again, deadbolt serves again
 *   without a restart. Requests in flight when it stops get 200 or 503, and the process survives.
 * - PostgreSQL frozen (up, but answering nothing: SIGSTOP): the connection and query timeouts
 *   answer 503 instead of hanging; thawed, deadbolt serves again.
 * - deadbolt SIGKILLed, several times, during many parallel sign-ups, setups (start + confirm,
 *   replacements), new recovery codes and sign-ins: the database holds no half state
 *   (test/helpers/half-states.ts), every answer the clients got is durable, and every account
 *   can go on. On PostgreSQL (whose log proves a kill cut an open transaction) and on a SQLite file.
 *
 * The PostgreSQL tests run a PRIVATE server (test/helpers/private-postgres.ts) that they may stop
 * and freeze; the machine's shared server is never touched. Without the server binaries they
 * are skipped, except on CI (`CI=true`), where they fail. No test asserts a duration: "no hang"
 * means every request is answered within the client's 15-second timeout.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { apiClient, authenticatorOf, type APIClient, type APIResponse } from "../helpers/api-client.js";
import { beginSetup, confirmSetup, expectAnswer, nextStepCode, PASSWORD, passwordStep, signUp, signUpWith2FA, uniqueEmail } from "../helpers/api-flows.js";
import { startServe, stopAllCLIProcesses, type ServeProcess } from "../helpers/cli-process.js";
import { findHalfStates, readSnapshot, type TableSnapshot } from "../helpers/half-states.js";
import { withClient } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";
import { findPostgresBinaries, startPrivatePostgres, type PrivatePostgres } from "../helpers/private-postgres.js";

const binaries = findPostgresBinaries();

/** A work directory with a config file raising the per-IP credential limit (all test traffic is from 127.0.0.1). */
function makeWorkDir(): { dir: string; configFile: string } {
	const dir = mkdtempSync(join(tmpdir(), "deadbolt-faults-"));
	const configFile = join(dir, "deadbolt.json");
	writeFileSync(configFile, `${JSON.stringify({ rateLimit: { perMinute: 100_000 } })}\n`);
	return { dir, configFile };
}

/** The environment of a serve process on `databaseUrl` (null: SQLite in `dataDir`). */
function serveEnvironment(options: { databaseUrl: string | null; dataDir: string; configFile: string; keys: { encryption: string; hmac: string } }): Record<string, string> {
	return {
		...(options.databaseUrl === null ? {} : { DEADBOLT_DATABASE_URL: options.databaseUrl }),
		DEADBOLT_DATA_DIR: options.dataDir,
		DEADBOLT_CONFIG_FILE: options.configFile,
		DEADBOLT_ENCRYPTION_KEY: options.keys.encryption,
		DEADBOLT_HMAC_KEY: options.keys.hmac,
		DEADBOLT_HTTP_PORT: "0",
		DEADBOLT_LOG_LEVEL: "info",
	};
}

function newKeys(): { encryption: string; hmac: string } {
	return { encryption: randomBytes(32).toString("base64"), hmac: randomBytes(32).toString("base64") };
}

/** Polls `/readyz` until it says ready. @throws Error after `deadlineMs` (default 30 000) */
async function waitUntilReady(api: APIClient, deadlineMs = 30_000): Promise<void> {
	const giveUpAt = Date.now() + deadlineMs;
	let last: APIResponse | null = null;
	while (Date.now() < giveUpAt) {
		last = await api.get("/readyz");
		if (last.status === 200) return;
		await sleep(200);
	}
	throw new Error(`not ready after ${deadlineMs} ms: ${JSON.stringify(last?.body)}`);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

/** Fails unless every answer is a 503 with the storage error code and `Retry-After`. */
function expectAllStorageUnavailable(answers: readonly (APIResponse & { label: string })[]): void {
	for (const answer of answers) {
		const detail = `${answer.label}: ${answer.status} ${JSON.stringify(answer.body)}`;
		expect(answer.status, detail).toBe(503);
		if (!answer.label.includes("/dashboard")) expect(answer.body?.code, detail).toBe("ERR_STORAGE_UNAVAILABLE");
		expect(answer.headers.get("retry-after"), detail).toBe("5");
	}
}

describeWhen("deadbolt serve when its PostgreSQL server stops, freezes and comes back", binaries.missing, () => {
	let server: PrivatePostgres;
	let workDir: { dir: string; configFile: string };
	let instance: ServeProcess;
	let api: APIClient;
	let exited = false;

	beforeAll(async () => {
		server = await startPrivatePostgres(binaries.binDir as string);
		workDir = makeWorkDir();
		await withClient(server.url(), (client) => client.query("create database deadbolt"));
		instance = await startServe(serveEnvironment({ databaseUrl: server.url("deadbolt"), dataDir: join(workDir.dir, "data"), configFile: workDir.configFile, keys: newKeys() }));
		void instance.exited.then(() => (exited = true));
		api = apiClient(instance.url);
	});

	// Each test starts with the server up, whatever the one before left behind.
	beforeEach(async () => {
		server.thaw();
		await server.start();
	});

	afterAll(async () => {
		await stopAllCLIProcesses();
		await server?.destroy();
		if (workDir !== undefined) rmSync(workDir.dir, { recursive: true, force: true });
	});

	/** One request of each kind a client makes, all at once, labelled for messages. */
	async function oneOfEach(context: { token: string; logoutToken: string; challengeToken: string; code: string }): Promise<(APIResponse & { label: string })[]> {
		const requests: [string, () => Promise<APIResponse>][] = [
			["GET /readyz", () => api.get("/readyz")],
			["GET /api/v1/session", () => api.get("/api/v1/session", { token: context.token })],
			["GET /api/v1/sessions", () => api.get("/api/v1/sessions", { token: context.token })],
			["POST /api/v1/accounts", () => api.post("/api/v1/accounts", { body: { email: uniqueEmail("outage"), password: PASSWORD } })],
			["POST /api/v1/login", () => api.post("/api/v1/login", { body: { email: uniqueEmail("outage"), password: PASSWORD } })],
			["POST /api/v1/login/totp", () => api.post("/api/v1/login/totp", { body: { challengeToken: context.challengeToken, code: context.code } })],
			["POST /api/v1/two-factor/totp/enrollment", () => api.post("/api/v1/two-factor/totp/enrollment", { token: context.token, body: { password: PASSWORD } })],
			// A session of its own: a query cut off by the client's timeout may still run on a server
			// that comes back, and the other requests' session must stay valid.
			["POST /api/v1/logout", () => api.post("/api/v1/logout", { token: context.logoutToken })],
			["GET /dashboard/settings/security", () => api.get("/dashboard/settings/security", { headers: { cookie: `deadbolt_session=${context.token}` } })],
		];
		// Twice each, so that several pooled connections are tried.
		return Promise.all([...requests, ...requests].map(async ([label, send]) => ({ ...(await send()), label })));
	}

	test("with PostgreSQL stopped, every request is answered 503 ERR_STORAGE_UNAVAILABLE (never a 500, never a hang) and /readyz is not ready; started again, deadbolt serves again without a restart", async () => {
		const account = await signUp(api);
		const other = await signUp(api);
		const withTwoFactor = await signUpWith2FA(api);
		const challengeToken = await passwordStep(api, withTwoFactor.email);
		await waitUntilReady(api);

		await server.stop("fast");
		const answers = await oneOfEach({ token: account.token, logoutToken: other.token, challengeToken, code: nextStepCode(withTwoFactor.authenticator) });
		expectAllStorageUnavailable(answers);
		expect(answers.find((answer) => answer.label === "GET /readyz")?.body).toMatchObject({ statusCode: 503, code: "ERR_STORAGE_UNAVAILABLE" });
		// Liveness is not readiness: the process itself is fine.
		expect((await api.get("/healthz")).status).toBe(200);

		await server.start();
		await waitUntilReady(api);
		expect(exited).toBe(false);
		// Nothing was lost or half-done: the session is still valid, and the sign-in begun before
		// the outage completes (the refused attempt during it changed nothing).
		const session = await api.get("/api/v1/session", { token: account.token });
		expectAnswer(session, 200);
		expect(session.body.session.id).toBe(account.sessionId);
		expectAnswer(await api.post("/api/v1/login/totp", { body: { challengeToken, code: nextStepCode(withTwoFactor.authenticator) } }), 200);
	});

	test("requests in flight when PostgreSQL stops are answered 200 or 503, the process survives, and serves again once PostgreSQL is back", async () => {
		const accounts = await Promise.all(Array.from({ length: 4 }, () => signUp(api)));
		const statuses: number[] = [];
		let running = true;
		const worker = async (index: number): Promise<void> => {
			const account = accounts[index % accounts.length]!;
			for (let round = 0; running; round++) {
				const answer =
					round % 3 === 0
						? await api.post("/api/v1/login", { body: { email: account.email, password: PASSWORD } })
						: round % 3 === 1
							? await api.get("/api/v1/session", { token: account.token })
							: await api.get("/api/v1/sessions", { token: account.token });
				statuses.push(answer.status);
			}
		};
		const workers = Array.from({ length: 8 }, (_, index) => worker(index));
		await sleep(500);
		await server.stop("fast");
		await sleep(1_000);
		const duringOutage = statuses.length;
		await server.start();
		await waitUntilReady(api);
		await sleep(500);
		running = false;
		await Promise.all(workers);

		const counts = Object.fromEntries([...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length]));
		expect(Object.keys(counts).map(Number).sort(), JSON.stringify(counts)).toEqual([200, 503]);
		expect(statuses.length, "requests went on after the database came back").toBeGreaterThan(duringOutage);
		expect(statuses.at(-1)).toBe(200);
		expect(exited).toBe(false);
	});

	test("with PostgreSQL frozen (up, answering nothing), requests are answered 503 by the timeouts instead of hanging; thawed, deadbolt serves again", async () => {
		const account = await signUp(api);
		const other = await signUp(api);
		const withTwoFactor = await signUpWith2FA(api);
		const challengeToken = await passwordStep(api, withTwoFactor.email);
		await waitUntilReady(api);

		server.freeze();
		let answers: (APIResponse & { label: string })[];
		try {
			answers = await oneOfEach({ token: account.token, logoutToken: other.token, challengeToken, code: nextStepCode(withTwoFactor.authenticator) });
		} finally {
			server.thaw();
		}
		expectAllStorageUnavailable(answers);

		await waitUntilReady(api);
		expectAnswer(await api.get("/api/v1/session", { token: account.token }), 200);
		expect(exited).toBe(false);
	});

	test("SIGKILL during parallel sign-ups, setups and sign-ins leaves no half state in PostgreSQL, loses no answered write, and every account can go on", async () => {
		await withClient(server.url(), (client) => client.query("create database deadbolt_kill"));
		const databaseUrl = server.url("deadbolt_kill");
		const logBefore = server.log().length;
		await killMidFlight({
			env: serveEnvironment({ databaseUrl, dataDir: join(workDir.dir, "kill-data"), configFile: workDir.configFile, keys: newKeys() }),
			snapshot: () => withClient(databaseUrl, (client) => readSnapshot(async (sql) => (await client.query(sql)).rows)),
			killedInsideTransaction: () => server.log().slice(logBefore).includes(EOF_IN_TRANSACTION),
		});
		// Up to MAX_KILLS rounds of a few seconds each, then the checks: more than the project's 120 s.
	}, 300_000);
});

describe("the half-state rules (test/helpers/half-states.ts)", () => {
	/** One account with 2FA on, signed up, set up (its session s1 is then at AAL2), then signed in with a recovery code: whole. */
	const whole: TableSnapshot = {
		accounts: [{ id: "a" }],
		totpCredentials: [{ account_id: "a", confirmed_at: "2", enrollment_session_id: "s1" }],
		recoveryCodes: Array.from({ length: 10 }, (_, index) => ({ account_id: "a", used_at: index === 0 ? "3" : null })),
		sessions: [
			{ id: "s1", account_id: "a", aal: 2, revoked_at: null },
			{ id: "s2", account_id: "a", aal: 2, revoked_at: null },
		],
		loginChallenges: [{ account_id: "a", consumed_at: "3" }],
		securityEvents: [
			{ account_id: "a", type: "account.created", details: "{}" },
			{ account_id: "a", type: "totp.enabled", details: "{}" },
			{ account_id: "a", type: "recovery_code.used", details: "{}" },
			{ account_id: "a", type: "login.succeeded", details: JSON.stringify({ factors: ["password", "recovery_code"] }) },
		],
	};

	test("a whole state passes, and each kind of half state is reported", () => {
		expect(findHalfStates(whole)).toEqual([]);
		const broken: [string, Partial<TableSnapshot>][] = [
			["recovery codes without a confirmed TOTP secret", { totpCredentials: [], securityEvents: whole.securityEvents.filter((event) => event.type !== "totp.enabled") }],
			["2FA on with 9 recovery codes", { recoveryCodes: whole.recoveryCodes.slice(1) }],
			["2FA on without a totp.enabled event", { securityEvents: whole.securityEvents.filter((event) => event.type !== "totp.enabled") }],
			["2 confirmed TOTP credentials", { totpCredentials: [...whole.totpCredentials, { account_id: "a", confirmed_at: "1", enrollment_session_id: "s1" }] }],
			["other password-only session(s) active", { sessions: [...whole.sessions, { id: "s3", account_id: "a", aal: 1, revoked_at: null }], securityEvents: [...whole.securityEvents, { account_id: "a", type: "login.succeeded", details: JSON.stringify({ factors: ["password"] }) }] }],
			["AAL2 session(s) but 0 recorded second-factor sign-in(s)", { securityEvents: whole.securityEvents.filter((event) => event.type !== "login.succeeded") }],
			["but only 0 consumed login challenge(s)", { loginChallenges: [{ account_id: "a", consumed_at: null }] }],
			["AAL1 session(s) but 0 recorded", { securityEvents: whole.securityEvents.filter((event) => event.type !== "account.created") }],
			["used recovery code(s) but 0 recovery_code.used", { securityEvents: whole.securityEvents.filter((event) => event.type !== "recovery_code.used") }],
		];
		for (const [problem, change] of broken) expect(findHalfStates({ ...whole, ...change }).join("\n"), problem).toContain(problem);
	});
});

describe("deadbolt serve on a SQLite file, killed", () => {
	let workDir: { dir: string } | undefined;

	afterAll(async () => {
		await stopAllCLIProcesses();
		if (workDir !== undefined) rmSync(workDir.dir, { recursive: true, force: true });
	});

	test("SIGKILL during parallel sign-ups, setups and sign-ins leaves no half state in the SQLite file, loses no answered write, and every account can go on", async () => {
		const dir = makeWorkDir();
		workDir = dir;
		const dataDir = join(dir.dir, "data");
		await killMidFlight({
			env: serveEnvironment({ databaseUrl: null, dataDir, configFile: dir.configFile, keys: newKeys() }),
			snapshot: async () => {
				const database = new SQLiteDatabase(join(dataDir, "deadbolt.sqlite"));
				try {
					return await readSnapshot(async (sql) => database.prepare(sql).all());
				} finally {
					database.close();
				}
			},
		});
	});
});

/** What a client was told, kept to check it against the database after the crash. */
interface Journey {
	readonly email: string;
	/**
	 * The sign-up session's token as last answered (it also starts every setup; proving the password
	 * and turning 2FA on rotate it). A kill that cut off the answer of a rotation leaves the client
	 * with the old token, which is dead by design: that session is lost to the client, never half.
	 */
	token: string | null;
	/** Whether a rotation of `token` may have committed without its answer arriving. */
	rotationInFlight: boolean;
	/** The account's current recovery codes as last answered; null when none were, or a later request may have replaced them. */
	recoveryCodes: readonly string[] | null;
	/** Every session token the server answered with (and no answered request rotated since). */
	readonly sessionTokens: string[];
}

/** Workers running {@link signInJourney}: argon2-heavy, like real sign-ins. */
const SIGN_IN_WORKERS = 4;
/** Workers running {@link setupChurnJourney}: no password hashing, almost all database transactions. */
const SETUP_CHURN_WORKERS = 3;
/** Kills before the database is inspected ... */
const MIN_KILLS = 3;
/**
 * ... and at most this many, while none is known to have hit an open transaction (a kill lands in
 * one by chance: transactions are short beside argon2id; 8 rounds missed them in some CI runs).
 */
const MAX_KILLS = 16;
/** What PostgreSQL logs when a client vanishes inside a transaction. */
const EOF_IN_TRANSACTION = "unexpected EOF on client connection with an open transaction";

/**
 * Kills the server again and again mid-flight: each round starts it, runs the workers in
 * parallel (staggered, so that they are at different steps), and SIGKILLs it after a random
 * 0.5-3 s. With `killedInsideTransaction` (PostgreSQL can tell, from its log), rounds go on (up
 * to {@link MAX_KILLS}) until a kill is known to have cut a transaction, and the test requires
 * one. Then, with the server dead, the tables must hold no half state; then, started again, every
 * answered write must be there and every account must be able to sign in and finish (or redo)
 * its setup.
 */
async function killMidFlight(options: { env: Record<string, string>; snapshot: () => ReturnType<typeof readSnapshot>; killedInsideTransaction?: () => boolean }): Promise<void> {
	const journeys: Journey[] = [];
	let cutOff = 0;
	let kills = 0;
	while (kills < MIN_KILLS || (kills < MAX_KILLS && options.killedInsideTransaction?.() === false)) {
		kills++;
		const instance = await startServe(options.env);
		const api = apiClient(instance.url);
		let killed = false;
		const worker = async (journey: (api: APIClient, journey: Journey) => Promise<void>): Promise<void> => {
			await sleep(Math.floor(Math.random() * 800));
			while (!killed) {
				const record: Journey = { email: uniqueEmail("kill"), token: null, rotationInFlight: false, recoveryCodes: null, sessionTokens: [] };
				journeys.push(record);
				try {
					await journey(api, record);
				} catch (error) {
					// Only a request the kill cut off may fail; any wrong answer is a test failure.
					if (!killed || !String((error as Error).message).includes("got no answer")) throw error;
					cutOff++;
					return;
				}
			}
		};
		const workers = [...Array.from({ length: SIGN_IN_WORKERS }, () => worker(signInJourney)), ...Array.from({ length: SETUP_CHURN_WORKERS }, () => worker(setupChurnJourney))];
		await sleep(500 + Math.floor(Math.random() * 2_500));
		killed = true;
		await instance.kill("SIGKILL");
		await Promise.all(workers);
	}
	// The kills landed in the middle of the work, not between journeys.
	expect(cutOff).toBeGreaterThan(0);
	if (options.killedInsideTransaction !== undefined) expect(options.killedInsideTransaction(), `none of ${kills} kills cut an open transaction`).toBe(true);

	expect(findHalfStates(await options.snapshot())).toEqual([]);

	const instance = await startServe(options.env);
	const api = apiClient(instance.url);
	try {
		for (const journey of journeys.filter((each) => each.token !== null)) {
			// Every session the server answered with survived the crash.
			for (const token of journey.sessionTokens) expectAnswer(await api.get("/api/v1/session", { token }), 200);
			const session = await api.get("/api/v1/session", { token: journey.token as string });
			if (journey.rotationInFlight && session.status === 401) continue;
			expectAnswer(session, 200);
			if (journey.recoveryCodes !== null) {
				expect(session.body.account.twoFactorEnabled).toBe(true);
				// No workload uses the last code of a set: it signs in now.
				const challengeToken = await passwordStep(api, journey.email);
				expectAnswer(await api.post("/api/v1/login/recovery-code", { body: { challengeToken, code: journey.recoveryCodes.at(-1) } }), 200);
			} else if (session.body.account.twoFactorEnabled === false) {
				// A setup cut off at any point can be started again and finished.
				const setup = await beginSetup(api, journey.token as string);
				await confirmSetup(api, setup.token, setup.authenticator);
			}
		}
		expect(findHalfStates(await options.snapshot())).toEqual([]);
	} finally {
		await instance.stop();
	}
}

/** Sign up, set up 2FA, sign in with a recovery code, sign in with a TOTP code. */
async function signInJourney(api: APIClient, journey: Journey): Promise<void> {
	const signedUp = await signUp(api, journey.email);
	journey.token = signedUp.token;
	journey.rotationInFlight = true;
	const setup = await beginSetup(api, signedUp.token);
	journey.token = setup.token;
	const { authenticator } = setup;
	const confirmed = await confirmSetup(api, setup.token, authenticator);
	journey.token = confirmed.token;
	journey.rotationInFlight = false;
	journey.recoveryCodes = confirmed.recoveryCodes;
	journey.sessionTokens.push(confirmed.token);

	const first = await passwordStep(api, journey.email);
	const withCode = await api.post("/api/v1/login/recovery-code", { body: { challengeToken: first, code: journey.recoveryCodes[0] } });
	expectAnswer(withCode, 200);
	journey.sessionTokens.push(withCode.body.session.token);

	const second = await passwordStep(api, journey.email);
	const withTOTP = await api.post("/api/v1/login/totp", { body: { challengeToken: second, code: nextStepCode(authenticator) } });
	expectAnswer(withTOTP, 200);
	journey.sessionTokens.push(withTOTP.body.session.token);
}

/**
 * Sign up, then over and over: set up an authenticator (the first turns 2FA on, each next one
 * replaces the last: "moving to a new phone"), and get a new set of recovery codes. A fresh
 * sign-up counts as a recent re-authentication (5 minutes), so no password is hashed: nearly all
 * the time goes to database transactions (confirmation, replacement, new codes).
 */
async function setupChurnJourney(api: APIClient, journey: Journey): Promise<void> {
	const signedUp = await signUp(api, journey.email);
	journey.token = signedUp.token;
	for (;;) {
		const token = journey.token;
		const setup = await api.post("/api/v1/two-factor/totp/enrollment", { token, body: {} });
		expectAnswer(setup, 201);
		journey.rotationInFlight = true;
		const confirmed = await api.post("/api/v1/two-factor/totp/enrollment/confirm", { token, body: { code: authenticatorOf(setup.body.keyUri).codeAt() } });
		expectAnswer(confirmed, 200);
		journey.token = confirmed.body.session.token as string;
		journey.rotationInFlight = false;
		// The new set may or may not land if the next request is cut off.
		journey.recoveryCodes = null;
		const regenerated = await api.post("/api/v1/two-factor/recovery-codes", { token: journey.token });
		expectAnswer(regenerated, 201);
		journey.recoveryCodes = regenerated.body.recoveryCodes;
	}
}
