/**
 * The step after a restore (`service/restored-database.ts`, docs/operations.md "Incident: the
 * database was restored"), on SQLite and PostgreSQL: everything a backup brings back that may have
 * ended since stops working, for every account (paged in transactions), and only the owners of
 * recovery codes (with a verified address) are mailed; codes and recovery codes still sign in.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";
import { lastMailedToken, mailsTo } from "../helpers/mailed-links.js";

const ACCESS_CONTROL = { defaultPolicy: "deny", rules: [{ domains: ["app.example.test"], policy: "one_factor" }] };

for (const backend of await testBackends()) {
	describe(`after a restore on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { accessControl: ACCESS_CONTROL } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		it("every session, remembered device, access token, half-way sign-in, sign-in link and mailed link of every account ends; owners of recovery codes are told", async () => {
			const alice = await signUpWith2FA(t);
			const bob = await signUp(t);
			const carol = await signUpWith2FA(t);
			await t.store.accounts.markEmailVerified(alice.account.id, t.clock.now());
			await t.store.accounts.markEmailVerified(bob.account.id, t.clock.now());
			t.clock.advance(30_000);
			// Alice: a second session from a remembered device, an access token, an open challenge, links.
			const remembered = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, alice.email), code: codeAt(t, alice.key), rememberDevice: true });
			expect(remembered.trustedDevice).not.toBeNull();
			const token = await t.deadbolt.createAccessToken(await t.deadbolt.validateSession(remembered.token), { name: "script", hosts: ["app.example.test"], expiresInDays: 30 });
			const openChallenge = await passwordStep(t, alice.email);
			const link = await t.deadbolt.issueSignInLink(alice.email);
			await t.deadbolt.requestPasswordReset({ email: bob.email });
			const resetToken = await lastMailedToken(t.store, bob.email, "password.reset");
			expect(await t.deadbolt.describePasswordReset(resetToken)).not.toBeNull();

			const report = await t.deadbolt.secureRestoredDatabase(2);

			for (const session of [alice.session.token, remembered.token, bob.session.token, carol.session.token]) {
				await expect(t.deadbolt.validateSession(session)).rejects.toMatchObject({ code: "ERR_UNAUTHENTICATED" });
			}
			expect(await t.store.trustedDevices.listActiveTrustedDevices(alice.account.id, t.clock.now())).toEqual([]);
			expect(await t.deadbolt.validateAccessToken(token.token, "app.example.test")).toMatchObject({ kind: "refused", reason: "revoked" });
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: openChallenge, code: codeAt(t, alice.key) })).rejects.toMatchObject({ code: "ERR_CHALLENGE_INVALID" });
			await expect(t.deadbolt.redeemSignInLink({ token: link.token })).rejects.toThrow();
			expect(await t.deadbolt.describePasswordReset(resetToken)).toBeNull();

			expect(report).toEqual({ accounts: 3, sessionsRevoked: 4, trustedDevicesRevoked: 1, accessTokensRevoked: 1, accountsWithRecoveryCodes: 2 });
			// The activity says it; only the verified owner of recovery codes is mailed.
			const events = async (accountId: string) => (await t.deadbolt.listSecurityEvents(accountId)).filter((event) => event.type === "backup.restored");
			expect((await events(alice.account.id)).map((event) => event.details)).toEqual([{ sessions: 2, trustedDevices: 1, accessTokens: 1, recoveryCodesLeft: 10 }]);
			expect((await events(bob.account.id)).map((event) => event.details["recoveryCodesLeft"])).toEqual([0]);
			expect(await events(carol.account.id)).toHaveLength(1);
			expect(await mailsTo(t.store, alice.email, "backup_restored")).toHaveLength(1);
			expect(await mailsTo(t.store, bob.email, "backup_restored")).toEqual([]);
			expect(await mailsTo(t.store, carol.email, "backup_restored")).toEqual([]);

			// Its owner signs in again with a code, or with a recovery code.
			const again = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, alice.email), code: codeAt(t, alice.key) });
			expect((await t.deadbolt.validateSession(again.token)).account.id).toBe(alice.account.id);
			const withCode = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, carol.email), code: carol.recoveryCodes[0] as string });
			expect((await t.deadbolt.validateSession(withCode.session.token)).account.id).toBe(carol.account.id);
		});
	});
}
