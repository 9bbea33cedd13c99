/**
 * The dashboard's form token: pages shown once as the answer to a POST (new recovery codes, "my
 * account is compromised") get a new one, so reloading them (the browser re-sends the old form) is
 * a refused form, not a second set of codes that silently voids the first; a sign-in replaces it
 * (and the session it replaces ends); "Confirm it's you" runs only allow-listed actions.
 */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));


describe("dashboard pages shown once", () => {
	it("reloading the new recovery codes is refused and generates nothing", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "reload@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: {} });
		const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: { code: generateTOTP(decodeBase32(begin.json().secret), t.clock.now()) } });
		expect(confirm.statusCode).toBe(200);
		// Turning 2FA on replaced the session cookie.
		cookieJar(confirm, jar);
		expect(jar["deadbolt_session"]).not.toBe(cookieJar(signUp)["deadbolt_session"]);
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		const form = { csrf: jar["deadbolt_csrf"] ?? "", confirmed: "yes" };
		const first = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/recovery-codes", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(first.statusCode).toBe(200);
		expect(first.body).toContain('id="recovery-codes"');
		cookieJar(first, jar);
		expect(jar["deadbolt_csrf"]).not.toBe(form.csrf);
		// The reload: the same form body, with the browser's cookies as they are now.
		const reload = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/recovery-codes", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(reload.statusCode).toBe(403);
		expect(reload.body).not.toContain('id="recovery-codes"');
		const account = await t.store.accounts.findAccountByEmail("reload@example.com");
		const events = await t.deadbolt.listSecurityEvents(account!.id);
		expect(events.filter((e) => e.type === "recovery_codes.regenerated")).toHaveLength(1);
	});

	it("reloading the 'account secured' summary is refused and secures nothing again", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "secured@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		const form = { csrf: jar["deadbolt_csrf"] ?? "", currentPassword: PASSWORD, newPassword: "a brand new passphrase 7" };
		const first = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/compromised", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(first.statusCode).toBe(200);
		expect(first.body).toContain('id="account-secured"');
		const before = jar["deadbolt_session"];
		cookieJar(first, jar);
		expect(jar["deadbolt_csrf"]).not.toBe(form.csrf);
		// Securing the account rotated the session: the cookie is replaced and the old one is refused.
		expect(jar["deadbolt_session"]).not.toBe(before);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: BROWSER, cookies: { deadbolt_session: before! } })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: cookieHeader(jar) } })).statusCode).toBe(200);
		const reload = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/compromised", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(reload.statusCode).toBe(403);
		const account = await t.store.accounts.findAccountByEmail("secured@example.com");
		const events = await t.deadbolt.listSecurityEvents(account!.id);
		expect(events.filter((e) => e.type === "account.secured")).toHaveLength(1);
	});

	it("a dashboard sign-in replaces the form token and ends the session it replaces; 'Confirm it's you' runs only allow-listed actions", async () => {
		const first = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "first@example.com", password: PASSWORD } });
		await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "second@example.com", password: PASSWORD } });
		const jar = cookieJar(first);
		const oldSession = jar["deadbolt_session"];
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/sign-in", headers: { cookie: cookieHeader(jar) } }), jar);
		// Signed in as "first": the security page gives the form token.
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		const oldToken = jar["deadbolt_csrf"] ?? "";
		// An action word that is not on the allow-list does nothing (no re-authentication is tried).
		const foreign = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/confirm", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: oldToken, action: "__proto__", password: "wrong password" } });
		expect(foreign.statusCode).toBe(303);
		const firstAccount = await t.store.accounts.findAccountByEmail("first@example.com");
		expect((await t.store.authFailures.findAuthFailure(firstAccount!.id, "password"))).toBeNull();
		// Signing in as "second" on the same browser.
		const signIn = await t.app.inject({ method: "POST", url: "/dashboard/sign-in", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: oldToken, email: "second@example.com", password: PASSWORD } });
		expect(signIn.statusCode).toBe(303);
		cookieJar(signIn, jar);
		expect(jar["deadbolt_csrf"]).not.toBe(oldToken);
		expect(jar["deadbolt_session"]).not.toBe(oldSession);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { authorization: `Bearer ${oldSession}` } })).statusCode).toBe(401);
	});
});
