/**
 * Findings of the issue-9 adversarial round, each a test that fails without its fix:
 * - two rotations of one session token (a double submit) do not both win;
 * - a password rehash (the configured argon2id cost rose) is no password change: parallel sign-ins
 *   with the right password all go through, and their challenges end in sessions;
 * - a check that could not start before its place's lease nears its end is not run, and gives its
 *   place back without counting a failure.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AttemptsInFlight, Unauthenticated } from "../../src/errors.js";
import { hashPassword } from "../../src/domain/password/hash.js";
import { createPasswordHasher } from "../../src/service/password-hasher.js";
import { NO_METRICS } from "../../src/platform/metrics.js";
import { withAttempt } from "../../src/service/throttle.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";

for (const backend of await testBackends()) {
	describe(`adversarial round of issue 9 on ${backend.name}`, () => {
		let t: TestDeadbolt;
		beforeEach(async () => {
			t = await createTestDeadbolt({ store: await backend.open() });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		it("two re-authentications with the same token at once: one rotates, the other is refused, and the surviving token works", async () => {
			const user = await signUp(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const results = await Promise.allSettled([t.deadbolt.reauthenticate(auth, { password: PASSWORD }), t.deadbolt.reauthenticate(auth, { password: PASSWORD })]);
			const won = results.filter((r) => r.status === "fulfilled");
			expect(won).toHaveLength(1);
			expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(Unauthenticated);
			const token = (won[0] as PromiseFulfilledResult<{ sessionToken: string }>).value.sessionToken;
			await expect(t.deadbolt.validateSession(token)).resolves.toBeDefined();
			await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
		});

		it("a password stored at a lower cost is rehashed once; 10 parallel right-password sign-ins all get a challenge that ends in a session", async () => {
			const user = await signUpWith2FA(t);
			const cheaper = await hashPassword(PASSWORD, { ...t.config.password.argon2, iterations: 1 });
			await t.store.accounts.updatePasswordHash(user.account.id, cheaper, t.clock.now() - 1);
			const results = await Promise.allSettled(Array.from({ length: 10 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })));
			expect(results.map((r) => (r.status === "fulfilled" ? r.value.kind : (r.reason as Error).message))).toEqual(Array.from({ length: 10 }, () => "challenge"));
			const stored = await t.store.accounts.findAccountById(user.account.id);
			expect(stored!.passwordHash).not.toBe(cheaper);
			expect(stored!.updatedAt).toBe(t.clock.now() - 1); // a rehash is not a password change
			t.clock.advance(30_000);
			for (const [i, result] of results.entries()) {
				if (result.status !== "fulfilled" || result.value.kind !== "challenge") continue;
				const done = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: result.value.challenge.challengeToken, code: user.recoveryCodes[i]! });
				expect(done.session.token).toBeTypeOf("string");
			}
		});

		it("a late rehash never undoes a password change that landed first", async () => {
			const user = await signUp(t);
			const before = (await t.store.accounts.findAccountById(user.account.id))!.passwordHash!;
			const changed = await hashPassword("another passphrase entirely", t.config.password.argon2);
			await t.store.accounts.updatePasswordHash(user.account.id, changed, t.clock.now());
			expect(await t.store.accounts.rehashPassword(user.account.id, before, "stale rehash")).toBe(false);
			expect((await t.store.accounts.findAccountById(user.account.id))!.passwordHash).toBe(changed);
		});

		it("a check that cannot start in time is not run: its place is given back and no failure is counted", async () => {
			const user = await signUp(t);
			const hasher = createPasswordHasher(t.config.password.argon2, 1);
			const hash = (await t.store.accounts.findAccountById(user.account.id))!.passwordHash!;
			await expect(hasher.verify(hash, PASSWORD, performance.now() - 1)).rejects.toBeInstanceOf(AttemptsInFlight);
			await expect(hasher.verify(hash, PASSWORD, performance.now() + 60_000)).resolves.toBe(true);
			const serviceDeps = { store: t.store, clock: t.clock, config: t.config, logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } }, attemptQueue: <T>(_key: string, task: () => Promise<T>) => task(), metrics: NO_METRICS } as unknown as ServiceDeps;
			await expect(withAttempt(serviceDeps, user.account.id, "password", { ipAddress: null, userAgent: null }, async () => hasher.verify(hash, PASSWORD, performance.now() - 1))).rejects.toBeInstanceOf(AttemptsInFlight);
			const counter = await t.store.authFailures.findAuthFailure(user.account.id, "password");
			expect(counter?.failureCount ?? 0).toBe(0);
			expect(counter?.attemptsInFlight ?? 0).toBe(0);
		});
	});
}
