/**
 * Several deadbolt instances on one PostgreSQL database, as behind a load balancer: two real
 * `deadbolt serve` processes (the built CLI) on two ports, sharing `DEADBOLT_DATABASE_URL`,
 * `DEADBOLT_ENCRYPTION_KEY` and `DEADBOLT_HMAC_KEY`, driven over real HTTP with the JSON API.
 * Every guarantee that rests on the database (sessions, single-use codes, lockouts, revocation,
 * setups) must hold across instances, because a client's requests may land on either.
 *
 * Each run creates its own database `deadbolt_it_<random>` on the shared server
 * (`DEADBOLT_TEST_DATABASE_URL`) and drops it after. The per-IP credential limit is raised for
 * these processes (a config file with `rateLimit.perMinute`; every request here comes from
 * 127.0.0.1); nothing else is relaxed. Skipped without PostgreSQL, except on CI, where it fails.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { MIGRATIONS } from "../../src/storage/kysely/migrations/index.js";
import { apiClient, type APIClient, type APIResponse } from "../helpers/api-client.js";
import { beginSetup, expectAnswer, nextStepCode, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/api-flows.js";
import { freePort, runCLI, startServe, stopAllCLIProcesses, type CLIResult, type ServeProcess } from "../helpers/cli-process.js";
import { createTestDatabase, probePostgres, TEST_DATABASE_URL, unreachablePostgres, withClient, type TestDatabase } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const unreachable = await probePostgres(TEST_DATABASE_URL);
const missing = unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable);

/** The environment both instances share (what the README's "Running several instances" sets). */
function sharedEnvironment(databaseUrl: string, configFile: string, dataDir: string): Record<string, string> {
	return {
		DEADBOLT_DATABASE_URL: databaseUrl,
		DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
		DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64"),
		// Only the per-IP limit is raised: every test request comes from 127.0.0.1.
		DEADBOLT_CONFIG_FILE: configFile,
		DEADBOLT_DATA_DIR: dataDir,
		DEADBOLT_LOG_LEVEL: "info",
	};
}

/** The names in `kysely_migration`, in order, and how many rows there are. */
async function appliedMigrations(databaseUrl: string): Promise<string[]> {
	const result = await withClient(databaseUrl, (client) => client.query<{ name: string }>("select name from kysely_migration order by name"));
	return result.rows.map((row) => row.name);
}

describeWhen("several instances on one PostgreSQL database", missing, () => {
	const databases: TestDatabase[] = [];
	let workDir = "";
	let configFile = "";
	let env: Record<string, string> = {};
	let migrations: CLIResult[] = [];
	let instanceA: ServeProcess;
	let instanceB: ServeProcess;
	let a: APIClient;
	let b: APIClient;

	beforeAll(async () => {
		workDir = mkdtempSync(join(tmpdir(), "deadbolt-instances-"));
		configFile = join(workDir, "deadbolt.json");
		writeFileSync(configFile, `${JSON.stringify({ rateLimit: { perMinute: 10_000 } })}\n`);
		const database = await createTestDatabase();
		databases.push(database);
		env = sharedEnvironment(database.url, configFile, join(workDir, "data"));
		// Two `deadbolt migrate` at the same moment on the fresh database (asserted below) ...
		migrations = await Promise.all([runCLI(["migrate"], env), runCLI(["migrate"], env)]);
		// ... then two servers on two free ports.
		const [portA, portB] = [await freePort(), await freePort()];
		[instanceA, instanceB] = await Promise.all([
			startServe({ ...env, DEADBOLT_HTTP_PORT: String(portA) }),
			startServe({ ...env, DEADBOLT_HTTP_PORT: String(portB) }),
		]);
		a = apiClient(instanceA.url);
		b = apiClient(instanceB.url);
	});

	afterAll(async () => {
		await stopAllCLIProcesses();
		for (const database of databases) await database.drop();
		if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
	});

	test("two `deadbolt migrate` started at once on a fresh database both exit 0, and each migration is applied once", async () => {
		for (const result of migrations) {
			expect(result.code, result.stderr).toBe(0);
			expect(result.stdout).toMatch(/^migrations: (already )?up to date \(postgres, schema /m);
		}
		// What the two printed as applied: every migration, once between them.
		const printed = migrations.flatMap((result) => result.stdout.split("\n").filter((line) => line.startsWith("applied: ")).map((line) => line.slice("applied: ".length)));
		expect(printed.sort()).toEqual(Object.keys(MIGRATIONS));
		expect(await appliedMigrations(env["DEADBOLT_DATABASE_URL"] as string)).toEqual(Object.keys(MIGRATIONS));
	});

	test("two `deadbolt serve` started at once on a fresh database both migrate it, come up and are ready; each migration is applied once", async () => {
		const database = await createTestDatabase();
		databases.push(database);
		const freshEnv = { ...env, DEADBOLT_DATABASE_URL: database.url };
		const servers = await Promise.all([startServe({ ...freshEnv, DEADBOLT_HTTP_PORT: "0" }), startServe({ ...freshEnv, DEADBOLT_HTTP_PORT: "0" })]);
		try {
			for (const server of servers) {
				const ready = await apiClient(server.url).get("/readyz");
				expect(ready.status).toBe(200);
				expect(ready.body).toEqual({ status: "ready" });
			}
			expect(await appliedMigrations(database.url)).toEqual(Object.keys(MIGRATIONS));
			// One database, two doors: an account made on one is there for the other.
			const account = await signUp(apiClient(servers[0]!.url));
			const other = await apiClient(servers[1]!.url).post("/api/v1/login", { body: { email: account.email, password: PASSWORD } });
			expectAnswer(other, 200);
		} finally {
			await Promise.all(servers.map((server) => server.stop()));
		}
	});

	test("50 parallel sign-ins with the right password over A and B all get through (plain and 2FA accounts); mixed with 9 wrong ones, only those are refused", async () => {
		const plain = await signUp(a);
		const twoFactor = await signUpWith2FA(a, b);
		for (const account of [plain, twoFactor]) {
			const passwords = Array.from({ length: 59 }, (_, i) => (account === twoFactor && i < 9 ? `wrong guess ${i}` : PASSWORD));
			const answers = await Promise.all(passwords.map((password, i) => (i % 2 === 0 ? a : b).post("/api/v1/login", { body: { email: account.email, password } })));
			answers.forEach((answer, i) => {
				if (passwords[i] !== PASSWORD) return expectAnswer(answer, 401, "ERR_INVALID_CREDENTIALS");
				expectAnswer(answer, 200);
				expect(answer.body.status).toBe(account === twoFactor ? "two_factor_required" : "authenticated");
			});
		}
	});

	test("the two instances listen on different ports and are both ready", async () => {
		expect(instanceA.url).not.toBe(instanceB.url);
		for (const api of [a, b]) expect((await api.get("/readyz")).body).toEqual({ status: "ready" });
	});

	test("a session made on A is valid on B, and one made on B is valid on A", async () => {
		const account = await signUp(a);
		const onB = await b.get("/api/v1/session", { token: account.token });
		expectAnswer(onB, 200);
		expect(onB.body.account).toMatchObject({ id: account.accountId, email: account.email, twoFactorEnabled: false });
		expect(onB.body.session.id).toBe(account.sessionId);

		const signIn = await b.post("/api/v1/login", { body: { email: account.email, password: PASSWORD } });
		expectAnswer(signIn, 200);
		const onA = await a.get("/api/v1/session", { token: signIn.body.session.token });
		expectAnswer(onA, 200);
		expect(onA.body.session.id).toBe(signIn.body.session.id);
	});

	test("an enrollment begun on A is confirmed on B; then both instances ask for the code at sign-in", async () => {
		const account = await signUp(a);
		const setup = await beginSetup(a, account.token);
		const code = setup.authenticator.codeAt();
		const confirmed = await b.post("/api/v1/two-factor/totp/enrollment/confirm", { token: setup.token, body: { code } });
		expectAnswer(confirmed, 200);
		expect(confirmed.body.recoveryCodes).toHaveLength(10);
		// The session went on under a new token on B; A refuses the old one at once.
		expectAnswer(await a.get("/api/v1/session", { token: setup.token }), 401);
		for (const api of [a, b]) {
			const session = await api.get("/api/v1/session", { token: confirmed.body.session.token });
			expect(session.body.account.twoFactorEnabled).toBe(true);
			const signIn = await api.post("/api/v1/login", { body: { email: account.email, password: PASSWORD } });
			expect(signIn.body.status).toBe("two_factor_required");
		}
		// The code that confirmed the setup (its time step) cannot sign in, on either instance.
		const challenge = await passwordStep(b, account.email);
		expectAnswer(await a.post("/api/v1/login/totp", { body: { challengeToken: challenge, code } }), 401, "ERR_INVALID_CODE");
	});

	test("the same TOTP code sent 10 times at once for one challenge, spread over A and B, signs in exactly once", async () => {
		const account = await signUpWith2FA(a, b);
		const challengeToken = await passwordStep(a, account.email);
		const code = nextStepCode(account.authenticator);
		const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? a : b).post("/api/v1/login/totp", { body: { challengeToken, code } })));
		expectExactlyOneSignIn(answers);
		// The winner's session, and the one that turned 2FA on (it proved the new authenticator).
		await expectSecondFactorSessions(a, answers, 2);
	});

	test("the same TOTP code on two challenges of one account at once (on A and on B) signs in exactly once", async () => {
		const account = await signUpWith2FA(b, a);
		const [onA, onB] = await Promise.all([passwordStep(a, account.email), passwordStep(b, account.email)]);
		const code = nextStepCode(account.authenticator);
		const answers = await Promise.all([
			a.post("/api/v1/login/totp", { body: { challengeToken: onA, code } }),
			b.post("/api/v1/login/totp", { body: { challengeToken: onB, code } }),
			b.post("/api/v1/login/totp", { body: { challengeToken: onA, code } }),
			a.post("/api/v1/login/totp", { body: { challengeToken: onB, code } }),
		]);
		expectExactlyOneSignIn(answers);
		await expectSecondFactorSessions(b, answers, 2);
	});

	test("second-factor failures on A and B count toward one lockout: after 10 wrong codes in all, both refuse even the right code", async () => {
		const account = await signUpWith2FA(a);
		// Two challenges (5 attempts each), ten wrong codes at once, spread over both instances:
		// neither instance alone sees more than 5 failures, the limit is 10 per account.
		const challenges = [await passwordStep(a, account.email), await passwordStep(b, account.email)];
		const wrong = account.authenticator.wrongCodeAt();
		const failures = await Promise.all(
			Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? a : b).post("/api/v1/login/totp", { body: { challengeToken: challenges[Math.floor(index / 5)], code: wrong } })),
		);
		for (const failure of failures) expectAnswer(failure, 401, "ERR_INVALID_CODE");

		const third = await passwordStep(b, account.email);
		const locked = await b.post("/api/v1/login/totp", { body: { challengeToken: third, code: wrong } });
		expectAnswer(locked, 429, "ERR_TOO_MANY_ATTEMPTS");
		expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
		const right = nextStepCode(account.authenticator);
		for (const api of [a, b]) expectAnswer(await api.post("/api/v1/login/totp", { body: { challengeToken: third, code: right } }), 429, "ERR_TOO_MANY_ATTEMPTS");
	});

	test("a session revoked on A is refused on B at once (and a sign-out on B is refused on A)", async () => {
		const first = await signUp(a);
		const signIn = await b.post("/api/v1/login", { body: { email: first.email, password: PASSWORD } });
		expectAnswer(signIn, 200);
		const second = { id: signIn.body.session.id as string, token: signIn.body.session.token as string };
		expectAnswer(await b.get("/api/v1/session", { token: second.token }), 200);

		expectAnswer(await a.delete(`/api/v1/sessions/${second.id}`, { token: first.token }), 204);
		expectAnswer(await b.get("/api/v1/session", { token: second.token }), 401, "ERR_UNAUTHENTICATED");
		expectAnswer(await a.get("/api/v1/session", { token: second.token }), 401, "ERR_UNAUTHENTICATED");

		expectAnswer(await b.post("/api/v1/logout", { token: first.token }), 204);
		expectAnswer(await a.get("/api/v1/session", { token: first.token }), 401, "ERR_UNAUTHENTICATED");
	});

	test("a trusted device works on either instance, and once revoked on A it is refused on B at once", async () => {
		const account = await signUpWith2FA(a);
		const challengeToken = await passwordStep(a, account.email);
		const remembered = await a.post("/api/v1/login/totp", { body: { challengeToken, code: nextStepCode(account.authenticator), rememberDevice: true } });
		expectAnswer(remembered, 200);
		const deviceToken = remembered.body.trustedDeviceToken as string;
		const session = remembered.body.session.token as string;
		expect(deviceToken).toEqual(expect.any(String));

		// On B the device stands in for the code step; its token rotates (the old one is spent, on A too).
		const onB = await b.post("/api/v1/login", { body: { email: account.email, password: PASSWORD, trustedDeviceToken: deviceToken } });
		expectAnswer(onB, 200);
		expect(onB.body.status).toBe("authenticated");
		expect(onB.body.session.aal).toBe(2);
		const rotated = onB.body.trustedDeviceToken as string;
		expect(rotated).not.toBe(deviceToken);
		const spent = await a.post("/api/v1/login", { body: { email: account.email, password: PASSWORD, trustedDeviceToken: deviceToken } });
		expect(spent.body.status).toBe("two_factor_required");

		const devices = await a.get("/api/v1/trusted-devices", { token: session });
		expectAnswer(devices, 200);
		expect(devices.body.trustedDevices).toHaveLength(1);
		expectAnswer(await a.delete(`/api/v1/trusted-devices/${devices.body.trustedDevices[0].id}`, { token: session }), 204);
		const afterRevoke = await b.post("/api/v1/login", { body: { email: account.email, password: PASSWORD, trustedDeviceToken: rotated } });
		expectAnswer(afterRevoke, 200);
		expect(afterRevoke.body.status).toBe("two_factor_required");
		expect(afterRevoke.body.session).toBeUndefined();
	});
});

/** Exactly one answer is a sign-in; every other one is a 401 that says the code or the challenge is spent. */
function expectExactlyOneSignIn(answers: readonly APIResponse[]): void {
	const summary = JSON.stringify(answers.map((answer) => [answer.status, answer.body?.code ?? answer.body?.status]));
	expect(answers.filter((answer) => answer.status === 200), summary).toHaveLength(1);
	for (const answer of answers.filter((response) => response.status !== 200)) {
		expect(answer.status, summary).toBe(401);
		expect(["ERR_INVALID_CODE", "ERR_CHALLENGE_INVALID"], summary).toContain(answer.body.code);
	}
}

/** The account of the one winning answer has exactly `count` sessions at AAL2 (asked on `api`). */
async function expectSecondFactorSessions(api: APIClient, answers: readonly APIResponse[], count: number): Promise<void> {
	const winner = answers.find((answer) => answer.status === 200);
	const sessions = await api.get("/api/v1/sessions", { token: winner?.body.session.token });
	expectAnswer(sessions, 200);
	expect(sessions.body.sessions.filter((session: { aal: number }) => session.aal === 2)).toHaveLength(count);
}
