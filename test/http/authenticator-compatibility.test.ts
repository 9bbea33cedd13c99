/**
 * Non-default TOTP settings over HTTP (issue 9 item 4): the enrollment answer and the setup page
 * warn that several apps ignore them; a setup code that such an app shows is refused with
 * `ignoredSettings` and a message saying what to do, on the API and on the dashboard's form.
 */
import { afterEach, describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieHeader, cookieJar, createTestApp, type TestApp } from "../helpers/http.js";

const STRONG = { algorithm: "SHA256", digits: 8, periodSeconds: 60 } as const;
const DEFAULTS = { algorithm: "SHA1", digits: 6, periodSeconds: 30 } as const;

let t: TestApp;
afterEach(async () => {
	await t.app.close();
	await t.deadbolt.close();
});

async function beginEnrollment(totp: object): Promise<{ token: string; body: Record<string, unknown> }> {
	t = await createTestApp({ overrides: { totp } });
	const token = (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "app@example.com", password: PASSWORD } })).json().session.token as string;
	const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
	expect(begin.statusCode).toBe(201);
	// Step 1 proved the password: the session goes on under the token in the answer.
	return { token: begin.json().session.token as string, body: begin.json() };
}

describe("the API", () => {
	it("default settings: compatibilityWarning is null", async () => {
		const { body } = await beginEnrollment({});
		expect(body).toMatchObject({ algorithm: "SHA1", digits: 6, periodSeconds: 30, compatibilityWarning: null });
	});

	it("SHA256/8/60: the enrollment answer keeps its fields and adds the warning; an app's SHA1/6/30 code is refused with ignoredSettings; 2FA stays off", async () => {
		const { token, body } = await beginEnrollment(STRONG);
		expect(body).toMatchObject({ ...STRONG, secret: expect.any(String), keyUri: expect.stringContaining("algorithm=SHA256"), qrSvg: expect.any(String), expiresAt: expect.any(String) });
		expect(body["compatibilityWarning"]).toContain("Google Authenticator and Microsoft Authenticator");
		const key = decodeBase32(body["secret"] as string);
		const refused = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(token), payload: { code: generateTOTP(key, t.clock.now(), DEFAULTS) } });
		expect(refused.statusCode).toBe(401);
		expect(refused.json()).toMatchObject({ code: "ERR_INVALID_CODE", ignoredSettings: ["algorithm", "digits", "periodSeconds"] });
		expect(refused.json().message).toContain("such as Aegis, 2FAS or FreeOTP, or ask your administrator");
		const plain = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(token), payload: { code: "00000000" } });
		expect(plain.json().ignoredSettings).toBeUndefined();
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) });
		expect(me.json().account.twoFactorEnabled).toBe(false);
	});
});

describe("the dashboard's setup", () => {
	async function setupPage(totp: object) {
		t = await createTestApp({ overrides: { totp } });
		const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "page@example.com", password: PASSWORD } }));
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security/two-factor/setup", headers: { cookie: cookieHeader(jar) } }), jar);
		const post = (url: string, form: Record<string, string>) => t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
		const scan = await post("/dashboard/settings/security/two-factor/setup", { password: PASSWORD });
		expect(scan.statusCode).toBe(200);
		// Step 1 proved the password: the session cookie is replaced.
		const before = jar["deadbolt_session"];
		cookieJar(scan, jar);
		expect(jar["deadbolt_session"]).not.toBe(before);
		const secret = /data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!;
		return { scan, key: decodeBase32(secret), confirm: (code: string) => post("/dashboard/settings/security/two-factor/confirm", { code }) };
	}

	it("default settings: no warning; the usual app list", async () => {
		const { scan } = await setupPage({});
		expect(scan.body).not.toContain('id="app-compatibility-warning"');
		expect(scan.body).toContain("Enter the 6-digit code");
	});

	it("SHA256/8/60: the page warns and asks for 8 digits; an app's SHA1/6/30 code shows what happened on the form", async () => {
		const { scan, key, confirm } = await setupPage(STRONG);
		expect(scan.body).toContain('id="app-compatibility-warning"');
		expect(scan.body).toContain("Google Authenticator and Microsoft Authenticator");
		expect(scan.body).toContain("Enter the 8-digit code");
		const refused = await confirm(generateTOTP(key, t.clock.now(), DEFAULTS));
		expect(refused.statusCode).toBe(401);
		expect(refused.body).toContain("SHA-1 instead of SHA-256, 6 digits instead of 8");
		expect(refused.body).toContain('id="app-compatibility-warning"');
		const done = await confirm(generateTOTP(key, t.clock.now(), STRONG));
		expect(done.statusCode).toBe(200);
		expect(done.body).toContain('id="recovery-codes"');
	});
});
