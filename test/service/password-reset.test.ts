/**
 * "Forgot password" (issue 11 item 5), on SQLite and PostgreSQL: the same outcome for known and
 * unknown addresses, links stored hashed, single use, expiring, not used up by a look; limits per
 * account and per IP; the second factor before anything changes, with the sign-in code step's
 * protections (shared lockout, per-link budget, replay guard); a reset ends everything and makes
 * no session. Each check has a test that fails when it is removed.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountDisabled, EmailLinkInvalid, InvalidCode, InvalidCredentials, InvalidRequest, MailLimitReached, TooManyAttempts } from "../../src/errors.js";
import { hashTokenSecret, parseToken } from "../../src/domain/crypto/token.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";
import { lastMailedToken, mailsTo, tokenOf } from "../helpers/mailed-links.js";

const NEW_PASSWORD = "a brand new passphrase";
let counter = 0;
const freshEmail = (label = "reset") => `${label}${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

for (const backend of await testBackends()) {
	describe(`password reset on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { passwordReset: { ttlSeconds: 1_800, perAccountPerHour: 3, perIpPerHour: 5 } } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		// One IP per call site and test (the PostgreSQL schema is shared by the file's tests).
		let ips = 0;
		const testIp = `${Math.floor(Math.random() * 200) + 10}.${Math.floor(Math.random() * 250)}`;
		const ip = (n: number) => ({ ipAddress: `10.${testIp}.${n}`.split(".").slice(0, 3).join(".") + `.${(n + ips) % 250}`, userAgent: null });
		beforeEach(() => {
			ips += 7;
		});

		it("answers alike for a known and an unknown address; only the known one gets a link, stored hashed", async () => {
			const { email, account } = await signUp(t, freshEmail());
			const unknown = freshEmail("nobody");
			expect(await t.deadbolt.requestPasswordReset({ email: email.toUpperCase() }, ip(1))).toBeUndefined();
			expect(await t.deadbolt.requestPasswordReset({ email: unknown }, ip(1))).toBeUndefined();
			const [known] = await mailsTo(t.store, email, "password.reset");
			expect(known?.accountId).toBe(account.id);
			const token = await lastMailedToken(t.store, email, "password.reset");
			const stored = await t.store.emailTokens.findEmailToken(parseToken(token)!.id);
			expect(stored?.purpose).toBe("reset_password");
			expect(stored?.secretHash).toBe(hashTokenSecret(parseToken(token)!.secret));
			expect(JSON.stringify(stored)).not.toContain(parseToken(token)!.secret);
			expect(stored!.expiresAt - stored!.createdAt).toBe(1_800_000);
			// The unknown address is told it has no account, with no link.
			const [note] = await mailsTo(t.store, unknown, "password.reset_unknown");
			expect(note?.sealedSecret).toBeNull();
			expect(await mailsTo(t.store, unknown, "password.reset")).toEqual([]);
			expect((await t.deadbolt.listSecurityEvents(account.id)).map((e) => e.type)).toContain("password.reset_requested");
		});

		it("beyond passwordReset.perAccountPerHour nothing more is sent, and the answer is unchanged", async () => {
			const { email } = await signUp(t, freshEmail());
			for (let i = 0; i < 5; i++) expect(await t.deadbolt.requestPasswordReset({ email }, ip(10 + i))).toBeUndefined();
			expect(await mailsTo(t.store, email, "password.reset")).toHaveLength(3);
			const unknown = freshEmail("nobody");
			for (let i = 0; i < 5; i++) expect(await t.deadbolt.requestPasswordReset({ email: unknown }, ip(20 + i))).toBeUndefined();
			expect(await mailsTo(t.store, unknown, "password.reset_unknown")).toHaveLength(3);
			t.clock.advance(3_600_001);
			await t.deadbolt.requestPasswordReset({ email }, ip(30));
			expect(await mailsTo(t.store, email, "password.reset")).toHaveLength(4);
		});

		it("beyond passwordReset.perIpPerHour requests from one IP are refused (MailLimitReached), known and unknown addresses alike", async () => {
			const { email } = await signUp(t, freshEmail());
			// 5 requests from one IP, mixing addresses with and without an account.
			for (const address of [email, freshEmail("x"), freshEmail("y"), email, freshEmail("z")]) await t.deadbolt.requestPasswordReset({ email: address }, ip(99));
			for (const address of [email, freshEmail("unknown")]) {
				const error = await t.deadbolt.requestPasswordReset({ email: address }, ip(99)).catch((e: unknown) => e);
				expect(error).toBeInstanceOf(MailLimitReached);
				expect((error as MailLimitReached).retryAfterSeconds).toBe(3600);
			}
			// Another IP is not limited.
			expect(await t.deadbolt.requestPasswordReset({ email }, ip(98))).toBeUndefined();
		});

		it("a link is not used up by looking; it expires after passwordReset.ttlSeconds", async () => {
			const { email } = await signUp(t, freshEmail());
			await t.deadbolt.requestPasswordReset({ email }, ip(1));
			const token = await lastMailedToken(t.store, email, "password.reset");
			expect(await t.deadbolt.describePasswordReset(token)).toEqual({ email, needsSecondFactor: false });
			expect(await t.deadbolt.describePasswordReset(token)).toEqual({ email, needsSecondFactor: false });
			t.clock.advance(1_800_000);
			expect(await t.deadbolt.describePasswordReset(token)).toBeNull();
			await expect(t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(EmailLinkInvalid);
			await expect(t.deadbolt.beginLogin({ email, password: NEW_PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
		});

		it("a reset sets the password, ends every session, device, sign-in, sign-in link and mailed link, verifies the address, and makes no session", async () => {
			const { email, account, session } = await signUp(t, freshEmail());
			const other = await t.deadbolt.beginLogin({ email, password: PASSWORD });
			await t.store.trustedDevices.insertTrustedDevice({ id: "device-reset-00001", accountId: account.id, secretHash: "0".repeat(64), createdAt: t.clock.now(), lastUsedAt: t.clock.now(), expiresAt: t.clock.now() + 86_400_000, revokedAt: null, ipAddress: null, userAgent: null });
			await t.store.loginChallenges.insertLoginChallenge({ id: "challenge-reset-01", accountId: account.id, secretHash: "1".repeat(64), createdAt: t.clock.now(), expiresAt: t.clock.now() + 600_000, attempts: 0, maxAttempts: 5, consumedAt: null, ipAddress: null, userAgent: null, firstFactor: "password", purpose: "sign_in" });
			const signInLink = await t.deadbolt.issueSignInLink(email);
			await t.deadbolt.resendVerificationMail(await t.deadbolt.validateSession(session.token));
			await t.deadbolt.requestPasswordReset({ email }, ip(1));
			const firstLink = await lastMailedToken(t.store, email, "password.reset");
			t.clock.advance(1);
			await t.deadbolt.requestPasswordReset({ email }, ip(1));
			const links = (await mailsTo(t.store, email, "password.reset")).length;
			expect(links).toBe(2);
			const outcome = await t.deadbolt.resetPassword({ token: firstLink, newPassword: NEW_PASSWORD }, ip(1));
			expect(outcome.sessionsRevoked).toBe(2);
			expect(outcome.trustedDevicesRevoked).toBe(1);
			expect(await t.store.sessions.listActiveSessions(account.id, t.clock.now())).toEqual([]);
			expect(await t.store.trustedDevices.listActiveTrustedDevices(account.id, t.clock.now())).toEqual([]);
			expect((await t.store.loginChallenges.findLoginChallenge("challenge-reset-01"))?.consumedAt).not.toBeNull();
			expect((await t.store.signInLinks.findSignInLink(signInLink.token.split(".")[0]!))?.consumedAt).not.toBeNull();
			// The other reset link and the verification link ended too.
			const tokens = await Promise.all((await mailsTo(t.store, email, "password.reset")).map(async (d) => t.store.emailTokens.findEmailToken(parseToken(tokenOf(d)!)!.id)));
			expect(tokens.every((record) => record?.consumedAt !== null)).toBe(true);
			expect(await t.deadbolt.describeEmailVerification(await lastMailedToken(t.store, email, "email.verify"))).toBeNull();
			await expect(t.deadbolt.validateSession(session.token)).rejects.toThrow();
			expect(other.kind).toBe("session");
			// The address is verified now; the old password fails, the new one works.
			expect((await t.store.accounts.findAccountById(account.id))?.emailVerifiedAt).toBe(t.clock.now());
			await expect(t.deadbolt.beginLogin({ email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
			expect((await t.deadbolt.beginLogin({ email, password: NEW_PASSWORD })).kind).toBe("session");
			const types = (await t.deadbolt.listSecurityEvents(account.id)).map((e) => e.type);
			expect(types).toContain("password.reset");
			expect(types).toContain("email.verified");
		});

		it("the new password passes the policy first; nothing changes when it is refused", async () => {
			const { email, account } = await signUp(t, freshEmail());
			await t.deadbolt.requestPasswordReset({ email }, ip(1));
			const token = await lastMailedToken(t.store, email, "password.reset");
			await expect(t.deadbolt.resetPassword({ token, newPassword: "short" })).rejects.toBeInstanceOf(InvalidRequest);
			expect((await t.store.accounts.findAccountById(account.id))?.passwordHash).toBe(account.passwordHash);
			expect(await t.deadbolt.describePasswordReset(token)).not.toBeNull();
		});

		it("20 parallel resets with one link: exactly one wins", async () => {
			const { email } = await signUp(t, freshEmail());
			await t.deadbolt.requestPasswordReset({ email }, ip(1));
			const token = await lastMailedToken(t.store, email, "password.reset");
			const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => t.deadbolt.resetPassword({ token, newPassword: `${NEW_PASSWORD} ${i}` })));
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(EmailLinkInvalid);
		});

		describe("a disabled account", () => {
			it("is mailed nothing when it asks (no link, no note: the answer is every address's); a link sent before the disable works for nothing, even once enabled again", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("disabled"));
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const before = await lastMailedToken(t.store, enrolled.email, "password.reset");
				await t.deadbolt.disableAccount({ accountId: enrolled.account.id }, { via: "cli", operator: "alice" });
				expect(await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(2))).toBeUndefined();
				expect(await mailsTo(t.store, enrolled.email, "password.reset")).toHaveLength(1);
				expect(await mailsTo(t.store, enrolled.email, "password.reset_unknown")).toEqual([]);
				expect((await t.deadbolt.listSecurityEvents(enrolled.account.id)).filter((e) => e.type === "password.reset_requested")).toHaveLength(1);
				await t.deadbolt.enableAccount({ accountId: enrolled.account.id }, { via: "cli", operator: "alice" });
				t.clock.advance(30_000);
				expect(await t.deadbolt.describePasswordReset(before)).toBeNull();
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token: before, code: codeAt(t, enrolled.key) })).rejects.toBeInstanceOf(EmailLinkInvalid);
				await expect(t.deadbolt.resetPassword({ token: before, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(EmailLinkInvalid);
			});

			it("a link that escaped the disable (a race: only the flag set) is refused at the link, the code and the new-password steps, and nothing is used or changed", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("raced"));
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
				await t.store.accounts.setAccountDisabled(enrolled.account.id, t.clock.now(), t.clock.now());
				t.clock.advance(30_000);
				await expect(t.deadbolt.describePasswordReset(token)).rejects.toBeInstanceOf(AccountDisabled);
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: codeAt(t, enrolled.key) })).rejects.toBeInstanceOf(AccountDisabled);
				const link = await t.store.emailTokens.findEmailToken(parseToken(token)!.id);
				expect(link).toMatchObject({ consumedAt: null, secondFactorVerifiedAt: null, attempts: 0 });
				await expect(t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(AccountDisabled);
				expect((await t.store.accounts.findAccountById(enrolled.account.id))?.passwordHash).toBe(enrolled.account.passwordHash);
				// Without 2FA too: the code step says so before "not needed".
				const plain = await signUp(t, freshEmail("raced-plain"));
				await t.deadbolt.requestPasswordReset({ email: plain.email }, ip(2));
				const plainToken = await lastMailedToken(t.store, plain.email, "password.reset");
				await t.store.accounts.setAccountDisabled(plain.account.id, t.clock.now(), t.clock.now());
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token: plainToken, code: "123456" })).rejects.toBeInstanceOf(AccountDisabled);
				await expect(t.deadbolt.resetPassword({ token: plainToken, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(AccountDisabled);
			});
		});

		describe("with two-factor authentication", () => {
			it("asks the code before anything changes; a wrong code changes nothing; 2FA stays on; no session is made", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("tfa"));
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
				expect(await t.deadbolt.describePasswordReset(token)).toEqual({ email: enrolled.email, needsSecondFactor: true });
				// The password step without the code is refused, and nothing changed.
				const first = await t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD }).catch((e: unknown) => e);
				expect(first).toBeInstanceOf(InvalidRequest);
				expect((first as InvalidRequest).violations[0]?.field).toBe("code");
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
				expect((await t.store.accounts.findAccountById(enrolled.account.id))?.passwordHash).toBe(enrolled.account.passwordHash);
				expect((await t.deadbolt.validateSession(enrolled.session.token)).account.id).toBe(enrolled.account.id);
				expect((await t.store.emailTokens.findEmailToken(parseToken(token)!.id))?.secondFactorVerifiedAt).toBeNull();
				// The right code, then the password.
				t.clock.advance(30_000);
				expect(await t.deadbolt.provePasswordResetSecondFactor({ token, code: codeAt(t, enrolled.key) })).toBe("totp");
				expect(await t.deadbolt.describePasswordReset(token)).toEqual({ email: enrolled.email, needsSecondFactor: false });
				await t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD });
				expect(await t.deadbolt.isTwoFactorEnabled(enrolled.account.id)).toBe(true);
				expect(await t.store.sessions.listActiveSessions(enrolled.account.id, t.clock.now())).toEqual([]);
				// Signing in with the new password still asks for the code.
				expect((await t.deadbolt.beginLogin({ email: enrolled.email, password: NEW_PASSWORD })).kind).toBe("challenge");
			});

			it("a TOTP time step already used (at sign-in) is refused: the replay guard", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("replay"));
				t.clock.advance(30_000);
				const code = codeAt(t, enrolled.key);
				await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, enrolled.email), code });
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code })).rejects.toBeInstanceOf(InvalidCode);
				await expect(t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(InvalidRequest);
			});

			it("a recovery code works once and is consumed", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("recovery"));
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
				const before = await t.deadbolt.countUnusedRecoveryCodes(enrolled.account.id);
				expect(await t.deadbolt.provePasswordResetSecondFactor({ token, code: enrolled.recoveryCodes[0]! })).toBe("recovery_code");
				expect(await t.deadbolt.countUnusedRecoveryCodes(enrolled.account.id)).toBe(before - 1);
				await t.deadbolt.resetPassword({ token, newPassword: NEW_PASSWORD });
				// The same recovery code with a new link is refused.
				t.clock.advance(1);
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const again = await lastMailedToken(t.store, enrolled.email, "password.reset");
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token: again, code: enrolled.recoveryCodes[0]! })).rejects.toBeInstanceOf(InvalidCode);
			});

			it("each link allows loginChallenge.maxAttempts codes, then is spent", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("budget"));
				await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(1));
				const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
				const max = t.config.loginChallenge.maxAttempts;
				for (let i = 0; i < max - 1; i++) await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: "000000" })).rejects.toBeInstanceOf(EmailLinkInvalid);
				t.clock.advance(30_000);
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: codeAt(t, enrolled.key) })).rejects.toBeInstanceOf(EmailLinkInvalid);
				expect((await t.store.emailTokens.findEmailToken(parseToken(token)!.id))?.secondFactorVerifiedAt).toBeNull();
			});

			it("wrong codes count on the account's second-factor counter: the lockout is shared with sign-in", async () => {
				const enrolled = await signUpWith2FA(t, freshEmail("lockout"));
				const perLink = t.config.loginChallenge.maxAttempts;
				let locked = false;
				for (let round = 0; round < 20 && !locked; round++) {
					if (round > 0) t.clock.advance(3_600_001); // the per-account mail limit (failures of the code step count until a success)
					await t.deadbolt.requestPasswordReset({ email: enrolled.email }, ip(round));
					const token = await lastMailedToken(t.store, enrolled.email, "password.reset");
					for (let i = 0; i < perLink - 1 && !locked; i++) {
						const error = await t.deadbolt.provePasswordResetSecondFactor({ token, code: "000000" }).catch((e: unknown) => e);
						expect(error instanceof InvalidCode || error instanceof TooManyAttempts).toBe(true);
						locked = error instanceof TooManyAttempts;
					}
				}
				expect(locked).toBe(true);
				const state = await t.store.authFailures.findAuthFailure(enrolled.account.id, "second_factor");
				expect(state?.lockedUntil).not.toBeNull();
				// Sign-in's code step is locked too, even with the right code.
				const challenge = await passwordStep(t, enrolled.email).catch((e: unknown) => e);
				if (typeof challenge === "string") await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: codeAt(t, enrolled.key, 1) })).rejects.toBeInstanceOf(TooManyAttempts);
				// And the reset's code step, even with the right code (a link sent before the lock).
				const [newest] = await mailsTo(t.store, enrolled.email, "password.reset");
				const token = tokenOf(newest!)!;
				await expect(t.deadbolt.provePasswordResetSecondFactor({ token, code: codeAt(t, enrolled.key, 2) })).rejects.toBeInstanceOf(TooManyAttempts);
			});
		});
	});
}
