/**
 * `POST /api/v1/introspect` (issue 12 item 8): its own keys (never the admin key), the answer for
 * a session token and for the forward-auth cookie's token, and `active: false` on the very next
 * call after the session ends.
 */
import { describe, expect, test } from "vitest";
import { signUp, signUpWith2FA } from "../helpers/flows.js";
import { appPerTest, bearer, createTestApp, type TestApp } from "../helpers/http.js";

const KEY = "introspection-key-0123456789-abcdefghijklmnop";
const OTHER_KEY = "second-introspection-key-0123456789-abcdefgh";
const ADMIN_KEY = "admin-api-key-0123456789-abcdefghijklmnopqrst";
const OVERRIDES = { keys: { introspectionKeys: [KEY, OTHER_KEY], adminApiKey: ADMIN_KEY } };

describe("introspection", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });

	const introspect = (token: string, key: string | null = KEY) => t.app.inject({ method: "POST", url: "/api/v1/introspect", headers: key === null ? {} : bearer(key), payload: { token } });

	test("only a configured introspection key is accepted (not the admin key, not a session)", async () => {
		const user = await signUp(t);
		for (const key of [null, ADMIN_KEY, user.session.token, `${KEY}x`]) {
			const response = await introspect(user.session.token, key);
			expect(response.statusCode).toBe(401);
			expect(response.json().code).toBe("ERR_UNAUTHENTICATED");
		}
		expect((await introspect(user.session.token, OTHER_KEY)).statusCode).toBe(200);
	});

	test("a session token and the forward-auth cookie's token: who, at what assurance, since when; false after sign-out", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const forwardAuth = t.deadbolt.forwardAuthToken(user.session.token)!;
		for (const token of [user.session.token, forwardAuth]) {
			const response = await introspect(token);
			expect(response.statusCode).toBe(200);
			const body = response.json();
			expect(body.active).toBe(true);
			expect(body.account).toEqual({ id: user.account.id, email: user.email, emailVerified: true, groups: [] });
			expect(body.session.aal).toBe("aal2");
			expect(body.session.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
			expect(body.session.secondFactorAt).toBe(new Date(t.clock.now()).toISOString());
			expect(body.accessToken).toBeNull();
		}
		await t.deadbolt.logout(user.session.token);
		for (const token of [user.session.token, forwardAuth]) expect((await introspect(token)).json()).toEqual({ active: false });
	});

	test("a personal access token: its account, no session; inactive once revoked", async () => {
		const user = await signUp(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const auth = await t.deadbolt.validateSession(user.session.token);
		const created = await t.deadbolt.createAccessToken(auth, { name: "backend", hosts: ["app.example.test"], expiresInDays: 30 });
		expect((await introspect(created.token)).json()).toEqual({
			active: true,
			account: { id: user.account.id, email: user.email, emailVerified: true, groups: [] },
			session: null,
			accessToken: { id: created.view.id, aal: "aal1", amr: ["pat"], createdAt: new Date(t.clock.now()).toISOString() },
		});
		await t.deadbolt.revokeAccessToken(auth, created.view.id);
		expect((await introspect(created.token)).json()).toEqual({ active: false });
	});

	test("unknown, malformed and tampered tokens are inactive; bad input is a 400, never a 500", async () => {
		const user = await signUp(t);
		for (const token of ["nope", `${user.session.token.slice(0, -1)}${user.session.token.endsWith("A") ? "B" : "A"}`, "dbpat_unknown", "x".repeat(512)]) expect((await introspect(token)).json()).toEqual({ active: false });
		expect((await t.app.inject({ method: "POST", url: "/api/v1/introspect", headers: bearer(KEY), payload: {} })).statusCode).toBe(400);
		expect((await t.app.inject({ method: "POST", url: "/api/v1/introspect", headers: bearer(KEY), payload: { token: "a", extra: 1 } })).statusCode).toBe(400);
		expect((await introspect("x".repeat(513))).statusCode).toBe(400);
	});
});

test("without keys.introspectionKeys the endpoint does not exist (404)", async () => {
	const t = await createTestApp();
	try {
		const response = await t.app.inject({ method: "POST", url: "/api/v1/introspect", headers: bearer(KEY), payload: { token: "x" } });
		expect(response.statusCode).toBe(404);
	} finally {
		await t.app.close();
		await t.deadbolt.close();
	}
});
