/** Security settings: re-authentication, sessions, password change, recovery codes, 2FA off, activity. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeInvalid, InvalidCode, InvalidCredentials, InvalidRequest, NotFound, ReauthenticationRequired, SignInLinkInvalid, TooManyAttempts, TOTPNotEnabled, Unauthenticated } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

const NEW_PASSWORD = "a completely new passphrase";

for (const backend of await testBackends()) {
	describe(`security settings on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open() });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		const auth = (token: string) => t.deadbolt.validateSession(token);
		const passwordSession = async (email: string) => {
			const result = await t.deadbolt.beginLogin({ email, password: PASSWORD });
			if (result.kind !== "session") throw new Error("expected a session");
			return result.session.token;
		};
		const expireReauthentication = () => t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);

		describe("re-authentication", () => {
			it("with 2FA on, a password alone is not enough: the code is required", async () => {
				const user = await signUpWith2FA(t);
				await expect(t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD })).rejects.toBeInstanceOf(InvalidRequest);
				t.clock.advance(30_000);
				await expect(t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
				const result = await t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) });
				expect(result.expiresAt).toBe(t.clock.now() + t.config.session.reauthenticationTtlSeconds * 1000);
			});

			it("a wrong password is refused and counts toward the lockout", async () => {
				const user = await signUp(t);
				const error = await t.deadbolt.reauthenticate(await auth(user.session.token), { password: "wrong password!" }).catch((e: unknown) => e);
				expect(error).toBeInstanceOf(InvalidCredentials);
				expect((error as Error).message).toBe("That password is not correct.");
				expect((await t.store.authFailures.findAuthFailure(user.account.id, "password"))?.failureCount).toBe(1);
			});

			it("re-authenticating with a code spends its time step (the same code cannot sign in)", async () => {
				const user = await signUpWith2FA(t);
				t.clock.advance(30_000);
				const code = codeAt(t, user.key);
				user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD, code })).sessionToken };
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code })).rejects.toBeInstanceOf(InvalidCode);
			});
		});

		describe("second factor in sensitive actions", () => {
			it("wrong codes in re-authentication and 2FA off count toward the account's lockout: then even the right code is refused", async () => {
				const user = await signUpWith2FA(t);
				const session = await auth(user.session.token);
				for (let i = 0; i < t.config.lockout.maxFailures; i++) {
					const wrong = i % 2 === 0 ? t.deadbolt.reauthenticate(session, { password: PASSWORD, code: "000000" }) : t.deadbolt.disableTOTP(session, { password: PASSWORD, code: "000000" });
					await expect(wrong).rejects.toBeInstanceOf(InvalidCode);
				}
				t.clock.advance(30_000);
				await expect(t.deadbolt.reauthenticate(session, { password: PASSWORD, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(TooManyAttempts);
				await expect(t.deadbolt.disableTOTP(session, { password: PASSWORD, code: user.recoveryCodes[0]! })).rejects.toBeInstanceOf(TooManyAttempts);
				expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
			});

			it("moving to a new phone forgets the remembered devices (they were trusted under the old authenticator)", async () => {
				const user = await signUpWith2FA(t);
				t.clock.advance(30_000);
				const remembered = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key), rememberDevice: true });
				const session = await auth(remembered.token);
				const pending = await t.deadbolt.beginTOTPEnrollment(session.account, session.session, {});
				t.clock.advance(30_000);
				await t.deadbolt.confirmTOTPEnrollment(session.account, session.session, { code: codeAt(t, decodeBase32(pending.secret)) });
				expect(await t.deadbolt.listTrustedDevices(session)).toEqual([]);
				expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: remembered.trustedDevice!.token })).kind).toBe("challenge");
			});
		});

		describe("sessions", () => {
			it("lists the account's active sessions with the current one marked and a readable device", async () => {
				const user = await signUp(t);
				await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }, { ipAddress: "192.0.2.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36" });
				const sessions = await t.deadbolt.listSessions(await auth(user.session.token));
				expect(sessions).toHaveLength(2);
				expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([user.session.record.id]);
				const other = sessions.find((s) => !s.current)!;
				expect(other.ipAddress).toBe("192.0.2.7");
				expect(other.device.label).toBe("Chrome on Linux");
				expect(JSON.stringify(sessions)).not.toContain("secretHash");
			});

			it("revoking one session refuses its token at once; another account's session id is not found", async () => {
				const user = await signUp(t);
				const otherToken = await passwordSession(user.email);
				const otherId = otherToken.split(".")[0]!;
				const stranger = await signUp(t);
				await expect(t.deadbolt.revokeSession(await auth(stranger.session.token), otherId)).rejects.toBeInstanceOf(NotFound);
				await t.deadbolt.revokeSession(await auth(user.session.token), otherId);
				await expect(t.deadbolt.validateSession(otherToken)).rejects.toBeInstanceOf(Unauthenticated);
				await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
			});

			it("signing out the other sessions needs a recent re-authentication, ends them all, and keeps this one", async () => {
				const user = await signUp(t);
				const others = [await passwordSession(user.email), await passwordSession(user.email)];
				expireReauthentication();
				await expect(t.deadbolt.revokeOtherSessions(await auth(user.session.token))).rejects.toBeInstanceOf(ReauthenticationRequired);
				user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD })).sessionToken };
				expect(await t.deadbolt.revokeOtherSessions(await auth(user.session.token))).toBe(2);
				for (const token of others) await expect(t.deadbolt.validateSession(token)).rejects.toBeInstanceOf(Unauthenticated);
				await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
			});

			it("signing out everywhere ends every session, this one too", async () => {
				const user = await signUp(t);
				const other = await passwordSession(user.email);
				const result = await t.deadbolt.signOutEverywhere(await auth(user.session.token));
				expect(result.sessionsRevoked).toBe(2);
				await expect(t.deadbolt.validateSession(other)).rejects.toBeInstanceOf(Unauthenticated);
				await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
			});
		});

		describe("password change", () => {
			it("needs the current password, applies the policy, ends the other sessions and keeps this one", async () => {
				const user = await signUp(t);
				const other = await passwordSession(user.email);
				await expect(t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: "wrong password!", newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
				await expect(t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: "password123" })).rejects.toBeInstanceOf(InvalidRequest);
				const result = await t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
				expect(result.otherSessionsRevoked).toBe(1);
				await expect(t.deadbolt.validateSession(other)).rejects.toBeInstanceOf(Unauthenticated);
				// This session goes on under a new token (same id); the old one is dead.
				await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
				expect((await t.deadbolt.validateSession(result.sessionToken)).session.id).toBe(user.session.record.id);
				await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
				await expect(t.deadbolt.beginLogin({ email: user.email, password: NEW_PASSWORD })).resolves.toMatchObject({ kind: "session" });
			});

			it("with 2FA on, it also needs a recent re-authentication", async () => {
				const user = await signUpWith2FA(t);
				expireReauthentication();
				await expect(t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(ReauthenticationRequired);
			});
		});

		describe("recovery codes", () => {
			it("regenerating needs a recent re-authentication; the old set stops working at once", async () => {
				const user = await signUpWith2FA(t);
				expireReauthentication();
				await expect(t.deadbolt.regenerateRecoveryCodes(await auth(user.session.token))).rejects.toBeInstanceOf(ReauthenticationRequired);
				t.clock.advance(30_000);
				user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(await auth(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) })).sessionToken };
				const fresh = await t.deadbolt.regenerateRecoveryCodes(await auth(user.session.token));
				expect(fresh).toHaveLength(10);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: user.recoveryCodes[0]! })).rejects.toBeInstanceOf(InvalidCode);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: fresh[0]! })).resolves.toBeDefined();
			});

			it("there are none to regenerate without 2FA", async () => {
				const user = await signUp(t);
				await expect(t.deadbolt.regenerateRecoveryCodes(await auth(user.session.token))).rejects.toBeInstanceOf(TOTPNotEnabled);
			});
		});

		describe("turning 2FA off", () => {
			it("needs the password and a current code; removes the key and codes; other sessions end; sign-in is password-only again", async () => {
				const user = await signUpWith2FA(t);
				t.clock.advance(30_000);
				const otherLogin = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
				t.clock.advance(30_000);
				await expect(t.deadbolt.disableTOTP(await auth(user.session.token), { password: "wrong password!", code: codeAt(t, user.key) })).rejects.toBeInstanceOf(InvalidCredentials);
				await expect(t.deadbolt.disableTOTP(await auth(user.session.token), { password: PASSWORD, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
				expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
				const result = await t.deadbolt.disableTOTP(await auth(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) });
				expect(result.otherSessionsRevoked).toBe(1);
				await expect(t.deadbolt.validateSession(otherLogin.token)).rejects.toBeInstanceOf(Unauthenticated);
				expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
				expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(0);
				await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).resolves.toMatchObject({ kind: "session" });
			});

			it("ends the account's open sign-ins and unused sign-in links (a link issued while 2FA was on must not become a full sign-in)", async () => {
				const user = await signUpWith2FA(t);
				const challengeToken = await passwordStep(t, user.email);
				const link = await t.deadbolt.issueSignInLink(user.email);
				t.clock.advance(30_000);
				await t.deadbolt.disableTOTP(await auth(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) });
				await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toBeInstanceOf(SignInLinkInvalid);
				await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code: user.recoveryCodes[1]! })).rejects.toBeInstanceOf(ChallengeInvalid);
			});

			it("a recovery code works instead of the TOTP code (lost phone), once", async () => {
				const user = await signUpWith2FA(t);
				await t.deadbolt.disableTOTP(await auth(user.session.token), { password: PASSWORD, code: user.recoveryCodes[0]! });
				expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
			});
		});

		describe("security activity", () => {
			it("records sign-ins, failures and changes, newest first, with no secret in them", async () => {
				const user = await signUpWith2FA(t);
				t.clock.advance(1000);
				await t.deadbolt.beginLogin({ email: user.email, password: "wrong password!" }).catch(() => {});
				t.clock.advance(1000);
				const token = await passwordStep(t, user.email);
				await t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "000000" }).catch(() => {});
				t.clock.advance(30_000);
				await t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) });
				const events = await t.deadbolt.listSecurityEvents(user.account.id);
				expect(events.map((e) => e.type)).toEqual(["login.succeeded", "login.second_factor_failed", "login.password_failed", "totp.enabled", "account.created"]);
				expect(events[0]!.details).toEqual({ factors: ["password", "totp"], newDevice: false });
				const text = JSON.stringify(events);
				for (const secret of [PASSWORD, "wrong password!", "000000", user.secret, token, ...user.recoveryCodes]) expect(text).not.toContain(secret);
			});

			it("a sign-in that sends no User-Agent is new after one that did, on an account created without one (its creation names no device)", async () => {
				const user = await signUp(t);
				const firefox = { ipAddress: "192.0.2.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" };
				await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }, firefox);
				await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }, { ipAddress: "198.51.100.9", userAgent: null });
				const flags = (await t.deadbolt.listSecurityEvents(user.account.id)).filter((e) => e.type === "login.succeeded").map((e) => e.details["newDevice"]);
				expect(flags, "newest first").toEqual([true, false]);
			});

			it("another account's events are not listed", async () => {
				const alice = await signUp(t);
				const bob = await signUp(t);
				const events = await t.deadbolt.listSecurityEvents(bob.account.id);
				expect(events.every((e) => e.type === "account.created")).toBe(true);
				expect(events).toHaveLength(1);
				void alice;
			});
		});
	});
}

describe("I think my account is compromised", () => {
	it("changes the password, ends every other session, forgets trusted devices, replaces recovery codes, and says so", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			t.clock.advance(30_000);
			const attacker = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key), rememberDevice: true });
			const auth = await t.deadbolt.validateSession(user.session.token);
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
			await expect(t.deadbolt.secureCompromisedAccount(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(ReauthenticationRequired);
			user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(await t.deadbolt.validateSession(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) })).sessionToken };
			const summary = await t.deadbolt.secureCompromisedAccount(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
			user.session = { ...user.session, token: summary.sessionToken };
			expect(summary).toMatchObject({ passwordChanged: true, otherSessionsRevoked: 1, trustedDevicesRevoked: 1, twoFactorEnabled: true });
			expect(summary.recoveryCodes).toHaveLength(10);
			await expect(t.deadbolt.validateSession(attacker.token)).rejects.toBeInstanceOf(Unauthenticated);
			expect((await t.deadbolt.beginLogin({ email: user.email, password: NEW_PASSWORD, trustedDeviceToken: attacker.trustedDevice!.token })).kind).toBe("challenge");
			await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await (async () => { const r = await t.deadbolt.beginLogin({ email: user.email, password: NEW_PASSWORD }); if (r.kind !== "challenge") throw new Error("x"); return r.challenge.challengeToken; })(), code: user.recoveryCodes[0]! })).rejects.toBeInstanceOf(InvalidCode);
			await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
			void auth;
		} finally {
			await t.deadbolt.close();
		}
	});
});

describe("second review of issue 3", () => {
	it("a login challenge made with the old password dies with a password change, secure-account, sign-out-everywhere and 2FA off", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			const challenge = await passwordStep(t, user.email);
			await t.deadbolt.changePassword(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: challenge, code: user.recoveryCodes[0]! })).rejects.toThrow();
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
		} finally {
			await t.deadbolt.close();
		}
	});

	it("sign out everywhere ends open login challenges", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			const challenge = await passwordStep(t, user.email);
			await t.deadbolt.signOutEverywhere(await t.deadbolt.validateSession(user.session.token));
			await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: challenge, code: user.recoveryCodes[0]! })).rejects.toThrow(/has ended/);
		} finally {
			await t.deadbolt.close();
		}
	});

	it("a session made with a remembered device is not a fresh re-authentication: sensitive actions ask again", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			t.clock.advance(30_000);
			const remembered = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key), rememberDevice: true });
			const login = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: remembered.trustedDevice!.token });
			if (login.kind !== "session") throw new Error("expected a session");
			const auth = await t.deadbolt.validateSession(login.session.token);
			await expect(t.deadbolt.regenerateRecoveryCodes(auth)).rejects.toBeInstanceOf(ReauthenticationRequired);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
		} finally {
			await t.deadbolt.close();
		}
	});
});
