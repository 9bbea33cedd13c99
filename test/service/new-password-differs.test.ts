/**
 * A new password must differ from the current one (issue 9 item 5), in "Change password" and in
 * "I think my account is compromised": refused with a 400-class InvalidRequest on `newPassword`
 * (rule `same_as_current`) and nothing done, checked against the current hash.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCredentials, InvalidRequest } from "../../src/errors.js";
import { SAME_PASSWORD_MESSAGE } from "../../src/service/password-change.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

const NEW_PASSWORD = "a completely new passphrase";

for (const backend of await testBackends()) {
	describe(`a new password must differ from the current one, on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open() });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		const auth = (token: string) => t.deadbolt.validateSession(token);
		const otherSession = async (email: string, password = PASSWORD) => {
			const result = await t.deadbolt.beginLogin({ email, password });
			if (result.kind !== "session") throw new Error("expected a session");
			return result.session.token;
		};
		const refusal = (promise: Promise<unknown>) => promise.then(() => expect.unreachable("the change was accepted"), (error: unknown) => error as InvalidRequest);
		const expectSamePasswordRefusal = (error: InvalidRequest) => {
			expect(error).toBeInstanceOf(InvalidRequest);
			expect(error.message).toBe(SAME_PASSWORD_MESSAGE);
			expect(error.violations).toEqual([{ field: "newPassword", rule: "same_as_current", message: SAME_PASSWORD_MESSAGE }]);
		};

		it("change password: the current password again is refused, and nothing changes", async () => {
			const user = await signUp(t);
			const other = await otherSession(user.email);
			const before = await t.store.accounts.findAccountById(user.account.id);
			expectSamePasswordRefusal(await refusal(t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: PASSWORD })));
			expect((await t.store.accounts.findAccountById(user.account.id))?.passwordHash).toBe(before?.passwordHash);
			await expect(auth(other)).resolves.toBeDefined();
			expect((await t.deadbolt.listSecurityEvents(user.account.id)).map((e) => e.type)).not.toContain("password.changed");
			// A different one still works.
			await expect(t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).resolves.toMatchObject({ otherSessionsRevoked: 1 });
		});

		it("the check is made on the hash: a password that differs as a string but is the same after NFKC is refused", async () => {
			const composed = "caf\u00e9 is where my passphrase lives";
			const { account, session } = await t.deadbolt.registerAccount({ email: "nfkc@example.com", password: composed });
			const decomposed = composed.normalize("NFD");
			expect(decomposed).not.toBe(composed);
			expectSamePasswordRefusal(await refusal(t.deadbolt.changePassword(await auth(session!.token), { currentPassword: composed, newPassword: decomposed })));
			expect((await t.store.accounts.findAccountById(account.id))?.passwordHash).toBe(account.passwordHash);
		});

		it("no oracle: with a wrong current password, the answer is the wrong password, whatever the new one", async () => {
			const user = await signUp(t);
			const error = await t.deadbolt.changePassword(await auth(user.session.token), { currentPassword: "not the password at all", newPassword: PASSWORD }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidCredentials);
		});

		it("'my account is compromised': the current password again is refused; no session ends, no device is forgotten, no code is replaced, no 'secured' event", async () => {
			const user = await signUpWith2FA(t);
			t.clock.advance(30_000);
			const other = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key), rememberDevice: true });
			expectSamePasswordRefusal(await refusal(t.deadbolt.secureCompromisedAccount(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: PASSWORD })));
			await expect(auth(other.token)).resolves.toBeDefined();
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: other.trustedDevice!.token })).kind).toBe("session");
			await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: user.recoveryCodes[0]! })).resolves.toBeDefined();
			expect((await t.deadbolt.listSecurityEvents(user.account.id)).map((e) => e.type)).not.toContain("account.secured");
			const secured = await t.deadbolt.secureCompromisedAccount(await auth(user.session.token), { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
			expect(secured).toMatchObject({ passwordChanged: true, otherSessionsRevoked: 3, trustedDevicesRevoked: 1 });
		});
	});
}
