/**
 * The way back to an app behind the forward-auth proxy (issue 12), through the dashboard's forms:
 * `rd` is followed only to hosts of rules that are not deny (no open redirect), after the password,
 * after the code, after a step-up; the sign-out link asks first and returns to the app.
 */
import { describe, expect, test } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD, codeAt, confirmSecondFactorByMail, signUp, signUpWith2FA } from "../helpers/flows.js";
import { appPerTest, cookieHeader, cookieJar, formBrowser, type TestApp } from "../helpers/http.js";
import { lastMailedToken, mailsTo } from "../helpers/mailed-links.js";

const ORIGIN = "http://auth.example.test";
const OVERRIDES = {
	http: { publicUrl: ORIGIN, trustedProxies: ["127.0.0.1"] },
	session: { cookieDomain: "example.test" },
	accessControl: {
		defaultPolicy: "deny",
		rules: [
			{ domains: ["app.example.test"], policy: "one_factor" },
			{ domains: ["admin.example.test"], policy: "two_factor", maxSecondFactorAgeSeconds: 300 },
			{ domains: ["closed.example.test"], policy: "deny" },
			{ domains: ["elsewhere.test"], policy: "one_factor" },
		],
	},
};

const APP = "http://app.example.test/page?x=1";
const ADMIN = "http://admin.example.test/panel";

describe("returning to the app after signing in", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });

	const { page, post } = formBrowser(() => t, ORIGIN);

	async function enrolledUser() {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		await confirmSecondFactorByMail(t, user);
		return user;
	}

	test("password and code, then back on the app with a forward-auth cookie that the authz endpoint accepts", async () => {
		const user = await enrolledUser();
		const jar: Record<string, string> = {};
		const signInPage = await page(`/dashboard/sign-in?rd=${encodeURIComponent(APP)}`, jar);
		expect(signInPage.statusCode).toBe(200);
		// Browsers hold the redirect after a form to form-action: the apps of the rules that are not deny are listed, nothing else.
		expect(signInPage.headers["content-security-policy"]).toContain("form-action 'self' http://app.example.test:* http://admin.example.test:* http://elsewhere.test:*;");
		expect(jar["deadbolt_return"]).toBe(APP);
		const password = await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
		expect(password.headers.location).toBe("/dashboard/sign-in/code");
		const code = await post("/dashboard/sign-in/code", jar, { code: codeAt(t, user.key, 1) });
		expect(code.statusCode).toBe(303);
		expect(code.headers.location).toBe(APP);
		expect(jar["deadbolt_return"] ?? "").toBe("");
		const check = await t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": ADMIN, cookie: `deadbolt_forward_auth=${jar["deadbolt_forward_auth"]}` } });
		expect(check.statusCode).toBe(200);
		expect(check.headers["remote-email"]).toBe(user.email);
	});

	test("rd is refused unless a rule that is not deny covers its host with the public URL's scheme and no user info: the user lands on the dashboard", async () => {
		const user = await enrolledUser();
		for (const rd of ["https://evil.example/", "http://closed.example.test/", "https://app.example.test/", "http://user:pw@app.example.test/", "http://elsewhere.test/", "//evil.example/", "javascript:alert(1)", "/dashboard/x"]) {
			const jar: Record<string, string> = {};
			await page(`/dashboard/sign-in?rd=${encodeURIComponent(rd)}`, jar);
			expect(jar["deadbolt_return"] ?? "").toBe("");
			await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
			t.clock.advance(30_000);
			const code = await post("/dashboard/sign-in/code", jar, { code: codeAt(t, user.key) });
			expect(code.headers.location, rd).toMatch(/^\/dashboard(\?|$)/);
		}
		// A return cookie written by hand is checked again.
		const jar: Record<string, string> = { deadbolt_return: "https://evil.example/" };
		await page("/dashboard/sign-in", jar);
		await post("/dashboard/sign-in", jar, { email: user.email, password: PASSWORD });
		t.clock.advance(30_000);
		expect((await post("/dashboard/sign-in/code", jar, { code: codeAt(t, user.key) })).headers.location).toMatch(/^\/dashboard(\?|$)/);
	});

	test("signed in already: the sign-in page with rd renews the forward-auth cookie and goes straight back", async () => {
		const user = await enrolledUser();
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		const response = await page(`/dashboard/sign-in?rd=${encodeURIComponent(APP)}`, jar);
		expect(response.statusCode).toBe(302);
		expect(response.headers.location).toBe(APP);
		expect(jar["deadbolt_forward_auth"]).toBe(t.deadbolt.forwardAuthToken(user.session.token));
	});

	test("step-up: the password and a fresh code, then back; the app then lets the request through", async () => {
		const user = await enrolledUser();
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page(`/dashboard/sign-in?rd=${encodeURIComponent(ADMIN)}`, jar);
		const ask = () => t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": ADMIN, accept: "text/html", cookie: `deadbolt_forward_auth=${jar["deadbolt_forward_auth"]}` } });
		expect((await ask()).statusCode).toBe(200);
		t.clock.advance(301_000);
		const stale = await ask();
		expect(stale.statusCode).toBe(401);
		expect(stale.headers.location).toBe(`${ORIGIN}/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`);
		const stepUp = await page(`/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`, jar);
		expect(stepUp.statusCode).toBe(200);
		expect(stepUp.body).toContain("admin.example.test");
		expect((await post("/dashboard/step-up", jar, { password: PASSWORD, code: "000000" })).statusCode).toBe(401);
		expect((await ask()).statusCode).toBe(401);
		const done = await post("/dashboard/step-up", jar, { password: PASSWORD, code: codeAt(t, user.key) });
		expect(done.statusCode).toBe(303);
		expect(done.headers.location).toBe(ADMIN);
		expect((await ask()).statusCode).toBe(200);
	});

	test("an authenticator not confirmed by mail: the step-up page offers \"Email me the link\", the link (used in this browser) confirms it and returns to the app", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page(`/dashboard/sign-in?rd=${encodeURIComponent(ADMIN)}`, jar);
		const ask = () => t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": ADMIN, accept: "text/html", cookie: `deadbolt_forward_auth=${jar["deadbolt_forward_auth"]}` } });
		const refused = await ask();
		expect(refused.statusCode).toBe(401);
		expect(refused.headers.location).toBe(`${ORIGIN}/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`);
		const offer = await page(`/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`, jar);
		expect(offer.statusCode).toBe(200);
		expect(offer.body).toContain("Email me the link");
		expect(offer.body).toContain("admin.example.test");
		const sent = await post("/dashboard/step-up/email-link", jar, {});
		// Post/redirect/get: a reload of "Check your email" sends nothing again.
		expect(sent.statusCode).toBe(303);
		expect(sent.headers.location).toBe("/dashboard/step-up?sent=1");
		const check = await page("/dashboard/step-up?sent=1", jar);
		expect(check.body).toContain("Check your email");
		await page("/dashboard/step-up?sent=1", jar);
		expect(await mailsTo(t.store, user.email, "two_factor.confirm")).toHaveLength(1);
		expect(jar["deadbolt_return"]).toBe(ADMIN);
		const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
		const link = `/dashboard/confirm-two-factor?token=${encodeURIComponent(token)}`;
		// Opened in another browser (signed out), or signed in to another account: nothing is used, the page says why.
		const elsewhere = await page(link, {});
		expect(elsewhere.statusCode).toBe(403);
		expect(elsewhere.body).toContain("Open this link in the browser where you signed in");
		const other = await signUpWith2FA(t);
		const otherJar: Record<string, string> = { deadbolt_session: other.session.token };
		await page("/dashboard", otherJar);
		expect((await page(link, otherJar)).statusCode).toBe(403);
		expect((await post("/dashboard/confirm-two-factor", otherJar, { token })).statusCode).toBe(403);
		expect((await ask()).statusCode).toBe(401);
		// In this browser: a button (the GET uses nothing), then the POST confirms and returns to the app.
		const confirmPage = await page(link, jar);
		expect(confirmPage.statusCode).toBe(200);
		expect(confirmPage.body).toContain("Confirm my authenticator app");
		expect((await ask()).statusCode).toBe(401);
		const confirmed = await post("/dashboard/confirm-two-factor", jar, { token });
		expect(confirmed.statusCode).toBe(303);
		expect(confirmed.headers.location).toBe(ADMIN);
		expect((await ask()).statusCode).toBe(200);
		// Used once.
		expect((await page(link, jar)).statusCode).toBe(401);
	});

	test("2FA set up from the step-up page (an account without it at a two_factor app): step 4's Finish returns to the app, which then asks for the confirmation by email", async () => {
		const user = await signUp(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page(`/dashboard/sign-in?rd=${encodeURIComponent(ADMIN)}`, jar);
		const needed = await page(`/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`, jar);
		expect(needed.body).toContain("Set up two-factor authentication");
		expect(jar["deadbolt_return"]).toBe(ADMIN);
		const stepOne = await post("/dashboard/settings/security/two-factor/setup", jar, { password: PASSWORD });
		expect(stepOne.statusCode).toBe(200);
		const secret = /data-copy-value="([A-Z2-7]+)"/.exec(stepOne.body)![1]!;
		const done = await post("/dashboard/settings/security/two-factor/confirm", jar, { flow: "setup", code: generateTOTP(decodeBase32(secret), t.clock.now()) });
		expect(done.statusCode).toBe(200);
		const codes = [...done.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
		const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(done.body)![1]!;
		const hashes = /name="hashes" value="([0-9a-f.]+)"/.exec(done.body)![1]!;
		const finished = await post("/dashboard/settings/security/two-factor/saved", jar, { nonce, hashes, saved: "yes", code: codes[0]! });
		expect(finished.statusCode).toBe(303);
		expect(finished.headers.location).toBe(ADMIN);
		const back = await t.app.inject({ method: "GET", url: "/api/v1/authz/auth-request", headers: { "x-original-url": ADMIN, accept: "text/html", cookie: `deadbolt_forward_auth=${jar["deadbolt_forward_auth"]}` } });
		expect(back.statusCode).toBe(401);
		expect(back.json()).toMatchObject({ code: "ERR_SECOND_FACTOR_REQUIRED" });
		expect((await page(`/dashboard/step-up?rd=${encodeURIComponent(ADMIN)}`, jar)).body).toContain("Email me the link");
	});

	test("the Two-factor page says when apps behind two_factor rules still wait for the confirmation by email, offers the link, and says when it is done", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		const before = await page("/dashboard/settings/security/two-factor", jar);
		expect(before.body).toContain('id="mail-confirmation-needed"');
		expect(before.body).not.toContain('id="mail-confirmed"');
		const sent = await post("/dashboard/step-up/email-link", jar, {});
		expect(sent.headers.location).toBe("/dashboard/step-up?sent=1");
		await post("/dashboard/confirm-two-factor", jar, { token: await lastMailedToken(t.store, user.email, "two_factor.confirm") });
		const after = await page("/dashboard/settings/security/two-factor", jar);
		expect(after.body).not.toContain('id="mail-confirmation-needed"');
		expect(after.body).toContain('id="mail-confirmed"');
	});

	test("the sign-out link asks first (a GET signs no one out), then signs out and returns to the app", async () => {
		const user = await enrolledUser();
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page("/dashboard", jar);
		const confirm = await page(`/dashboard/sign-out?rd=${encodeURIComponent(APP)}`, jar);
		expect(confirm.statusCode).toBe(200);
		expect(confirm.body).toContain("app.example.test");
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: cookieHeader(jar) } })).statusCode).toBe(200);
		const signOut = await post("/dashboard/sign-out", jar, {});
		expect(signOut.headers.location).toBe(APP);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { authorization: `Bearer ${user.session.token}` } })).statusCode).toBe(401);
	});
});
