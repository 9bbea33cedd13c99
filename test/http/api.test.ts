/** The JSON API through `app.inject`: the whole flow for API clients and browsers, and its guarantees. */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { bearer, BROWSER, cookieJar, appPerTest, createTestApp, type TestApp } from "../helpers/http.js";
import { PASSWORD } from "../helpers/flows.js";

let t: TestApp;
appPerTest((app) => (t = app));


async function apiSignUp(email = "api@example.com"): Promise<string> {
	const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
	expect(res.statusCode).toBe(201);
	return res.json().session.token as string;
}

/** Turns 2FA on over the API. @returns the key, the recovery codes and the session's token from here on (step 1 and the confirmation each rotate it) */
async function apiEnable2FA(token: string): Promise<{ key: Uint8Array; recoveryCodes: string[]; token: string }> {
	const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
	expect(begin.statusCode).toBe(201);
	const key = decodeBase32(begin.json().secret);
	const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(begin.json().session.token), payload: { code: generateTOTP(key, t.clock.now()) } });
	expect(confirm.statusCode).toBe(200);
	return { key, recoveryCodes: confirm.json().recoveryCodes, token: confirm.json().session.token };
}

describe("API clients (Authorization: Bearer, challengeToken in the body)", () => {
	it("sign up, enable 2FA, sign in with a code and with a recovery code, sign out", async () => {
		const token = await apiSignUp();
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) });
		expect(me.statusCode).toBe(200);
		expect(me.json().account).toMatchObject({ email: "api@example.com", twoFactorEnabled: false });

		const { key, recoveryCodes } = await apiEnable2FA(token);
		expect(recoveryCodes).toHaveLength(10);

		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } });
		expect(login.statusCode).toBe(200);
		expect(login.json().status).toBe("two_factor_required");
		expect(login.json().session).toBeUndefined();
		expect(login.cookies).toHaveLength(0);
		const { challengeToken, methods } = login.json().challenge;
		expect(methods).toEqual(["totp", "recovery_code"]);

		t.clock.advance(30_000);
		const totp = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken, code: generateTOTP(key, t.clock.now()) } });
		expect(totp.statusCode).toBe(200);
		const session = totp.json().session;
		expect(session.aal).toBe(2);
		const me2 = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session.token) });
		expect(me2.json().account.twoFactorEnabled).toBe(true);
		expect(me2.json().session.aal).toBe(2);

		const login2 = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } });
		const recovery = await t.app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken: login2.json().challenge.challengeToken, code: recoveryCodes[0] } });
		expect(recovery.statusCode).toBe(200);
		expect(recovery.json().recoveryCodesLeft).toBe(9);

		const out = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: bearer(session.token) });
		expect(out.statusCode).toBe(204);
		const after = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session.token) });
		expect(after.statusCode).toBe(401);
		expect(after.json().code).toBe("ERR_UNAUTHENTICATED");
	});

	it("a login challenge gives access to nothing but the code step", async () => {
		const token = await apiSignUp();
		await apiEnable2FA(token);
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } });
		const challengeToken = login.json().challenge.challengeToken as string;
		for (const [method, url] of [
			["GET", "/api/v1/session"],
			["POST", "/api/v1/two-factor/totp/enrollment"],
			["POST", "/api/v1/two-factor/totp/enrollment/confirm"],
		] as const) {
			const res = await t.app.inject({ method, url, headers: bearer(challengeToken), ...(method === "POST" ? { payload: { code: "123456", password: PASSWORD } } : {}) });
			expect(res.statusCode, `${method} ${url}`).toBe(401);
			expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
		}
	});

	it("wrong password and unknown email answer the same status, code and message", async () => {
		await apiSignUp();
		const wrong = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: "not the password" } });
		const unknown = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "nobody@example.com", password: "not the password" } });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.json()).toEqual(unknown.json());
		expect(wrong.json().code).toBe("ERR_INVALID_CREDENTIALS");
	});

	it("wrong and reused codes answer the same status, code and message", async () => {
		const token = await apiSignUp();
		const { key } = await apiEnable2FA(token);
		t.clock.advance(30_000);
		const code = generateTOTP(key, t.clock.now());
		const challenge = async () => (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } })).json().challenge.challengeToken;
		const wrong = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code: code === "000000" ? "111111" : "000000" } });
		await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code } });
		const reused = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code } });
		expect(wrong.statusCode).toBe(401);
		expect(reused.json()).toEqual(wrong.json());
		expect(wrong.json().code).toBe("ERR_INVALID_CODE");
	});

	it("a missing code blocks sign-in with a clear 400", async () => {
		const token = await apiSignUp();
		await apiEnable2FA(token);
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } });
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: login.json().challenge.challengeToken } });
		expect(res.statusCode).toBe(400);
		expect(res.json().code).toBe("ERR_INVALID_REQUEST");
	});

	it("locked: 429 with Retry-After", async () => {
		const token = await apiSignUp();
		await apiEnable2FA(token);
		let last;
		for (let i = 0; i <= t.config.lockout.maxFailures; i++) {
			const login = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } });
			last = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: login.json().challenge.challengeToken, code: "000000" } });
		}
		expect(last!.statusCode).toBe(429);
		expect(last!.json().code).toBe("ERR_TOO_MANY_ATTEMPTS");
		expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
	});
});

describe("input errors: a clear 4xx, never a 500", () => {
	const cases: [string, string, unknown, Record<string, string>?][] = [
		["POST", "/api/v1/accounts", { email: "x@example.com" }],
		["POST", "/api/v1/accounts", { email: "not-an-email", password: "long enough password" }],
		["POST", "/api/v1/accounts", { email: "x@example.com", password: "short" }],
		["POST", "/api/v1/accounts", { email: "x@example.com", password: 12345678 }],
		["POST", "/api/v1/accounts", { email: "x@example.com", password: "long enough password", admin: true }],
		["POST", "/api/v1/accounts", "{not json", { "content-type": "application/json" }],
		["POST", "/api/v1/accounts", { email: "x@example.com", password: "a".repeat(20_000) }],
		["POST", "/api/v1/login", { email: "x@example.com", password: null }],
		["POST", "/api/v1/login/totp", { code: "123456", challengeToken: "x".repeat(500) }],
		["POST", "/api/v1/login/totp", { code: "123456" }],
		["POST", "/api/v1/login/recovery-code", { code: "abc", challengeToken: "abc.def" }],
		["GET", "/api/v1/nothing-here", undefined],
	];
	for (const [method, url, payload, headers] of cases) {
		it(`${method} ${url} ${JSON.stringify(payload)?.slice(0, 60)}`, async () => {
			const res = await t.app.inject({ method: method as "POST", url, payload: payload as string, ...(headers === undefined ? {} : { headers }) });
			expect(res.statusCode).toBeGreaterThanOrEqual(400);
			expect(res.statusCode).toBeLessThan(500);
			const body = res.json();
			expect(body.code).toMatch(/^ERR_/);
			expect(typeof body.message).toBe("string");
		});
	}

	it("a registration with a short password lists the violation", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "x@example.com", password: "short" } });
		expect(res.json().violations).toEqual([{ field: "password", rule: "too_short", message: expect.any(String) }]);
	});

	it("registering a taken email is a 409", async () => {
		await apiSignUp();
		const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "API@example.com", password: PASSWORD } });
		expect(res.statusCode).toBe(409);
		expect(res.json().code).toBe("ERR_EMAIL_TAKEN");
	});
});

describe("browsers (cookies, CSRF, headers)", () => {
	it("browser sign-in sets HttpOnly SameSite=Lax cookies and puts no token in the body", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "b@example.com", password: PASSWORD } });
		expect(res.statusCode).toBe(201);
		expect(res.json().session.token).toBeUndefined();
		const cookie = res.cookies.find((c) => c.name === "deadbolt_session")!;
		expect(cookie.httpOnly).toBe(true);
		expect(cookie.sameSite).toBe("Lax");
		expect(cookie.path).toBe("/");
		expect(cookie.secure).toBeFalsy();
	});

	it("with an https public URL, cookies are Secure and __Host- prefixed", async () => {
		const https = await createTestApp({ overrides: { http: { publicUrl: "https://auth.example.com" } } });
		const res = await https.app.inject({ method: "POST", url: "/api/v1/accounts", headers: { origin: "https://auth.example.com", "sec-fetch-site": "same-origin" }, payload: { email: "b@example.com", password: PASSWORD } });
		const cookie = res.cookies.find((c) => c.name === "__Host-deadbolt_session")!;
		expect(cookie.secure).toBe(true);
		expect(cookie.httpOnly).toBe(true);
		expect(res.headers["strict-transport-security"]).toContain("max-age=");
		await https.app.close();
	});

	it("the whole 2FA sign-in works with cookies alone; the challenge cookie is not a session", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "b@example.com", password: PASSWORD } });
		let jar = cookieJar(signUp);
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: BROWSER, cookies: jar, payload: { password: PASSWORD } });
		const key = decodeBase32(begin.json().secret);
		// Step 1 proved the password: the browser's session cookie is replaced, no token in the body.
		expect(begin.json().session).toEqual({ id: signUp.json().session.id });
		const signUpCookie = jar["deadbolt_session"]!;
		jar = cookieJar(begin, jar);
		expect(jar["deadbolt_session"]).not.toBe(signUpCookie);
		const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: BROWSER, cookies: jar, payload: { code: generateTOTP(key, t.clock.now()) } });
		expect(confirm.statusCode).toBe(200);
		expect(confirm.json().session).toEqual({ id: signUp.json().session.id });
		const stepOneCookie = jar["deadbolt_session"]!;
		jar = cookieJar(confirm, jar);
		expect(jar["deadbolt_session"]).not.toBe(stepOneCookie);
		for (const old of [signUpCookie, stepOneCookie]) expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: BROWSER, cookies: { deadbolt_session: old } })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: BROWSER, cookies: jar })).json().account.twoFactorEnabled).toBe(true);
		await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: BROWSER, cookies: jar });

		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email: "b@example.com", password: PASSWORD } });
		expect(login.json().challenge.challengeToken).toBeUndefined();
		jar = cookieJar(login, {});
		expect(Object.keys(jar)).toEqual(["deadbolt_login_challenge"]);
		const noSession = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: BROWSER, cookies: jar });
		expect(noSession.statusCode).toBe(401);

		t.clock.advance(30_000);
		const done = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code: generateTOTP(key, t.clock.now()) } });
		expect(done.statusCode).toBe(200);
		jar = cookieJar(done, jar);
		expect(jar["deadbolt_session"]).toBeDefined();
		expect(jar["deadbolt_login_challenge"]).toBeUndefined();
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: BROWSER, cookies: jar });
		expect(me.statusCode).toBe(200);
	});

	it("a cookie-authenticated unsafe request without a same-origin Origin is refused (CSRF)", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "b@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		const noOrigin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", cookies: jar, payload: { password: PASSWORD } });
		expect(noOrigin.statusCode).toBe(403);
		expect(noOrigin.json().code).toBe("ERR_CSRF_REJECTED");
		const foreign = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" }, cookies: jar, payload: { password: PASSWORD } });
		expect(foreign.statusCode).toBe(403);
		const crossSiteLogin = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: { origin: "https://evil.example" }, payload: { email: "b@example.com", password: PASSWORD } });
		expect(crossSiteLogin.statusCode).toBe(403);
		expect(await t.store.totpCredentials.findPendingTOTPCredential(signUp.json().account.id)).toBeNull();
		const same = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: BROWSER, cookies: jar, payload: { password: PASSWORD } });
		expect(same.statusCode).toBe(201);
	});

	it("every response carries no-store, a CSP without inline script, nosniff and no framing", async () => {
		for (const url of ["/api/v1/session", "/healthz", "/dashboard/sign-in"]) {
			const res = await t.app.inject({ method: "GET", url });
			expect(res.headers["cache-control"]).toBe("no-store");
			const csp = String(res.headers["content-security-policy"]);
			expect(csp).toContain("script-src 'self'");
			expect(csp).not.toContain("unsafe-inline");
			expect(csp).toContain("frame-ancestors 'none'");
			expect(res.headers["x-content-type-options"]).toBe("nosniff");
		}
	});
});

describe("responses are allow-lists", () => {
	it("no response carries a hash, ciphertext or another token", async () => {
		const signUpToken = await apiSignUp();
		const { key, token } = await apiEnable2FA(signUpToken);
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) });
		const text = me.body;
		for (const forbidden of ["secretHash", "passwordHash", "secretCiphertext", "argon2", token.split(".")[1] as string, signUpToken.split(".")[1] as string, Buffer.from(key).toString("hex")]) {
			expect(text).not.toContain(forbidden);
		}
		expect(Object.keys(me.json().session).sort()).toEqual(["aal", "createdAt", "expiresAt", "id", "idleExpiresAt", "reauthenticatedAt"]);
	});
});

describe("health", () => {
	it("/healthz and /readyz answer 200 while the database answers", async () => {
		expect((await t.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
		expect((await t.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready" });
	});
});
