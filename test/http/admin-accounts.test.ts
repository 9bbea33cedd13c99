/**
 * The admin API's account routes over HTTP (issue 14 item 1: `http/routes/admin-accounts.ts`):
 * the key is required (404 without a configured key, 401 with a wrong one), validation answers
 * 400 with a stable code, and each route answers with what the service did; a disabled account is
 * told so at sign-in only after the right password.
 */
import { describe, expect, test } from "vitest";
import { PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";
import { appPerTest, bearer, createTestApp, formBrowser, type TestApp } from "../helpers/http.js";

const ADMIN_KEY = "admin-api-key-0123456789-abcdefghijklmnopqrst";
const admin = bearer(ADMIN_KEY);

describe("admin API: accounts", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: { keys: { adminApiKey: ADMIN_KEY } } });

	test("without a configured key every account route is 404; with a wrong or no key 401", async () => {
		const off = await createTestApp();
		try {
			for (const [method, url] of [["GET", "/api/v1/admin/accounts"], ["GET", "/api/v1/admin/accounts/AAAAAAAAAAAAAAAA"], ["POST", "/api/v1/admin/accounts/AAAAAAAAAAAAAAAA/disable"], ["DELETE", "/api/v1/admin/accounts/AAAAAAAAAAAAAAAA"]] as const) {
				expect((await off.app.inject({ method, url, headers: admin, ...(method === "DELETE" ? { payload: { reason: "x" } } : {}) })).statusCode, url).toBe(404);
			}
		} finally {
			await off.deadbolt.close();
		}
		expect((await t.app.inject({ method: "GET", url: "/api/v1/admin/accounts" })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/admin/accounts", headers: bearer("wrong-key-0123456789-abcdefghijklmnopqrst") })).statusCode).toBe(401);
	});

	test("lists with search and filters, pages with the cursor; bad parameters answer 400 with a stable code", async () => {
		const a = await signUp(t, "list-a@example.com");
		const b = await signUpWith2FA(t, "list-b@example.com");
		const first = await t.app.inject({ method: "GET", url: "/api/v1/admin/accounts?search=LIST-&limit=1", headers: admin });
		expect(first.statusCode).toBe(200);
		const page1 = first.json() as { accounts: { id: string; email: string; twoFactorEnabled: boolean; createdAt: string }[]; nextCursor: string };
		expect(page1.accounts.map((x) => x.email)).toEqual([a.email]);
		expect(page1.accounts[0]!.createdAt).toBe(new Date(t.clock.now()).toISOString());
		const page2 = (await t.app.inject({ method: "GET", url: `/api/v1/admin/accounts?search=list-&limit=1&cursor=${page1.nextCursor}`, headers: admin })).json() as typeof page1;
		expect(page2.accounts.map((x) => x.email)).toEqual([b.email]);
		expect(page2.nextCursor).toBeNull();
		const on = (await t.app.inject({ method: "GET", url: "/api/v1/admin/accounts?twoFactor=true&disabled=false", headers: admin })).json() as typeof page1;
		expect(on.accounts.map((x) => x.email)).toEqual([b.email]);
		for (const query of ["limit=0", "limit=501", "limit=x", "twoFactor=yes", "cursor=%20bad", "group=no%20spaces", "unknown=1"]) {
			const response = await t.app.inject({ method: "GET", url: `/api/v1/admin/accounts?${query}`, headers: admin });
			expect(response.statusCode, query).toBe(400);
			expect(["ERR_INVALID_REQUEST", "FST_ERR_VALIDATION", "ERR_GROUP_NAME_INVALID"], query).toContain((response.json() as { code: string }).code);
		}
	});

	test("a list filter outside its values answers 400 naming the allowed values (true, false), once per field", async () => {
		for (const [query, field] of [["twoFactor=off", "twoFactor"], ["locked=no", "locked"], ["disabled=1", "disabled"]] as const) {
			const response = await t.app.inject({ method: "GET", url: `/api/v1/admin/accounts?${query}`, headers: admin });
			expect(response.statusCode, query).toBe(400);
			const body = response.json() as { code: string; message: string; violations: unknown[] };
			expect(body.code).toBe("ERR_INVALID_REQUEST");
			expect(body.message).toBe(`Invalid request: querystring/${field} must be one of: true, false`);
			expect(body.violations).toEqual([{ field, rule: "enum", message: `${field} must be one of: true, false.` }]);
		}
	});

	test("shows one account (never a token's value); 404 for an unknown id", async () => {
		const user = await signUp(t, "show@example.com");
		const response = await t.app.inject({ method: "GET", url: `/api/v1/admin/accounts/${user.account.id}`, headers: admin });
		expect(response.statusCode).toBe(200);
		const body = response.json() as { account: { email: string }; sessions: unknown[] };
		expect(body.account.email).toBe(user.email);
		expect(body.sessions).toHaveLength(1);
		expect(response.body).not.toContain(user.session.token.split(".")[1]!);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/admin/accounts/AAAAAAAAAAAAAAAA", headers: admin })).statusCode).toBe(404);
	});

	test("disable: the session ends at once, sign-in with the right password answers 403 ERR_ACCOUNT_DISABLED, a wrong one 401 as ever; enable lets it in", async () => {
		const user = await signUp(t, "disable@example.com");
		const url = `/api/v1/admin/accounts/${user.account.id}`;
		expect((await t.app.inject({ method: "POST", url: `${url}/disable`, headers: admin, payload: { reason: "x".repeat(501) } })).statusCode).toBe(400);
		expect((await t.app.inject({ method: "POST", url: `${url}/disable`, headers: admin, payload: { reason: "ticket 1", extra: true } })).statusCode).toBe(400);
		const disabled = await t.app.inject({ method: "POST", url: `${url}/disable`, headers: admin, payload: { reason: "ticket 1" } });
		expect(disabled.statusCode).toBe(200);
		expect(disabled.json()).toEqual({ accountId: user.account.id, email: user.email, changed: true, sessionsRevoked: 1, trustedDevicesRevoked: 0, accessTokensRevoked: 0 });
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(user.session.token) })).statusCode).toBe(401);
		const right = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: user.email, password: PASSWORD } });
		expect(right.statusCode).toBe(403);
		expect(right.json()).toMatchObject({ code: "ERR_ACCOUNT_DISABLED" });
		const wrong = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: user.email, password: "a wrong password entirely" } });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.json()).toMatchObject({ code: "ERR_INVALID_CREDENTIALS" });
		expect((await t.app.inject({ method: "POST", url: `${url}/disable`, headers: admin })).json()).toMatchObject({ changed: false });
		expect((await t.app.inject({ method: "POST", url: `${url}/enable`, headers: admin })).json()).toEqual({ accountId: user.account.id, email: user.email, changed: true });
		expect((await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: user.email, password: PASSWORD } })).statusCode).toBe(200);
		const events = await t.deadbolt.listSecurityEvents(user.account.id);
		expect(events.find((e) => e.type === "account.disabled")?.details).toMatchObject({ by: "operator", via: "admin_api", reason: "ticket 1" });
	});

	test("the dashboard's sign-in tells a disabled account so after the right password, and only then", async () => {
		const { page, post } = formBrowser(() => t, "http://localhost:80");
		const user = await signUp(t, "dashboard@example.com");
		await t.deadbolt.disableAccount({ accountId: user.account.id }, { via: "admin_api" });
		const jar: Record<string, string> = {};
		await page("/dashboard/sign-in", jar);
		const right = await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
		expect(right.statusCode).toBe(403);
		expect(right.body).toContain("This account is disabled. Contact the site&#39;s support");
		const wrong = await post("/dashboard/sign-in", jar, { email: user.email, password: "a wrong password entirely" });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.body).not.toContain("disabled");
	});

	test("unlock, reset 2FA (reason required) and delete (reason required)", async () => {
		const user = await signUpWith2FA(t, "reset@example.com");
		const url = `/api/v1/admin/accounts/${user.account.id}`;
		// No body, no reason or a blank one: 400 with one stable code and a clear message naming the field (never "body must be object").
		for (const payload of [undefined, null, {}, { reason: "" }, { reason: "  " }]) {
			for (const target of [{ method: "DELETE", url }, { method: "POST", url: `${url}/two-factor/reset` }] as const) {
				const refused = await t.app.inject({ ...target, headers: { ...admin, ...(payload === null ? { "content-type": "application/json" } : {}) }, ...(payload === undefined ? {} : { payload: payload === null ? "null" : payload }) });
				expect(refused.statusCode, `${target.method} ${JSON.stringify(payload)}`).toBe(400);
				expect(refused.json()).toEqual({ statusCode: 400, code: "ERR_INVALID_REQUEST", error: "Bad Request", message: "Give the reason (it is kept in the audit trail).", violations: [{ field: "reason", rule: "required", message: "Say why, e.g. the support ticket." }] });
			}
		}
		expect(await t.store.accounts.findAccountById(user.account.id)).not.toBeNull();
		expect((await t.app.inject({ method: "POST", url: `${url}/unlock`, headers: admin })).json()).toEqual({ accountId: user.account.id, email: user.email });
		expect((await t.app.inject({ method: "POST", url: `${url}/two-factor/reset`, headers: admin, payload: {} })).statusCode).toBe(400);
		expect((await t.app.inject({ method: "POST", url: `${url}/two-factor/reset`, headers: admin, payload: { reason: "   " } })).json()).toMatchObject({ code: "ERR_INVALID_REQUEST" });
		const reset = await t.app.inject({ method: "POST", url: `${url}/two-factor/reset`, headers: admin, payload: { reason: "lost phone, ticket 3" } });
		expect(reset.statusCode).toBe(200);
		expect(reset.json()).toMatchObject({ sessionsRevoked: 1 });
		const again = await t.app.inject({ method: "POST", url: `${url}/two-factor/reset`, headers: admin, payload: { reason: "again" } });
		expect(again.statusCode).toBe(409);
		expect(again.json()).toMatchObject({ code: "ERR_TOTP_NOT_ENABLED" });
		const deleted = await t.app.inject({ method: "DELETE", url, headers: admin, payload: { reason: "asked by the owner" } });
		expect(deleted.statusCode).toBe(200);
		expect((await t.app.inject({ method: "GET", url, headers: admin })).statusCode).toBe(404);
		expect((await t.app.inject({ method: "DELETE", url, headers: admin, payload: { reason: "again" } })).statusCode).toBe(404);
	});
});
