/**
 * A new password must differ from the current one (issue 9 item 5), over HTTP: `PUT /password`
 * and `POST /secure-account` answer 400 `ERR_INVALID_REQUEST` with a `same_as_current` violation
 * on `newPassword`; the dashboard's two forms show the message under the new-password field.
 */
import { describe, expect, it } from "vitest";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

const MESSAGE = "Your new password must be different from your current one. Nothing was changed.";

let t: TestApp;
appPerTest((app) => (t = app));

describe("the API", () => {
	for (const [method, url] of [["PUT", "/api/v1/password"], ["POST", "/api/v1/secure-account"]] as const) {
		it(`${method} ${url} with the current password as the new one: 400 same_as_current, and nothing changes`, async () => {
			const token = (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "api@example.com", password: PASSWORD } })).json().session.token as string;
			const other = (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api@example.com", password: PASSWORD } })).json().session.token as string;
			const res = await t.app.inject({ method, url, headers: bearer(token), payload: { currentPassword: PASSWORD, newPassword: PASSWORD } });
			expect(res.statusCode).toBe(400);
			expect(res.json()).toMatchObject({ code: "ERR_INVALID_REQUEST", message: MESSAGE, violations: [{ field: "newPassword", rule: "same_as_current", message: MESSAGE }] });
			expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(other) })).statusCode).toBe(200);
		});
	}
});

describe("the dashboard's forms", () => {
	for (const [url, errorId] of [["/dashboard/settings/security/password", "new-password-error"], ["/dashboard/settings/security/compromised", "compromised-new-password-error"]] as const) {
		it(`${url}: the message is shown under the new password, and nothing changes`, async () => {
			const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "page@example.com", password: PASSWORD } }));
			cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
			const res = await t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", currentPassword: PASSWORD, newPassword: PASSWORD } });
			expect(res.statusCode).toBe(400);
			expect(res.body).toContain(`<p class="field__error" id="${errorId}">${MESSAGE}</p>`);
			expect(res.body).not.toContain('id="account-secured"');
			const account = await t.store.accounts.findAccountByEmail("page@example.com");
			const events = (await t.deadbolt.listSecurityEvents(account!.id)).map((e) => e.type);
			expect(events).not.toContain("password.changed");
			expect(events).not.toContain("account.secured");
		});
	}
});
