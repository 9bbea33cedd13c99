/**
 * The forward-auth endpoints (issue 12) through Fastify's inject: who may ask, what the proxy must
 * say, the answers for each outcome, and the identity headers. The same endpoints behind real nginx
 * and Caddy: test/e2e/forward-auth-proxies.test.ts.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, test } from "vitest";
import { PATHS } from "../../src/dashboard/layout.js";
import { IDENTITY_HEADERS } from "../../src/http/routes/authz.js";
import { appPerTest, type TestApp } from "../helpers/http.js";
import { codeAt, confirmSecondFactorByMail, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

const OVERRIDES = {
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["127.0.0.1"] },
	session: { cookieDomain: "example.test" },
	accessControl: {
		defaultPolicy: "deny",
		rules: [
			{ domains: ["public.example.test"], policy: "bypass" },
			{ domains: ["app.example.test"], resources: ["^/admin/"], groups: ["admins"], policy: "one_factor" },
			// A rule with groups applies to its members only; everyone else goes on to the next rule.
			{ domains: ["app.example.test"], resources: ["^/admin/"], policy: "deny" },
			{ domains: ["app.example.test"], policy: "one_factor" },
			{ domains: ["secure.example.test"], policy: "two_factor" },
			{ domains: ["admin.example.test"], policy: "two_factor", maxSecondFactorAgeSeconds: 300 },
		],
	},
};

const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

function forwardAuth(t: TestApp, url: string, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") {
	const parsed = new URL(url);
	return t.app.inject({
		method: "GET",
		url: "/api/v1/authz/forward-auth",
		remoteAddress,
		headers: { "x-forwarded-method": "GET", "x-forwarded-proto": parsed.protocol.slice(0, -1), "x-forwarded-host": parsed.host, "x-forwarded-uri": `${parsed.pathname}${parsed.search}`, ...headers },
	});
}

function authRequest(t: TestApp, url: string, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") {
	return t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", remoteAddress, headers: { "x-original-url": url, "x-original-method": "GET", ...headers } });
}

/** An account with a verified address and its forward-auth cookie. */
async function verifiedUser(t: TestApp) {
	const user = await signUp(t);
	await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
	return { ...user, cookie: `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}` };
}

/** The same with 2FA on (set up in this session: it is at aal2), confirmed by the mailed link. */
async function verifiedUserWith2FA(t: TestApp) {
	const user = await signUpWith2FA(t);
	await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
	await confirmSecondFactorByMail(t, user);
	return { ...user, cookie: `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}` };
}

describe("forward-auth endpoints", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });

	test("the dashboard pages a browser is sent to exist", () => {
		expect(PATHS.signIn).toBe("/dashboard/sign-in");
		expect(PATHS.home).toBe("/dashboard");
	});

	test("a peer not in http.trustedProxies cannot describe the original request: 400 ERR_PROXY_NOT_TRUSTED on both endpoints", async () => {
		const user = await verifiedUser(t);
		for (const response of [
			await forwardAuth(t, "http://app.example.test/", { cookie: user.cookie }, "10.9.8.7"),
			await authRequest(t, "http://app.example.test/", { cookie: user.cookie }, "10.9.8.7"),
		]) {
			expect(response.statusCode).toBe(400);
			expect(response.json().code).toBe("ERR_PROXY_NOT_TRUSTED");
			for (const name of IDENTITY_HEADERS) expect(response.headers[name.toLowerCase()]).toBeUndefined();
		}
	});

	test("missing or malformed original-request headers: 400 ERR_FORWARDED_REQUEST_INVALID, never a decision", async () => {
		const bad = [
			await t.app.inject({ method: "GET", url: "/api/v1/authz/forward-auth", headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": "public.example.test" } }),
			await forwardAuth(t, "http://public.example.test/", { "x-forwarded-proto": "ftp" }),
			await forwardAuth(t, "http://public.example.test/", { "x-forwarded-uri": "//evil.example/" }),
			await forwardAuth(t, "http://public.example.test/", { "x-forwarded-host": "" }),
			await forwardAuth(t, "http://public.example.test/", { "x-forwarded-host": "user@public.example.test" }),
			await authRequest(t, "/relative"),
			await authRequest(t, "http://user:pw@public.example.test/"),
			await t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: {} }),
		];
		for (const response of bad) {
			expect(response.statusCode).toBe(400);
			expect(response.json().code).toBe("ERR_FORWARDED_REQUEST_INVALID");
		}
	});

	test("bypass: 200 with every identity header present and empty, whatever the client sent", async () => {
		const response = await forwardAuth(t, "http://public.example.test/page?x=1", { "remote-user": "admin@example.com", "remote-aal": "aal2" });
		expect(response.statusCode).toBe(200);
		for (const name of IDENTITY_HEADERS) expect(response.headers[name.toLowerCase()]).toBe("");
	});

	test("deny (the default policy and a group rule): 403 ERR_ACCESS_DENIED", async () => {
		const other = await forwardAuth(t, "http://other.example.test/");
		expect(other.statusCode).toBe(403);
		expect(other.json().code).toBe("ERR_ACCESS_DENIED");
		const user = await verifiedUser(t);
		const admin = await forwardAuth(t, "http://app.example.test/admin/x", { cookie: user.cookie });
		expect(admin.statusCode).toBe(403);
		expect(admin.json().code).toBe("ERR_ACCESS_DENIED");
		const denied = await authRequest(t, "http://other.example.test/", { cookie: user.cookie });
		expect(denied.statusCode).toBe(403);
	});

	test("anonymous: a browser is sent to the sign-in page with rd (302 for forward-auth, 401 + Location for auth-request), an API client gets 401", async () => {
		const browser = await forwardAuth(t, "http://app.example.test/a/b?c=d", HTML);
		expect(browser.statusCode).toBe(302);
		expect(browser.headers.location).toBe(`http://auth.example.test/dashboard/sign-in?rd=${encodeURIComponent("http://app.example.test/a/b?c=d")}`);
		const nginx = await authRequest(t, "http://app.example.test/a/b?c=d", HTML);
		expect(nginx.statusCode).toBe(401);
		expect(nginx.headers.location).toBe(browser.headers.location);
		for (const api of [await forwardAuth(t, "http://app.example.test/api"), await authRequest(t, "http://app.example.test/api")]) {
			expect(api.statusCode).toBe(401);
			expect(api.headers.location).toBeUndefined();
			expect(api.json().code).toBe("ERR_UNAUTHENTICATED");
		}
	});

	test("a signed-in verified account passes a one_factor rule with its identity; a forged cookie or a session token in its place does not", async () => {
		const user = await verifiedUser(t);
		const response = await forwardAuth(t, "http://app.example.test/", { cookie: user.cookie, "remote-user": "someone@else.test" });
		expect(response.statusCode).toBe(200);
		expect(response.headers["remote-user"]).toBe(user.email);
		expect(response.headers["remote-email"]).toBe(user.email);
		expect(response.headers["remote-account-id"]).toBe(user.account.id);
		expect(response.headers["remote-aal"]).toBe("aal1");
		expect(response.headers["remote-groups"]).toBe("");
		// The assertion: the same facts, signed, for this host only, verifiable against the served JWKS.
		const jwks = createLocalJWKSet((await t.app.inject({ method: "GET", url: "/.well-known/jwks.json" })).json());
		const { payload } = await jwtVerify(String(response.headers["remote-assertion"]), jwks, { issuer: "http://auth.example.test", audience: "app.example.test", currentDate: new Date(t.clock.now()) });
		expect(payload).toMatchObject({ sub: user.account.id, email: user.email, aal: "aal1", sid: user.session.record.id });
		await expect(jwtVerify(String(response.headers["remote-assertion"]), jwks, { audience: "admin.example.test", currentDate: new Date(t.clock.now()) })).rejects.toThrow();
		for (const cookie of [`deadbolt_forward_auth=${user.session.token}`, `${user.cookie.slice(0, -2)}xx`, `deadbolt_session=${user.session.token}`]) {
			const refused = await forwardAuth(t, "http://app.example.test/", { cookie });
			expect(refused.statusCode).toBe(401);
		}
		// A session token as a Bearer is not a credential here either (only dbpat_ tokens are).
		expect((await forwardAuth(t, "http://app.example.test/", { authorization: `Bearer ${user.session.token}` })).statusCode).toBe(401);
	});

	test("an unverified address passes no rule but bypass: 401 ERR_EMAIL_NOT_VERIFIED, a browser goes to the dashboard", async () => {
		const user = await signUp(t);
		const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}`;
		const api = await forwardAuth(t, "http://app.example.test/", { cookie });
		expect(api.statusCode).toBe(401);
		expect(api.json().code).toBe("ERR_EMAIL_NOT_VERIFIED");
		const browser = await forwardAuth(t, "http://app.example.test/", { cookie, ...HTML });
		expect(browser.headers.location).toMatch(/^http:\/\/auth\.example\.test\/dashboard\?rd=/);
		expect((await forwardAuth(t, "http://public.example.test/", { cookie })).statusCode).toBe(200);
	});

	test("two_factor: a password-only session never passes (set up 2FA), a session with the code does, and a code older than maxSecondFactorAgeSeconds is asked again", async () => {
		const plain = await verifiedUser(t);
		const setUp = await forwardAuth(t, "http://secure.example.test/", { cookie: plain.cookie });
		expect(setUp.statusCode).toBe(401);
		expect(setUp.json().code).toBe("ERR_SECOND_FACTOR_REQUIRED");

		const enrolled = await verifiedUserWith2FA(t);
		// Enrollment proved a code in this session: aal2.
		const secure = await forwardAuth(t, "http://secure.example.test/", { cookie: enrolled.cookie });
		expect(secure.statusCode).toBe(200);
		expect(secure.headers["remote-aal"]).toBe("aal2");
		expect((await forwardAuth(t, "http://admin.example.test/", { cookie: enrolled.cookie })).statusCode).toBe(200);

		t.clock.advance(301_000);
		const stale = await forwardAuth(t, "http://admin.example.test/", { cookie: enrolled.cookie, ...HTML });
		expect(stale.statusCode).toBe(302);
		expect(stale.headers.location).toBe(`http://auth.example.test/dashboard/step-up?rd=${encodeURIComponent("http://admin.example.test/")}`);
		// The plain two_factor host has no age limit.
		expect((await forwardAuth(t, "http://secure.example.test/", { cookie: enrolled.cookie })).statusCode).toBe(200);

		// A new sign-in with the password and a code: the second factor is recent again.
		const challenge = await passwordStep(t, enrolled.email);
		const signedIn = await t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: codeAt(t, enrolled.key) });
		const fresh = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(signedIn.token)}`;
		const response = await forwardAuth(t, "http://admin.example.test/", { cookie: fresh });
		expect(response.statusCode).toBe(200);
		expect(response.headers["remote-aal"]).toBe("aal2");
	});

	test("connected apps: the session lists the hosts it reached, written at most once a minute per host", async () => {
		const user = await verifiedUser(t);
		const appsOf = async () => (await t.app.inject({ method: "GET", url: "/api/v1/sessions", headers: { authorization: `Bearer ${user.session.token}` } })).json().sessions[0].apps;
		const first = new Date(t.clock.now()).toISOString();
		for (let i = 0; i < 3; i++) {
			expect((await forwardAuth(t, `http://app.example.test/page/${i}`, { cookie: user.cookie })).statusCode).toBe(200);
			t.clock.advance(20_000);
		}
		// 40 s after the first write: not written again.
		expect(await appsOf()).toEqual([{ host: "app.example.test", lastUsedAt: first }]);
		t.clock.advance(1_000);
		await forwardAuth(t, "http://app.example.test/", { cookie: user.cookie });
		const sessions = (await t.app.inject({ method: "GET", url: "/api/v1/sessions", headers: { authorization: `Bearer ${user.session.token}` } })).json().sessions;
		expect(sessions[0].apps).toEqual([{ host: "app.example.test", lastUsedAt: new Date(t.clock.now()).toISOString() }]);
		const page = await t.app.inject({ method: "GET", url: "/dashboard/settings/security/sessions", headers: { cookie: `deadbolt_session=${user.session.token}` } });
		expect(page.body).toContain("Used for");
		expect(page.body).toContain(">app.example.test</span>");
		// Bypass requests name no one: nothing is written.
		await forwardAuth(t, "http://public.example.test/", { cookie: user.cookie });
		expect((await appsOf()).map((app: { host: string }) => app.host)).toEqual(["app.example.test"]);
	});

	test("personal access tokens: Authorization or Proxy-Authorization, only their hosts, never a step-up rule, an aal1 token never two_factor, dead after revocation", async () => {
		const plain = await verifiedUser(t);
		const plainAuth = await t.deadbolt.validateSession(plain.session.token);
		const aal1 = await t.deadbolt.createAccessToken(plainAuth, { name: "script", hosts: ["app.example.test", "secure.example.test"], expiresInDays: 30 });
		const viaAuthorization = await forwardAuth(t, "http://app.example.test/api", { authorization: `Bearer ${aal1.token}`, ...HTML });
		expect(viaAuthorization.statusCode).toBe(200);
		expect(viaAuthorization.headers["remote-email"]).toBe(plain.email);
		expect(viaAuthorization.headers["remote-aal"]).toBe("aal1");
		expect((await authRequest(t, "http://app.example.test/api", { "proxy-authorization": `Bearer ${aal1.token}` })).statusCode).toBe(200);
		// Not its host: 403, whatever the rule would let its account do.
		const otherHost = await forwardAuth(t, "http://public2.example.test/", { authorization: `Bearer ${aal1.token}` });
		expect(otherHost.statusCode).toBe(403);
		const admin = await forwardAuth(t, "http://admin.example.test/", { authorization: `Bearer ${aal1.token}` });
		expect(admin.statusCode).toBe(403);
		expect(admin.json().code).toBe("ERR_ACCESS_DENIED");
		// An aal1 token on a two_factor host: denied, never a step-up page.
		const secure = await forwardAuth(t, "http://secure.example.test/", { authorization: `Bearer ${aal1.token}`, ...HTML });
		expect(secure.statusCode).toBe(403);

		const enrolled = await verifiedUserWith2FA(t);
		const enrolledAuth = await t.deadbolt.validateSession(enrolled.session.token);
		const aal2 = await t.deadbolt.createAccessToken(enrolledAuth, { name: "phone", hosts: ["*.example.test"], expiresInDays: 7 });
		const secure2 = await forwardAuth(t, "http://secure.example.test/", { authorization: `Bearer ${aal2.token}` });
		expect(secure2.statusCode).toBe(200);
		expect(secure2.headers["remote-aal"]).toBe("aal2");
		// A rule that asks for a recent code cannot be met by a token.
		expect((await forwardAuth(t, "http://admin.example.test/", { authorization: `Bearer ${aal2.token}` })).statusCode).toBe(403);
		// The token is no session anywhere else.
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { authorization: `Bearer ${aal2.token}` } })).statusCode).toBe(401);
		// Revoked: refused on the very next request.
		await t.deadbolt.revokeAccessToken(enrolledAuth, aal2.view.id);
		const revoked = await forwardAuth(t, "http://secure.example.test/", { authorization: `Bearer ${aal2.token}` });
		expect(revoked.statusCode).toBe(401);
	});

	test("sign-out ends the forward-auth cookie on the very next request", async () => {
		const user = await verifiedUser(t);
		expect((await forwardAuth(t, "http://app.example.test/", { cookie: user.cookie })).statusCode).toBe(200);
		await t.deadbolt.logout(user.session.token);
		const after = await forwardAuth(t, "http://app.example.test/", { cookie: user.cookie });
		expect(after.statusCode).toBe(401);
		expect(after.json().code).toBe("ERR_UNAUTHENTICATED");
	});

	test("every method a proxy may ask with is answered (nginx keeps the original method), outside the CSRF check", async () => {
		for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] as const) {
			const response = await t.app.inject({ method, url: "/api/v1/authz/auth-request", headers: { "x-original-url": "http://public.example.test/", "content-type": "application/x-www-form-urlencoded" } });
			expect(response.statusCode).toBe(200);
		}
	});

	test("a browser sign-in sets the forward-auth cookie on session.cookieDomain, and sign-out clears it", async () => {
		const user = await verifiedUser(t);
		const browser = { origin: "http://auth.example.test", "sec-fetch-site": "same-origin" };
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: browser, payload: { email: user.email, password: PASSWORD } });
		expect(login.statusCode).toBe(200);
		const setCookies = ([] as string[]).concat(login.headers["set-cookie"] ?? []);
		const forward = setCookies.find((cookie) => cookie.startsWith("deadbolt_forward_auth="));
		expect(forward).toMatch(/Domain=example\.test/);
		expect(forward).toMatch(/HttpOnly/);
		const value = forward!.split(";")[0]!;
		expect((await forwardAuth(t, "http://app.example.test/", { cookie: value })).statusCode).toBe(200);
		const session = setCookies.find((cookie) => cookie.startsWith("deadbolt_session="))!.split(";")[0]!;
		const logout = await t.app.inject({ method: "POST", url: "/api/v1/logout", headers: { ...browser, cookie: session } });
		expect(logout.statusCode).toBeLessThan(300);
		expect(([] as string[]).concat(logout.headers["set-cookie"] ?? []).some((cookie) => cookie.startsWith("deadbolt_forward_auth=;") && /Domain=example\.test/.test(cookie))).toBe(true);
		expect((await forwardAuth(t, "http://app.example.test/", { cookie: value })).statusCode).toBe(401);
	});
});
