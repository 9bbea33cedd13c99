/**
 * An operator's "sign out everywhere" (`POST /api/v1/admin/accounts/:accountId/sign-out-everywhere`,
 * `deadbolt account sign-out-everywhere`): every session and its forward-auth cookie end at once.
 */
import { describe, expect, test } from "vitest";
import { signUp } from "../helpers/flows.js";
import { appPerTest, bearer, type TestApp } from "../helpers/http.js";

const ADMIN_KEY = "admin-api-key-0123456789-abcdefghijklmnopqrst";

describe("admin sign out everywhere", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: { keys: { adminApiKey: ADMIN_KEY }, http: { trustedProxies: ["127.0.0.1"] }, accessControl: { defaultPolicy: "one_factor", rules: [] } } });

	test("ends every session (and the forward-auth cookie); unknown accounts 404; without the key 401", async () => {
		const user = await signUp(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}`;
		const ask = () => t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": "http://app.example.test/", cookie } });
		expect((await ask()).statusCode).toBe(200);
		const url = `/api/v1/admin/accounts/${user.account.id}/sign-out-everywhere`;
		expect((await t.app.inject({ method: "POST", url })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts/nope/sign-out-everywhere", headers: bearer(ADMIN_KEY) })).statusCode).toBe(404);
		const response = await t.app.inject({ method: "POST", url, headers: bearer(ADMIN_KEY) });
		expect(response.statusCode).toBe(200);
		expect(response.json()).toEqual({ accountId: user.account.id, email: user.email, sessionsRevoked: 1, trustedDevicesRevoked: 0, accessTokensRevoked: 0 });
		expect((await ask()).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(user.session.token) })).statusCode).toBe(401);
		const events = await t.deadbolt.listSecurityEvents(user.account.id);
		expect(events.some((event) => event.type === "sessions.revoked" && event.details["by"] === "operator")).toBe(true);
	});
});
