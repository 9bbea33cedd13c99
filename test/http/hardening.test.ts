/** Findings of the adversarial review, each kept fixed by a test. */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { BROWSER, cookieJar, appPerTest, createTestApp, type TestApp } from "../helpers/http.js";
import { PASSWORD } from "../helpers/flows.js";

let t: TestApp;
appPerTest((app) => (t = app));

describe("hardening", () => {
	it("a malformed URL gets the standard error body and the security headers", async () => {
		const res = await t.app.inject({ method: "GET", url: "/api/v1/%" });
		expect(res.statusCode).toBe(400);
		expect(res.json().code).toBe("ERR_INVALID_REQUEST");
		expect(res.headers["cache-control"]).toBe("no-store");
		expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
	});

	it("a body shorter than its Content-Length gets the standard error body and the security headers", async () => {
		const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
		const { port } = new URL(address);
		const response = await new Promise<string>((resolve, reject) => {
			const socket = connect(Number(port), "127.0.0.1", () => {
				socket.end('POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":1}');
			});
			let data = "";
			socket.on("data", (chunk) => (data += chunk.toString()));
			socket.on("end", () => resolve(data));
			socket.on("error", reject);
		});
		expect(response).toMatch(/^HTTP\/1.1 400/);
		expect(response).toContain('"code":"ERR_INVALID_REQUEST"');
		expect(response.toLowerCase()).toContain("cache-control: no-store");
	});

	it("the JSON API refuses form-encoded bodies (a cross-site HTML form cannot reach it)", async () => {
		await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "f@example.com", password: PASSWORD } });
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `email=f%40example.com&password=${encodeURIComponent(PASSWORD)}` });
		expect(res.statusCode).toBe(415);
		expect(res.json().code).toBe("ERR_INVALID_REQUEST");
		const text = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: { "content-type": "text/plain" }, payload: JSON.stringify({ email: "f@example.com", password: PASSWORD }) });
		expect(text.statusCode).toBe(415);
	});

	it("a non-Bearer Authorization header does not exempt a cookie-authenticated request from the CSRF check", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "b@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		for (const authorization of ["Basic Zm9vOmJhcg==", ""]) {
			const res = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { authorization }, cookies: jar, payload: { password: PASSWORD } });
			expect(res.statusCode, JSON.stringify(authorization)).toBe(403);
		}
	});

	it("Origin: null proves nothing: refused unless fetch metadata says same-origin", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "n@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		const plain = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: { origin: "null" }, cookies: jar });
		expect(plain.statusCode).toBe(403);
		const crossSite = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: { origin: "null", "sec-fetch-site": "cross-site" }, cookies: jar });
		expect(crossSite.statusCode).toBe(403);
		const sameOrigin = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: { origin: "null", "sec-fetch-site": "same-origin" }, cookies: jar });
		expect(sameOrigin.statusCode).toBe(204);
	});

	it("only a found asset may be cached: a missing one is no-store", async () => {
		const missing = await t.app.inject({ method: "GET", url: "/dashboard/assets/nope" });
		expect(missing.statusCode).toBe(404);
		expect(missing.headers["cache-control"]).toBe("no-store");
		const css = await t.app.inject({ method: "GET", url: "/dashboard/assets/dashboard.css" });
		expect(css.statusCode).toBe(200);
		expect(css.headers["cache-control"]).toContain("max-age");
	});

	it("an email with a colon is refused at sign-up (it could never be put in a key URI)", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "a:b@example.com", password: PASSWORD } });
		expect(res.statusCode).toBe(400);
		expect(res.json().violations[0].rule).toBe("invalid_email");
	});

	it("an undocumented field is refused, not ignored", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { code: "123456", challengeToken: "x", trustMe: true } });
		expect(res.statusCode).toBe(400);
	});

	it("schema errors name the field in violations: missing (required), unknown (not_allowed), wrong type", async () => {
		const missing = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "a@example.com" } });
		expect(missing.statusCode).toBe(400);
		expect(missing.json().violations).toEqual([{ field: "password", rule: "required", message: "password is required." }]);
		const unknown = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "a@example.com", password: "x", extra: 1 } });
		expect(unknown.json().violations).toEqual([{ field: "extra", rule: "not_allowed", message: "extra is not a field of this request." }]);
		const wrongType = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "a@example.com", password: 42 } });
		expect(wrongType.json().violations[0]).toMatchObject({ field: "password", rule: "type" });
	});

	it("a locked password step answers exactly like a wrong password", async () => {
		await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "l@example.com", password: PASSWORD } });
		for (let i = 0; i < t.config.lockout.maxFailures; i++) {
			await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "l@example.com", password: "wrong password!" } });
		}
		const locked = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "l@example.com", password: PASSWORD } });
		const unknown = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "nobody@example.com", password: PASSWORD } });
		expect(locked.statusCode).toBe(401);
		expect(locked.json()).toEqual(unknown.json());
		expect(locked.headers["retry-after"]).toBeUndefined();
	});
});

describe("second review", () => {
	it("signing out between the password and the code step ends the login challenge", async () => {
		const { decodeBase32 } = await import("../../src/domain/encoding/base32.js");
		const { generateTOTP } = await import("../../src/domain/otp/totp.js");
		const token = (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "o@example.com", password: PASSWORD } })).json().session.token as string;
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { authorization: `Bearer ${token}` }, payload: { password: PASSWORD } });
		const key = decodeBase32(begin.json().secret);
		await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { authorization: `Bearer ${token}` }, payload: { code: generateTOTP(key, t.clock.now()) } });
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email: "o@example.com", password: PASSWORD } });
		const jar = cookieJar(login);
		const challengeToken = jar["deadbolt_login_challenge"]!;
		const out = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: BROWSER, cookies: jar });
		expect(out.statusCode).toBe(204);
		expect(out.cookies.find((c) => c.name === "deadbolt_login_challenge")?.value).toBe("");
		t.clock.advance(30_000);
		const late = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken, code: generateTOTP(key, t.clock.now()) } });
		expect(late.statusCode).toBe(401);
		expect(late.json().code).toBe("ERR_CHALLENGE_INVALID");
	});

	it("a browser sign-in through the API ends the cookie session it replaces", async () => {
		await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "a1@example.com", password: PASSWORD } });
		const first = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "a2@example.com", password: PASSWORD } });
		const oldJar = cookieJar(first);
		const second = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, cookies: oldJar, payload: { email: "a1@example.com", password: PASSWORD } });
		expect(second.statusCode).toBe(200);
		const old = await t.app.inject({ method: "GET", url: "/api/v1/session", cookies: oldJar });
		expect(old.statusCode).toBe(401);
	});

	it("a challenge cookie needs a same-origin request even next to a Bearer header", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", headers: { authorization: "Bearer x" }, cookies: { deadbolt_login_challenge: "a.b" }, payload: { code: "123456" } });
		expect(res.statusCode).toBe(403);
		expect(res.json().code).toBe("ERR_CSRF_REJECTED");
	});

	it("a password with a lone surrogate is refused (it would collapse to U+FFFD)", async () => {
		const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "s@example.com", password: "Zq9!lonely\ud800pw-long" } });
		expect(res.statusCode).toBe(400);
		expect(res.json().violations.map((v: { rule: string }) => v.rule)).toContain("malformed");
	});

	it("a 503 carries Retry-After, /readyz's too", async () => {
		await t.deadbolt.close();
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "x@example.com", password: PASSWORD } });
		expect(res.statusCode).toBe(503);
		expect(res.json().code).toBe("ERR_STORAGE_UNAVAILABLE");
		expect(res.headers["retry-after"]).toBe("5");
		const ready = await t.app.inject({ method: "GET", url: "/readyz" });
		expect(ready.statusCode).toBe(503);
		expect(ready.json().code).toBe("ERR_STORAGE_UNAVAILABLE");
		expect(ready.headers["retry-after"]).toBe("5");
	});
});

describe("per-IP rate limit", () => {
	it("credential routes answer 429 with Retry-After past rateLimit.perMinute per client IP; a forged X-Forwarded-For changes nothing", async () => {
		const limited = await createTestApp({ overrides: { rateLimit: { perMinute: 5 } } });
		try {
			const attempt = (headers: Record<string, string> = {}) => limited.app.inject({ method: "POST", url: "/api/v1/login", headers, payload: { email: "x@example.com", password: "wrong password!" } });
			for (let i = 0; i < 5; i++) expect((await attempt({ "x-forwarded-for": `198.51.100.${i}` })).statusCode).toBe(401);
			const over = await attempt({ "x-forwarded-for": "203.0.113.9" });
			expect(over.statusCode).toBe(429);
			expect(over.json().code).toBe("ERR_TOO_MANY_ATTEMPTS");
			expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
			// Routes that check no credential are not limited.
			expect((await limited.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
			// The dashboard answers with a page.
			const page = await limited.app.inject({ method: "POST", url: "/dashboard/sign-in", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "email=x%40example.com&password=x" });
			expect(page.statusCode).toBe(429);
			expect(page.headers["content-type"]).toContain("text/html");
		} finally {
			await limited.app.close();
			await limited.deadbolt.close();
		}
	});

	it("every route that checks a credential is limited (its own list here, not the plugin's)", async () => {
		const limited = await createTestApp({ overrides: { rateLimit: { perMinute: 5 } } });
		const routes: [string, string][] = [
			["POST", "/api/v1/accounts"],
			["POST", "/api/v1/login"],
			["POST", "/api/v1/login/link"],
			["POST", "/api/v1/login/totp"],
			["POST", "/api/v1/login/recovery-code"],
			["POST", "/api/v1/reauthenticate"],
			["POST", "/api/v1/secure-account"],
			["PUT", "/api/v1/password"],
			["DELETE", "/api/v1/two-factor/totp"],
			["POST", "/api/v1/two-factor/totp/enrollment"],
			["POST", "/api/v1/two-factor/totp/enrollment/confirm"],
			["POST", "/dashboard/sign-up"],
			["POST", "/dashboard/sign-in"],
			["POST", "/dashboard/sign-in-link"],
			["POST", "/dashboard/sign-in/code"],
			["POST", "/dashboard/sign-in/recovery-code"],
			["POST", "/dashboard/settings/security/confirm"],
			["POST", "/dashboard/settings/security/password"],
			["POST", "/dashboard/settings/security/compromised"],
			["POST", "/dashboard/settings/security/two-factor/setup"],
			["POST", "/dashboard/settings/security/two-factor/confirm"],
			["POST", "/dashboard/settings/security/two-factor/disable"],
			["POST", "/dashboard/step-up"],
			["POST", "/dashboard/settings/security/access-tokens"],
		];
		try {
			for (const [index, [method, url]] of routes.entries()) {
				// Each route from its own address, so each has its own budget.
				const remoteAddress = `192.0.2.${index + 1}`;
				const send = () => limited.app.inject({ method: method as "POST", url, remoteAddress, payload: {} });
				for (let i = 0; i < 5; i++) expect((await send()).statusCode, `${method} ${url} #${i + 1}`).not.toBe(429);
				const over = await send();
				expect(over.statusCode, `${method} ${url} over the limit`).toBe(429);
				expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
			}
		} finally {
			await limited.app.close();
			await limited.deadbolt.close();
		}
	});

	it("behind a trusted proxy, X-Forwarded-For names the client and each client has its own budget", async () => {
		const proxied = await createTestApp({ overrides: { rateLimit: { perMinute: 5 }, http: { trustedProxies: ["127.0.0.1"] } } });
		try {
			const attempt = (client: string) => proxied.app.inject({ method: "POST", url: "/api/v1/login", remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": client }, payload: { email: "x@example.com", password: "wrong password!" } });
			for (let i = 0; i < 5; i++) expect((await attempt("198.51.100.1")).statusCode).toBe(401);
			expect((await attempt("198.51.100.1")).statusCode).toBe(429);
			expect((await attempt("198.51.100.2")).statusCode).toBe(401);
		} finally {
			await proxied.app.close();
			await proxied.deadbolt.close();
		}
	});
});
