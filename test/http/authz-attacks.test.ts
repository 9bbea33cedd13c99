/**
 * Attacks on the forward-auth endpoints (issue 12, security review): requests a proxy passes on
 * that the rules must not judge more kindly than the app behind the proxy will read them. Each test
 * fails when its check is removed. The same through real nginx and Caddy:
 * test/e2e/forward-auth-proxies.e2e.test.ts.
 */
import { describe, expect, test } from "vitest";
import { appPerTest, type TestApp } from "../helpers/http.js";
import { codeAt, confirmSecondFactorByMail, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

const OVERRIDES = {
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["127.0.0.1"] },
	session: { cookieDomain: "example.test" },
	accessControl: {
		defaultPolicy: "deny",
		rules: [
			{ domains: ["app.example.test"], resources: ["^/public/"], policy: "bypass" },
			{ domains: ["app.example.test"], resources: ["^/admin/"], policy: "deny" },
			{ domains: ["app.example.test"], resources: ["^/api/"], methods: ["DELETE"], policy: "deny" },
			{ domains: ["app.example.test"], resources: ["^/reports/"], methods: ["GET"], policy: "deny" },
			{ domains: ["app.example.test"], policy: "one_factor" },
			{ domains: ["public.example.test"], policy: "bypass" },
			{ domains: ["secure.example.test"], policy: "two_factor" },
			{ domains: ["step.example.test"], policy: "two_factor", maxSecondFactorAgeSeconds: 300 },
			// Only for this account (a bypass for one person: odd, but a valid config).
			{ domains: ["boss.example.test"], accounts: ["boss@example.com"], policy: "bypass" },
		],
	},
};

/** A proxy's auth-request subrequest for `url` (nginx: X-Original-URL, X-Original-Method). */
function authRequest(t: TestApp, url: string, headers: Record<string, string> = {}, method = "GET") {
	return t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", remoteAddress: "127.0.0.1", headers: { "x-original-url": url, "x-original-method": method, ...headers } });
}

/** A signed-in verified account's forward-auth cookie. */
async function cookieOf(t: TestApp, email?: string, verified = true): Promise<string> {
	const user = await signUp(t, email);
	if (verified) await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
	return `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}`;
}

describe("forward-auth: what the app will read, not a kinder reading", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });

	test("a path that apps resolve differently (dot segments in any spelling, backslashes, a fragment) is refused, never judged under a bypass rule", async () => {
		for (const path of [
			"/admin/../public/x", // Express routes it under /admin
			"/admin/%2e%2e/public/x",
			"/public/..;/admin/x", // Tomcat: /admin/x
			"/public//../admin/x", // Go path.Clean and nginx: /admin/x
			"/public/%2e%2e%2fadmin/x", // decoded, then resolved: /admin/x
			"/admin\\..\\public/x", // nginx passes \ on; WHATWG reads it as /
			"/public#/../admin/x",
		]) {
			const response = await authRequest(t, `http://app.example.test${path}`);
			expect(response.statusCode, path).toBe(400);
			expect(response.json().code, path).toBe("ERR_FORWARDED_REQUEST_INVALID");
		}
		const forwardAuth = await t.app.inject({
			method: "GET",
			url: "/api/v1/authz/forward-auth",
			remoteAddress: "127.0.0.1",
			headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/public/../admin/x" },
		});
		expect(forwardAuth.statusCode).toBe(400);
	});

	test("equivalent spellings of a denied path are denied (percent-encoded letters, ;params, doubled slashes), and pass a bypass rule only when the literal path does too", async () => {
		const cookie = await cookieOf(t);
		for (const path of ["/admin/x", "/%61dmin/x", "/admin;jsessionid=1/x", "//admin/x", "/admin//x"]) {
			const response = await authRequest(t, `http://app.example.test${path}`, { cookie });
			expect(response.statusCode, path).toBe(403);
		}
		expect((await authRequest(t, "http://app.example.test/page", { cookie })).statusCode).toBe(200);
		// ...and a bypass needs both readings: an app that reads the path literally does not see /public/.
		for (const path of ["/%70ublic/x", "/public;x/y", "//public/x"]) expect((await authRequest(t, `http://app.example.test${path}`)).statusCode, path).toBe(401);
		expect((await authRequest(t, "http://app.example.test/public/x")).statusCode).toBe(200);
	});

	test("method overrides and HEAD: a request the app may take as another method passes only where that method does", async () => {
		const cookie = await cookieOf(t);
		expect((await authRequest(t, "http://app.example.test/api/items/1", { cookie }, "POST")).statusCode).toBe(200);
		expect((await authRequest(t, "http://app.example.test/api/items/1", { cookie }, "DELETE")).statusCode).toBe(403);
		for (const header of ["x-http-method-override", "x-http-method", "x-method-override"]) {
			const response = await authRequest(t, "http://app.example.test/api/items/1", { cookie, [header]: "delete" }, "POST");
			expect(response.statusCode, header).toBe(403);
		}
		expect((await authRequest(t, "http://app.example.test/api/items/1?_method=DELETE", { cookie }, "POST")).statusCode).toBe(403);
		// HEAD runs the app's GET handler: it passes only where GET does.
		expect((await authRequest(t, "http://app.example.test/reports/x", { cookie }, "GET")).statusCode).toBe(403);
		expect((await authRequest(t, "http://app.example.test/reports/x", { cookie }, "HEAD")).statusCode).toBe(403);
		// An override the rules allow changes nothing: the identity is still passed on.
		const allowed = await authRequest(t, "http://app.example.test/api/items/1", { cookie, "x-http-method-override": "PUT" }, "POST");
		expect(allowed.statusCode).toBe(200);
		expect(allowed.headers["remote-user"]).not.toBe("");
	});

	test("a repeated X-Original-URL or X-Forwarded-* is refused, not joined into one URL (a client's line before the proxy's)", async () => {
		const repeated = await t.app.inject({
			method: "GET",
			url: "/api/v1/authz/auth-request",
			remoteAddress: "127.0.0.1",
			headers: { "x-original-url": ["http://public.example.test/", "http://app.example.test/admin/x"], "x-original-method": "GET" },
		});
		expect(repeated.statusCode).toBe(400);
		expect(repeated.json().code).toBe("ERR_FORWARDED_REQUEST_INVALID");
		const uri = await t.app.inject({
			method: "GET",
			url: "/api/v1/authz/forward-auth",
			remoteAddress: "127.0.0.1",
			headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": "app.example.test", "x-forwarded-uri": ["/public/x", "/admin/x"] },
		});
		expect(uri.statusCode).toBe(400);
	});

	test("X-Forwarded-Host is a host and port, nothing that would move part of it into the path", async () => {
		for (const host of ["public.example.test/x", "public.example.test?", "public.example.test#", "public.example.test\\", "evil@public.example.test"]) {
			const response = await t.app.inject({
				method: "GET",
				url: "/api/v1/authz/forward-auth",
				remoteAddress: "127.0.0.1",
				headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": host, "x-forwarded-uri": "/admin/x" },
			});
			expect(response.statusCode, host).toBe(400);
		}
		for (const host of ["app.example.test:8443", "APP.example.test", "[::1]:80"]) {
			const response = await t.app.inject({
				method: "GET",
				url: "/api/v1/authz/forward-auth",
				remoteAddress: "127.0.0.1",
				headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "http", "x-forwarded-host": host, "x-forwarded-uri": "/public/x" },
			});
			expect(response.statusCode, host).not.toBe(400);
		}
	});

	test("an unverified address matches no accounts rule: signing up with someone else's address does not pass their bypass", async () => {
		const squatter = await signUp(t, "Boss@Example.com");
		const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(squatter.session.token)}`;
		expect((await authRequest(t, "http://boss.example.test/", { cookie })).statusCode).toBe(403);
		// Once the mailed link proved the address, the rule is theirs.
		await t.store.accounts.markEmailVerified(squatter.account.id, t.clock.now());
		expect((await authRequest(t, "http://boss.example.test/", { cookie })).statusCode).toBe(200);
		expect((await authRequest(t, "http://boss.example.test/", { cookie: await cookieOf(t) })).statusCode).toBe(403);
	});

	test("every end of a session refuses its forward-auth cookie on the next request: password change, sign out everywhere, 2FA off (the other sessions), compromised", async () => {
		const forwardAuth = (token: string) => `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(token)}`;
		const enrolled = async () => {
			const user = await signUpWith2FA(t);
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			await confirmSecondFactorByMail(t, user);
			// A second session (another browser) besides the one that enrolled.
			const other = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 1) });
			return { user, other: other.token };
		};
		const ends: Record<string, (user: Awaited<ReturnType<typeof signUpWith2FA>>) => Promise<unknown>> = {
			"password change": async (user) => t.deadbolt.changePassword(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: "an entirely new passphrase 42" }),
			"sign out everywhere": async (user) => t.deadbolt.signOutEverywhere(await t.deadbolt.validateSession(user.session.token)),
			"2FA off": async (user) => {
				// A code of a step not used yet (the enrollment and the second sign-in used the two before).
				t.clock.advance(60_000);
				return t.deadbolt.disableTOTP(await t.deadbolt.validateSession(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) });
			},
			compromised: async (user) => t.deadbolt.secureCompromisedAccount(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: "an entirely new passphrase 43" }),
		};
		for (const [name, end] of Object.entries(ends)) {
			const { user, other } = await enrolled();
			const cookies = [forwardAuth(user.session.token), forwardAuth(other)];
			for (const cookie of cookies) expect((await authRequest(t, "http://app.example.test/page", { cookie })).statusCode, name).toBe(200);
			await end(user);
			// 2FA off keeps the session that turned it off (it just proved both factors) and ends the others;
			// every other change ends or rotates them all (a rotated session's cookie changes with it).
			for (const cookie of name === "2FA off" ? cookies.slice(1) : cookies) expect((await authRequest(t, "http://app.example.test/page", { cookie })).statusCode, name).toBe(401);
		}
	});

	test("step-up: a remembered device stands in for the code at sign-in but never counts as a recent second factor", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		await confirmSecondFactorByMail(t, user);
		const withCode = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 1), rememberDevice: true });
		expect(withCode.trustedDevice).not.toBeNull();
		t.clock.advance(301_000);
		const remembered = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: withCode.trustedDevice!.token });
		if (remembered.kind !== "session") throw new Error("the remembered device should skip the code step");
		const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(remembered.session.token)}`;
		// AAL2 (a plain two_factor rule passes), but no code typed: the step-up rule asks for one.
		expect((await authRequest(t, "http://secure.example.test/", { cookie })).statusCode).toBe(200);
		const stepUp = await authRequest(t, "http://step.example.test/", { cookie });
		expect(stepUp.statusCode).toBe(401);
		expect(stepUp.json().code).toBe("ERR_SECOND_FACTOR_REQUIRED");
	});

	test("an address with non-Latin characters (RFC 6531, accepted at sign-up) is passed on, never a 500", async () => {
		for (const email of ["ü@example.com", "用户@例子.example", "δοκιμή@example.com"]) {
			const cookie = await cookieOf(t, email);
			const response = await authRequest(t, "http://app.example.test/page", { cookie });
			expect(response.statusCode, email).toBe(200);
			// The header carries the address's UTF-8 bytes (HTTP field values are octets; RFC 9110 §5.5).
			expect(Buffer.from(String(response.headers["remote-user"]), "latin1").toString("utf8"), email).toBe(email);
			expect(Buffer.from(String(response.headers["remote-email"]), "latin1").toString("utf8"), email).toBe(email);
		}
	});

	test("the forward-auth token works only at the authz endpoints and introspection: not as a session at the API or the dashboard", async () => {
		const user = await signUp(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const token = t.deadbolt.forwardAuthToken(user.session.token)!;
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: `deadbolt_session=${token}` } })).statusCode).toBe(401);
		const dashboard = await t.app.inject({ method: "GET", url: "/dashboard", headers: { cookie: `deadbolt_session=${token}; deadbolt_forward_auth=${token}` } });
		expect(dashboard.statusCode).toBe(302);
		expect(dashboard.headers.location).toMatch(/^\/dashboard\/sign-in/);
		// The session token itself works there (the check above is about the token, not the session).
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { authorization: `Bearer ${user.session.token}` } })).statusCode).toBe(200);
		// A forward-auth token of a session with its secret's last character changed, or another session's id: refused.
		const [id, mac] = token.split(".") as [string, string];
		const other = await signUp(t);
		for (const forged of [`${id}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`, `${other.session.record.id}.${mac}`]) {
			expect((await authRequest(t, "http://app.example.test/page", { cookie: `deadbolt_forward_auth=${forged}` })).statusCode).toBe(401);
		}
	});

	test("rd parser tricks never keep a return target off the allowed hosts (held)", async () => {
		let kept = 0;
		for (const rd of [
			"http://app.example.test\\@evil.example/",
			"http://evil.example\\@app.example.test/",
			"http://app.example.test@evil.example/",
			"http://evil.example#@app.example.test/",
			"http://evil.example?@app.example.test/",
			"http://app.example.test.evil.example/",
			"http://app.example.test%2f@evil.example/",
			"http:\\\\evil.example/",
			"/\\evil.example",
			" http://evil.example/",
			"\thttp://evil.example/",
			"javascript://app.example.test/%0aalert(1)",
			"http://auth.example.test/dashboard",
			"http://[::1]/",
		]) {
			const response = await t.app.inject({ method: "GET", url: `/dashboard/sign-in?rd=${encodeURIComponent(rd)}` });
			const cookie = ([] as string[]).concat(response.headers["set-cookie"] ?? []).find((line) => line.startsWith("deadbolt_return="));
			const value = decodeURIComponent(cookie?.split(";")[0]?.slice("deadbolt_return=".length) ?? "");
			if (value !== "") expect(new URL(value).host, rd).toBe("app.example.test");
			if (value !== "") kept += 1;
		}
		// The first one is kept, as the URL it is (a path on the app), not as the host after "@".
		expect(kept).toBe(1);
	});

	// Issue 12, "Also": "A first 2FA enrollment reached from a two_factor rule needs a link mailed to
	// the verified address (a stolen password alone must not enroll its own authenticator)". Turning
	// 2FA on needs only the password, so an authenticator passes two_factor rules only once a link
	// mailed to the address was used from a session that proved it (service/two-factor-mail-confirmation.ts).
	test("a stolen password alone cannot enroll its own authenticator and pass a two_factor rule: the owner's mailbox must confirm it", async () => {
		// signUpWith2FA is exactly the attacker's path: a password-only session, the password again, a code from their own app.
		const attacker = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(attacker.account.id, t.clock.now());
		const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(attacker.session.token)}`;
		const refused = await authRequest(t, "http://secure.example.test/", { cookie, accept: "text/html" });
		expect(refused.statusCode).toBe(401);
		expect(refused.json()).toMatchObject({ code: "ERR_SECOND_FACTOR_REQUIRED" });
		expect(refused.headers.location).toBe(`http://auth.example.test/dashboard/step-up?rd=${encodeURIComponent("http://secure.example.test/")}`);
		// A token made from that session is no way around it.
		const auth = await t.deadbolt.validateSession(attacker.session.token);
		const token = await t.deadbolt.createAccessToken(auth, { name: "backdoor", hosts: ["secure.example.test"], expiresInDays: 30 });
		const denied = await authRequest(t, "http://secure.example.test/", { authorization: `Bearer ${token.token}` });
		expect(denied.statusCode).toBe(403);
		expect(denied.json()).toMatchObject({ code: "ERR_ACCESS_DENIED" });
		// The attacker can ask for the link, but it goes to the owner's mailbox; only its use (from a session that proved the authenticator) opens the rule.
		expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("sent");
		expect((await authRequest(t, "http://secure.example.test/", { cookie })).statusCode).toBe(401);
		await confirmSecondFactorByMail(t, attacker);
		expect((await authRequest(t, "http://secure.example.test/", { cookie })).statusCode).toBe(200);
		expect((await authRequest(t, "http://secure.example.test/", { authorization: `Bearer ${token.token}` })).statusCode).toBe(200);
	});
});
