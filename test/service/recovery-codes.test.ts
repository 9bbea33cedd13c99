/**
 * Issue 10, item 2: recovery codes of the current format (12 characters of a 30-symbol alphabet,
 * `XXXX-XXXX-XXXX`, argon2id per code, found by a 2-character lookup prefix). On SQLite and
 * PostgreSQL, with the real argon2id hasher wrapped to count its runs (test/helpers/counting-hasher.ts):
 * one check is exactly one argon2id verification, in every place a code is checked (sign-in,
 * re-authentication, turning 2FA off), and every check is a counted attempt. Codes issued before
 * migration 0008 are in legacy-recovery-codes.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCode, TooManyAttempts } from "../../src/errors.js";
import { RECOVERY_CODE_ALPHABET, RECOVERY_CODE_ARGON2 } from "../../src/domain/recovery-codes/recovery-codes.js";
import { testBackends } from "../helpers/backends.js";
import { countingHasher, type HasherCounts } from "../helpers/counting-hasher.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, passwordStep, signUpWith2FA, type Enrolled } from "../helpers/flows.js";

/** `code` with the character at `index` (of the 12, hyphens not counted) replaced by another of the alphabet. */
function withCharacterChanged(code: string, index: number): string {
	const raw = code.replaceAll("-", "");
	const current = raw[index] as string;
	const other = RECOVERY_CODE_ALPHABET[(RECOVERY_CODE_ALPHABET.indexOf(current) + 7) % RECOVERY_CODE_ALPHABET.length] as string;
	const changed = raw.slice(0, index) + other + raw.slice(index + 1);
	return `${changed.slice(0, 4)}-${changed.slice(4, 8)}-${changed.slice(8)}`;
}

for (const backend of await testBackends()) {
	describe(`recovery codes (current format) on ${backend.name}`, () => {
		let t: TestDeadbolt;
		let counts: HasherCounts;
		beforeEach(async () => {
			const counting = countingHasher();
			counts = counting.counts;
			t = await createTestDeadbolt({ store: await backend.open(), passwords: counting.hasher });
		});
		afterEach(async () => {
			await t.deadbolt.close();
		});

		/** The argon2id verifications `action` runs. */
		async function verificationsOf(action: () => Promise<unknown>): Promise<number> {
			const before = counts.verifications;
			await action().catch(() => undefined);
			return counts.verifications - before;
		}

		/** Signs in with a recovery code (after the password step); the code step's verifications only. */
		async function codeStep(user: Enrolled, code: string): Promise<{ verifications: number; outcome: unknown }> {
			const challengeToken = await passwordStep(t, user.email);
			let outcome: unknown;
			const verifications = await verificationsOf(async () => {
				outcome = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code }).catch((error: unknown) => error);
			});
			return { verifications, outcome };
		}

		it("issuing a set hashes each code once with argon2id at the recovery-code costs", async () => {
			const hashesBefore = counts.hashes.length;
			const user = await signUpWith2FA(t);
			const made = counts.hashes.slice(hashesBefore);
			expect(made.filter((parameters) => parameters === RECOVERY_CODE_ARGON2)).toHaveLength(10);
			// Sign-up hashed the password (default costs); nothing else was hashed.
			expect(made.filter((parameters) => parameters === undefined)).toHaveLength(1);
			expect(user.recoveryCodes).toHaveLength(10);
		});

		it("one check is exactly one argon2id verification: a right code, a wrong secret with a right prefix, an unknown prefix, a used code", async () => {
			const user = await signUpWith2FA(t);
			const [first, second] = user.recoveryCodes as [string, string];
			const prefixes = new Set(user.recoveryCodes.map((code) => code.slice(0, 2)));
			const unknownPrefix = [...RECOVERY_CODE_ALPHABET].map((c) => `${c}${c}`).find((prefix) => !prefixes.has(prefix)) as string;

			const right = await codeStep(user, first);
			expect(right.outcome).toMatchObject({ recoveryCodesLeft: 9 });
			expect(right.verifications).toBe(1);

			const wrongSecret = await codeStep(user, withCharacterChanged(second, 11));
			expect(wrongSecret.outcome).toBeInstanceOf(InvalidCode);
			expect(wrongSecret.verifications).toBe(1);

			const noSuchPrefix = await codeStep(user, `${unknownPrefix}${second.slice(2)}`);
			expect(noSuchPrefix.outcome).toBeInstanceOf(InvalidCode);
			expect(noSuchPrefix.verifications).toBe(1);

			const used = await codeStep(user, first);
			expect(used.outcome).toBeInstanceOf(InvalidCode);
			expect(used.verifications).toBe(1);

			// Not a code at all (the format is public): refused without hashing.
			const malformed = await codeStep(user, "NOT-A-CODE");
			expect(malformed.outcome).toBeInstanceOf(InvalidCode);
			expect(malformed.verifications).toBe(0);
		});

		it("a wrong secret behind a right prefix is refused, whichever character is wrong, and does not use the code up", async () => {
			const user = await signUpWith2FA(t);
			const code = user.recoveryCodes[0] as string;
			for (const index of [2, 7, 11]) {
				expect((await codeStep(user, withCharacterChanged(code, index))).outcome).toBeInstanceOf(InvalidCode);
			}
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
			expect((await codeStep(user, code)).outcome).toMatchObject({ recoveryCodesLeft: 9 });
		});

		it("another account's code is refused, by a prefix only it has or by one both have; it stays usable by its owner", async () => {
			const alice = await signUpWith2FA(t);
			const bob = await signUpWith2FA(t);
			const bobPrefixes = new Set(bob.recoveryCodes.map((code) => code.slice(0, 2)));
			const aliceOnly = alice.recoveryCodes.find((code) => !bobPrefixes.has(code.slice(0, 2))) as string;
			const refusedOnly = await codeStep(bob, aliceOnly);
			expect(refusedOnly.outcome).toBeInstanceOf(InvalidCode);
			expect(refusedOnly.verifications).toBe(1);
			// Alice's secret behind one of Bob's prefixes: Bob's row is checked, and does not match.
			const sharedPrefix = `${(bob.recoveryCodes[0] as string).slice(0, 2)}${aliceOnly.slice(2)}`;
			expect((await codeStep(bob, sharedPrefix)).outcome).toBeInstanceOf(InvalidCode);
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(bob.account.id)).toBe(10);
			expect((await codeStep(alice, aliceOnly)).outcome).toMatchObject({ recoveryCodesLeft: 9 });
		});

		it("input ignores case, spaces and hyphens", async () => {
			const user = await signUpWith2FA(t);
			const [a, b, c, d] = user.recoveryCodes as [string, string, string, string];
			for (const typed of [a.toLowerCase(), b.replaceAll("-", ""), ` ${c.replaceAll("-", " ").toLowerCase()} `, d.replaceAll("-", "").split("").join(" ")]) {
				expect((await codeStep(user, typed)).outcome, typed).toMatchObject({ session: expect.anything() });
			}
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(6);
		});

		it("re-authentication with a recovery code goes through the same check (one verification for the code) and uses the code up", async () => {
			const user = await signUpWith2FA(t);
			const code = user.recoveryCodes[4] as string;
			const auth = await t.deadbolt.validateSession(user.session.token);
			let reauthenticated: Awaited<ReturnType<typeof t.deadbolt.reauthenticate>> | undefined;
			// The password, then the code: two verifications.
			expect(await verificationsOf(async () => (reauthenticated = await t.deadbolt.reauthenticate(auth, { password: PASSWORD, code: code.toLowerCase() })))).toBe(2);
			expect(reauthenticated).toBeDefined();
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
			const again = await t.deadbolt.validateSession(reauthenticated!.sessionToken);
			await expect(t.deadbolt.reauthenticate(again, { password: PASSWORD, code })).rejects.toBeInstanceOf(InvalidCode);
			await expect(t.deadbolt.reauthenticate(again, { password: PASSWORD, code: withCharacterChanged(user.recoveryCodes[5] as string, 9) })).rejects.toBeInstanceOf(InvalidCode);
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
		});

		it("turning 2FA off with a recovery code: a wrong secret is refused, the right code works", async () => {
			const user = await signUpWith2FA(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const code = user.recoveryCodes[0] as string;
			await expect(t.deadbolt.disableTOTP(auth, { password: PASSWORD, code: withCharacterChanged(code, 5) })).rejects.toBeInstanceOf(InvalidCode);
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
			await t.deadbolt.disableTOTP(auth, { password: PASSWORD, code });
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
		});

		it("the same code sent by 8 parallel sign-ins signs in exactly once", async () => {
			const user = await signUpWith2FA(t);
			const code = user.recoveryCodes[3] as string;
			const tokens = await Promise.all(Array.from({ length: 8 }, () => passwordStep(t, user.email)));
			const results = await Promise.allSettled(tokens.map((challengeToken) => t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code })));
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(InvalidCode);
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
		});

		it("the same code sent by 6 parallel re-authentications proves the factor exactly once", async () => {
			const user = await signUpWith2FA(t);
			const code = user.recoveryCodes[6] as string;
			const auth = await t.deadbolt.validateSession(user.session.token);
			const results = await Promise.allSettled(Array.from({ length: 6 }, () => t.deadbolt.reauthenticate(auth, { password: PASSWORD, code })));
			// One wins the code; the others fail on it (or on the session token the winner rotated).
			expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
		});

		it("wrong codes count on the second-factor throttle: after lockout.maxFailures the code step locks, even for the right code, with no more checks run", async () => {
			const user = await signUpWith2FA(t);
			const target = user.recoveryCodes[0] as string;
			const before = counts.verifications;
			let passwordChecks = 0;
			let failures = 0;
			while (failures < t.config.lockout.maxFailures) {
				const { outcome } = await codeStep(user, withCharacterChanged(target, 4 + (failures % 8)));
				passwordChecks++;
				expect(outcome).toBeInstanceOf(InvalidCode);
				failures++;
			}
			const locked = await codeStep(user, target);
			passwordChecks++;
			expect(locked.outcome).toBeInstanceOf(TooManyAttempts);
			expect(locked.verifications).toBe(0);
			// One verification per wrong code, plus the password steps: never more.
			expect(counts.verifications - before).toBe(t.config.lockout.maxFailures + passwordChecks);
			expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
		});
	});
}
