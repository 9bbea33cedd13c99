/**
 * Issue 9, items 1 and 2: a correct password is never called incorrect, however many sign-ins of
 * one account run at once; and every check that gates a sign-in is made again at the code step.
 * On SQLite and PostgreSQL (the two-instance version is in test/instances/two-instances.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeInvalid, InvalidCredentials } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { hashPassword } from "../../src/domain/password/hash.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

for (const backend of await testBackends()) {
	describe(`parallel sign-ins and re-checked gates on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			// A lock shorter than a challenge's lifetime (item 2: "whatever lockout.durationSeconds is").
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { lockout: { durationSeconds: 60 } } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** Runs `count` password steps at once, each from its own address. */
		function parallelSignIns(email: string, passwords: readonly string[]) {
			return Promise.allSettled(passwords.map((password, i) => t.deadbolt.beginLogin({ email, password }, { ipAddress: `192.0.2.${i + 1}`, userAgent: "test" })));
		}

		it("50 parallel sign-ins with the right password on an account without 2FA all get a session", { timeout: 120_000 }, async () => {
			const user = await signUp(t);
			const results = await parallelSignIns(user.email, Array.from({ length: 50 }, () => PASSWORD));
			expect(results.map((r) => (r.status === "fulfilled" ? r.value.kind : (r.reason as Error).name))).toEqual(Array.from({ length: 50 }, () => "session"));
			expect(await t.store.authFailures.findAuthFailure(user.account.id, "password")).toBeNull();
		});

		it("50 parallel sign-ins with the right password on a 2FA account all get a login challenge", { timeout: 120_000 }, async () => {
			const user = await signUpWith2FA(t);
			const results = await parallelSignIns(user.email, Array.from({ length: 50 }, () => PASSWORD));
			expect(results.map((r) => (r.status === "fulfilled" ? r.value.kind : (r.reason as Error).name))).toEqual(Array.from({ length: 50 }, () => "challenge"));
		});

		it("mixed with fewer than lockout.maxFailures wrong ones, only the wrong ones are refused", { timeout: 120_000 }, async () => {
			const user = await signUpWith2FA(t);
			const wrong = t.config.lockout.maxFailures - 1;
			const passwords = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 && i / 5 < wrong ? `wrong guess ${i}` : PASSWORD));
			const results = await parallelSignIns(user.email, passwords);
			results.forEach((result, i) => {
				if (passwords[i] === PASSWORD) expect(result.status === "fulfilled" ? result.value.kind : result.reason).toBe("challenge");
				else expect(result.status === "rejected" ? result.reason : result.value).toBeInstanceOf(InvalidCredentials);
			});
		});

		it("with two instances on one database (each with its own queue), 50 parallel right passwords, some wrong ones: only the wrong ones are refused", { timeout: 120_000 }, async () => {
			const other = await createTestDeadbolt({ store: t.store, overrides: { lockout: { durationSeconds: 60 } } });
			const user = await signUpWith2FA(t);
			const wrong = t.config.lockout.maxFailures - 1;
			const passwords = Array.from({ length: 50 + wrong }, (_, i) => (i < wrong ? `wrong guess ${i}` : PASSWORD));
			const results = await Promise.allSettled(passwords.map((password, i) => (i % 2 === 0 ? t : other).deadbolt.beginLogin({ email: user.email, password }, { ipAddress: `192.0.2.${i + 1}`, userAgent: "test" })));
			results.forEach((result, i) => {
				if (passwords[i] === PASSWORD) expect(result.status === "fulfilled" ? result.value.kind : result.reason).toBe("challenge");
				else expect(result.status === "rejected" ? result.reason : result.value).toBeInstanceOf(InvalidCredentials);
			});
		});

		it("a burst of wrong passwords still runs at most lockout.maxFailures checks, and then locks", { timeout: 120_000 }, async () => {
			const user = await signUp(t);
			const results = await parallelSignIns(user.email, Array.from({ length: 30 }, (_, i) => `guess number ${i}`));
			const checked = results.filter((r) => r.status === "rejected" && (r.reason as InvalidCredentials).reason === "wrong_password").length;
			expect(checked).toBe(t.config.lockout.maxFailures);
			expect((await t.store.authFailures.findAuthFailure(user.account.id, "password"))?.lockedUntil).toBeGreaterThan(t.clock.now());
			await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
		});

		describe("a challenge opened before ... never ends in a session", () => {
			it("a second-factor lock, even one that has ended before the code comes", async () => {
				const user = await signUpWith2FA(t);
				const pending = await passwordStep(t, user.email);
				// Someone with the password burns the code step's budget on other challenges: it locks.
				for (let i = 0; i < 3; i++) {
					const challenge = await passwordStep(t, user.email);
					for (let j = 0; j < t.config.loginChallenge.maxAttempts && i * t.config.loginChallenge.maxAttempts + j <= t.config.lockout.maxFailures; j++) {
						await t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: "000000" }).catch(() => {});
					}
				}
				expect((await t.store.authFailures.findAuthFailure(user.account.id, "second_factor"))?.lockedUntil).toBeGreaterThan(t.clock.now());
				t.clock.advance(90_000); // the 60 s lock is over; the challenge (10 minutes) is not
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: pending, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
				// A new sign-in works.
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) })).resolves.toHaveProperty("token");
			});

			it("a lock of the password step (which strangers can cause) does not cancel the owner's pending sign-in", async () => {
				const user = await signUpWith2FA(t);
				const pending = await passwordStep(t, user.email);
				for (let i = 0; i <= t.config.lockout.maxFailures; i++) await t.deadbolt.beginLogin({ email: user.email, password: "a stranger's guess" }).catch(() => {});
				expect((await t.store.authFailures.findAuthFailure(user.account.id, "password"))?.lockedUntil).toBeGreaterThan(t.clock.now());
				t.clock.advance(30_000);
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: pending, code: codeAt(t, user.key) })).resolves.toHaveProperty("token");
			});

			it("a move to a new phone (TOTP and recovery code)", async () => {
				const user = await signUpWith2FA(t);
				const pendingTOTP = await passwordStep(t, user.email);
				const pendingRecovery = await passwordStep(t, user.email);
				const auth = await t.deadbolt.validateSession(user.session.token);
				const enrollment = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {});
				const newKey = decodeBase32(enrollment.secret);
				t.clock.advance(30_000);
				await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: codeAt(t, newKey) });
				t.clock.advance(30_000);
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: pendingTOTP, code: codeAt(t, newKey) })).rejects.toBeInstanceOf(ChallengeInvalid);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: pendingRecovery, code: user.recoveryCodes[0]! })).rejects.toBeInstanceOf(ChallengeInvalid);
				expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, newKey) })).resolves.toHaveProperty("token");
			});

			it("a password change, even when the challenge was not ended with it (the re-check at the code step)", async () => {
				const user = await signUpWith2FA(t);
				const pending = await passwordStep(t, user.email);
				t.clock.advance(1_000);
				// The password changes behind the service's back (as a racing change would leave it).
				await t.store.accounts.updatePasswordHash(user.account.id, await hashPassword("another password entirely", t.config.password.argon2), t.clock.now());
				t.clock.advance(30_000);
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: pending, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
			});

			it("2FA off, sign out everywhere, 'my account is compromised' (each ends the challenge)", async () => {
				const user = await signUpWith2FA(t);
				const auth = async () => t.deadbolt.reauthenticate(await t.deadbolt.validateSession(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) }).then((result) => t.deadbolt.validateSession(result.sessionToken));
				const pending = [await passwordStep(t, user.email), await passwordStep(t, user.email)];
				t.clock.advance(30_000);
				await t.deadbolt.secureCompromisedAccount(await auth(), { currentPassword: PASSWORD, newPassword: "a brand new passphrase" });
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: pending[0]!, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
				expect((await t.store.loginChallenges.findLoginChallenge(pending[1]!.split(".")[0]!))?.consumedAt).not.toBeNull();
			});
		});
	});
}
