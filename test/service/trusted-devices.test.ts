/** "Remember this device": skips the code step for that account only, rotates, never skips the password, ends with the account's security changes. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCredentials, ReauthenticationRequired } from "../../src/errors.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUpWith2FA, type Enrolled } from "../helpers/flows.js";

for (const backend of await testBackends()) {
	describe(`trusted devices on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open() });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		async function rememberedSignIn(user: Enrolled): Promise<string> {
			t.clock.advance(30_000);
			const done = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key), rememberDevice: true });
			expect(done.trustedDevice).not.toBeNull();
			return done.trustedDevice!.token;
		}

		it("a remembered device skips the code step of its account, and its token rotates at every use", async () => {
			const user = await signUpWith2FA(t);
			const token = await rememberedSignIn(user);
			const first = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token });
			expect(first.kind).toBe("session");
			if (first.kind !== "session") return;
			expect(first.session.record.aal).toBe(2);
			expect(first.trustedDevice!.token).not.toBe(token);
			// The old token was used up by the rotation.
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token })).kind).toBe("challenge");
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: first.trustedDevice!.token })).kind).toBe("session");
		});

		it("it never skips the password", async () => {
			const user = await signUpWith2FA(t);
			const token = await rememberedSignIn(user);
			await expect(t.deadbolt.beginLogin({ email: user.email, password: "wrong password!", trustedDeviceToken: token })).rejects.toBeInstanceOf(InvalidCredentials);
		});

		it("a device token of account A does nothing for account B", async () => {
			const alice = await signUpWith2FA(t);
			const bob = await signUpWith2FA(t);
			const token = await rememberedSignIn(alice);
			const forBob = await t.deadbolt.beginLogin({ email: bob.email, password: PASSWORD, trustedDeviceToken: token });
			expect(forBob.kind).toBe("challenge");
			// The browser is told to keep it (it is Alice's, and live), not to drop it.
			expect(forBob.kind === "challenge" && forBob.keepTrustedDevice).toBe(true);
			// And it still works for Alice: Bob's attempt did not spend it.
			expect((await t.deadbolt.beginLogin({ email: alice.email, password: PASSWORD, trustedDeviceToken: token })).kind).toBe("session");
		});

		it("the same device token sent by 8 parallel sign-ins skips the code step exactly once", async () => {
			const user = await signUpWith2FA(t);
			const token = await rememberedSignIn(user);
			const results = await Promise.all(Array.from({ length: 8 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token })));
			expect(results.filter((r) => r.kind === "session")).toHaveLength(1);
		});

		it("expires trustedDevice.ttlSeconds after it was remembered, however often it is used", async () => {
			const user = await signUpWith2FA(t);
			let token = await rememberedSignIn(user);
			const rememberedAt = t.clock.now();
			for (let day = 0; day < 3; day++) {
				t.clock.advance(t.config.trustedDevice.ttlSeconds * 250);
				const used = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token });
				if (used.kind !== "session") throw new Error("expected the device to skip the code step");
				expect(used.trustedDevice!.expiresAt).toBe(rememberedAt + t.config.trustedDevice.ttlSeconds * 1000);
				token = used.trustedDevice!.token;
			}
			t.clock.advance(t.config.trustedDevice.ttlSeconds * 250);
			const expired = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token });
			expect(expired.kind).toBe("challenge");
			expect(expired.kind === "challenge" && expired.keepTrustedDevice).toBe(false);
		});

		it("listing, revoking one, and password change / 2FA off / sign out everywhere end them", async () => {
			const user = await signUpWith2FA(t);
			const token = await rememberedSignIn(user);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const devices = await t.deadbolt.listTrustedDevices(auth);
			expect(devices).toHaveLength(1);
			await t.deadbolt.revokeTrustedDevice(auth, devices[0]!.id);
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token })).kind).toBe("challenge");

			const second = await rememberedSignIn(user);
			await t.deadbolt.changePassword(await t.deadbolt.validateSession(user.session.token), { currentPassword: PASSWORD, newPassword: "a completely new passphrase" });
			expect((await t.deadbolt.beginLogin({ email: user.email, password: "a completely new passphrase", trustedDeviceToken: second })).kind).toBe("challenge");
		});

		it("forgetting all devices needs a recent re-authentication, and forgets nothing without one", async () => {
			const user = await signUpWith2FA(t);
			const token = await rememberedSignIn(user);
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
			const stale = await t.deadbolt.validateSession(user.session.token);
			await expect(t.deadbolt.revokeAllTrustedDevices(stale)).rejects.toBeInstanceOf(ReauthenticationRequired);
			expect(await t.deadbolt.listTrustedDevices(stale)).toHaveLength(1);
			user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(stale, { password: PASSWORD, code: codeAt(t, user.key, 1) })).sessionToken };
			expect(await t.deadbolt.revokeAllTrustedDevices(await t.deadbolt.validateSession(user.session.token))).toBe(1);
			expect((await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD, trustedDeviceToken: token })).kind).toBe("challenge");
		});

		it("2FA off forgets every trusted device", async () => {
			const user = await signUpWith2FA(t);
			await rememberedSignIn(user);
			t.clock.advance(30_000);
			const result = await t.deadbolt.disableTOTP(await t.deadbolt.validateSession(user.session.token), { password: PASSWORD, code: codeAt(t, user.key) });
			expect(result.trustedDevicesRevoked).toBe(1);
		});
	});
}
