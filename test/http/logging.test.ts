/**
 * The real process logger (pino with deadbolt's redaction) over whole flows, on SQLite and on
 * PostgreSQL: the log records what happened and why, and never a password, code, token, secret or
 * cookie (OWASP ASVS 5.0 §16.2.5, STANDARDS A-53), in both formats (`log.format` json and
 * pretty) and at every level. At `debug` and `trace` each request adds its detail (route pattern,
 * method, status, time, outcome, request id); at `info` it does not.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProcessLogger } from "../../src/cli/logger.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { buildApp } from "../../src/app.js";
import { fixedClock, type FixedClock } from "../../src/platform/clock.js";
import type { Logger } from "../../src/platform/logger.js";
import { testBackends } from "../helpers/backends.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { T0, TEST_KEYS } from "../helpers/deadbolt.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieJar } from "../helpers/http.js";

const backends = await testBackends();
const ADMIN_API_KEY = "logging-test-admin-key-0123456789abcdef";
let emails = 0;

/** An app whose process logger writes into `lines` (one entry a log line). */
async function loggedApp(
	open: () => ReturnType<(typeof backends)[number]["open"]>,
	log: Partial<Config["log"]>,
	overrides: Record<string, unknown> = {},
): Promise<{ app: Awaited<ReturnType<typeof buildApp>>; deadbolt: Deadbolt; store: Awaited<ReturnType<typeof open>>; clock: FixedClock; lines: string[]; close(): Promise<void> }> {
	const lines: string[] = [];
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
			done();
		},
	});
	const config = loadConfig({ overrides: { dataDir: "/nonexistent", keys: { adminApiKey: ADMIN_API_KEY }, log, ...overrides } });
	const logger = createProcessLogger(config, sink);
	const clock = fixedClock(T0);
	const store = await open();
	const deadbolt = await createDeadbolt(config, { store, clock, keys: TEST_KEYS, logger: logger as unknown as Logger });
	const app = await buildApp(deadbolt, { loggerInstance: logger });
	return {
		app,
		deadbolt,
		store,
		clock,
		lines,
		close: async () => {
			await app.close();
			await deadbolt.close();
		},
	};
}

/** The JSON log records that are request detail lines. */
function detailLines(lines: readonly string[], event = "http.request_detail"): Record<string, unknown>[] {
	return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record["event"] === event);
}

describe.each(backends)("logging on $name", ({ open }) => {
	it.each(["json", "pretty"] as const)("a full flow at trace level, format %s, logs events, reasons and request detail, and no secret of any kind", async (format) => {
		const { app, clock, lines, close } = await loggedApp(open, { level: "trace", format });
		const email = `log${++emails}-${format}@example.com`;
		const secrets: string[] = [PASSWORD, ADMIN_API_KEY];
		try {
			const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			const token = signUp.json().session.token as string;
			secrets.push(token, token.split(".")[1]!);
			const begin = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
			const secret = begin.json().secret as string;
			// Step 1 and the confirmation rotate the session: the new tokens are secrets too.
			const stepOneToken = begin.json().session.token as string;
			secrets.push(secret, stepOneToken, stepOneToken.split(".")[1]!);
			const key = decodeBase32(secret);
			const enrollCode = generateTOTP(key, clock.now());
			const confirm = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(stepOneToken), payload: { code: enrollCode } });
			expect(confirm.statusCode).toBe(200);
			const recoveryCodes = confirm.json().recoveryCodes as string[];
			const confirmedToken = confirm.json().session.token as string;
			secrets.push(...recoveryCodes, enrollCode, confirmedToken, confirmedToken.split(".")[1]!);

			// Browser sign-in: wrong code, right code, recovery code; cookies travel in headers.
			const login = await app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email, password: PASSWORD } });
			const jar = cookieJar(login);
			secrets.push(jar["deadbolt_login_challenge"]!);
			await app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code: "987654" } });
			clock.advance(30_000);
			const code = generateTOTP(key, clock.now());
			secrets.push(code);
			const done = await app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code } });
			const browserSession = cookieJar(done)["deadbolt_session"]!;
			secrets.push(browserSession);
			const apiLogin = await app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: PASSWORD } });
			const challengeToken = apiLogin.json().challenge.challengeToken as string;
			secrets.push(challengeToken);
			await app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken, code: recoveryCodes[0] } });
			await app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: "wrong password 123" } });
			secrets.push("wrong password 123", "987654");

			// A sign-in link in a query string and a session id in the path: routes are logged as patterns.
			const link = await app.inject({ method: "POST", url: "/api/v1/admin/sign-in-links", headers: bearer(ADMIN_API_KEY), payload: { email } });
			const linkToken = link.json().token as string;
			secrets.push(linkToken);
			expect((await app.inject({ method: "GET", url: `/dashboard/sign-in-link?token=${linkToken}` })).statusCode).toBe(200);
			const sessions = await app.inject({ method: "GET", url: "/api/v1/sessions", headers: { cookie: `deadbolt_session=${browserSession}` } });
			const other = (sessions.json().sessions as { id: string; current: boolean }[]).find((s) => !s.current)!;
			await app.inject({ method: "DELETE", url: `/api/v1/sessions/${other.id}`, headers: { ...BROWSER, cookie: `deadbolt_session=${browserSession}` } });
		} finally {
			await close();
		}

		const text = lines.join("\n");
		for (const value of secrets) expect(text, `log contains ${value.slice(0, 8)}…`).not.toContain(value);
		if (format === "pretty") {
			expect(() => JSON.parse(lines[0]!)).toThrow();
			expect(text).toMatch(/TRACE: request received/);
			expect(text).toMatch(/DEBUG: POST \/api\/v1\/login 401 ERR_INVALID_CREDENTIALS in [\d.]+ ms/);
			expect(text).toContain('"event":"totp.enabled"');
			return;
		}
		expect(text).toContain('"event":"totp.enabled"');
		expect(text).toContain('"event":"session.rotated"');
		expect(text).toContain('"reason":"mismatch"');
		expect(text).toContain('"event":"password.failed"');
		const details = detailLines(lines);
		expect(details.find((d) => d["route"] === "/dashboard/sign-in-link")).toMatchObject({ method: "GET", statusCode: 200, outcome: "ok" });
		expect(details.find((d) => d["route"] === "/api/v1/sessions/:id")).toMatchObject({ method: "DELETE", statusCode: 204, outcome: "ok" });
		expect(details.find((d) => d["statusCode"] === 401 && d["route"] === "/api/v1/login/totp")).toMatchObject({ method: "POST", outcome: "ERR_INVALID_CODE" });
		expect(detailLines(lines, "http.request_received").length).toBe(details.length);
		expect(detailLines(lines, "http.handler_started").length).toBeGreaterThan(0);
	});
});

describe("request detail by level (log.level)", () => {
	const open = backends[0]!.open;

	async function oneOfEach(level: Config["log"]["level"]): Promise<string[]> {
		const { app, lines, close } = await loggedApp(open, { level });
		try {
			const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: `level${++emails}@example.com`, password: PASSWORD } });
			expect(signUp.statusCode).toBe(201);
			await app.inject({ method: "GET", url: "/api/v1/session", headers: bearer("not-a-token") });
			await app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "x@example.com" } });
			await app.inject({ method: "GET", url: "/api/v1/nowhere?token=abc" });
			await app.inject({ method: "GET", url: "/readyz" });
		} finally {
			await close();
		}
		return lines;
	}

	it("debug: one detail line a request, with the route pattern, method, status, time in ms, outcome and request id", async () => {
		const lines = await oneOfEach("debug");
		const details = detailLines(lines);
		expect(details.map((d) => [d["method"], d["route"], d["statusCode"], d["outcome"]])).toEqual([
			["POST", "/api/v1/accounts", 201, "ok"],
			["GET", "/api/v1/session", 401, "ERR_UNAUTHENTICATED"],
			["POST", "/api/v1/login", 400, "ERR_INVALID_REQUEST"],
			["GET", "(no route)", 404, "ERR_NOT_FOUND"],
			["GET", "/readyz", 200, "ok"],
		]);
		for (const detail of details) {
			expect(detail["level"]).toBe(20);
			expect(typeof detail["reqId"]).toBe("string");
			expect(detail["responseTimeMs"]).toEqual(expect.any(Number));
			expect(detail["responseTimeMs"] as number).toBeGreaterThanOrEqual(0);
			expect(detail["msg"]).toBe(`${String(detail["method"])} ${String(detail["route"])} ${String(detail["statusCode"])} ${String(detail["outcome"])} in ${String(detail["responseTimeMs"])} ms`);
		}
		expect(new Set(details.map((d) => d["reqId"])).size).toBe(details.length);
		expect(detailLines(lines, "http.request_received")).toEqual([]);
		expect(lines.join("\n")).not.toContain("abc");
	});

	it("trace: also a line when each request arrives and when its handler starts", async () => {
		const lines = await oneOfEach("trace");
		const received = detailLines(lines, "http.request_received");
		expect(received.map((r) => [r["method"], r["route"]])).toEqual([
			["POST", "/api/v1/accounts"],
			["GET", "/api/v1/session"],
			["POST", "/api/v1/login"],
			["GET", "(no route)"],
			["GET", "/readyz"],
		]);
		expect(received.every((r) => r["level"] === 10)).toBe(true);
		const started = detailLines(lines, "http.handler_started");
		expect(started.map((r) => r["route"])).toContain("/api/v1/accounts");
		for (const line of started) expect(line["elapsedMs"]).toEqual(expect.any(Number));
		expect(detailLines(lines).length).toBe(5);
	});

	it("info: no detail lines; Fastify's request lines as before (the URL without its query)", async () => {
		const lines = await oneOfEach("info");
		expect(lines.filter((line) => line.includes('"event":"http.'))).toEqual([]);
		const records = lines.map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string } });
		// GET /api/v1/session is a quiet path (the checks before every request of a protected app):
		// no "incoming request" line; its refusal (401) still has its "request completed" line.
		expect(records.filter((r) => r.msg === "incoming request").length).toBe(4);
		expect(records.filter((r) => r.msg === "request completed").length).toBe(5);
		expect(records.find((r) => r.req?.url?.startsWith("/api/v1/nowhere"))?.req?.url).toBe("/api/v1/nowhere?[redacted]");
	});

	it("building the app warns of no deprecated Fastify option (each start of deadbolt serve would print it on stderr)", async () => {
		const warnings: string[] = [];
		const onWarning = (warning: Error): void => {
			warnings.push(`${warning.name}: ${warning.message}`);
		};
		process.on("warning", onWarning);
		try {
			const { close } = await loggedApp(open, { level: "info" });
			await close();
			// process.emitWarning reports on the next tick.
			await new Promise((resolve) => setImmediate(resolve));
		} finally {
			process.off("warning", onWarning);
		}
		expect(warnings.filter((warning) => warning.startsWith("FastifyDeprecation"))).toEqual([]);
	});

	it("the mail flows at trace level (verification, forgot password with 2FA, change of address) and the dispatcher that sends their mails log no link token, code or password", async () => {
		const mailDir = mkdtempSync(join(tmpdir(), "deadbolt-log-mail-"));
		const { app, deadbolt, store, clock, lines, close } = await loggedApp(open, { level: "trace", format: "json" }, { email: { transport: "file", fileDir: mailDir } });
		const email = `log${++emails}-mail@example.com`;
		const newEmail = `log${emails}-moved@example.com`;
		const newPassword = "a fresh reset password 314";
		const secrets: string[] = [PASSWORD, newPassword];
		try {
			const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			const token = signUp.json().session.token as string;
			secrets.push(token);
			const verifyToken = await lastMailedToken(store, email, "email.verify");
			secrets.push(verifyToken, verifyToken.split(".")[1]!);
			expect((await app.inject({ method: "GET", url: `/dashboard/verify-email?token=${verifyToken}` })).statusCode).toBe(200);
			expect((await app.inject({ method: "POST", url: "/api/v1/email/verify", payload: { token: verifyToken } })).statusCode).toBe(200);

			const begin = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
			const key = decodeBase32(begin.json().secret as string);
			const stepOne = begin.json().session.token as string;
			const enrollCode = generateTOTP(key, clock.now());
			const confirm = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(stepOne), payload: { code: enrollCode } });
			const sessionToken = confirm.json().session.token as string;
			secrets.push(begin.json().secret as string, stepOne, enrollCode, sessionToken, ...(confirm.json().recoveryCodes as string[]));

			// Change of address (fresh confirmation from the setup), confirmed by its link.
			const asked = await app.inject({ method: "POST", url: "/api/v1/account/email", headers: bearer(sessionToken), payload: { newEmail } });
			expect(asked.statusCode).toBe(202);
			// The authenticator is not confirmed by mail: the current address approves the change first.
			expect(asked.json().status).toBe("approval_sent");
			const approvalToken = await lastMailedToken(store, email, "email.change_approve");
			secrets.push(approvalToken, approvalToken.split(".")[1]!);
			expect((await app.inject({ method: "POST", url: "/api/v1/email/change/approve", payload: { token: approvalToken } })).statusCode).toBe(200);
			const changeToken = await lastMailedToken(store, newEmail, "email.change_confirm");
			secrets.push(changeToken, changeToken.split(".")[1]!);
			expect((await app.inject({ method: "POST", url: "/api/v1/email/confirm", payload: { token: changeToken } })).statusCode).toBe(200);

			// Forgot password: a wrong code, then the right one, then the new password.
			expect((await app.inject({ method: "POST", url: "/api/v1/password/forgot", payload: { email: newEmail } })).statusCode).toBe(202);
			const resetToken = await lastMailedToken(store, newEmail, "password.reset");
			secrets.push(resetToken, resetToken.split(".")[1]!);
			expect((await app.inject({ method: "GET", url: `/dashboard/reset-password?token=${resetToken}` })).statusCode).toBe(200);
			clock.advance(30_000);
			const wrong = String((Number(generateTOTP(key, clock.now())) + 1) % 1_000_000).padStart(6, "0");
			const right = generateTOTP(key, clock.now());
			secrets.push(wrong, right);
			expect((await app.inject({ method: "POST", url: "/api/v1/password/reset/code", payload: { token: resetToken, code: wrong } })).statusCode).toBe(401);
			expect((await app.inject({ method: "POST", url: "/api/v1/password/reset/code", payload: { token: resetToken, code: right } })).statusCode).toBe(200);
			expect((await app.inject({ method: "POST", url: "/api/v1/password/reset", payload: { token: resetToken, newPassword } })).statusCode).toBe(200);

			// The dispatcher writes every queued mail (links included) and logs each attempt.
			const dispatcher = deadbolt.createDispatcher();
			while ((await dispatcher.runOnce()) > 0);
			await dispatcher.stop();
			const written = readdirSync(mailDir).map((file) => readFileSync(join(mailDir, file), "latin1")).join("\n");
			expect(written, "the mails went out (their links hold the tokens)").toContain("reset-password");
		} finally {
			await close();
			rmSync(mailDir, { recursive: true, force: true });
		}
		const text = lines.join("\n");
		expect(text).toContain('"event":"password.reset"');
		expect(text).toContain('"event":"outbox.attempt"');
		expect(text).toContain('"during":"password_reset"');
		for (const value of secrets) expect(text, `log contains ${value.slice(0, 8)}…`).not.toContain(value);
	});

	it("forward-auth, personal access tokens and introspection at trace level log outcomes, ids and reasons, never a token, a cookie, a key or the original query", async () => {
		const introspectionKey = "logging-test-introspection-key-0123456789";
		const { app, deadbolt, store, lines, close } = await loggedApp(
			open,
			{ level: "trace", format: "json" },
			{
				keys: { adminApiKey: ADMIN_API_KEY, introspectionKeys: [introspectionKey] },
				http: { publicUrl: "http://auth.example.test", trustedProxies: ["loopback"] },
				session: { cookieDomain: "example.test" },
				accessControl: { defaultPolicy: "deny", rules: [{ domains: ["app.example.test", "other.example.test"], policy: "one_factor" }] },
			},
		);
		const secrets: string[] = [PASSWORD, introspectionKey, "query-secret-4711"];
		try {
			const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: `log${++emails}-pat@example.com`, password: PASSWORD } });
			const sessionToken = signUp.json().session.token as string;
			await store.accounts.markEmailVerified(signUp.json().account.id as string, T0);
			const forwardAuth = deadbolt.forwardAuthToken(sessionToken)!;
			const auth = await deadbolt.validateSession(sessionToken);
			const created = await deadbolt.createAccessToken(auth, { name: "script", hosts: ["app.example.test"], expiresInDays: 30 });
			const tampered = `${created.token.slice(0, -1)}${created.token.endsWith("A") ? "B" : "A"}`;
			secrets.push(sessionToken, sessionToken.split(".")[1]!, forwardAuth, forwardAuth.split(".")[1]!, created.token, created.token.split(".")[1]!, tampered);
			const ask = (url: string, headers: Record<string, string>) => app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": url, ...headers } });
			expect((await ask("http://app.example.test/x?code=query-secret-4711", { cookie: `deadbolt_forward_auth=${forwardAuth}` })).statusCode).toBe(200);
			expect((await ask("http://app.example.test/x?code=query-secret-4711", { authorization: `Bearer ${created.token}` })).statusCode).toBe(200);
			expect((await ask("http://app.example.test/x?code=query-secret-4711", { "proxy-authorization": `Bearer ${tampered}` })).statusCode).toBe(401);
			expect((await ask("http://other.example.test/?code=query-secret-4711", { authorization: `Bearer ${created.token}` })).statusCode).toBe(403);
			expect((await app.inject({ method: "GET", url: "/api/v1/authz/forward-auth?code=query-secret-4711", headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/x?code=query-secret-4711" } })).statusCode).toBe(401);
			for (const token of [created.token, forwardAuth, tampered]) expect((await app.inject({ method: "POST", url: "/api/v1/introspect", headers: bearer(introspectionKey), payload: { token } })).statusCode).toBe(200);
			expect((await app.inject({ method: "POST", url: "/api/v1/introspect", headers: bearer(`${introspectionKey}x`), payload: { token: created.token } })).statusCode).toBe(401);
			await deadbolt.revokeAccessToken(auth, created.view.id);
			await deadbolt.revokeAllAccessTokens(auth);
		} finally {
			await close();
		}
		const text = lines.join("\n");
		for (const event of ["access_token.created", "access_token.refused", "access_token.revoked", "forward_auth.decision", "introspection.refused"]) expect(text).toContain(`"event":"${event}"`);
		expect(text).toContain('"reason":"token_host"');
		for (const value of secrets) expect(text, `log contains ${value.slice(0, 8)}…`).not.toContain(value);
	});
});
