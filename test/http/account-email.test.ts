/**
 * Forgot password, email verification, sign-up modes and the change of address over HTTP (JSON API
 * and dashboard), on SQLite and PostgreSQL: no enumeration (same status, body and header names for
 * a known and an unknown address), 429 `ERR_MAIL_LIMIT` per IP, the banner and its resend limit,
 * link pages that a GET does not use up, the code step before the new password, and no session
 * before the second factor.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";
import { cookieHeader, cookieJar, BROWSER, type TestApp } from "../helpers/http.js";
import { lastMailedToken, mailsTo, tokenOf } from "../helpers/mailed-links.js";

const NEW_PASSWORD = "a brand new passphrase";
let counter = 0;
const freshEmail = (label = "web") => `${label}${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** Header names that may differ between two answers (dates, ids). */
const VOLATILE = new Set(["date", "x-request-id"]);
const headerNames = (res: LightMyRequestResponse) => Object.keys(res.headers).filter((name) => !VOLATILE.has(name)).sort();

for (const backend of await testBackends()) {
	describe(`account email over HTTP on ${backend.name}`, () => {
		let t: TestApp;
		afterEach(async () => {
			await t.app.close();
			await t.deadbolt.close();
		});
		const start = async (overrides: Record<string, unknown> = {}) => {
			const base = await createTestDeadbolt({ store: await backend.open(), overrides: { rateLimit: { perMinute: 1000, redisUrl: null, redisKeyPrefix: "deadbolt:rl:" }, ...overrides } });
			const app = await buildApp(base.deadbolt);
			await app.ready();
			t = { ...base, app };
		};
		/** A browser: GET a page (collecting cookies), POST a form with the form token. */
		const browser = () => {
			const jar: Record<string, string> = {};
			return {
				jar,
				get: async (url: string) => {
					const res = await t.app.inject({ method: "GET", url, headers: { cookie: cookieHeader(jar) } });
					cookieJar(res, jar);
					return res;
				},
				post: async (url: string, form: Record<string, string>, ip = "127.0.0.1") => {
					const res = await t.app.inject({ method: "POST", url, remoteAddress: ip, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
					cookieJar(res, jar);
					return res;
				},
			};
		};
		const uniqueIp = () => `10.${counter % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

		it("POST /api/v1/password/forgot: the same status, body and headers for a known and an unknown address", async () => {
			await start();
			const { email } = await signUp(t, freshEmail());
			const ip = uniqueIp();
			const known = await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email } });
			const unknown = await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email: freshEmail("nobody") } });
			expect(known.statusCode).toBe(202);
			expect(unknown.statusCode).toBe(known.statusCode);
			expect(unknown.body).toBe(known.body);
			expect(headerNames(unknown)).toEqual(headerNames(known));
			expect(unknown.headers["content-length"]).toBe(known.headers["content-length"]);
			expect(known.json()).toEqual({ status: "requested", message: expect.stringContaining("If an account exists") });
		});

		it("a disabled account: POST /api/v1/password/forgot answers as for an unknown address and mails nothing; a link that escaped the disable answers 403 ERR_ACCOUNT_DISABLED (API and dashboard)", async () => {
			await start();
			const user = await signUp(t, freshEmail("disabled"));
			await t.deadbolt.requestPasswordReset({ email: user.email }, { ipAddress: uniqueIp(), userAgent: null });
			const token = await lastMailedToken(t.store, user.email, "password.reset");
			// Only the flag, as if the link had been made just after the disable's transaction.
			await t.store.accounts.setAccountDisabled(user.account.id, t.clock.now(), t.clock.now());
			const ip = uniqueIp();
			const disabled = await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email: user.email } });
			const unknown = await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email: freshEmail("nobody") } });
			expect(disabled.statusCode).toBe(202);
			expect(disabled.body).toBe(unknown.body);
			expect(headerNames(disabled)).toEqual(headerNames(unknown));
			expect(await mailsTo(t.store, user.email, "password.reset")).toHaveLength(1);
			expect(await mailsTo(t.store, user.email, "password.reset_unknown")).toEqual([]);
			for (const [url, payload] of [["/api/v1/password/reset/describe", { token }], ["/api/v1/password/reset/code", { token, code: "123456" }], ["/api/v1/password/reset", { token, newPassword: NEW_PASSWORD }]] as const) {
				const res = await t.app.inject({ method: "POST", url, remoteAddress: uniqueIp(), payload });
				expect(res.statusCode, url).toBe(403);
				expect(res.json().code).toBe("ERR_ACCOUNT_DISABLED");
			}
			const b = browser();
			const page = await b.get(`/dashboard/reset-password?token=${token}`);
			expect(page.statusCode).toBe(403);
			expect(page.body).toContain("This account is disabled");
			expect(page.body).not.toContain('name="newPassword"');
			expect((await b.post("/dashboard/reset-password", { token, newPassword: NEW_PASSWORD })).statusCode).toBe(403);
			expect((await t.store.accounts.findAccountById(user.account.id))?.passwordHash).toBe(user.account.passwordHash);
		});

		it("the dashboard's forgot-password form lands on the same page for a known and an unknown address", async () => {
			await start();
			const { email } = await signUp(t, freshEmail());
			const answers: LightMyRequestResponse[] = [];
			for (const address of [email, freshEmail("nobody")]) {
				const b = browser();
				expect((await b.get("/dashboard/sign-in")).body).toContain('href="/dashboard/forgot-password"');
				await b.get("/dashboard/forgot-password");
				answers.push(await b.post("/dashboard/forgot-password", { email: address }, uniqueIp()));
			}
			expect(answers[0]!.statusCode).toBe(303);
			expect(answers[1]!.statusCode).toBe(303);
			expect(answers[1]!.headers.location).toBe(answers[0]!.headers.location);
			expect(headerNames(answers[1]!)).toEqual(headerNames(answers[0]!));
			const page = await browser().get(answers[0]!.headers.location as string);
			expect(page.body).toContain("If an account exists for that address, we sent a link");
		});

		it("beyond passwordReset.perIpPerHour: 429 ERR_MAIL_LIMIT with Retry-After, for any address", async () => {
			await start({ passwordReset: { ttlSeconds: 1800, perAccountPerHour: 3, perIpPerHour: 2 } });
			const ip = uniqueIp();
			for (let i = 0; i < 2; i++) expect((await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email: freshEmail("any") } })).statusCode).toBe(202);
			const refused = await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: ip, payload: { email: freshEmail("any") } });
			expect(refused.statusCode).toBe(429);
			expect(refused.json().code).toBe("ERR_MAIL_LIMIT");
			expect(refused.headers["retry-after"]).toBe("3600");
		});

		it("dashboard reset with 2FA: the link's GET uses nothing, the code comes first, then the new password; every session ends and none is made", async () => {
			await start();
			const enrolled = await signUpWith2FA(t, freshEmail("tfa"));
			await t.deadbolt.requestPasswordReset({ email: enrolled.email }, { ipAddress: uniqueIp(), userAgent: null });
			const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
			const b = browser();
			for (let i = 0; i < 2; i++) {
				const page = await b.get(`/dashboard/reset-password?token=${token}`);
				expect(page.statusCode).toBe(200);
				expect(page.body).toContain("Authenticator code or recovery code");
				expect(page.body).not.toContain('name="newPassword"');
			}
			// A new password posted before the code is refused, and nothing changed.
			const early = await b.post("/dashboard/reset-password", { token, newPassword: NEW_PASSWORD });
			expect(early.statusCode).toBe(400);
			expect((await t.deadbolt.validateSession(enrolled.session.token)).account.id).toBe(enrolled.account.id);
			const wrong = await b.post("/dashboard/reset-password/code", { token, code: "000000" });
			expect(wrong.statusCode).toBe(401);
			expect(wrong.body).not.toContain('name="newPassword"');
			t.clock.advance(30_000);
			const right = await b.post("/dashboard/reset-password/code", { token, code: codeAt(t, enrolled.key) });
			expect(right.statusCode).toBe(200);
			expect(right.body).toContain('name="newPassword"');
			expect(b.jar["deadbolt_session"]).toBeUndefined();
			const done = await b.post("/dashboard/reset-password", { token, newPassword: NEW_PASSWORD });
			expect(done.statusCode).toBe(303);
			expect(done.headers.location).toBe("/dashboard/sign-in?notice=password-reset");
			expect(b.jar["deadbolt_session"]).toBeUndefined();
			await expect(t.deadbolt.validateSession(enrolled.session.token)).rejects.toThrow();
			expect((await b.get(done.headers.location as string)).body).toContain("Your password was reset");
			expect((await b.get(`/dashboard/reset-password?token=${token}`)).statusCode).toBe(401);
		});

		it("API reset with the code in the same call; without it 400 (field code); the link is single use", async () => {
			await start();
			const enrolled = await signUpWith2FA(t, freshEmail("api"));
			await t.app.inject({ method: "POST", url: "/api/v1/password/forgot", remoteAddress: uniqueIp(), payload: { email: enrolled.email } });
			const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
			expect((await t.app.inject({ method: "POST", url: "/api/v1/password/reset/describe", payload: { token } })).json()).toEqual({ email: enrolled.email, secondFactorRequired: true });
			const without = await t.app.inject({ method: "POST", url: "/api/v1/password/reset", payload: { token, newPassword: NEW_PASSWORD } });
			expect(without.statusCode).toBe(400);
			expect(without.json().violations[0].field).toBe("code");
			t.clock.advance(30_000);
			const ok = await t.app.inject({ method: "POST", url: "/api/v1/password/reset", payload: { token, newPassword: NEW_PASSWORD, code: codeAt(t, enrolled.key) } });
			expect(ok.statusCode).toBe(200);
			expect(ok.json()).toMatchObject({ status: "password_reset" });
			const again = await t.app.inject({ method: "POST", url: "/api/v1/password/reset", payload: { token, newPassword: `${NEW_PASSWORD}!` } });
			expect(again.statusCode).toBe(401);
			expect(again.json().code).toBe("ERR_EMAIL_LINK_INVALID");
		});

		it("the banner shows until verified; Resend beyond the limit answers 429 in the banner; the link page's GET uses nothing", async () => {
			await start({ emailVerification: { ttlSeconds: 86_400, resendsPerHour: 2 } });
			const b = browser();
			await b.get("/dashboard/sign-up");
			const email = freshEmail("banner");
			expect((await b.post("/dashboard/sign-up", { email, password: PASSWORD })).statusCode).toBe(303);
			const home = await b.get("/dashboard");
			expect(home.body).toContain('id="verify-email-banner"');
			expect((await b.post("/dashboard/verify-email/resend", {})).headers.location).toBe("/dashboard?notice=verification-sent");
			const limited = await b.post("/dashboard/verify-email/resend", {});
			expect(limited.statusCode).toBe(429);
			expect(limited.body).toContain('id="verification-error"');
			// API: the same limit, a stable code.
			const api = await t.app.inject({ method: "POST", url: "/api/v1/account/email/verification", headers: { authorization: `Bearer ${b.jar["deadbolt_session"]}` } });
			expect(api.statusCode).toBe(429);
			expect(api.json().code).toBe("ERR_MAIL_LIMIT");
			// Two links of the same instant: either verifies.
			const [anyMail] = await mailsTo(t.store, email, "email.verify");
			const link = tokenOf(anyMail!)!;
			const visitor = browser();
			for (let i = 0; i < 2; i++) expect((await visitor.get(`/dashboard/verify-email?token=${link}`)).body).toContain('id="verify-email"');
			expect((await t.store.accounts.findAccountByEmail(email))?.emailVerifiedAt).toBeNull();
			const used = await visitor.post("/dashboard/verify-email", { token: link });
			expect(used.headers.location).toBe("/dashboard/sign-in?notice=email-verified");
			expect((await b.get("/dashboard")).body).not.toContain('id="verify-email-banner"');
		});

		it("sign-up mode verified: /api/v1/accounts answers 202 alike for a taken and a free address", async () => {
			await start({ signUp: { mode: "verified" } });
			const { email } = await signUp(t, freshEmail("taken"));
			const taken = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			const free = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: freshEmail("free"), password: PASSWORD } });
			expect(taken.statusCode).toBe(202);
			expect(free.statusCode).toBe(202);
			expect(free.body).toBe(taken.body);
			expect(headerNames(free)).toEqual(headerNames(taken));
		});

		it("sign-up mode verified: POST /api/v1/sign-up/finish needs the password chosen at sign-up; someone else's link with the owner's password is refused and stays unused", async () => {
			await start({ signUp: { mode: "verified" } });
			const ATTACKER = "the attacker's own passphrase";
			const email = freshEmail("victim");
			expect((await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: ATTACKER } })).statusCode).toBe(202);
			const token = await lastMailedToken(t.store, email, "sign_up.verify");
			const finish = (payload: Record<string, string>) => t.app.inject({ method: "POST", url: "/api/v1/sign-up/finish", payload });
			const missing = await finish({ token });
			expect(missing.statusCode).toBe(400);
			expect(missing.json().code).toBe("ERR_INVALID_REQUEST");
			const refused = await finish({ token, password: PASSWORD });
			expect(refused.statusCode).toBe(401);
			expect(refused.json().code).toBe("ERR_INVALID_CREDENTIALS");
			expect(refused.json().message).toContain("someone else may have used your address");
			expect(refused.headers["set-cookie"]).toBeUndefined();
			expect(await t.store.accounts.findAccountByEmail(email)).toBeNull();
			expect((await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: ATTACKER } })).statusCode).toBe(401);
			// The owner signs up again: the asker's link ends, the owner's makes the owner's account.
			t.clock.advance(1);
			await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			const own = tokenOf((await mailsTo(t.store, email, "sign_up.verify")).find((d) => d.createdAt === t.clock.now())!)!;
			expect((await finish({ token, password: ATTACKER })).json().code).toBe("ERR_EMAIL_LINK_INVALID");
			const made = await finish({ token: own, password: PASSWORD });
			expect(made.statusCode).toBe(201);
			expect(made.json().account).toMatchObject({ email, emailVerified: true, hasPassword: true });
			expect((await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: ATTACKER } })).statusCode).toBe(401);
			expect((await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: PASSWORD } })).statusCode).toBe(200);
		});

		it("sign-up mode verified: the finish page asks for the password (a wrong one is said next to the field, the link stays usable), then signs in", async () => {
			await start({ signUp: { mode: "verified" } });
			const email = freshEmail("page");
			await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			const token = await lastMailedToken(t.store, email, "sign_up.verify");
			const b = browser();
			const page = await b.get(`/dashboard/sign-up/finish?token=${token}`);
			expect(page.statusCode).toBe(200);
			expect(page.body).toMatch(/<input class="input" id="sign-up-password" name="password" type="password" autocomplete="current-password"/);
			expect(page.body).toContain('<label class="field__label" for="sign-up-password">Password</label>');
			expect(page.body).toContain(`name="username" autocomplete="username" value="${email}" hidden readonly`);
			const wrong = await b.post("/dashboard/sign-up/finish", { token, password: "not the one I chose" });
			expect(wrong.statusCode).toBe(401);
			expect(wrong.body).toContain('id="sign-up-password-error"');
			expect(wrong.body).toContain("someone else may have used your address");
			expect(wrong.body).toContain(`name="token" value="${token}"`);
			expect(await t.store.accounts.findAccountByEmail(email)).toBeNull();
			const empty = await b.post("/dashboard/sign-up/finish", { token, password: "" });
			expect(empty.statusCode).toBe(400);
			expect(empty.body).toContain('id="sign-up-password-error"');
			const done = await b.post("/dashboard/sign-up/finish", { token, password: PASSWORD });
			expect(done.statusCode).toBe(303);
			expect(done.headers.location).toBe("/dashboard");
			expect((await t.store.accounts.findAccountByEmail(email))?.emailVerifiedAt).not.toBeNull();
			expect((await b.get("/dashboard")).statusCode).toBe(200);
		});

		it("sign-up mode closed: 403 ERR_SIGN_UP_CLOSED, and the page says accounts are made by the operators", async () => {
			await start({ signUp: { mode: "closed" } });
			const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: freshEmail("closed"), password: PASSWORD } });
			expect(res.statusCode).toBe(403);
			expect(res.json().code).toBe("ERR_SIGN_UP_CLOSED");
			const page = await browser().get("/dashboard/sign-up");
			expect(page.body).toContain("created by its operators");
			expect(page.body).not.toContain('name="password"');
		});

		it("change of email in the dashboard asks for the password when not recently confirmed, has the current address approve it, then mails the new address", async () => {
			await start();
			const b = browser();
			const { email, account } = await signUp(t, freshEmail("change"));
			// A verified address (an unverified one is changed without approval: nothing proved it is the owner's).
			await t.store.accounts.markEmailVerified(account.id, t.clock.now());
			const signIn = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email, password: PASSWORD } });
			cookieJar(signIn, b.jar);
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
			const page = await b.get("/dashboard/settings/email");
			expect(page.body).toContain('name="password"');
			const newEmail = freshEmail("target");
			const missing = await b.post("/dashboard/settings/email", { newEmail });
			expect(missing.statusCode).toBe(400);
			expect(await mailsTo(t.store, newEmail, "email.change_confirm")).toEqual([]);
			const sent = await b.post("/dashboard/settings/email", { newEmail, password: PASSWORD });
			expect(sent.statusCode).toBe(303);
			// No second factor confirmed by mail: the current address approves first.
			expect(sent.headers.location).toBe("/dashboard/settings/email?sent=approval");
			expect((await b.get("/dashboard/settings/email?sent=approval")).body).toContain('id="change-email-approval-sent"');
			expect(await mailsTo(t.store, newEmail, "email.change_confirm")).toEqual([]);
			const approval = await lastMailedToken(t.store, email, "email.change_approve");
			expect((await b.get(`/dashboard/approve-email-change?token=${approval}`)).body).toContain('id="approve-email-change"');
			const approved = await b.post("/dashboard/approve-email-change", { token: approval });
			expect(approved.headers.location).toBe("/dashboard/settings/email?sent=1");
			const token = await lastMailedToken(t.store, newEmail, "email.change_confirm");
			expect((await b.get(`/dashboard/confirm-email?token=${token}`)).body).toContain('id="confirm-email-change"');
			const confirmed = await b.post("/dashboard/confirm-email", { token });
			expect(confirmed.headers.location).toBe("/dashboard?notice=email-changed");
			expect((await t.store.accounts.findAccountByEmail(newEmail))?.email).toBe(newEmail);
		});
	});
}
