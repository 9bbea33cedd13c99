/**
 * Attacks on the mailed confirmation of a second factor (issue 12, "Also": a first 2FA enrollment
 * reached from a `two_factor` rule needs a link mailed to the verified address; a stolen password
 * alone must not enroll its own authenticator). The attacker knows the password of an account
 * without 2FA whose address is verified, and does not read its mailbox.
 */
import { describe, expect, test } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { ReauthenticationRequired } from "../../src/errors.js";
import { PASSWORD, confirmSecondFactorByMail, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";
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
			{ domains: ["admin.example.test"], policy: "two_factor" },
		],
	},
};
const ADMIN = "http://admin.example.test/panel";
const at = (host: string) => ({ host, pathAndQuery: "/", method: "GET", clientAddress: "198.51.100.7" });

describe("attacks on the second factor confirmed by mail", () => {
	let t: TestApp;
	appPerTest((app) => (t = app), { overrides: OVERRIDES });

	const { page, post } = formBrowser(() => t, ORIGIN);

	async function decide(sessionToken: string, host: string) {
		return t.deadbolt.decideAccess(at(host), { kind: "forward_auth_cookie", token: t.deadbolt.forwardAuthToken(sessionToken) ?? "" });
	}

	// FINDING (high, fixed): with the password alone, the attacker moved the account to an address
	// they read (a change of address needed only "Confirm it's you", the password without 2FA), then
	// enrolled an authenticator and confirmed it by mail at their own address. Now an account whose
	// second factor is not confirmed by mail has the change approved from the CURRENT address first
	// (service/email-change.ts): the owner's mailbox takes part, and the rule stays closed.
	test("a stolen password alone: changing the address to the attacker's needs the owner's mailbox, before or after enrolling; the two_factor rule stays closed", async () => {
		const owner = await signUp(t);
		await t.store.accounts.markEmailVerified(owner.account.id, t.clock.now());
		// The attacker signs in with the password (no 2FA: AAL1, fresh).
		const login = await t.deadbolt.beginLogin({ email: owner.email, password: PASSWORD });
		if (login.kind !== "session") throw new Error("expected a session");
		let auth = await t.deadbolt.validateSession(login.session.token);
		const attackerMail = "thief@evil.test";
		expect(await t.deadbolt.requestEmailChange(auth, { newEmail: attackerMail })).toBe("approval_sent");
		expect(await mailsTo(t.store, attackerMail, "email.change_confirm")).toHaveLength(0);
		expect(await mailsTo(t.store, owner.email, "email.change_approve")).toHaveLength(1);
		auth = await t.deadbolt.validateSession(login.session.token);
		expect(auth.account.email).toBe(owner.email);
		// Enrolls their own authenticator with the password.
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		const rotated = await t.deadbolt.validateSession(pending.sessionToken ?? login.session.token);
		const confirmed = await t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) });
		const aal2 = await t.deadbolt.validateSession(confirmed.sessionToken);
		// "Confirm it's you" now takes the attacker's own code: still not enough to move the address.
		t.clock.advance(1);
		expect(await t.deadbolt.requestEmailChange(aal2, { newEmail: attackerMail })).toBe("approval_sent");
		expect(await mailsTo(t.store, attackerMail, "email.change_confirm")).toHaveLength(0);
		// The confirmation link goes to the owner's address only.
		expect(await t.deadbolt.requestTwoFactorMailConfirmation(aal2)).toBe("sent");
		expect(await mailsTo(t.store, attackerMail, "two_factor.confirm")).toHaveLength(0);
		expect(await mailsTo(t.store, owner.email, "two_factor.confirm")).toHaveLength(1);
		expect((await decide(confirmed.sessionToken, "admin.example.test")).kind).toBe("confirm_two_factor");
	});

	test("the link's POST and GET answer 4xx, never 500, to a missing, malformed, repeated or oversized token", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page("/dashboard", jar);
		for (const token of [undefined, "", "x", "a.b", "..", "%00", "é".repeat(5000), ["a", "b"]]) {
			const form = token === undefined ? {} : { token };
			const response = await post("/dashboard/confirm-two-factor", jar, form);
			expect(response.statusCode, JSON.stringify(token)).toBeGreaterThanOrEqual(400);
			expect(response.statusCode, JSON.stringify(token)).toBeLessThan(500);
		}
		for (const query of ["", "?token=", "?token=a&token=b", "?token[]=a", `?token=${"x".repeat(5000)}`]) {
			const response = await page(`/dashboard/confirm-two-factor${query}`, jar);
			expect(response.statusCode, query).toBeGreaterThanOrEqual(400);
			expect(response.statusCode, query).toBeLessThan(500);
		}
		for (const body of [{}, { token: "" }, { token: "x" }, { token: 5 }]) {
			const response = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/mail-confirmation/confirm", headers: { authorization: `Bearer ${user.session.token}` }, payload: body });
			expect(response.statusCode, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
			expect(response.statusCode, JSON.stringify(body)).toBeLessThan(500);
		}
	});

	test("a token mailed for another purpose (address verification, email change) does not confirm, and a confirmation token verifies or changes nothing", async () => {
		const user = await signUpWith2FA(t);
		const auth = await t.deadbolt.validateSession(user.session.token);
		await t.deadbolt.resendVerificationMail(auth);
		const verify = await lastMailedToken(t.store, user.email, "email.verify");
		await expect(t.deadbolt.confirmTwoFactorByMail(auth, { token: verify })).rejects.toThrow("link");
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		await t.deadbolt.requestTwoFactorMailConfirmation(auth);
		const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
		await expect(t.deadbolt.confirmEmailChange({ token })).rejects.toThrow();
		// Still usable for its own purpose afterwards.
		await t.deadbolt.confirmTwoFactorByMail(auth, { token });
		expect((await decide(user.session.token, "admin.example.test")).kind).toBe("allow");
	});

	test("a return cookie set by someone else (an open redirect) is not followed after the confirmation", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page("/dashboard", jar);
		jar["deadbolt_return"] = "https://evil.example/steal";
		const sent = await post("/dashboard/step-up/email-link", jar, {});
		expect(sent.statusCode).toBe(303);
		expect(sent.headers.location).toBe("/dashboard/step-up?sent=1");
		expect(jar["deadbolt_return"] ?? "").not.toContain("evil");
		jar["deadbolt_return"] = "//evil.example/";
		const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
		const confirmed = await post("/dashboard/confirm-two-factor", jar, { token });
		expect(confirmed.statusCode).toBe(303);
		expect(confirmed.headers.location).not.toContain("evil");
	});

	test("the new POSTs refuse a cross-site form and a form without the csrf token", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		const jar: Record<string, string> = { deadbolt_session: user.session.token };
		await page("/dashboard", jar);
		await t.deadbolt.requestTwoFactorMailConfirmation(await t.deadbolt.validateSession(user.session.token));
		const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
		const before = (await mailsTo(t.store, user.email, "two_factor.confirm")).length;
		for (const url of ["/dashboard/step-up/email-link", "/dashboard/confirm-two-factor"]) {
			const foreign = await t.app.inject({ method: "POST", url, headers: { origin: "https://evil.example", cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", token } });
			expect(foreign.statusCode, url).toBe(403);
			const noToken = await t.app.inject({ method: "POST", url, headers: { origin: ORIGIN, cookie: cookieHeader(jar) }, payload: { token } });
			expect(noToken.statusCode, url).toBe(403);
		}
		expect(await mailsTo(t.store, user.email, "two_factor.confirm")).toHaveLength(before);
		expect((await decide(user.session.token, "admin.example.test")).kind).toBe("confirm_two_factor");
	});

	test("the link shown to a visitor who is not signed in does not say which address or account it is for", async () => {
		const user = await signUpWith2FA(t);
		await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
		await t.deadbolt.requestTwoFactorMailConfirmation(await t.deadbolt.validateSession(user.session.token));
		const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
		const visitor = await page(`/dashboard/confirm-two-factor?token=${encodeURIComponent(token)}`, {});
		expect(visitor.statusCode).toBe(403);
		expect(visitor.body).not.toContain(user.email);
	});

	test("2FA off then on again (a new authenticator enrolled with the password alone) needs a new link", async () => {
		const user = await signUpWith2FA(t);
		await confirmSecondFactorByMail(t, user);
		expect((await decide(user.session.token, "admin.example.test")).kind).toBe("allow");
		const auth = await t.deadbolt.validateSession(user.session.token);
		t.clock.advance(30_000);
		await t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: generateTOTP(user.key, t.clock.now()) });
		const again = await t.deadbolt.validateSession(user.session.token);
		t.clock.advance(60_000);
		const pending = await t.deadbolt.beginTOTPEnrollment(again.account, again.session, { password: PASSWORD });
		const rotated = await t.deadbolt.validateSession(pending.sessionToken ?? user.session.token);
		const confirmed = await t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) });
		expect((await decide(confirmed.sessionToken, "admin.example.test")).kind).toBe("confirm_two_factor");
	});

	test("moving to a new phone keeps the confirmation, so it needs both factors: the password on the owner's remembered device is not enough", async () => {
		const owner = await signUpWith2FA(t);
		await confirmSecondFactorByMail(t, owner);
		t.clock.advance(30_000);
		const remembered = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, owner.email), code: generateTOTP(owner.key, t.clock.now()), rememberDevice: true });
		const deviceToken = remembered.trustedDevice?.token;
		if (deviceToken === undefined) throw new Error("expected a remembered device");
		// Later, the attacker at that device, with the password.
		t.clock.advance(3_600_000);
		const login = await t.deadbolt.beginLogin({ email: owner.email, password: PASSWORD, trustedDeviceToken: deviceToken });
		if (login.kind !== "session") throw new Error("expected a remembered-device session");
		const auth = await t.deadbolt.validateSession(login.session.token);
		await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
		await expect(t.deadbolt.reauthenticate(auth, { password: PASSWORD })).rejects.toThrow();
	});
});
