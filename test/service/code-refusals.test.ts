/**
 * Issue 10, item 7: where the user holds the key (setup, re-authentication, turning 2FA off), a
 * refused code says which cause it was (`InvalidCode.refusal` and the message); at sign-in, wrong,
 * reused and used-up codes still answer alike (DESIGN §4 rule 6).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCode, type CodeRefusalReason } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { EXPIRED_CODE_STEPS } from "../../src/service/code-refusal.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, passwordStep, PASSWORD, signUp, signUpWith2FA, type Enrolled } from "../helpers/flows.js";

let t: TestDeadbolt;
beforeEach(async () => {
	t = await createTestDeadbolt();
});
afterEach(async () => {
	await t.deadbolt.close();
});

/** The refusal a promise ends with (fails the test when it resolves or throws anything else). */
async function refusalOf(promise: Promise<unknown>): Promise<InvalidCode> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(InvalidCode);
	return error as InvalidCode;
}

/** A 6-digit code that matches no step within ±20 steps of now. */
function wrongCode(key: Uint8Array): string {
	const near = new Set(Array.from({ length: 41 }, (_, i) => codeAt(t, key, i - 20)));
	for (let candidate = 0; ; candidate += 111_111) {
		const code = String(candidate % 1_000_000).padStart(6, "0");
		if (!near.has(code)) return code;
	}
}

describe("setup: the refused code's cause", () => {
	/** A pending setup: its key and a confirm function in its session. */
	async function pendingSetup(): Promise<{ key: Uint8Array; email: string; confirm: (code: string) => Promise<unknown> }> {
		const user = await signUp(t);
		const auth = await t.deadbolt.validateSession(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		const rotated = await t.deadbolt.validateSession(pending.sessionToken as string);
		return { key: decodeBase32(pending.secret), email: user.email, confirm: (code) => t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code }) };
	}

	const cases: [string, (key: Uint8Array) => string, CodeRefusalReason, RegExp][] = [
		["a code from two steps ago (just outside the drift window)", (key) => codeAt(t, key, -2), "expired", /^That code has expired: codes change every 30 seconds\. Enter the code your app shows now\./],
		[`a code from ${1 + EXPIRED_CODE_STEPS} steps ago (the last that counts as expired)`, (key) => codeAt(t, key, -(1 + EXPIRED_CODE_STEPS)), "expired", /^That code has expired/],
		["a code from 5 steps ago (a clock 2.5 minutes behind)", (key) => codeAt(t, key, -5), "clock_skew", /^That code is not valid right now\. Your device's clock seems to be about 3 minutes behind\./],
		["a code from 5 steps ahead (a clock ahead: told at setup)", (key) => codeAt(t, key, 5), "clock_skew", /about 3 minutes ahead/],
		["a code of no nearby step (another account's entry, an old scan)", (key) => wrongCode(key), "wrong", /^That code doesn't match this setup's key\. In your app, use the entry for deadbolt \(.+@example\.com\) you just added/],
		["five digits", () => "12345", "malformed", /^This setup's codes have 6 digits: enter the 6-digit code your authenticator app shows\.$/],
	];
	for (const [what, code, reason, message] of cases) {
		it(`${what}: ${reason}`, async () => {
			const setup = await pendingSetup();
			const refused = await refusalOf(setup.confirm(code(setup.key)));
			expect(refused.refusal).toBe(reason);
			expect(refused.message).toMatch(message);
			expect(await t.deadbolt.isTwoFactorEnabled((await t.store.accounts.findAccountByEmail(setup.email))!.id)).toBe(false);
		});
	}

	it("the expired check finds only past steps: a code from the same distance ahead is a clock hint, never 'expired'", async () => {
		const setup = await pendingSetup();
		const refused = await refusalOf(setup.confirm(codeAt(t, setup.key, 2)));
		expect(refused.refusal).toBe("clock_skew");
		expect(refused.clockSkewSeconds).toBe(60);
	});

	it("an expired code names no clock skew (the API's clockSkewSeconds stays for a clock that is off)", async () => {
		const setup = await pendingSetup();
		expect((await refusalOf(setup.confirm(codeAt(t, setup.key, -2)))).clockSkewSeconds).toBeNull();
	});
});

describe("moving to a new phone: the refused code's cause", () => {
	it("a code of the old phone is said to be one (and used nothing); a code from two steps ago is expired", async () => {
		const user = await signUpWith2FA(t);
		const auth = await t.deadbolt.validateSession(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {});
		t.clock.advance(30_000);
		const oldCode = codeAt(t, user.key);
		const refused = await refusalOf(t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: oldCode }));
		expect(refused.refusal).toBe("wrong");
		expect(refused.message).toBe(`That code comes from the authenticator you're replacing. Enter the code your new phone shows for deadbolt (${user.email}).`);
		// The old phone's step was not used: its code still proves the second factor.
		await expect(t.deadbolt.reauthenticate(auth, { password: PASSWORD, code: oldCode })).resolves.toBeDefined();
		const newKey = decodeBase32(pending.secret);
		expect((await refusalOf(t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: codeAt(t, newKey, -2) }))).refusal).toBe("expired");
	});
});

describe("re-authentication: the refused code's cause", () => {
	let user: Enrolled;
	beforeEach(async () => {
		user = await signUpWith2FA(t);
	});
	const auth = () => t.deadbolt.validateSession(user.session.token);
	const reauth = async (code: string) => t.deadbolt.reauthenticate(await auth(), { password: PASSWORD, code });

	it("the code that just turned 2FA on, again: already used", async () => {
		const refused = await refusalOf(reauth(codeAt(t, user.key)));
		expect(refused.refusal).toBe("already_used");
		expect(refused.message).toBe("That code was already used: each code works once. Wait for the next one in your authenticator app.");
	});

	it("a code accepted once, then typed again in the next request: already used (the replay guard)", async () => {
		t.clock.advance(30_000);
		const code = codeAt(t, user.key);
		const first = await reauth(code);
		user.session = { ...user.session, token: first.sessionToken };
		expect((await refusalOf(reauth(code))).refusal).toBe("already_used");
	});

	it("a code from two steps ago: expired", async () => {
		t.clock.advance(120_000);
		const refused = await refusalOf(reauth(codeAt(t, user.key, -2)));
		expect(refused.refusal).toBe("expired");
		expect(refused.message).toMatch(/^That code has expired: codes change every 30 seconds\. Enter the code your app shows now\./);
	});

	it("a code from 6 steps ago: the clock hint", async () => {
		t.clock.advance(300_000);
		const refused = await refusalOf(reauth(codeAt(t, user.key, -6)));
		expect(refused.refusal).toBe("clock_skew");
		expect(refused.clockSkewSeconds).toBe(-180);
	});

	it("a code for a future step: 'wrong', without a hint (a later code would help a guesser who has the password, as at sign-in)", async () => {
		const refused = await refusalOf(reauth(codeAt(t, user.key, 5)));
		expect(refused.refusal).toBe("wrong");
		expect(refused.clockSkewSeconds).toBeNull();
		expect(refused.reason).toBe("mismatch_future_step");
	});

	it("a code of no nearby step: wrong for this authenticator, naming the app's entry", async () => {
		const refused = await refusalOf(reauth(wrongCode(user.key)));
		expect(refused.refusal).toBe("wrong");
		expect(refused.message).toBe(`That code doesn't match your authenticator. Use the code your app shows for deadbolt (${user.email}), or one of your recovery codes.`);
	});

	it("a recovery code used up, one that is not the account's, and input that is no code", async () => {
		const first = await reauth(user.recoveryCodes[0]!);
		user.session = { ...user.session, token: first.sessionToken };
		const used = await refusalOf(reauth(user.recoveryCodes[0]!.toUpperCase()));
		expect(used.refusal).toBe("recovery_code_used");
		expect(used.message).toMatch(/^That recovery code was already used: each one works once\./);
		const other = await signUpWith2FA(t);
		const notMine = await refusalOf(reauth(other.recoveryCodes[0]!));
		expect(notMine.refusal).toBe("recovery_code_wrong");
		expect(notMine.message).toMatch(/^That is not one of your recovery codes\./);
		expect((await refusalOf(reauth("12345"))).refusal).toBe("malformed");
		expect((await refusalOf(reauth("not a code"))).refusal).toBe("malformed");
	});

	it("turning 2FA off says the same causes (it proves the second factor the same way)", async () => {
		const off = async (code: string) => t.deadbolt.disableTOTP(await auth(), { password: PASSWORD, code });
		expect((await refusalOf(off(codeAt(t, user.key)))).refusal).toBe("already_used");
		expect((await refusalOf(off(wrongCode(user.key)))).refusal).toBe("wrong");
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
	});

	it("every refusal still counts as a failed attempt", async () => {
		await refusalOf(reauth(codeAt(t, user.key)));
		await refusalOf(reauth(wrongCode(user.key)));
		expect((await t.store.authFailures.findAuthFailure(user.account.id, "second_factor"))?.failureCount).toBe(2);
	});
});

describe("sign-in: wrong, reused and used-up codes still answer alike", () => {
	it("a wrong TOTP code and a reused one: the same message, no cause", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(30_000);
		const code = codeAt(t, user.key);
		await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code });
		const reused = await refusalOf(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code }));
		const wrong = await refusalOf(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: wrongCode(user.key) }));
		expect(reused.message).toBe(wrong.message);
		expect(reused.refusal).toBeNull();
		expect(wrong.refusal).toBeNull();
		// The log tells them apart; the user does not.
		expect([reused.reason, wrong.reason]).toEqual(["reused", "mismatch"]);
	});

	it("a recovery code used up and one that is not the account's: the same message, no cause", async () => {
		const user = await signUpWith2FA(t);
		const other = await signUpWith2FA(t);
		await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: user.recoveryCodes[0]! });
		const used = await refusalOf(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: user.recoveryCodes[0]! }));
		const notMine = await refusalOf(t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: other.recoveryCodes[0]! }));
		expect(used.message).toBe(notMine.message);
		expect([used.refusal, notMine.refusal]).toEqual([null, null]);
	});

	it("a code from two steps ago gets no 'expired' at sign-in (the sign-in messages are unchanged)", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(120_000);
		const refused = await refusalOf(t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key, -2) }));
		expect(refused.refusal).toBeNull();
		expect(refused.message).not.toContain("expired");
	});
});

