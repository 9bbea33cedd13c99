/**
 * An account's groups shown to its owner: the dashboard's account page ("Groups: a, b", nothing
 * when none) and `GET /api/v1/session` (`account.groups`), after an operator set them through the
 * admin API. The owner cannot set them: the admin API needs its own key, not a session.
 */
import { describe, expect, it } from "vitest";
import { appPerTest, bearer, type TestApp } from "../helpers/http.js";

const ADMIN_KEY = "test-admin-key-0123456789-abcdefghijklmnop";
const PASSWORD = "correct horse battery staple";

let t: TestApp;
appPerTest((app) => (t = app), { overrides: { keys: { encryptionKey: null, hmacKey: null, adminApiKey: ADMIN_KEY } } });

/** Signs up through the JSON API: the account id and its session token. */
async function signUp(email: string): Promise<{ accountId: string; token: string }> {
	const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
	expect(res.statusCode).toBe(201);
	expect(res.json().account.groups).toEqual([]);
	return { accountId: res.json().account.id, token: res.json().session.token };
}

const setGroups = (accountId: string, groups: string[]) =>
	t.app.inject({ method: "PUT", url: `/api/v1/admin/accounts/${accountId}/groups`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { groups } });

const home = (token: string) => t.app.inject({ method: "GET", url: "/dashboard", headers: { cookie: `deadbolt_session=${token}` } });

describe("groups shown to the account's owner", () => {
	it("the account page lists the groups an operator set, and shows no Groups row when there are none", async () => {
		const { accountId, token } = await signUp("shown@example.com");
		const before = await home(token);
		expect(before.statusCode).toBe(200);
		expect(before.body).toContain("Member since");
		expect(before.body).not.toContain('id="account-groups"');
		expect((await setGroups(accountId, ["ops", "admins"])).statusCode).toBe(200);
		const after = await home(token);
		expect(after.body).toMatch(/<div id="account-groups"><dt>Groups<\/dt><dd>admins, ops<\/dd><\/div>/);
		await setGroups(accountId, []);
		expect((await home(token)).body).not.toContain('id="account-groups"');
	});

	it("GET /api/v1/session carries account.groups; the owner's session cannot change them", async () => {
		const { accountId, token } = await signUp("api-shown@example.com");
		await setGroups(accountId, ["admins"]);
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) });
		expect(me.json().account.groups).toEqual(["admins"]);
		const own = await t.app.inject({ method: "PUT", url: `/api/v1/admin/accounts/${accountId}/groups`, headers: bearer(token), payload: { groups: ["root"] } });
		expect(own.statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) })).json().account.groups).toEqual(["admins"]);
	});

	it("the security activity tells the owner which groups were set", async () => {
		const { accountId, token } = await signUp("activity@example.com");
		await setGroups(accountId, ["ops"]);
		const events = await t.app.inject({ method: "GET", url: "/api/v1/security-events", headers: bearer(token) });
		expect(events.json().events[0]).toMatchObject({ type: "account.groups_changed", details: { before: [], after: ["ops"], via: "admin_api" } });
		const page = await t.app.inject({ method: "GET", url: "/dashboard/settings/security/activity", headers: { cookie: `deadbolt_session=${token}` } });
		expect(page.body).toContain("Groups changed by an administrator: ops");
	});
});
