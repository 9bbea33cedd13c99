/** The sign-in flow: no session before the second factor, single use, replay, attempts, lockout. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChallengeInvalid, InvalidCode, InvalidCredentials, TooManyAttempts, Unauthenticated } from "../../src/errors.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, passwordStep, signUp, signUpWith2FA } from "../helpers/flows.js";

for (const backend of await testBackends()) {
describe(`sign-in on ${backend.name}`, () => {
let t: TestDeadbolt;
beforeEach(async () => {
	t = await createTestDeadbolt({ store: await backend.open() });
});
afterEach(async () => {
	await t.deadbolt.close();
});

/** `count` login challenges, made one after another (parallel password steps would hit the lockout). */
async function challenges(email: string, count: number): Promise<string[]> {
	const tokens: string[] = [];
	for (let i = 0; i < count; i++) tokens.push(await passwordStep(t, email));
	return tokens;
}

async function sessionCount(accountId: string): Promise<number> {
	return (await t.store.sessions.listActiveSessions(accountId, t.clock.now())).length;
}

describe("password step", () => {
	it("an account without 2FA is signed in at AAL1 by the password alone", async () => {
		const user = await signUp(t);
		const result = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
		expect(result.kind).toBe("session");
		if (result.kind === "session") expect(result.session.record.aal).toBe(1);
	});

	it("unknown email and wrong password fail with the same error class and message", async () => {
		const user = await signUp(t);
		const wrong = await t.deadbolt.beginLogin({ email: user.email, password: "not the password" }).catch((e: unknown) => e);
		const unknown = await t.deadbolt.beginLogin({ email: "nobody@example.com", password: "not the password" }).catch((e: unknown) => e);
		expect(wrong).toBeInstanceOf(InvalidCredentials);
		expect(unknown).toBeInstanceOf(InvalidCredentials);
		expect((wrong as Error).message).toBe((unknown as Error).message);
	});

	it("a parallel burst of wrong passwords runs at most lockout.maxFailures checks, and the right password is refused after it", async () => {
		const user = await signUp(t);
		const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => t.deadbolt.beginLogin({ email: user.email, password: `guess number ${i}` })));
		const checked = results.filter((r) => r.status === "rejected" && (r.reason as InvalidCredentials).reason === "wrong_password").length;
		expect(checked).toBeLessThanOrEqual(t.config.lockout.maxFailures);
		await expect(t.deadbolt.beginLogin({ email: user.email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidCredentials);
	});

	it("a locked account and an unknown email answer alike", async () => {
		const user = await signUp(t);
		for (let i = 0; i <= t.config.lockout.maxFailures; i++) await t.deadbolt.beginLogin({ email: user.email, password: "wrong password!" }).catch(() => {});
		const locked = await t.deadbolt.beginLogin({ email: user.email, password: "wrong password!" }).catch((e: unknown) => e);
		const unknown = await t.deadbolt.beginLogin({ email: "nobody@example.com", password: "wrong password!" }).catch((e: unknown) => e);
		expect(locked).toBeInstanceOf(InvalidCredentials);
		expect(unknown).toBeInstanceOf(InvalidCredentials);
		expect((locked as Error).message).toBe((unknown as Error).message);
	});

	it("emails are matched case-insensitively and trimmed", async () => {
		const user = await signUp(t, "Mixed.Case@Example.com");
		const result = await t.deadbolt.beginLogin({ email: `  ${user.email.toUpperCase()} `, password: PASSWORD });
		expect(result.kind).toBe("session");
	});

	it("no session exists before the second factor: the password step of a 2FA account returns only a challenge", async () => {
		const user = await signUpWith2FA(t);
		const before = await sessionCount(user.account.id);
		const result = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
		expect(result.kind).toBe("challenge");
		expect(await sessionCount(user.account.id)).toBe(before);
		if (result.kind === "challenge") {
			// The challenge token is not a session token.
			await expect(t.deadbolt.validateSession(result.challenge.challengeToken)).rejects.toBeInstanceOf(Unauthenticated);
			expect(result.challenge.expiresAt).toBe(t.clock.now() + 600_000);
			expect(result.challenge.methods).toEqual(["totp", "recovery_code"]);
		}
	});

	it("password failures lock the password step (answered like a wrong password) but not the code step of the owner", async () => {
		const user = await signUpWith2FA(t);
		for (let i = 0; i < t.config.lockout.maxFailures; i++) {
			await expect(t.deadbolt.beginLogin({ email: user.email, password: "wrong password!" })).rejects.toBeInstanceOf(InvalidCredentials);
		}
		const locked = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }).catch((e: unknown) => e);
		expect(locked).toBeInstanceOf(InvalidCredentials);
		expect((locked as InvalidCredentials).reason).toBe("locked");
		t.clock.advance(t.config.lockout.durationSeconds * 1000 + 1);
		const token = await passwordStep(t, user.email);
		t.clock.advance(30_000);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).resolves.toBeDefined();
	});
});

describe("turning 2FA on", () => {
	it("password-only sign-ins racing the confirmation leave no password-only session behind", async () => {
		const { decodeBase32 } = await import("../../src/domain/encoding/base32.js");
		// A race: several rounds, each with sign-ins started just before and just after the confirmation.
		for (let round = 0; round < 6; round++) {
			const user = await signUp(t);
			let auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			// Step 1 proved the password: the session went on under a new token.
			auth = await t.deadbolt.validateSession(pending.sessionToken as string);
			const code = codeAt(t, decodeBase32(pending.secret));
			const before = Array.from({ length: 4 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }));
			const confirm = t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code });
			const after = Array.from({ length: 4 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }));
			await Promise.allSettled([...before, confirm, ...after]);
			await expect(confirm).resolves.toBeDefined();
			const active = await t.store.sessions.listActiveSessions(user.account.id, t.clock.now());
			expect(active.map((s) => s.id)).toEqual([auth.session.id]);
		}
	});

	it("sign-ins with the old password racing a password change leave no session behind", async () => {
		for (let round = 0; round < 4; round++) {
			const user = await signUp(t);
			let auth = await t.deadbolt.validateSession(user.session.token);
			const before = Array.from({ length: 4 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }).catch(() => null));
			const change = t.deadbolt.changePassword(auth, { currentPassword: PASSWORD, newPassword: "a completely new passphrase" });
			const after = Array.from({ length: 4 }, () => t.deadbolt.beginLogin({ email: user.email, password: PASSWORD }).catch(() => null));
			await Promise.all([...before, change, ...after]);
			const active = await t.store.sessions.listActiveSessions(user.account.id, t.clock.now());
			expect(active.map((s) => s.id)).toEqual([auth.session.id]);
		}
	});

	it("restarting the setup while it is confirmed: each ends cleanly, never a storage error, and 2FA on means a working key and 10 codes", async () => {
		const { decodeBase32 } = await import("../../src/domain/encoding/base32.js");
		const { EnrollmentInvalid, TOTPAlreadyEnabled } = await import("../../src/errors.js");
		for (let round = 0; round < 6; round++) {
			const user = await signUp(t);
			let auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			// Step 1 proved the password: the session went on under a new token.
			auth = await t.deadbolt.validateSession(pending.sessionToken as string);
			const code = codeAt(t, decodeBase32(pending.secret));
			const [confirm, restart] = await Promise.allSettled([
				t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code }),
				t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {}),
			]);
			for (const result of [confirm, restart]) {
				if (result.status === "rejected") expect([EnrollmentInvalid, InvalidCode, TOTPAlreadyEnabled].some((E) => result.reason instanceof E), String(result.reason)).toBe(true);
			}
			if (await t.deadbolt.isTwoFactorEnabled(user.account.id)) {
				// A restart that came after is a new phone's setup (pending); the enabled key is intact.
				expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
				expect(confirm.status).toBe("fulfilled");
			}
		}
	});
});

describe("TOTP step", () => {
	it("a correct code turns the challenge into an AAL2 session", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		t.clock.advance(30_000);
		const session = await t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) });
		expect(session.record.aal).toBe(2);
		let auth = await t.deadbolt.validateSession(session.token);
		expect(auth.account.id).toBe(user.account.id);
	});

	it("codes with spaces are accepted; other characters are not", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const code = codeAt(t, user.key);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: `١٢٣٤٥٦` })).rejects.toBeInstanceOf(InvalidCode);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: ` ${code.slice(0, 3)} ${code.slice(3)} ` })).resolves.toBeDefined();
	});

	it("the code used to confirm enrollment cannot sign in (its time step is spent)", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("a reused TOTP code in the same step is rejected", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const code = codeAt(t, user.key);
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code });
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("after a code of step n is accepted, the code of step n-1 is rejected (steps only move forward)", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(60_000);
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, -1) })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("the drift window accepts the previous and next step and refuses two steps away", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(10 * 30_000);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, -2) })).rejects.toBeInstanceOf(InvalidCode);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 2) })).rejects.toBeInstanceOf(InvalidCode);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, -1) })).resolves.toBeDefined();
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 1) })).resolves.toBeDefined();
	});

	it("20 parallel sign-ins with the same code yield exactly one session", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const code = codeAt(t, user.key);
		const tokens = await challenges(user.email, 20);
		const results = await Promise.allSettled(tokens.map((challengeToken) => t.deadbolt.completeLoginWithTOTP({ challengeToken, code })));
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
		// The losers see the reuse (InvalidCode) or, past lockout.maxFailures in flight, the lock.
		for (const r of results) if (r.status === "rejected") expect(r.reason instanceof InvalidCode || r.reason instanceof TooManyAttempts).toBe(true);
	});

	it("a login challenge is single use", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const token = await passwordStep(t, user.email);
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) });
		t.clock.advance(30_000);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
	});

	it("one challenge raced by parallel requests with valid codes of three different steps makes exactly one session", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(5 * 30_000);
		const token = await passwordStep(t, user.email);
		// Ascending steps: each would pass the step compare-and-set; only the challenge's single use stops the rest.
		const codes = [codeAt(t, user.key, -1), codeAt(t, user.key, 0), codeAt(t, user.key, 1)];
		const results = await Promise.allSettled(codes.map((code) => t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code })));
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
		expect(await sessionCount(user.account.id)).toBe(2);
	});

	it("a challenge allows at most loginChallenge.maxAttempts code attempts", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const token = await passwordStep(t, user.email);
		for (let i = 0; i < t.config.loginChallenge.maxAttempts - 1; i++) {
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
		}
		// The last try's wrong code ends the challenge, and says so.
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "000000" })).rejects.toMatchObject({ ended: "too_many_codes" });
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
	});

	it("a concurrent burst of wrong codes cannot exceed the challenge's attempt budget", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "000000" })));
		const checked = results.filter((r) => r.status === "rejected" && r.reason instanceof InvalidCode);
		expect(checked.length).toBe(t.config.loginChallenge.maxAttempts);
	});

	it("a challenge expires after loginChallenge.ttlSeconds", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		t.clock.advance(t.config.loginChallenge.ttlSeconds * 1000);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
	});

	it("housekeeping deletes expired challenges and keeps live ones", async () => {
		const user = await signUpWith2FA(t);
		const expired = await passwordStep(t, user.email);
		t.clock.advance(t.config.loginChallenge.ttlSeconds * 1000 + 1);
		const live = await passwordStep(t, user.email);
		expect((await t.deadbolt.purgeExpired()).expiredLoginChallenges).toBeGreaterThanOrEqual(1);
		expect(await t.store.loginChallenges.findLoginChallenge(expired.split(".")[0]!)).toBeNull();
		expect(await t.store.loginChallenges.findLoginChallenge(live.split(".")[0]!)).not.toBeNull();
		t.clock.advance(30_000);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: live, code: codeAt(t, user.key) })).resolves.toBeDefined();
	});

	it("a tampered challenge token is refused", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		t.clock.advance(30_000);
		const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: tampered, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: "garbage", code: codeAt(t, user.key) })).rejects.toBeInstanceOf(ChallengeInvalid);
	});

	it("second-factor failures count per account across challenges, and lock the code step even for the right code", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		let failures = 0;
		while (failures < t.config.lockout.maxFailures) {
			const token = await passwordStep(t, user.email);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
			failures++;
		}
		const token = await passwordStep(t, user.email);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: codeAt(t, user.key) })).rejects.toBeInstanceOf(TooManyAttempts);
		t.clock.advance(t.config.lockout.durationSeconds * 1000);
		const fresh = await passwordStep(t, user.email);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: fresh, code: codeAt(t, user.key) })).resolves.toBeDefined();
	});

	it("a parallel burst of wrong codes across 20 challenges runs at most lockout.maxFailures checks", async () => {
		const user = await signUpWith2FA(t);
		const tokens = await challenges(user.email, 20);
		const results = await Promise.allSettled(tokens.map((challengeToken) => t.deadbolt.completeLoginWithTOTP({ challengeToken, code: "000000" })));
		const checked = results.filter((r) => r.status === "rejected" && r.reason instanceof InvalidCode).length;
		expect(checked).toBeLessThanOrEqual(t.config.lockout.maxFailures);
		expect(results.some((r) => r.status === "rejected" && r.reason instanceof TooManyAttempts)).toBe(true);
	});

	it("logs say why a code failed and never contain the code, the password or the tokens", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: token, code: "123456" }).catch(() => {});
		const text = JSON.stringify(t.logs);
		expect(text).toContain("mismatch");
		expect(text).not.toContain("123456");
		expect(text).not.toContain(PASSWORD);
		expect(text).not.toContain(token.split(".")[1]);
		expect(text).not.toContain(user.secret);
		for (const code of user.recoveryCodes) expect(text).not.toContain(code);
	});
});

describe("recovery-code step", () => {
	it("a recovery code signs in once and reports how many are left", async () => {
		const user = await signUpWith2FA(t);
		const code = user.recoveryCodes[0] as string;
		const first = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code });
		expect(first.recoveryCodesLeft).toBe(9);
		expect(first.session.record.aal).toBe(2);
		await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("recovery codes are accepted in upper case, without hyphens, with spaces", async () => {
		const user = await signUpWith2FA(t);
		const code = (user.recoveryCodes[1] as string).toUpperCase().replaceAll("-", " ");
		await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code })).resolves.toBeDefined();
	});

	it("the same recovery code sent by 20 parallel requests signs in exactly once", async () => {
		const user = await signUpWith2FA(t);
		const code = user.recoveryCodes[2] as string;
		const tokens = await challenges(user.email, 20);
		const results = await Promise.allSettled(tokens.map((challengeToken) => t.deadbolt.completeLoginWithRecoveryCode({ challengeToken, code })));
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
		expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
	});

	it("another account's recovery code does not work", async () => {
		const alice = await signUpWith2FA(t);
		const bob = await signUpWith2FA(t);
		await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, bob.email), code: alice.recoveryCodes[0] as string })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("one challenge raced by parallel requests with distinct valid recovery codes makes exactly one session", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		const codes = user.recoveryCodes.slice(0, t.config.loginChallenge.maxAttempts);
		const results = await Promise.allSettled(codes.map((code) => t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: token, code })));
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
		for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ChallengeInvalid);
		// The losers' codes were rolled back with their transaction: still unused.
		expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(9);
	});

	it("a failed consumption leaves the challenge usable (nothing half-written)", async () => {
		const user = await signUpWith2FA(t);
		const token = await passwordStep(t, user.email);
		await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: token, code: "0000-0000-0000-0000-0000-0000" })).rejects.toBeInstanceOf(InvalidCode);
		await expect(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: token, code: user.recoveryCodes[3] as string })).resolves.toBeDefined();
	});
});
});
}

describe("clock-skew hint", () => {
	it("a code from a few minutes away is refused with how far the clock looks off; one from the next step is accepted with a hint", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			t.clock.advance(30_000);
			const behind = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, -4) }).catch((e: unknown) => e);
			expect(behind).toBeInstanceOf(InvalidCode);
			expect((behind as InvalidCode).clockSkewSeconds).toBe(-120);
			expect((behind as Error).message).toContain("about 2 minutes behind");
			const far = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 30) }).catch((e: unknown) => e);
			expect((far as InvalidCode).clockSkewSeconds).toBeNull();
			const ahead = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, 1) });
			expect(ahead.clockSkew?.seconds).toBe(30);
			expect(ahead.clockSkew?.advice).toContain("ahead");
		} finally {
			await t.deadbolt.close();
		}
	});
});

describe("growing delays", () => {
	it("each lock in a row lasts twice as long, up to lockout.maxDurationSeconds; a success starts over", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			const failUntilLocked = async (): Promise<TooManyAttempts> => {
				for (;;) {
					const error = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: "000000" }).catch((e: unknown) => e);
					if (error instanceof TooManyAttempts) return error;
					expect(error).toBeInstanceOf(InvalidCode);
				}
			};
			const durations: number[] = [];
			for (let lock = 0; lock < 4; lock++) {
				const locked = await failUntilLocked();
				durations.push(locked.retryAfterSeconds);
				t.clock.advance(locked.retryAfterSeconds * 1000);
			}
			expect(durations).toEqual([900, 1800, 3600, 7200]);
			t.clock.advance(30_000);
			await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
			expect((await failUntilLocked()).retryAfterSeconds).toBe(900);
		} finally {
			await t.deadbolt.close();
		}
	});
});

describe("hard cap (NIST SP 800-63B §5.2.2: never 100 consecutive failures)", () => {
	it("after locks in a row the second factor stays locked until an operator unlocks it, with fewer than 100 codes ever checked", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			let checked = 0;
			let last: TooManyAttempts | null = null;
			for (let attempt = 0; attempt < 200; attempt++) {
				const error = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: "000000" }).catch((e: unknown) => e);
				if (error instanceof InvalidCode) {
					checked++;
					continue;
				}
				expect(error).toBeInstanceOf(TooManyAttempts);
				last = error as TooManyAttempts;
				if (last.reason === "hard_cap" || last.reason === "locked_until_reset") break;
				t.clock.advance(last.retryAfterSeconds * 1000);
			}
			expect(last?.reason).toBe("hard_cap");
			expect(checked).toBeLessThan(100);
			// Time does not end it, and a right code is refused.
			t.clock.advance(30 * 24 * 3600 * 1000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) })).rejects.toBeInstanceOf(TooManyAttempts);
			await t.deadbolt.unlockAccount({ email: user.email }, { via: "cli" });
			t.clock.advance(30_000);
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) })).resolves.toBeDefined();
		} finally {
			await t.deadbolt.close();
		}
	});

	it("slow second-factor failures do not age out: they count until a success", async () => {
		const t = await createTestDeadbolt();
		try {
			const user = await signUpWith2FA(t);
			for (let i = 0; i < t.config.lockout.maxFailures; i++) {
				await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
				t.clock.advance(t.config.lockout.windowSeconds * 1000);
			}
			await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) })).rejects.toBeInstanceOf(TooManyAttempts);
		} finally {
			await t.deadbolt.close();
		}
	});
});
