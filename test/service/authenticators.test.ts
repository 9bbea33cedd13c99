/**
 * Several authenticators per account (issue 14): add, name, list, remove; one replay record and
 * one attempt budget shared by all of them; the last one is never removed; moving to a new phone
 * (purpose "replace") still removes the others. SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeInvalid, InvalidCode, InvalidRequest, LastAuthenticator, NotFound, ReauthenticationRequired, TooManyAttempts } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUpWith2FA, type Enrolled } from "../helpers/flows.js";

for (const backend of await testBackends()) {
	describe(`several authenticators on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { rateLimit: { perMinute: 100_000 }, lockout: { maxFailures: 10 } } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** Adds another authenticator (purpose "add") from the user's fresh session; returns its key and id. */
		async function addAuthenticator(user: Enrolled, name?: string): Promise<{ key: Uint8Array; id: string }> {
			const auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add", ...(name === undefined ? {} : { name }) });
			const key = decodeBase32(pending.secret);
			const confirmed = await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(key, t.clock.now()) });
			user.session = { ...user.session, token: confirmed.sessionToken };
			expect(confirmed).toMatchObject({ added: true, replaced: false, recoveryCodes: [] });
			return { key, id: confirmed.authenticatorId };
		}

		it("a second authenticator is added beside the first, named; codes of either sign in; each shows when it was last used", async () => {
			const user = await signUpWith2FA(t);
			const other = await signUpWith2FA(t);
			t.clock.advance(1_000);
			const second = await addAuthenticator(user, "  Work   phone ");
			const listed = await t.deadbolt.listAuthenticators(user.account.id);
			expect(listed.map((a) => a.name)).toEqual([null, "Work phone"]);
			expect(listed[1]!.id).toBe(second.id);
			// Nothing else ended: the other account's session and this one's stay.
			await expect(t.deadbolt.validateSession(other.session.token)).resolves.toBeDefined();
			t.clock.advance(30_000);
			await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
			const firstUsedAt = t.clock.now();
			t.clock.advance(30_000);
			await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key) });
			const after = await t.deadbolt.listAuthenticators(user.account.id);
			expect(after.map((a) => a.lastUsedAt)).toEqual([firstUsedAt, t.clock.now()]);
		});

		it("one replay record for the account: once a code of one authenticator is accepted for a time step, a code of another for the same step is refused", async () => {
			const user = await signUpWith2FA(t);
			const second = await addAuthenticator(user);
			t.clock.advance(30_000);
			await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
			const refused = t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key) });
			await expect(refused).rejects.toBeInstanceOf(InvalidCode);
			// An earlier step of the other authenticator (inside the drift window) is refused too.
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key, -1) })).rejects.toBeInstanceOf(InvalidCode);
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key) })).resolves.toBeDefined();
		});

		it("confirming a new authenticator records its code's step on the account's replay record, without checking it", async () => {
			const user = await signUpWith2FA(t);
			const other = await signUpWith2FA(t);
			t.clock.advance(30_000);
			// Not checked: a new app is confirmed in the very step another app's code was just used in.
			await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
			await addAuthenticator(user);
			// Recorded: the step a new app was confirmed with is used for the whole account.
			const second = await addAuthenticator(other);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, other.email), code: codeAt(t, other.key) })).rejects.toBeInstanceOf(InvalidCode);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, other.email), code: codeAt(t, second.key) })).rejects.toBeInstanceOf(InvalidCode);
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, other.email), code: codeAt(t, other.key) })).resolves.toBeDefined();
		});

		it("parallel codes of two authenticators for the same step: exactly one signs in", async () => {
			const user = await signUpWith2FA(t);
			const second = await addAuthenticator(user);
			t.clock.advance(30_000);
			for (let trial = 0; trial < 3; trial++) {
				t.clock.advance(30_000);
				const challenges = await Promise.all([passwordStep(t, user.email), passwordStep(t, user.email)]);
				const results = await Promise.allSettled([
					t.deadbolt.completeLoginWithTOTP({ challengeToken: challenges[0]!, code: codeAt(t, user.key) }),
					t.deadbolt.completeLoginWithTOTP({ challengeToken: challenges[1]!, code: codeAt(t, second.key) }),
				]);
				expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			}
		});

		it("the attempt budget is divided among the authenticators: a challenge takes floor(5 / 2) = 2 codes, the account locks after floor(10 / 2) = 5 failures", async () => {
			const user = await signUpWith2FA(t);
			await addAuthenticator(user);
			t.clock.advance(30_000);
			const challenge = await passwordStep(t, user.email);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
			// The second failure is the challenge's last: it says so.
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: "000001" })).rejects.toBeInstanceOf(ChallengeInvalid);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: challenge, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
			// Two failures counted; three more lock the account (5 = floor(10 / 2)).
			const next = await passwordStep(t, user.email);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: next, code: "000002" })).rejects.toBeInstanceOf(InvalidCode);
			const last = await passwordStep(t, user.email);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: last, code: "000003" })).rejects.toBeInstanceOf(InvalidCode);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: last, code: "000004" })).rejects.toBeInstanceOf(ChallengeInvalid);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email).catch(() => "x"), code: codeAt(t, user.key) })).rejects.toBeInstanceOf(TooManyAttempts);
		});

		it("removing an authenticator needs a fresh re-authentication, stops its codes, and ends every other session and remembered device", async () => {
			const user = await signUpWith2FA(t);
			const second = await addAuthenticator(user, "old phone");
			t.clock.advance(30_000);
			const elsewhere = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key), rememberDevice: true });
			const auth = await t.deadbolt.validateSession(user.session.token);
			t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
			await expect(t.deadbolt.removeAuthenticator(await t.deadbolt.validateSession(user.session.token), second.id)).rejects.toBeInstanceOf(ReauthenticationRequired);
			expect(await t.deadbolt.listAuthenticators(user.account.id)).toHaveLength(2);
			const reauthenticated = await t.deadbolt.reauthenticate(auth, { password: PASSWORD, code: codeAt(t, user.key) });
			const fresh = await t.deadbolt.validateSession(reauthenticated.sessionToken ?? user.session.token);
			const removed = await t.deadbolt.removeAuthenticator(fresh, second.id);
			expect(removed).toMatchObject({ remainingAuthenticators: 1, otherSessionsRevoked: 1, trustedDevicesRevoked: 1 });
			await expect(t.deadbolt.validateSession(elsewhere.token)).rejects.toThrow();
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, second.key) })).rejects.toBeInstanceOf(InvalidCode);
			const events = await t.store.securityEvents.listSecurityEvents(user.account.id, 50);
			expect(events.map((e) => e.type)).toContain("totp.authenticator_removed");
		});

		it("the last authenticator is never removed (that is turning 2FA off); an unknown or foreign id is NotFound", async () => {
			const user = await signUpWith2FA(t);
			const other = await signUpWith2FA(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const [only] = await t.deadbolt.listAuthenticators(user.account.id);
			await expect(t.deadbolt.removeAuthenticator(auth, only!.id)).rejects.toBeInstanceOf(LastAuthenticator);
			const [foreign] = await t.deadbolt.listAuthenticators(other.account.id);
			await expect(t.deadbolt.removeAuthenticator(auth, foreign!.id)).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.renameAuthenticator(auth, foreign!.id, "mine")).rejects.toBeInstanceOf(NotFound);
			expect(await t.deadbolt.listAuthenticators(other.account.id)).toHaveLength(1);
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
		});

		it("two parallel removals of the last two authenticators: one wins, one is refused as the last", async () => {
			for (let trial = 0; trial < 4; trial++) {
				const user = await signUpWith2FA(t);
				const second = await addAuthenticator(user);
				const auth = await t.deadbolt.validateSession(user.session.token);
				const first = (await t.deadbolt.listAuthenticators(user.account.id)).find((a) => a.id !== second.id);
				const results = await Promise.allSettled([t.deadbolt.removeAuthenticator(auth, first!.id), t.deadbolt.removeAuthenticator(auth, second.id)]);
				expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
				expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([expect.stringContaining("LastAuthenticator")]);
				expect(await t.deadbolt.listAuthenticators(user.account.id)).toHaveLength(1);
			}
		});

		it("moving to a new phone (the default purpose) still replaces every authenticator", async () => {
			const user = await signUpWith2FA(t);
			await addAuthenticator(user);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { name: "new phone" });
			const key = decodeBase32(pending.secret);
			t.clock.advance(30_000);
			const confirmed = await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(key, t.clock.now()) });
			expect(confirmed).toMatchObject({ replaced: true, added: false });
			expect((await t.deadbolt.listAuthenticators(user.account.id)).map((a) => a.name)).toEqual(["new phone"]);
		});

		it("names are checked; a purpose needs 2FA on; at most 5 authenticators", async () => {
			const user = await signUpWith2FA(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add", name: "x".repeat(65) })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add", name: "tab\there\u0007" })).rejects.toBeInstanceOf(InvalidRequest);
			// A bidi override or a zero-width space would let a name show as another one (UTR #36).
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add", name: "Phone\u202Eenohp" })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add", name: "Old\u200Bphone" })).rejects.toBeInstanceOf(InvalidRequest);
			for (let n = 0; n < 4; n++) {
				t.clock.advance(30_000);
				await addAuthenticator(user, `phone ${n}`);
			}
			const fresh = await t.deadbolt.validateSession(user.session.token);
			await expect(t.deadbolt.beginTOTPEnrollment(fresh.account, fresh.session, { purpose: "add" })).rejects.toBeInstanceOf(InvalidRequest);
			const renamed = await t.deadbolt.renameAuthenticator(fresh, (await t.deadbolt.listAuthenticators(user.account.id))[0]!.id, "first");
			expect(renamed.name).toBe("first");
		});
	});
}
