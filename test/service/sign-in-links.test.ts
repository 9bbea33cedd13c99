/**
 * Accounts without a password and one-time sign-in links (issue 3 item 4): a link stands in for
 * the password step once and never for the second factor; the first password is set in step 1 of
 * the setup (or in Security > Password) only in a fresh session; every check fails its test when
 * removed.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { EmailTaken, InvalidCredentials, InvalidRequest, NotFound, ReauthenticationRequired, SignInLinkInvalid } from "../../src/errors.js";
import type { BeginLoginResult } from "../../src/service/login.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";

const FIRST_PASSWORD = "my very first passphrase";
let counter = 0;

for (const backend of await testBackends()) {
	describe(`accounts without a password and sign-in links on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open() });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		const freshEmail = () => `nopassword${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
		const sessionOf = (result: BeginLoginResult) => {
			if (result.kind !== "session") throw new Error("expected a session");
			return result.session;
		};
		/** An account without a password, signed in through a sign-in link just now. */
		const linkedIn = async () => {
			const email = freshEmail();
			const account = await t.deadbolt.createAccountWithoutPassword(email);
			const link = await t.deadbolt.issueSignInLink(email);
			const session = sessionOf(await t.deadbolt.redeemSignInLink({ token: link.token }));
			return { email, account, session, auth: await t.deadbolt.validateSession(session.token) };
		};

		it("an account created without a password has none: password sign-in fails like a wrong password", async () => {
			const email = freshEmail();
			const account = await t.deadbolt.createAccountWithoutPassword(email);
			expect(account.passwordHash).toBeNull();
			expect((await t.store.accounts.findAccountById(account.id))?.passwordHash).toBeNull();
			const error = await t.deadbolt.beginLogin({ email, password: "" }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidCredentials);
			expect((error as InvalidCredentials).message).toBe(new InvalidCredentials().message);
			await expect(t.deadbolt.createAccountWithoutPassword(email.toUpperCase())).rejects.toBeInstanceOf(EmailTaken);
			await expect(t.deadbolt.createAccountWithoutPassword("not an email")).rejects.toBeInstanceOf(InvalidRequest);
		});

		it("only the newest link of an account works: issuing one ends the earlier unused ones", async () => {
			const user = await signUp(t);
			const first = await t.deadbolt.issueSignInLink(user.email);
			const second = await t.deadbolt.issueSignInLink(user.email);
			await expect(t.deadbolt.redeemSignInLink({ token: first.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			expect((await t.deadbolt.redeemSignInLink({ token: second.token })).kind).toBe("session");
		});

		it("links issued in parallel (an integrator retrying): exactly one works", async () => {
			const user = await signUp(t);
			const links = await Promise.all(Array.from({ length: 6 }, () => t.deadbolt.issueSignInLink(user.email)));
			const usable = await Promise.all(links.map((link) => t.deadbolt.describeSignInLink(link.token)));
			expect(usable.filter((found) => found !== null)).toHaveLength(1);
		});

		it("a sign-in link signs an account without 2FA in once, at AAL1, in a fresh session; a second use is refused", async () => {
			const email = freshEmail();
			await t.deadbolt.createAccountWithoutPassword(email);
			const link = await t.deadbolt.issueSignInLink(email);
			expect(link.token).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
			expect(link.expiresAt).toBe(t.clock.now() + t.config.signInLink.ttlSeconds * 1000);
			// Only a hash is stored.
			const stored = await t.store.signInLinks.findSignInLink(link.token.split(".")[0] as string);
			expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
			expect(JSON.stringify(stored)).not.toContain(link.token.split(".")[1]);
			// Looking at it does not use it.
			expect(await t.deadbolt.describeSignInLink(link.token)).toEqual({ email });
			expect(await t.deadbolt.describeSignInLink(link.token)).toEqual({ email });
			const session = sessionOf(await t.deadbolt.redeemSignInLink({ token: link.token }));
			expect(session.record.aal).toBe(1);
			expect(session.record.reauthenticatedAt).toBe(t.clock.now());
			await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			expect(await t.deadbolt.describeSignInLink(link.token)).toBeNull();
			const events = await t.deadbolt.listSecurityEvents(session.record.accountId);
			expect(events.map((e) => e.type)).toEqual(["login.succeeded", "sign_in_link.issued", "account.created"]);
			expect(events[0]?.details).toEqual({ factors: ["sign_in_link"], newDevice: false });
		});

		it("an expired link, a tampered secret and an unknown link are refused; issuing for an unknown email is NotFound", async () => {
			const email = freshEmail();
			await t.deadbolt.createAccountWithoutPassword(email);
			const link = await t.deadbolt.issueSignInLink(email);
			const [id, secret] = link.token.split(".") as [string, string];
			const tampered = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
			await expect(t.deadbolt.redeemSignInLink({ token: tampered })).rejects.toBeInstanceOf(SignInLinkInvalid);
			await expect(t.deadbolt.redeemSignInLink({ token: "garbage" })).rejects.toBeInstanceOf(SignInLinkInvalid);
			t.clock.advance(t.config.signInLink.ttlSeconds * 1000);
			await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			await expect(t.deadbolt.issueSignInLink("nobody@example.com")).rejects.toBeInstanceOf(NotFound);
			expect((await t.deadbolt.purgeExpired()).expiredSignInLinks).toBeGreaterThanOrEqual(0);
		});

		it("the same link sent by 20 parallel requests signs in exactly once", async () => {
			const email = freshEmail();
			await t.deadbolt.createAccountWithoutPassword(email);
			const link = await t.deadbolt.issueSignInLink(email);
			const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.redeemSignInLink({ token: link.token })));
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(SignInLinkInvalid);
			const account = await t.store.accounts.findAccountByEmail(email);
			expect(await t.store.sessions.listActiveSessions(account!.id, t.clock.now())).toHaveLength(1);
		});

		it("with 2FA on, a link replaces only the password: it gives a login challenge and no session", async () => {
			const user = await signUpWith2FA(t);
			const link = await t.deadbolt.issueSignInLink(user.email);
			const sessionsBefore = (await t.store.sessions.listActiveSessions(user.account.id, t.clock.now())).length;
			const result = await t.deadbolt.redeemSignInLink({ token: link.token });
			expect(result.kind).toBe("challenge");
			expect((await t.store.sessions.listActiveSessions(user.account.id, t.clock.now())).length).toBe(sessionsBefore);
			if (result.kind !== "challenge") return;
			t.clock.advance(30_000);
			const session = await t.deadbolt.completeLoginWithTOTP({ challengeToken: result.challenge.challengeToken, code: codeAt(t, user.key) });
			expect(session.record.aal).toBe(2);
			const events = await t.deadbolt.listSecurityEvents(user.account.id);
			expect(events[0]).toMatchObject({ type: "login.succeeded", details: { factors: ["sign_in_link", "totp"] } });
			// A link stood in for the password of an account that has one: this session is not fresh.
			let auth = await t.deadbolt.validateSession(session.token);
			await expect(t.deadbolt.regenerateRecoveryCodes(auth)).rejects.toBeInstanceOf(ReauthenticationRequired);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
			await expect(t.deadbolt.signOutEverywhere(auth)).rejects.toBeInstanceOf(ReauthenticationRequired);
			// The same with a recovery code instead of the TOTP code.
			const again = await t.deadbolt.redeemSignInLink({ token: (await t.deadbolt.issueSignInLink(user.email)).token });
			if (again.kind !== "challenge") throw new Error("expected a challenge");
			const viaCode = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: again.challenge.challengeToken, code: user.recoveryCodes[0] as string });
			await expect(t.deadbolt.signOutEverywhere(await t.deadbolt.validateSession(viaCode.session.token))).rejects.toBeInstanceOf(ReauthenticationRequired);
		});

		it("step 1 of the setup sets the first password in a fresh session; then password + code sign in", async () => {
			const linked = await linkedIn();
			const { email, account } = linked;
			let { auth } = linked;
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { newPassword: FIRST_PASSWORD });
			// Step 1 set the password: the session went on under a new token.
			auth = await t.deadbolt.validateSession(pending.sessionToken as string);
			expect((await t.store.accounts.findAccountById(account.id))?.passwordHash).toMatch(/^\$argon2id\$/);
			await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: codeAt(t, decodeBase32(pending.secret)) });
			t.clock.advance(30_000);
			const result = await t.deadbolt.beginLogin({ email, password: FIRST_PASSWORD });
			expect(result.kind).toBe("challenge");
			const events = await t.deadbolt.listSecurityEvents(account.id);
			expect(events.map((e) => e.type)).toContain("password.set");
		});

		it("setting the first password needs a fresh session, a policy-abiding password, and writes nothing otherwise", async () => {
			const { account, auth } = await linkedIn();
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: "anything at all" })).rejects.toBeInstanceOf(InvalidRequest);
			const weak = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { newPassword: "password" }).catch((e: unknown) => e);
			expect(weak).toBeInstanceOf(InvalidRequest);
			expect((weak as InvalidRequest).violations.every((v) => v.field === "newPassword")).toBe(true);
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { newPassword: FIRST_PASSWORD })).rejects.toBeInstanceOf(ReauthenticationRequired);
			await expect(t.deadbolt.changePassword(auth, { newPassword: FIRST_PASSWORD })).rejects.toBeInstanceOf(ReauthenticationRequired);
			expect((await t.store.accounts.findAccountById(account.id))?.passwordHash).toBeNull();
			expect(await t.store.totpCredentials.findPendingTOTPCredential(account.id)).toBeNull();
		});

		it("Security > Password sets the first password without a current one; an account with a password still needs it", async () => {
			const { email, account, auth } = await linkedIn();
			await t.deadbolt.changePassword(auth, { newPassword: FIRST_PASSWORD });
			expect(sessionOf(await t.deadbolt.beginLogin({ email, password: FIRST_PASSWORD })).record.accountId).toBe(account.id);
			const withPassword = await t.deadbolt.validateSession((await t.deadbolt.beginLogin({ email, password: FIRST_PASSWORD }).then(sessionOf)).token);
			await expect(t.deadbolt.changePassword(withPassword, { newPassword: "yet another passphrase" })).rejects.toBeInstanceOf(InvalidRequest);
			// The setup's step 1 now wants the password confirmed, not a new one.
			await expect(t.deadbolt.beginTOTPEnrollment(withPassword.account, withPassword.session, { newPassword: "yet another passphrase" })).rejects.toBeInstanceOf(InvalidRequest);
		});

		it("two first passwords racing: exactly one is stored", async () => {
			const { account, auth } = await linkedIn();
			const results = await Promise.allSettled([
				t.deadbolt.changePassword(auth, { newPassword: "first racing passphrase" }),
				t.deadbolt.changePassword(auth, { newPassword: "second racing passphrase" }),
				t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { newPassword: "third racing passphrase" }),
			]);
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			const events = await t.deadbolt.listSecurityEvents(account.id);
			expect(events.filter((e) => e.type === "password.set")).toHaveLength(1);
		});

		it("setting the first password in setup step 1 ends the account's other sessions and unused links (no takeover by a leftover link)", async () => {
			const email = freshEmail();
			await t.deadbolt.createAccountWithoutPassword(email);
			// Each link is used before the next is issued (a new link ends the earlier unused ones).
			const other = sessionOf(await t.deadbolt.redeemSignInLink({ token: (await t.deadbolt.issueSignInLink(email)).token }));
			const mine = await t.deadbolt.validateSession(sessionOf(await t.deadbolt.redeemSignInLink({ token: (await t.deadbolt.issueSignInLink(email)).token })).token);
			const leftover = await t.deadbolt.issueSignInLink(email);
			await t.deadbolt.beginTOTPEnrollment(mine.account, mine.session, { newPassword: FIRST_PASSWORD });
			await expect(t.deadbolt.validateSession(other.token)).rejects.toThrow();
			await expect(t.deadbolt.redeemSignInLink({ token: leftover.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			expect((await t.deadbolt.listSessions(mine)).map((s) => s.id)).toEqual([mine.session.id]);
		});

		it("a sign-in link session of an account WITH a password is not a fresh re-authentication", async () => {
			const user = await signUp(t);
			const link = await t.deadbolt.issueSignInLink(user.email);
			const session = sessionOf(await t.deadbolt.redeemSignInLink({ token: link.token }));
			let auth = await t.deadbolt.validateSession(session.token);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
			await expect(t.deadbolt.signOutEverywhere(auth)).rejects.toBeInstanceOf(ReauthenticationRequired);
			// The password still works inline.
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD })).resolves.toBeDefined();
		});

		it("re-authentication of an account without a password says to set one first", async () => {
			const { auth } = await linkedIn();
			const error = await t.deadbolt.reauthenticate(auth, { password: "whatever it is" }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidRequest);
			expect((error as Error).message).toMatch(/does not have a password yet/);
		});

		it("a password change and sign out everywhere end the account's open sign-in links", async () => {
			const user = await signUp(t);
			const first = await t.deadbolt.issueSignInLink(user.email);
			const changed = await t.deadbolt.changePassword(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: "a brand new passphrase" });
			await expect(t.deadbolt.redeemSignInLink({ token: first.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
			const second = await t.deadbolt.issueSignInLink(user.email);
			await t.deadbolt.signOutEverywhere(await t.deadbolt.validateSession(changed.sessionToken));
			await expect(t.deadbolt.redeemSignInLink({ token: second.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
		});
	});
}
