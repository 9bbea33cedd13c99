/**
 * Races between a sign-in and the actions that must end it (found by the adversarial review on
 * PostgreSQL, where statements of concurrent transactions interleave): every one is decided under
 * the account's lock, so the sign-in either ends before the action (and the action ends its session
 * and remembered device) or after it (and is refused). Also: one burst of wrong codes is one lock,
 * and ids that were never issued are simply not found.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFound, Unauthenticated } from "../../src/errors.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

const TRIALS = 12;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of await testBackends()) {
	describe(`races on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { rateLimit: { perMinute: 100_000 } } });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** After the race: a session the sign-in made, if any, must be refused; so must a device it trusted. */
		async function expectNothingSurvives(login: PromiseSettledResult<{ token: string }>): Promise<void> {
			if (login.status !== "fulfilled") return;
			await expect(t.deadbolt.validateSession(login.value.token)).rejects.toBeInstanceOf(Unauthenticated);
		}

		for (const action of ["sign out everywhere", "password change", "secure account"] as const) {
			it(`a code-step sign-in racing "${action}" leaves no live session or remembered device`, async () => {
				for (let trial = 0; trial < TRIALS; trial++) {
					const user = await signUpWith2FA(t);
					const challengeToken = await passwordStep(t, user.email);
					const auth = await t.deadbolt.validateSession(user.session.token);
					const useRecoveryCode = trial % 2 === 0;
					const login = (async () => {
						if (useRecoveryCode) return (await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code: user.recoveryCodes[0] as string })).session;
						t.clock.advance(30_000);
						return t.deadbolt.completeLoginWithTOTP({ challengeToken, code: codeAt(t, user.key), rememberDevice: true });
					})();
					const act = (async () => {
						await pause(trial % 4);
						if (action === "sign out everywhere") return t.deadbolt.signOutEverywhere(auth);
						if (action === "password change") return t.deadbolt.changePassword(auth, { currentPassword: PASSWORD, newPassword: `a new passphrase ${trial}` });
						return t.deadbolt.secureCompromisedAccount(auth, { currentPassword: PASSWORD, newPassword: `a new passphrase ${trial}` });
					})();
					const [loginResult, actResult] = await Promise.allSettled([login, act]);
					expect(actResult.status, String((actResult as PromiseRejectedResult).reason)).toBe("fulfilled");
					await expectNothingSurvives(loginResult as PromiseSettledResult<{ token: string }>);
					expect(await t.store.trustedDevices.listActiveTrustedDevices(user.account.id, t.clock.now())).toEqual([]);
				}
			});
		}

		it("a password sign-in racing a password change leaves no challenge that can still sign in", async () => {
			for (let trial = 0; trial < TRIALS; trial++) {
				const user = await signUpWith2FA(t);
				const auth = await t.deadbolt.validateSession(user.session.token);
				const logins = Array.from({ length: 4 }, async (_, i) => {
					await pause(i);
					return t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
				});
				const change = t.deadbolt.changePassword(auth, { currentPassword: PASSWORD, newPassword: `changed passphrase ${trial}` });
				const results = await Promise.allSettled([...logins, change]);
				expect(results.at(-1)?.status).toBe("fulfilled");
				for (const result of results.slice(0, -1)) {
					if (result.status !== "fulfilled" || !("kind" in result.value) || result.value.kind !== "challenge") continue;
					await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: result.value.challenge.challengeToken, code: user.recoveryCodes[1] as string })).rejects.toThrow();
				}
			}
		});

		it("one burst of 40 wrong codes over 8 challenges is one lock, not many", async () => {
			const user = await signUpWith2FA(t);
			const challenges = await Promise.all(Array.from({ length: 8 }, () => passwordStep(t, user.email)));
			await Promise.allSettled(challenges.flatMap((challengeToken) => Array.from({ length: 5 }, () => t.deadbolt.completeLoginWithTOTP({ challengeToken, code: "000000" }))));
			const counter = await t.store.authFailures.findAuthFailure(user.account.id, "second_factor");
			expect(counter?.lockoutCount).toBe(1);
			expect(counter?.lockedUntil).toBe(t.clock.now() + t.config.lockout.durationSeconds * 1000);
			const events = await t.deadbolt.listSecurityEvents(user.account.id);
			expect(events.filter((e) => e.type === "login.locked")).toHaveLength(1);
		});

		it("ids that were never issued (a NUL byte, too long, empty) are not found, never a storage error", async () => {
			const user = await signUp(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			for (const id of ["\u0000", "a\u0000b", "", "x".repeat(300), "😀😀😀😀😀😀😀😀"]) {
				await expect(t.deadbolt.revokeSession(auth, id)).rejects.toBeInstanceOf(NotFound);
				await expect(t.deadbolt.revokeTrustedDevice(auth, id)).rejects.toBeInstanceOf(NotFound);
			}
		});
	});
}
