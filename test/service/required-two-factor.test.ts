/**
 * Enforced two-factor authentication (issue 14): a grace period, then no session without a second
 * factor; the first setup after the deadline only through a mailed link (or an operator's sign-in
 * link); the policy for everyone or for groups; 2FA cannot be turned off while required. SQLite
 * and PostgreSQL.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ChallengeInvalid, InvalidCredentials, TwoFactorRequired, Unauthenticated } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, T0, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";
import { lastMailedToken, mailsTo } from "../helpers/mailed-links.js";

const DAY_MS = 86_400_000;
/** Enforcement started at the test clock's start, with a week of grace. */
const POLICY = { enforce: "everyone", groups: [], enforcedSince: new Date(T0).toISOString(), gracePeriodDays: 7 } as const;

for (const backend of await testBackends()) {
	describe(`enforced two-factor authentication on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		async function start(policy: object = POLICY): Promise<void> {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { rateLimit: { perMinute: 100_000 }, twoFactorPolicy: policy } });
		}

		it("during the grace period sign-in goes on and the deadline is known; after it the password makes no session, mails a setup link, and earlier password-only sessions stop working", async () => {
			await start();
			const user = await signUp(t);
			expect(t.deadbolt.twoFactorRequirementOf(user.account, false)).toEqual({ required: true, deadline: T0 + 7 * DAY_MS, overdue: false });
			const during = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			expect(during.kind).toBe("session");
			t.clock.advance(7 * DAY_MS);
			// Sessions made with the password alone end at the deadline, on every surface.
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
			const after = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			expect(after.kind).toBe("two_factor_setup_required");
			if (after.kind !== "two_factor_setup_required") return;
			expect(after.setup.setupToken).toBeNull();
			expect(await mailsTo(t.store, user.email, "two_factor.setup_required")).toHaveLength(1);
		});

		it("the mailed link sets up the first authenticator and makes the first session (AAL2); the address and the second factor count as confirmed by mail", async () => {
			await start();
			const user = await signUp(t);
			t.clock.advance(8 * DAY_MS);
			await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			const setupToken = await lastMailedToken(t.store, user.email, "two_factor.setup_required");
			const pending = await t.deadbolt.beginRequiredTOTPSetup({ setupToken });
			expect(pending.email).toBe(user.email);
			const key = decodeBase32(pending.secret);
			const done = await t.deadbolt.confirmRequiredTOTPSetup({ setupToken, code: generateTOTP(key, t.clock.now()) });
			expect(done.recoveryCodes).toHaveLength(10);
			const auth = await t.deadbolt.validateSession(done.session.token);
			expect(auth.session.aal).toBe(2);
			const account = await t.store.accounts.findAccountById(user.account.id);
			expect(account?.emailVerifiedAt).not.toBeNull();
			expect(account?.secondFactorMailConfirmedAt).not.toBeNull();
			// The link works once.
			await expect(t.deadbolt.beginRequiredTOTPSetup({ setupToken })).rejects.toBeInstanceOf(ChallengeInvalid);
			// From now on: password and code, as for anyone with 2FA.
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, key) })).resolves.toBeDefined();
		});

		it("required at once (gracePeriodDays 0): an open sign-up goes as a verified one (no account, no session; the link and the password typed again lead to the setup), so whoever signs up with another's address keeps nothing", async () => {
			await start({ ...POLICY, gracePeriodDays: 0 });
			expect((await t.deadbolt.signUp({ email: "at-once@example.com", password: PASSWORD })).kind).toBe("verification_sent");
			expect(await t.store.accounts.findAccountByEmail("at-once@example.com")).toBeNull();
			expect(await mailsTo(t.store, "at-once@example.com", "two_factor.setup_required")).toHaveLength(0);
			const token = await lastMailedToken(t.store, "at-once@example.com", "sign_up.verify");
			// The mailbox alone does not finish it: the password chosen at sign-up must be typed again.
			await expect(t.deadbolt.finishSignUp({ token, password: "someone else's password" })).rejects.toBeInstanceOf(InvalidCredentials);
			const finished = await t.deadbolt.finishSignUp({ token, password: PASSWORD });
			expect(finished.session).toBeNull();
			const setupToken = finished.setup!.setupToken!;
			const key = decodeBase32((await t.deadbolt.beginRequiredTOTPSetup({ setupToken })).secret);
			const done = await t.deadbolt.confirmRequiredTOTPSetup({ setupToken, code: generateTOTP(key, t.clock.now()) });
			expect((await t.deadbolt.validateSession(done.session.token)).session.aal).toBe(2);
			expect((await t.store.accounts.findAccountById(finished.account.id))?.emailVerifiedAt).not.toBeNull();
		});

		it("required at once: finishing a verified sign-up makes no session and hands over the setup token (the link proved the address)", async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { rateLimit: { perMinute: 100_000 }, twoFactorPolicy: { ...POLICY, gracePeriodDays: 0 }, signUp: { mode: "verified" } } });
			expect((await t.deadbolt.signUp({ email: "verified-at-once@example.com", password: PASSWORD })).kind).toBe("verification_sent");
			const token = await lastMailedToken(t.store, "verified-at-once@example.com", "sign_up.verify");
			const finished = await t.deadbolt.finishSignUp({ token, password: PASSWORD });
			expect(finished.session).toBeNull();
			expect(finished.setup?.setupToken).toEqual(expect.any(String));
			const setupToken = finished.setup!.setupToken!;
			// Not a sign-in challenge: no session from it without the setup.
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: setupToken, code: "000000" })).rejects.toBeInstanceOf(ChallengeInvalid);
			const key = decodeBase32((await t.deadbolt.beginRequiredTOTPSetup({ setupToken })).secret);
			const done = await t.deadbolt.confirmRequiredTOTPSetup({ setupToken, code: generateTOTP(key, t.clock.now()) });
			expect((await t.deadbolt.validateSession(done.session.token)).session.aal).toBe(2);
		});

		it("at the deadline a live password-only session ends at its next use, and a session at AAL2 goes on", async () => {
			// Enforcement starts an hour in, without grace: sessions are not idle by then.
			await start({ ...POLICY, enforcedSince: new Date(T0 + 3_600_000).toISOString(), gracePeriodDays: 0 });
			const user = await signUp(t);
			const enrolled = await signUpWith2FA(t);
			t.clock.advance(3_600_000 - 1);
			await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
			t.clock.advance(1);
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toMatchObject({ reason: "two_factor_overdue" });
			await expect(t.deadbolt.validateSession(enrolled.session.token)).resolves.toBeDefined();
		});

		it("a thief's password-only session and token from the grace period: refused after the deadline, and ended by the owner's required setup", async () => {
			await start();
			const owner = await signUp(t);
			await t.store.accounts.markEmailVerified(owner.account.id, t.clock.now());
			// The thief signs in with the stolen password during the grace period and makes a token.
			const thief = await t.deadbolt.beginLogin({ email: owner.email, password: PASSWORD });
			if (thief.kind !== "session") throw new Error("expected a session");
			const thiefAuth = await t.deadbolt.validateSession(thief.session.token);
			const token = await t.deadbolt.createAccessToken(thiefAuth, { name: "loot", hosts: ["app.example.com"], expiresInDays: 30 });
			expect((await t.deadbolt.validateAccessToken(token.token, "app.example.com")).kind).toBe("valid");
			t.clock.advance(8 * DAY_MS);
			await expect(t.deadbolt.validateSession(thief.session.token)).rejects.toBeInstanceOf(Unauthenticated);
			expect(await t.deadbolt.validateAccessToken(token.token, "app.example.com")).toMatchObject({ kind: "refused", reason: "two_factor_overdue" });
			// The owner sets up 2FA through the mailed link: whatever came before ends for good,
			// even if the policy stops applying later.
			await t.deadbolt.beginLogin({ email: owner.email, password: PASSWORD });
			const setupToken = await lastMailedToken(t.store, owner.email, "two_factor.setup_required");
			const key = decodeBase32((await t.deadbolt.beginRequiredTOTPSetup({ setupToken })).secret);
			const done = await t.deadbolt.confirmRequiredTOTPSetup({ setupToken, code: generateTOTP(key, t.clock.now()) });
			expect((await t.store.sessions.findSession(thief.session.record.id))?.revokedAt).not.toBeNull();
			expect(await t.deadbolt.validateAccessToken(token.token, "app.example.com")).toMatchObject({ kind: "refused", reason: "revoked" });
			await expect(t.deadbolt.validateSession(done.session.token)).resolves.toBeDefined();
		});

		it("at most twoFactorPolicy.setupLinksPerAccountPerHour setup links are mailed an hour; beyond, the same answer, nothing mailed, and the last link keeps working", async () => {
			await start({ ...POLICY, setupLinksPerAccountPerHour: 2 });
			const user = await signUp(t);
			t.clock.advance(8 * DAY_MS);
			const answers = [];
			for (let i = 0; i < 4; i++) {
				answers.push(await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }));
				t.clock.advance(60_000);
			}
			for (const answer of answers) expect(answer).toMatchObject({ kind: "two_factor_setup_required", setup: { setupToken: null } });
			const mails = await mailsTo(t.store, user.email, "two_factor.setup_required");
			expect(mails).toHaveLength(2);
			// Beyond the cap the answer names the last mailed link's expiry (it was not replaced).
			const last = answers[1]!.kind === "two_factor_setup_required" ? answers[1]!.setup.expiresAt : 0;
			for (const answer of answers.slice(2)) expect(answer.kind === "two_factor_setup_required" && answer.setup.expiresAt).toBe(last);
			const setupToken = await lastMailedToken(t.store, user.email, "two_factor.setup_required");
			await expect(t.deadbolt.beginRequiredTOTPSetup({ setupToken })).resolves.toMatchObject({ email: user.email });
			// An hour after the first mail, one more goes out.
			t.clock.advance(3_600_000);
			await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			expect(await mailsTo(t.store, user.email, "two_factor.setup_required")).toHaveLength(3);
		});

		it("a sign-in challenge token is never a setup token (a stolen password cannot enroll its own authenticator), and a setup token is never a sign-in challenge", async () => {
			await start();
			const enrolled = await signUpWith2FA(t);
			const challengeToken = await passwordStep(t, enrolled.email);
			await expect(t.deadbolt.beginRequiredTOTPSetup({ setupToken: challengeToken })).rejects.toBeInstanceOf(ChallengeInvalid);
			await expect(t.deadbolt.confirmRequiredTOTPSetup({ setupToken: challengeToken, code: "123456" })).rejects.toBeInstanceOf(ChallengeInvalid);
			const user = await signUp(t);
			t.clock.advance(8 * DAY_MS);
			await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			const setupToken = await lastMailedToken(t.store, user.email, "two_factor.setup_required");
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: setupToken, code: "123456" })).rejects.toBeInstanceOf(ChallengeInvalid);
			await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: setupToken, code: "AAAA-BBBB-CCCC" })).rejects.toBeInstanceOf(ChallengeInvalid);
		});

		it("an operator's sign-in link hands over the setup token directly; parallel confirmations make one session", async () => {
			await start();
			const user = await signUp(t);
			t.clock.advance(8 * DAY_MS);
			const link = await t.deadbolt.issueSignInLink(user.email);
			const redeemed = await t.deadbolt.redeemSignInLink({ token: link.token });
			expect(redeemed.kind).toBe("two_factor_setup_required");
			if (redeemed.kind !== "two_factor_setup_required") return;
			const setupToken = redeemed.setup.setupToken!;
			expect(setupToken).toEqual(expect.any(String));
			expect(await mailsTo(t.store, user.email, "two_factor.setup_required")).toHaveLength(0);
			const key = decodeBase32((await t.deadbolt.beginRequiredTOTPSetup({ setupToken })).secret);
			const code = generateTOTP(key, t.clock.now());
			const results = await Promise.allSettled([1, 2, 3].map(() => t.deadbolt.confirmRequiredTOTPSetup({ setupToken, code })));
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			// Not confirmed by mail: the operator handed the link over.
			expect((await t.store.accounts.findAccountById(user.account.id))?.secondFactorMailConfirmedAt).toBeNull();
		});

		it("a policy for groups applies to their members only; 2FA cannot be turned off while required", async () => {
			await start({ ...POLICY, enforce: "groups", groups: ["Admins"] });
			const admin = await signUpWith2FA(t);
			await t.deadbolt.setAccountGroups(admin.account.id, ["admins"], { via: "cli" });
			const staff = await signUp(t);
			t.clock.advance(8 * DAY_MS);
			const staffLogin = await t.deadbolt.beginLogin({ email: staff.email, password: PASSWORD });
			expect(staffLogin.kind).toBe("session");
			if (staffLogin.kind === "session") await expect(t.deadbolt.validateSession(staffLogin.session.token)).resolves.toBeDefined();
			const signedIn = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, admin.email), code: codeAt(t, admin.key) });
			const auth = await t.deadbolt.validateSession(signedIn.token);
			await expect(t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: codeAt(t, admin.key) })).rejects.toBeInstanceOf(TwoFactorRequired);
			expect(await t.deadbolt.isTwoFactorEnabled(admin.account.id)).toBe(true);
		});

		it("the session that turned 2FA off drops to AAL1 (and so its new tokens): a policy that applies to the account later refuses both", async () => {
			// Not required at first (not in the group), so turning 2FA off is allowed; no grace period.
			await start({ ...POLICY, enforce: "groups", groups: ["Admins"], gracePeriodDays: 0 });
			const enrolled = await signUpWith2FA(t);
			await t.store.accounts.markEmailVerified(enrolled.account.id, t.clock.now());
			t.clock.advance(30_000);
			const before = await t.deadbolt.validateSession(enrolled.session.token);
			expect(before.session).toMatchObject({ aal: 2, amr: "pwd otp mfa" });
			await t.deadbolt.disableTOTP(before, { password: PASSWORD, code: codeAt(t, enrolled.key) });
			const after = await t.deadbolt.validateSession(enrolled.session.token);
			// The session's record no longer claims the factor the account no longer has.
			expect(after.session).toMatchObject({ aal: 1, amr: "pwd", secondFactorAt: null });
			const token = await t.deadbolt.createAccessToken(after, { name: "ci", hosts: ["app.example.com"], expiresInDays: 30 });
			expect(token.view.aal).toBe("aal1");
			expect((await t.deadbolt.validateAccessToken(token.token, "app.example.com")).kind).toBe("valid");
			// The operator puts the account in a group the policy covers; its deadline has passed.
			await t.deadbolt.setAccountGroups(enrolled.account.id, ["admins"], { via: "cli" });
			await expect(t.deadbolt.validateSession(enrolled.session.token)).rejects.toMatchObject({ reason: "two_factor_overdue" });
			expect(await t.deadbolt.validateAccessToken(token.token, "app.example.com")).toMatchObject({ kind: "refused", reason: "two_factor_overdue" });
			// The password alone makes no session either: a setup link is mailed.
			expect((await t.deadbolt.beginLogin({ email: enrolled.email, password: PASSWORD })).kind).toBe("two_factor_setup_required");
		});

		it("off by default: nothing is required", async () => {
			await start({ enforce: "off", groups: [], enforcedSince: null, gracePeriodDays: 14 });
			const user = await signUp(t);
			t.clock.advance(400 * DAY_MS);
			expect(t.deadbolt.twoFactorRequirementOf(user.account, false)).toEqual({ required: false, deadline: null, overdue: false });
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).kind).toBe("session");
		});
	});
}
