/**
 * Confirming a second factor by mail (issue 12: "a first 2FA enrollment reached from a two_factor
 * rule needs a link mailed to the verified address: a stolen password alone must not enroll its own
 * authenticator"). Each check has a test that fails when it is removed: the link is asked for and
 * used only at AAL2, only by its own account, once (also under concurrency), and ends with 2FA.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmailLinkInvalid, EmailNotVerified, MailLimitReached, SecondFactorRequired, TOTPNotEnabled } from "../../src/errors.js";
import type { AccessRequest } from "../../src/domain/access/access-rules.js";
import type { AuthenticatedSession } from "../../src/service/sessions.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, confirmSecondFactorByMail, PASSWORD, signUp, signUpWith2FA, type Enrolled } from "../helpers/flows.js";
import { lastMailedToken, mailsTo } from "../helpers/mailed-links.js";

const ACCESS_CONTROL = {
	defaultPolicy: "deny",
	rules: [
		{ domains: ["app.example.test"], policy: "one_factor" },
		{ domains: ["admin.example.test"], policy: "two_factor" },
	],
};

const at = (host: string): AccessRequest => ({ host, pathAndQuery: "/", method: "GET", clientAddress: "198.51.100.7" });

for (const backend of await testBackends()) {
	describe(`second factor confirmed by mail on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { accessControl: ACCESS_CONTROL } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** An enrolled account with a verified address, and its AAL2 session. */
		async function enrolled(): Promise<{ user: Enrolled; auth: AuthenticatedSession }> {
			const user = await signUpWith2FA(t);
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			return { user, auth: await t.deadbolt.validateSession(user.session.token) };
		}

		/** The forward-auth decision for the session's cookie at `host`. */
		async function decide(user: Enrolled, host: string) {
			return t.deadbolt.decideAccess(at(host), { kind: "forward_auth_cookie", token: t.deadbolt.forwardAuthToken(user.session.token) ?? "" });
		}

		it("an enrolled authenticator passes two_factor rules only after the mailed link: confirm_two_factor before, allow after", async () => {
			const { user, auth } = await enrolled();
			expect((await decide(user, "admin.example.test")).kind).toBe("confirm_two_factor");
			// one_factor rules do not care.
			expect((await decide(user, "app.example.test")).kind).toBe("allow");
			expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("sent");
			const [mail] = await mailsTo(t.store, user.email, "two_factor.confirm");
			expect(mail?.target).toBe(user.email);
			await t.deadbolt.confirmTwoFactorByMail(auth, { token: await lastMailedToken(t.store, user.email, "two_factor.confirm") });
			expect((await t.store.accounts.findAccountById(user.account.id))?.secondFactorMailConfirmedAt).toBe(t.clock.now());
			expect((await decide(user, "admin.example.test")).kind).toBe("allow");
			const events = await t.deadbolt.listSecurityEvents(auth.account.id, { limit: 50 });
			expect(events.map((event) => event.type)).toContain("totp.mail_confirmed");
			// Asking again sends nothing.
			expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("already_confirmed");
			expect(await mailsTo(t.store, user.email, "two_factor.confirm")).toHaveLength(1);
		});

		it("deadbolt access check says whether the account still has to confirm its authenticator", async () => {
			const { user } = await enrolled();
			const before = await t.deadbolt.explainAccess({ url: "https://admin.example.test/", email: user.email });
			expect(before.account).toMatchObject({ twoFactorEnabled: true, twoFactorMailConfirmed: false });
			expect(before.verdict).toContain("has not confirmed the authenticator app by email yet");
			await confirmSecondFactorByMail(t, user);
			const after = await t.deadbolt.explainAccess({ url: "https://admin.example.test/", email: user.email });
			expect(after.account).toMatchObject({ twoFactorEnabled: true, twoFactorMailConfirmed: true });
			expect(after.verdict).toContain("allowed for");
		});

		it("a password-only session can neither ask for the link nor use it (the authenticator must be proved in that browser)", async () => {
			const { user, auth } = await enrolled();
			expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("sent");
			const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			// The owner signs in with the password alone somewhere (a sign-in that stopped before the code has no session at all, so: an aal1 session made directly).
			const passwordOnly = await t.store.sessions.findSession(auth.session.id);
			const aal1: AuthenticatedSession = { account: auth.account, session: { ...passwordOnly!, aal: 1 } };
			await expect(t.deadbolt.requestTwoFactorMailConfirmation(aal1)).rejects.toBeInstanceOf(SecondFactorRequired);
			await expect(t.deadbolt.confirmTwoFactorByMail(aal1, { token })).rejects.toBeInstanceOf(SecondFactorRequired);
			// The link is still usable from the AAL2 session.
			await t.deadbolt.confirmTwoFactorByMail(auth, { token });
			expect((await decide(user, "admin.example.test")).kind).toBe("allow");
		});

		it("a link confirms only its own account: another account's AAL2 session is refused and the link stays usable", async () => {
			const { user, auth } = await enrolled();
			const other = await enrolled();
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			await expect(t.deadbolt.confirmTwoFactorByMail(other.auth, { token })).rejects.toMatchObject({ code: "ERR_EMAIL_LINK_INVALID", reason: "other_account" });
			expect((await t.store.accounts.findAccountById(other.user.account.id))?.secondFactorMailConfirmedAt).toBeNull();
			expect((await t.store.accounts.findAccountById(user.account.id))?.secondFactorMailConfirmedAt).toBeNull();
			await t.deadbolt.confirmTwoFactorByMail(auth, { token });
			expect((await decide(user, "admin.example.test")).kind).toBe("allow");
			expect((await decide(other.user, "admin.example.test")).kind).toBe("confirm_two_factor");
		});

		it("a link works once: of 20 parallel uses exactly one confirms, the rest are refused", async () => {
			const { user, auth } = await enrolled();
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const token = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.confirmTwoFactorByMail(auth, { token })));
			expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
			for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(EmailLinkInvalid);
			const events = await t.deadbolt.listSecurityEvents(auth.account.id, { limit: 50 });
			expect(events.filter((event) => event.type === "totp.mail_confirmed")).toHaveLength(1);
		});

		it("a newer link ends the older one; an expired link is refused", async () => {
			const { user, auth } = await enrolled();
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const first = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			t.clock.advance(1_000);
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const second = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			await expect(t.deadbolt.confirmTwoFactorByMail(auth, { token: first })).rejects.toBeInstanceOf(EmailLinkInvalid);
			expect(second).not.toBe(first);
			t.clock.advance(t.config.emailVerification.ttlSeconds * 1000);
			await expect(t.deadbolt.confirmTwoFactorByMail(auth, { token: second })).rejects.toBeInstanceOf(EmailLinkInvalid);
			expect((await decide(user, "admin.example.test")).kind).not.toBe("allow");
		});

		it("turning 2FA off ends the confirmation and every open link; a new authenticator is confirmed again", async () => {
			const { user, auth } = await enrolled();
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const open = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			await confirmSecondFactorByMail(t, user);
			await t.deadbolt.requestTwoFactorMailConfirmation(auth).then((outcome) => expect(outcome).toBe("already_confirmed"));
			// A link asked for before (now used up or not) and one asked for after the confirmation: none survives 2FA off.
			await t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: codeAt(t, user.key, 1) });
			expect((await t.store.accounts.findAccountById(user.account.id))?.secondFactorMailConfirmedAt).toBeNull();
			await expect(t.deadbolt.confirmTwoFactorByMail(auth, { token: open })).rejects.toBeInstanceOf(EmailLinkInvalid);
			await expect(t.deadbolt.requestTwoFactorMailConfirmation(auth)).rejects.toBeInstanceOf(TOTPNotEnabled);
		});

		it("a link asked for before 2FA went off cannot confirm the authenticator enrolled after", async () => {
			const { user, auth } = await enrolled();
			await t.deadbolt.requestTwoFactorMailConfirmation(auth);
			const before = await lastMailedToken(t.store, user.email, "two_factor.confirm");
			await t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: codeAt(t, user.key, 1) });
			// Someone with the password enrolls a new authenticator on the same session.
			t.clock.advance(60_000);
			const again = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(again.account, again.session, { password: PASSWORD });
			const rotated = await t.deadbolt.validateSession(pending.sessionToken ?? user.session.token);
			const confirmed = await t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) });
			const aal2 = await t.deadbolt.validateSession(confirmed.sessionToken);
			await expect(t.deadbolt.confirmTwoFactorByMail(aal2, { token: before })).rejects.toBeInstanceOf(EmailLinkInvalid);
			expect((await t.store.accounts.findAccountById(user.account.id))?.secondFactorMailConfirmedAt).toBeNull();
		});

		it("an unverified address gets no link (the link must go to a proved mailbox); 2FA off gets none", async () => {
			const user = await signUpWith2FA(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			await expect(t.deadbolt.requestTwoFactorMailConfirmation(auth)).rejects.toBeInstanceOf(EmailNotVerified);
			expect(await mailsTo(t.store, user.email, "two_factor.confirm")).toHaveLength(0);
			const plain = await signUp(t);
			await t.store.accounts.markEmailVerified(plain.account.id, t.clock.now());
			const plainAuth = await t.deadbolt.validateSession(plain.session.token);
			await expect(t.deadbolt.requestTwoFactorMailConfirmation(plainAuth)).rejects.toBeInstanceOf(SecondFactorRequired);
		});

		it("at most emailVerification.resendsPerHour links an hour, then MailLimitReached; an hour later again", async () => {
			const { auth } = await enrolled();
			for (let i = 0; i < t.config.emailVerification.resendsPerHour; i++) expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("sent");
			await expect(t.deadbolt.requestTwoFactorMailConfirmation(auth)).rejects.toBeInstanceOf(MailLimitReached);
			t.clock.advance(3_600_001);
			expect(await t.deadbolt.requestTwoFactorMailConfirmation(auth)).toBe("sent");
		});
	});
}
