/**
 * The admin API (accounts without a password, sign-in links), `POST /api/v1/login/link`, the
 * dashboard's sign-in-link page, and setting the first password over HTTP.
 */
import { afterEach, describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { serializeRequest } from "../../src/cli/logger.js";
import { bearer, BROWSER, cookieHeader, cookieJar, createTestApp, type TestApp } from "../helpers/http.js";

const ADMIN_KEY = "test-admin-key-0123456789-abcdefghijklmnop";
const FIRST_PASSWORD = "my very first passphrase";

let t: TestApp;
afterEach(async () => {
	await t.app.close();
	await t.deadbolt.close();
});

const admin = (key = ADMIN_KEY) => ({ authorization: `Bearer ${key}` });

async function withAdmin(): Promise<void> {
	t = await createTestApp({ overrides: { keys: { encryptionKey: null, hmacKey: null, adminApiKey: ADMIN_KEY } } });
}

/** Creates an account without a password through the admin API and returns a link token. */
async function createWithLink(email: string): Promise<{ accountId: string; token: string; url: string }> {
	const created = await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email } });
	expect(created.statusCode).toBe(201);
	const link = await t.app.inject({ method: "POST", url: "/api/v1/admin/sign-in-links", headers: admin(), payload: { email } });
	expect(link.statusCode).toBe(201);
	return link.json();
}

describe("admin API", () => {
	it("is off (404) without DEADBOLT_ADMIN_API_KEY", async () => {
		t = await createTestApp();
		const res = await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email: "a@example.com" } });
		expect(res.statusCode).toBe(404);
		expect(res.json().code).toBe("ERR_NOT_FOUND");
	});

	it("refuses a missing or wrong key with 401 and creates nothing", async () => {
		await withAdmin();
		for (const headers of [{}, admin("wrong-key"), admin(`${ADMIN_KEY}x`), { authorization: ADMIN_KEY }]) {
			const res = await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers, payload: { email: "nokey@example.com" } });
			expect(res.statusCode).toBe(401);
			expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
		}
		expect(await t.store.accounts.findAccountByEmail("nokey@example.com")).toBeNull();
	});

	it("creates an account without a password (409 when taken, 400 for a bad email) and issues links (404 unknown email)", async () => {
		await withAdmin();
		const created = await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email: "Social@Example.com" } });
		expect(created.statusCode).toBe(201);
		expect(created.json().account).toEqual({ id: expect.any(String), email: "social@example.com", twoFactorEnabled: false, hasPassword: false, groups: [] });
		expect((await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email: "social@example.com" } })).statusCode).toBe(409);
		expect((await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email: "nope" } })).json().code).toBe("ERR_INVALID_REQUEST");
		expect((await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin(), payload: { email: "x@example.com", password: "sneaky password" } })).statusCode).toBe(400);
		const link = await t.app.inject({ method: "POST", url: "/api/v1/admin/sign-in-links", headers: admin(), payload: { email: "social@example.com" } });
		expect(link.statusCode).toBe(201);
		const body = link.json();
		expect(Object.keys(body).sort()).toEqual(["accountId", "expiresAt", "token", "url"]);
		expect(body.url).toBe(`http://127.0.0.1:8080/dashboard/sign-in-link?token=${body.token}`);
		expect((await t.app.inject({ method: "POST", url: "/api/v1/admin/sign-in-links", headers: admin(), payload: { email: "ghost@example.com" } })).statusCode).toBe(404);
	});
});

describe("PUT /api/v1/admin/accounts/:accountId/groups", () => {
	const groupsOf = (accountId: string, groups: unknown, headers: Record<string, string> = admin()) =>
		t.app.inject({ method: "PUT", url: `/api/v1/admin/accounts/${encodeURIComponent(accountId)}/groups`, headers, payload: { groups } });

	it("replaces the account's groups (normalized, each once, sorted), and the owner sees them in GET /api/v1/session", async () => {
		await withAdmin();
		const { accountId, token } = await createWithLink("member@example.com");
		const set = await groupsOf(accountId, ["ops", "Admins", " admins "]);
		expect(set.statusCode).toBe(200);
		expect(set.json()).toEqual({ accountId, email: "member@example.com", groups: ["admins", "ops"] });
		const session = (await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token } })).json().session.token as string;
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) });
		expect(me.json().account.groups).toEqual(["admins", "ops"]);
		const cleared = await groupsOf(accountId, []);
		expect(cleared.json().groups).toEqual([]);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) })).json().account.groups).toEqual([]);
		const events = (await t.deadbolt.listSecurityEvents(accountId)).filter((event) => event.type === "account.groups_changed");
		expect(events.map((event) => event.details)).toEqual([
			{ before: ["admins", "ops"], after: [], via: "admin_api" },
			{ before: [], after: ["admins", "ops"], via: "admin_api" },
		]);
	});

	it("a bad group name is 400 ERR_GROUP_NAME_INVALID naming it, and nothing changes", async () => {
		await withAdmin();
		const { accountId } = await createWithLink("badname@example.com");
		await groupsOf(accountId, ["ops"]);
		for (const groups of [["admins", "no way"], ["a,b"], [""], ["x".repeat(65)], Array.from({ length: 101 }, (_, i) => `g${i}`)]) {
			const res = await groupsOf(accountId, groups);
			expect(res.statusCode, JSON.stringify(groups).slice(0, 40)).toBe(400);
			expect(res.json().code).toBe("ERR_GROUP_NAME_INVALID");
		}
		expect((await groupsOf(accountId, ["admins", "no way"])).json().message).toContain('"no way"');
		for (const payload of [{}, { groups: "admins" }, { groups: [1] }, { groups: ["a"], extra: true }]) {
			const res = await t.app.inject({ method: "PUT", url: `/api/v1/admin/accounts/${accountId}/groups`, headers: admin(), payload });
			expect(res.statusCode).toBe(400);
			expect(res.json().code).toBe("ERR_INVALID_REQUEST");
		}
		expect((await t.store.accounts.findAccountById(accountId))?.groups).toEqual(["ops"]);
	});

	it("an unknown account is 404 ERR_NOT_FOUND", async () => {
		await withAdmin();
		const res = await groupsOf("no-such-account", ["ops"]);
		expect(res.statusCode).toBe(404);
		expect(res.json().code).toBe("ERR_NOT_FOUND");
	});

	it("without the admin key: 401 and nothing changes; with no key configured: 404", async () => {
		await withAdmin();
		const { accountId } = await createWithLink("nokey-groups@example.com");
		for (const headers of [{}, admin("wrong-key"), { authorization: ADMIN_KEY }]) {
			const res = await groupsOf(accountId, ["admins"], headers);
			expect(res.statusCode).toBe(401);
			expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
		}
		expect((await t.store.accounts.findAccountById(accountId))?.groups).toEqual([]);
		await t.app.close();
		await t.deadbolt.close();
		t = await createTestApp();
		const off = await groupsOf(accountId, ["admins"]);
		expect(off.statusCode).toBe(404);
		expect(off.json().code).toBe("ERR_NOT_FOUND");
	});
});

describe("POST /api/v1/login/link", () => {
	it("an API client gets a session token once; the account has no password; the first password is set in setup step 1", async () => {
		await withAdmin();
		const { token } = await createWithLink("api@example.com");
		const first = await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token } });
		expect(first.statusCode).toBe(200);
		expect(first.json().status).toBe("authenticated");
		const session = first.json().session.token as string;
		const again = await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token } });
		expect(again.statusCode).toBe(401);
		expect(again.json().code).toBe("ERR_SIGN_IN_LINK_INVALID");
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) });
		expect(me.json().account).toMatchObject({ email: "api@example.com", hasPassword: false, twoFactorEnabled: false });
		// Step 1 with the wrong field, then a weak password: clear 400s, nothing written.
		const wrongField = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(session), payload: { password: "whatever password" } });
		expect(wrongField.statusCode).toBe(400);
		expect(wrongField.json().violations[0].field).toBe("newPassword");
		const weak = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(session), payload: { newPassword: "password" } });
		expect(weak.statusCode).toBe(400);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) })).json().account.hasPassword).toBe(false);
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(session), payload: { newPassword: FIRST_PASSWORD } });
		expect(begin.statusCode).toBe(201);
		// Setting the first password rotated the session: same id, new token, the link's token is dead.
		const afterStepOne = begin.json().session as { id: string; token: string };
		expect(afterStepOne.id).toBe(session.split(".")[0]);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(afterStepOne.token) })).json().account.hasPassword).toBe(true);
		const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(afterStepOne.token), payload: { code: generateTOTP(decodeBase32(begin.json().secret), t.clock.now()) } });
		expect(confirm.statusCode).toBe(200);
		expect(confirm.json().recoveryCodes).toHaveLength(10);
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: FIRST_PASSWORD } });
		expect(login.json().status).toBe("two_factor_required");
	});

	it("with 2FA on, the link leads to the code step: a challenge, and no session", async () => {
		await withAdmin();
		const { token } = await createWithLink("tfa@example.com");
		const session = (await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token } })).json().session.token as string;
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(session), payload: { newPassword: FIRST_PASSWORD } });
		const confirmed = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(begin.json().session.token), payload: { code: generateTOTP(decodeBase32(begin.json().secret), t.clock.now()) } });
		expect(confirmed.statusCode).toBe(200);
		const link = (await t.app.inject({ method: "POST", url: "/api/v1/admin/sign-in-links", headers: admin(), payload: { email: "tfa@example.com" } })).json().token as string;
		const res = await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token: link } });
		expect(res.statusCode).toBe(200);
		expect(res.json()).toEqual({ status: "two_factor_required", challenge: { challengeToken: expect.any(String), methods: ["totp", "recovery_code"], expiresAt: expect.any(String) } });
		expect(res.json().session).toBeUndefined();
	});

	it("PUT /api/v1/password sets the first password without currentPassword; afterwards currentPassword is required", async () => {
		await withAdmin();
		const { token } = await createWithLink("pw@example.com");
		const session = (await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token } })).json().session.token as string;
		const withCurrent = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(session), payload: { currentPassword: "made up", newPassword: FIRST_PASSWORD } });
		expect(withCurrent.statusCode).toBe(400);
		expect(withCurrent.json().violations[0]).toMatchObject({ field: "currentPassword", rule: "not_allowed" });
		const set = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(session), payload: { newPassword: FIRST_PASSWORD } });
		expect(set.statusCode).toBe(200);
		// The first password rotated the session's token.
		const rotated = set.json().session.token as string;
		expect(set.json().session.id).toBe(session.split(".")[0]);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) })).statusCode).toBe(401);
		const again = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(rotated), payload: { newPassword: "another new passphrase" } });
		expect(again.statusCode).toBe(400);
		expect(again.json().violations[0].field).toBe("currentPassword");
		expect((await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "pw@example.com", password: FIRST_PASSWORD } })).json().status).toBe("authenticated");
	});
});

describe("dashboard sign-in link", () => {
	it("the page asks before it uses the link (GET spends nothing); the POST signs in once and lands on Security", async () => {
		await withAdmin();
		const { token } = await createWithLink("dash@example.com");
		const page = await t.app.inject({ method: "GET", url: `/dashboard/sign-in-link?token=${encodeURIComponent(token)}` });
		expect(page.statusCode).toBe(200);
		expect(page.body).toContain("dash@example.com");
		expect(page.body).toContain('id="continue-sign-in"');
		expect((await t.app.inject({ method: "GET", url: `/dashboard/sign-in-link?token=${encodeURIComponent(token)}` })).statusCode).toBe(200);
		const jar = cookieJar(page);
		const post = await t.app.inject({
			method: "POST",
			url: "/dashboard/sign-in-link",
			headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) },
			payload: { token, csrf: jar["deadbolt_csrf"] ?? "" },
		});
		expect(post.statusCode).toBe(303);
		expect(post.headers.location).toBe("/dashboard/settings/security/password?done=signed-in-with-link");
		cookieJar(post, jar);
		const security = await t.app.inject({ method: "GET", url: "/dashboard/settings/security/password", headers: { cookie: cookieHeader(jar) } });
		expect(security.body).toContain('id="no-password"');
		const used = await t.app.inject({ method: "GET", url: `/dashboard/sign-in-link?token=${encodeURIComponent(token)}` });
		expect(used.statusCode).toBe(401);
		expect(used.body).toContain("expired or was already used");
		expect(used.body).not.toContain(token);
	});

	it("request logs never carry the query string (a link's token)", () => {
		expect(serializeRequest({ method: "GET", url: "/dashboard/sign-in-link?token=abc.def", host: "h", ip: "1.2.3.4" })).toEqual({ method: "GET", url: "/dashboard/sign-in-link?[redacted]", host: "h", remoteAddress: "1.2.3.4" });
		expect(serializeRequest({ method: "GET", url: "/dashboard" }).url).toBe("/dashboard");
		// Mangled links still carry a token: anything token-shaped goes, wherever it stands.
		const token = "qB5CiRK76p2N5rg5.yD1UxYbknWJLzEGT8ey9qQxs3JZAoDWuA7Z78RNVs78";
		for (const url of [`/dashboard/sign-in-link%3Ftoken=${token}`, `/dashboard/sign-in-link%253Ftoken=${token}`, `/dashboard/sign-in-link/${token}`, `/dashboard/sign-in-link;token=${token}`, `/x&token=${token.replace(".", "%2E")}`]) {
			expect(serializeRequest({ method: "GET", url }).url, url).not.toContain(token.slice(17));
		}
	});
});
