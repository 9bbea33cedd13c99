/**
 * Issue 9, item 6: each failure says what really happened and what to do next. Seen before: five
 * wrong codes said "Your sign-in expired"; a stale tab, a reload and a cross-site form all said
 * "This form expired or did not come from this site"; reloading the first setup's last step said
 * "Moving to a new phone timed out".
 */
import { describe, expect, it } from "vitest";
import { CHALLENGE_END_MESSAGES } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

/** A browser's cookies after signing up through the API and opening the Security page (form token set). */
async function browserSignedUp(email: string): Promise<Record<string, string>> {
	const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email, password: PASSWORD } }));
	cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
	return jar;
}

/** Posts a dashboard form as the browser with `jar`. */
function post(jar: Record<string, string>, url: string, payload: Record<string, string>, origin: string = BROWSER.origin) {
	return t.app.inject({ method: "POST", url, headers: { origin, cookie: cookieHeader(jar) }, payload });
}

describe("a sign-in attempt that cannot go on says why", () => {
	it("the API: too many wrong codes, expired, ended and security changed each have their own message", async () => {
		const jar = await browserSignedUp("why@example.com");
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: {} });
		const key = decodeBase32(begin.json().secret);
		await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: { code: generateTOTP(key, t.clock.now()) } });
		const challenge = async () => (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "why@example.com", password: PASSWORD } })).json().challenge.challengeToken as string;
		const code = (challengeToken: string, value: string) => t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken, code: value } });

		const spent = await challenge();
		for (let i = 0; i < t.config.loginChallenge.maxAttempts - 1; i++) expect((await code(spent, "000000")).json().code).toBe("ERR_INVALID_CODE");
		// The last try's wrong code says that no other code can work here.
		expect((await code(spent, "000000")).json()).toMatchObject({ code: "ERR_CHALLENGE_INVALID", message: CHALLENGE_END_MESSAGES.too_many_codes });
		t.clock.advance(30_000);
		const account = (await t.store.accounts.findAccountByEmail("why@example.com"))!;
		const failuresBefore = (await t.store.authFailures.findAuthFailure(account.id, "second_factor"))?.failureCount;
		const tooMany = await code(spent, generateTOTP(key, t.clock.now()));
		expect(tooMany.json()).toMatchObject({ code: "ERR_CHALLENGE_INVALID", message: CHALLENGE_END_MESSAGES.too_many_codes });
		// A spent challenge's attempt is not counted against the account again.
		expect((await t.store.authFailures.findAuthFailure(account.id, "second_factor"))?.failureCount).toBe(failuresBefore);

		const late = await challenge();
		t.clock.advance(t.config.loginChallenge.ttlSeconds * 1000 + 1);
		expect((await code(late, generateTOTP(key, t.clock.now()))).json().message).toBe(CHALLENGE_END_MESSAGES.expired);

		const used = await challenge();
		t.clock.advance(30_000);
		expect((await code(used, generateTOTP(key, t.clock.now()))).statusCode).toBe(200);
		expect((await code(used, generateTOTP(key, t.clock.now() + 30_000))).json().message).toBe(CHALLENGE_END_MESSAGES.ended);

		const beforeChange = await challenge();
		await t.store.accounts.updatePasswordHash((await t.store.accounts.findAccountByEmail("why@example.com"))!.id, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000", t.clock.now() + 1);
		t.clock.advance(30_000);
		expect((await code(beforeChange, generateTOTP(key, t.clock.now()))).json().message).toBe(CHALLENGE_END_MESSAGES.security_changed);
	});

	it("the dashboard: five wrong codes lead back to the password step with that reason, not 'expired' (never taken from the URL)", async () => {
		const jar = await browserSignedUp("dash-why@example.com");
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: {} });
		await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: { code: generateTOTP(decodeBase32(begin.json().secret), t.clock.now()) } });
		const browser: Record<string, string> = {};
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/sign-in" }), browser);
		cookieJar(await post(browser, "/dashboard/sign-in", { csrf: browser["deadbolt_csrf"]!, email: "dash-why@example.com", password: PASSWORD }), browser);
		let last;
		for (let i = 0; i < t.config.loginChallenge.maxAttempts; i++) last = await post(browser, "/dashboard/sign-in/code", { csrf: browser["deadbolt_csrf"]!, code: "000000" });
		expect(last!.statusCode).toBe(401);
		expect(last!.body).toContain('id="sign-in-ended"');
		expect(last!.body).toContain("Too many wrong codes for this sign-in attempt.");
		expect(last!.body).not.toContain("expired");
		// A link cannot make the sign-in page show such a message (phishing).
		for (const notice of ["too_many_codes", "security_changed", "expired"]) {
			expect((await t.app.inject({ method: "GET", url: `/dashboard/sign-in?notice=${notice}` })).body).not.toContain('id="sign-in-ended"');
		}
	});
});

describe("a refused dashboard form says which case it was", () => {
	it("a form sent again after its token was renewed (a reload of a page shown once, a stale tab)", async () => {
		const jar = await browserSignedUp("stale@example.com");
		const staleToken = jar["deadbolt_csrf"]!;
		// Signing out and in renews the form token: the old tab's form is out of date.
		cookieJar(await post(jar, "/dashboard/sign-in", { csrf: staleToken, email: "stale@example.com", password: PASSWORD }), jar);
		const refused = await post(jar, "/dashboard/settings/security/recovery-codes", { csrf: staleToken });
		expect(refused.statusCode).toBe(403);
		expect(refused.body).toContain("This form was already sent or is out of date");
		expect(refused.body).toContain('href="/dashboard/settings/security/two-factor"');
	});

	it("a form with no form-token cookie", async () => {
		const jar = await browserSignedUp("nocookie@example.com");
		const token = jar["deadbolt_csrf"]!;
		delete jar["deadbolt_csrf"];
		const refused = await post(jar, "/dashboard/settings/security/recovery-codes", { csrf: token });
		expect(refused.statusCode).toBe(403);
		expect(refused.body).toContain("Your browser did not send this site");
	});

	it("a form from another site, even with the right token", async () => {
		const jar = await browserSignedUp("foreign@example.com");
		const refused = await post(jar, "/dashboard/sign-out", { csrf: jar["deadbolt_csrf"]! }, "https://evil.example");
		expect(refused.statusCode).toBe(403);
		expect(refused.body).toContain("This form came from another site");
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: cookieHeader(jar) } })).statusCode).toBe(200);
	});
});

describe("reloading the first setup's last step", () => {
	it("says two-factor authentication is already on (with the way to new recovery codes), not that a move to a new phone timed out", async () => {
		const jar = await browserSignedUp("reload-setup@example.com");
		const stepOne = await post(jar, "/dashboard/settings/security/two-factor/setup", { csrf: jar["deadbolt_csrf"]!, password: PASSWORD });
		expect(stepOne.statusCode).toBe(200);
		cookieJar(stepOne, jar);
		const secret = /data-copy-value="([A-Z2-7]+)"/.exec(stepOne.body)![1]!;
		expect(stepOne.body).toContain('name="flow" value="setup"');
		const form = { csrf: jar["deadbolt_csrf"]!, flow: "setup", code: generateTOTP(decodeBase32(secret), t.clock.now()) };
		const done = await post(jar, "/dashboard/settings/security/two-factor/confirm", form);
		expect(done.statusCode).toBe(200);
		cookieJar(done, jar);
		// The reload: the browser sends the same form again.
		const reload = await post(jar, "/dashboard/settings/security/two-factor/confirm", form);
		expect(reload.statusCode).toBe(303);
		expect(reload.headers.location).toBe("/dashboard/settings/security/two-factor?done=already-on");
		const page = await t.app.inject({ method: "GET", url: reload.headers.location as string, headers: { cookie: cookieHeader(jar) } });
		expect(page.body).toContain("Two-factor authentication is already on.");
		expect(page.body).not.toContain("Moving to a new phone timed out");
	});
});
