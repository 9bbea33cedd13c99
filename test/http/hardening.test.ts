/** Findings of the adversarial review, each kept fixed by a test. */
import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BROWSER, cookieJar, createTestApp, type TestApp } from "../helpers/http.js";
import { PASSWORD } from "../helpers/flows.js";

let t: TestApp;
beforeEach(async () => {
	t = await createTestApp();
});
afterEach(async () => {
	await t.app.close();
	await t.deadbolt.close();
});

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
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { code: "123456", challengeToken: "x", rememberDevice: true } });
		expect(res.statusCode).toBe(400);
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
