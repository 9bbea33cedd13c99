/**
 * Enforced two-factor authentication over HTTP (issue 14): the grace notice, then after the
 * deadline the JSON API's `two_factor_setup_required`, the mailed link's setup in the dashboard
 * (no session before the code), and the API's setup with the token. A stolen password alone never
 * reaches a session or the setup.
 */
import { describe, expect, test } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { T0 } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";
import { appPerTest, bearer, formBrowser, type TestApp } from "../helpers/http.js";
import { lastMailedToken } from "../helpers/mailed-links.js";

const ORIGIN = "http://auth.example.test";
const DAY_MS = 86_400_000;
const OVERRIDES = { http: { publicUrl: ORIGIN }, twoFactorPolicy: { enforce: "everyone", groups: [], enforcedSince: new Date(T0).toISOString(), gracePeriodDays: 7 } };

describe("enforced two-factor authentication over HTTP", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });
	const { page, post } = formBrowser(() => t, ORIGIN);

	test("during the grace period: the session API and the home page show the deadline", async () => {
		const user = await signUp(t);
		const session = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(user.session.token) });
		expect(session.json().account.twoFactorRequired).toEqual({ deadline: new Date(T0 + 7 * DAY_MS).toISOString() });
		const jar: Record<string, string> = {};
		await page("/dashboard/sign-in", jar);
		expect((await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD })).statusCode).toBe(303);
		const home = await page("/dashboard", jar);
		expect(home.body).toContain('id="two-factor-deadline"');
		expect(home.body).toContain("Set up two-factor authentication by January 8, 2026");
	});

	test("after the deadline: the password alone makes no session in the API or the dashboard; the mailed link sets up 2FA and signs in", async () => {
		const user = await signUp(t);
		t.clock.advance(8 * DAY_MS);
		const api = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: user.email, password: PASSWORD } });
		expect(api.statusCode).toBe(200);
		expect(api.json()).toMatchObject({ status: "two_factor_setup_required", setup: { mailed: true } });
		expect(api.json().setup.setupToken).toBeUndefined();
		expect(api.headers["set-cookie"] ?? []).toEqual([]);
		// A second sign-in mails a new link (the earlier one stops working).
		t.clock.advance(1_000);
		const jar: Record<string, string> = {};
		await page("/dashboard/sign-in", jar);
		const signIn = await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
		expect(signIn.statusCode).toBe(200);
		expect(signIn.body).toContain('id="required-setup-mailed"');
		expect((await page("/dashboard", jar)).statusCode).toBe(302);
		// The link from the mail, in the same browser or another.
		const setupToken = await lastMailedToken(t.store, user.email, "two_factor.setup_required");
		const start = await page(`/dashboard/two-factor/required-setup?token=${encodeURIComponent(setupToken)}`, jar);
		expect(start.statusCode).toBe(200);
		const scan = await post("/dashboard/two-factor/required-setup", jar, { token: setupToken });
		expect(scan.statusCode).toBe(200);
		const secret = /id="secret-key"[^>]*>([A-Z2-7 ]+)</.exec(scan.body)![1]!.replaceAll(" ", "");
		const key = decodeBase32(secret);
		const wrong = await post("/dashboard/two-factor/required-setup/confirm", jar, { token: setupToken, code: "000000" });
		expect(wrong.statusCode).toBe(401);
		// The same key is shown again: the app that scanned it keeps working.
		expect(wrong.body).toContain(secret.match(/.{1,4}/g)!.join(" "));
		expect((await page("/dashboard", jar)).statusCode).toBe(302);
		const done = await post("/dashboard/two-factor/required-setup/confirm", jar, { token: setupToken, code: generateTOTP(key, t.clock.now()) });
		expect(done.statusCode).toBe(200);
		expect(done.body).toContain('id="recovery-sheet"');
		expect((await page("/dashboard", jar)).statusCode).toBe(200);
		// The link works once.
		expect((await post("/dashboard/two-factor/required-setup", jar, { token: setupToken })).statusCode).toBe(401);
	});

	test("the API's setup: a setup token from an operator's sign-in link; a sign-in challenge token is refused as one", async () => {
		const user = await signUp(t);
		t.clock.advance(8 * DAY_MS);
		const link = await t.deadbolt.issueSignInLink(user.email);
		const redeemed = await t.app.inject({ method: "POST", url: "/api/v1/login/link", payload: { token: link.token } });
		expect(redeemed.json()).toMatchObject({ status: "two_factor_setup_required", setup: { mailed: false } });
		const setupToken = redeemed.json().setup.setupToken as string;
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/required-setup", payload: { setupToken } });
		expect(begin.statusCode, begin.body).toBe(201);
		const key = decodeBase32(begin.json().secret);
		const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/required-setup/confirm", payload: { setupToken, code: generateTOTP(key, t.clock.now()) } });
		expect(confirm.statusCode, confirm.body).toBe(200);
		expect(confirm.json()).toMatchObject({ status: "authenticated", session: { aal: 2 } });
		expect(confirm.json().recoveryCodes).toHaveLength(10);
		const bad = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/required-setup", payload: { setupToken: "x.y" } });
		expect(bad.statusCode).toBe(401);
		expect(bad.json().code).toBe("ERR_CHALLENGE_INVALID");
	});

	test("while required, the Security page offers no way to turn 2FA off, and a posted form is refused with 409 (2FA stays on)", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const jar: Record<string, string> = {};
		await page("/dashboard/sign-in", jar);
		await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
		expect((await post("/dashboard/sign-in/code", jar, { code: codeAt(t, user.key) })).statusCode).toBe(303);
		const security = await page("/dashboard/settings/security/two-factor", jar);
		expect(security.body).toContain('id="two-factor-required"');
		expect(security.body).not.toContain('id="turn-off-two-factor"');
		t.clock.advance(30_000);
		const refused = await post("/dashboard/settings/security/two-factor/disable", jar, { password: PASSWORD, code: codeAt(t, user.key) });
		expect(refused.statusCode).toBe(409);
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
	});
});

describe("two-factor authentication required at once (gracePeriodDays 0): sign-up", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: { ...OVERRIDES, twoFactorPolicy: { ...OVERRIDES.twoFactorPolicy, gracePeriodDays: 0 } } });
	const { page, post } = formBrowser(() => t, ORIGIN);

	test("the API's sign-up answers 202 verification_sent with no session or cookie, as a verified sign-up; so does the dashboard's; the link leads to the setup", async () => {
		const api = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "api-at-once@example.com", password: PASSWORD } });
		expect(api.statusCode).toBe(202);
		expect(api.json()).toMatchObject({ status: "verification_sent" });
		expect(api.headers["set-cookie"] ?? []).toEqual([]);
		const finish = await t.app.inject({ method: "POST", url: "/api/v1/sign-up/finish", payload: { token: await lastMailedToken(t.store, "api-at-once@example.com", "sign_up.verify"), password: PASSWORD } });
		expect(finish.statusCode).toBe(202);
		expect(finish.json()).toMatchObject({ status: "two_factor_setup_required", setup: { mailed: false, setupToken: expect.any(String) } });
		expect(finish.headers["set-cookie"] ?? []).toEqual([]);
		const jar: Record<string, string> = {};
		await page("/dashboard/sign-up", jar);
		const signUpPage = await post("/dashboard/sign-up", jar, { email: "page-at-once@example.com", password: PASSWORD });
		expect(signUpPage.statusCode).toBe(303);
		expect(signUpPage.headers["location"]).toContain("sent=1");
		expect(Object.keys(jar).filter((name) => name.endsWith("deadbolt_session"))).toEqual([]);
		const linkToken = await lastMailedToken(t.store, "page-at-once@example.com", "sign_up.verify");
		const finished = await post(`/dashboard/sign-up/finish?token=${encodeURIComponent(linkToken)}`, jar, { token: linkToken, password: PASSWORD });
		expect(finished.statusCode).toBe(200);
		expect(finished.body).toContain("required-setup");
		expect(Object.keys(jar).filter((name) => name.endsWith("deadbolt_session"))).toEqual([]);
	});
});
