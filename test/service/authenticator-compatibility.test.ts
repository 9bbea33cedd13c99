/**
 * Non-default TOTP settings (issue 9 item 4): the setup warns that several apps ignore them, and a
 * refused setup code that such an app would show (SHA1, 6 digits, 30 s, same key, within the drift
 * window) says so and what to do. It is never accepted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { InvalidCode } from "../../src/errors.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import type { OTPAlgorithm } from "../../src/domain/otp/hotp.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { compatibilityWarning } from "../../src/service/authenticator-compatibility.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, signUp } from "../helpers/flows.js";

/** What an app that ignores every setting shows: SHA1, 6 digits, 30 s. */
const DEFAULTS = { algorithm: "SHA1", digits: 6, periodSeconds: 30 } as const;

describe("the setup warning", () => {
	it("is null for SHA1, 6 digits, 30 s, and names the settings, the apps that ignore them and what to do otherwise", () => {
		expect(compatibilityWarning(DEFAULTS)).toBeNull();
		const warning = compatibilityWarning({ algorithm: "SHA256", digits: 8, periodSeconds: 60 });
		expect(warning).toContain("SHA-256, 8 digits and a new code every 60 seconds");
		expect(warning).toContain("Google Authenticator and Microsoft Authenticator");
		expect(warning).toMatch(/such as Aegis, 2FAS or FreeOTP, or ask your administrator\.$/);
		expect(compatibilityWarning({ ...DEFAULTS, digits: 8 })).toContain("This setup uses 8 digits.");
	});
});

for (const backend of await testBackends()) {
	describe(`setup with non-default TOTP settings on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});

		async function pendingSetup(totp: { algorithm?: OTPAlgorithm; digits?: number; periodSeconds?: number }) {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { totp } });
			const user = await signUp(t);
			let auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			// Step 1 proved the password: the session went on under a new token.
			auth = await t.deadbolt.validateSession(pending.sessionToken as string);
			const confirm = (code: string) => t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code });
			return { user, pending, key: decodeBase32(pending.secret), confirm };
		}

		const refusal = (promise: Promise<unknown>) => promise.then(() => expect.unreachable("the code was accepted"), (error: unknown) => error as InvalidCode);

		it("default settings: no warning, and a wrong code is a plain refusal", async () => {
			const { pending, confirm } = await pendingSetup({});
			expect(pending.compatibilityWarning).toBeNull();
			const error = await refusal(confirm("000000"));
			expect(error).toBeInstanceOf(InvalidCode);
			expect(error.ignoredSettings).toBeNull();
		});

		it("SHA256, 8 digits, 60 s: the setup warns; an app's SHA1/6/30 code is refused with what happened and what to do; the right code then confirms", async () => {
			const { user, pending, key, confirm } = await pendingSetup({ algorithm: "SHA256", digits: 8, periodSeconds: 60 });
			expect(pending.compatibilityWarning).toContain("Google Authenticator");
			// What Google Authenticator shows for this key, now and one 30-second step ago (drift window).
			for (const at of [t.clock.now(), t.clock.now() - 30_000]) {
				const error = await refusal(confirm(generateTOTP(key, at, DEFAULTS)));
				expect(error).toBeInstanceOf(InvalidCode);
				expect(error.ignoredSettings).toEqual(["algorithm", "digits", "periodSeconds"]);
				expect(error.reason).toBe("app_ignores_settings");
				expect(error.message).toContain("seems to use SHA-1 instead of SHA-256, 6 digits instead of 8 and a new code every 30 seconds instead of every 60");
				expect(error.message).toContain("such as Aegis, 2FAS or FreeOTP, or ask your administrator");
			}
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
			await expect(confirm(generateTOTP(key, t.clock.now(), { algorithm: "SHA256", digits: 8, periodSeconds: 60 }))).resolves.toMatchObject({ replaced: false });
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
		});

		it("an app that honours the digits but not the algorithm is named as such", async () => {
			const { key, confirm } = await pendingSetup({ algorithm: "SHA512", digits: 8 });
			const error = await refusal(confirm(generateTOTP(key, t.clock.now(), { ...DEFAULTS, digits: 8 })));
			expect(error.ignoredSettings).toEqual(["algorithm"]);
			expect(error.message).toContain("seems to use SHA-1 instead of SHA-512.");
		});

		it("the default-settings code is never accepted, even when only the algorithm differs (same length, same period)", async () => {
			const { user, key, confirm } = await pendingSetup({ algorithm: "SHA256" });
			const error = await refusal(confirm(generateTOTP(key, t.clock.now(), DEFAULTS)));
			expect(error).toBeInstanceOf(InvalidCode);
			expect(error.ignoredSettings).toEqual(["algorithm"]);
			expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
			expect((await t.store.totpCredentials.findPendingTOTPCredential(user.account.id))?.confirmedAt).toBeNull();
		});

		it("outside the drift window, or a code of another key, is a plain refusal", async () => {
			const { key, confirm } = await pendingSetup({ algorithm: "SHA256", digits: 8, periodSeconds: 60 });
			const old = await refusal(confirm(generateTOTP(key, t.clock.now() - 5 * 30_000, DEFAULTS)));
			expect(old.ignoredSettings).toBeNull();
			const otherKey = await refusal(confirm(generateTOTP(new Uint8Array(20).fill(1), t.clock.now(), DEFAULTS)));
			expect(otherKey.ignoredSettings).toBeNull();
			// Six digits where this setup's codes have eight: said so (the user holds the key here).
			expect(otherKey.refusal).toBe("malformed");
			expect(otherKey.message).toBe("This setup's codes have 8 digits: enter the 8-digit code your authenticator app shows.");
		});
	});
}
