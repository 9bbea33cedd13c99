/**
 * Issue 10, item 7 over HTTP: at setup and at re-authentication a refused code's JSON error adds
 * `reason` (the stable `code` stays ERR_INVALID_CODE), and the dashboard shows the cause next to
 * the field; at sign-in, wrong and reused codes still answer alike, with no `reason`.
 */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

const STEP_MS = 30_000;

async function apiSignUp(email: string): Promise<string> {
	return (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } })).json().session.token as string;
}

/** Starts the setup over the API. @returns the key and the session's token from here on */
async function beginSetup(token: string): Promise<{ key: Uint8Array; token: string }> {
	const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
	expect(begin.statusCode).toBe(201);
	return { key: decodeBase32(begin.json().secret), token: begin.json().session.token as string };
}

/** Turns 2FA on over the API. */
async function enable2FA(email: string): Promise<{ key: Uint8Array; recoveryCodes: string[]; token: string }> {
	const setup = await beginSetup(await apiSignUp(email));
	const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(setup.token), payload: { code: generateTOTP(setup.key, t.clock.now()) } });
	expect(confirm.statusCode).toBe(200);
	return { key: setup.key, recoveryCodes: confirm.json().recoveryCodes, token: confirm.json().session.token as string };
}

/** A code that matches no step within ±20 steps of now. */
function wrongCode(key: Uint8Array): string {
	const near = new Set(Array.from({ length: 41 }, (_, i) => generateTOTP(key, t.clock.now() + (i - 20) * STEP_MS)));
	return ["000000", "111111", "222222", "333333"].find((code) => !near.has(code))!;
}

describe("the JSON API adds `reason` where the user holds the key", () => {
	it("setup confirmation: expired, wrong, clock_skew (ERR_INVALID_CODE, 401 each)", async () => {
		const { key, token } = await beginSetup(await apiSignUp("setup-reasons@example.com"));
		const confirm = (code: string) => t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(token), payload: { code } });
		const expired = await confirm(generateTOTP(key, t.clock.now() - 2 * STEP_MS));
		expect(expired.statusCode).toBe(401);
		expect(expired.json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "expired" });
		expect(expired.json().message).toMatch(/^That code has expired: codes change every 30 seconds\./);
		expect(expired.json().clockSkewSeconds).toBeUndefined();
		expect((await confirm(wrongCode(key))).json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "wrong" });
		expect((await confirm(generateTOTP(key, t.clock.now() + 6 * STEP_MS))).json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "clock_skew", clockSkewSeconds: 180 });
	});

	it("re-authentication: already_used, expired, wrong, recovery_code_used, recovery_code_wrong, malformed", async () => {
		const { key, recoveryCodes, token } = await enable2FA("reauth-reasons@example.com");
		let current = token;
		const reauth = async (code: string) => {
			const res = await t.app.inject({ method: "POST", url: "/api/v1/reauthenticate", headers: bearer(current), payload: { password: PASSWORD, code } });
			if (res.statusCode === 200) current = res.json().session.token as string;
			return res;
		};
		const used = await reauth(generateTOTP(key, t.clock.now()));
		expect(used.statusCode).toBe(401);
		expect(used.json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "already_used", message: "That code was already used: each code works once. Wait for the next one in your authenticator app." });
		t.clock.advance(3 * STEP_MS);
		expect((await reauth(generateTOTP(key, t.clock.now() - 2 * STEP_MS))).json()).toMatchObject({ reason: "expired" });
		expect((await reauth(wrongCode(key))).json()).toMatchObject({ reason: "wrong" });
		expect((await reauth(recoveryCodes[0]!)).statusCode).toBe(200);
		expect((await reauth(recoveryCodes[0]!)).json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "recovery_code_used" });
		expect((await reauth("aaaaaa-aaaaaa-aaaaaa-aaaaaa")).json()).toMatchObject({ reason: "recovery_code_wrong" });
		expect((await reauth("12345")).json()).toMatchObject({ reason: "malformed" });
	});

	it("turning 2FA off: the same causes", async () => {
		const { key, token } = await enable2FA("off-reasons@example.com");
		const off = await t.app.inject({ method: "DELETE", url: "/api/v1/two-factor/totp", headers: bearer(token), payload: { password: PASSWORD, code: generateTOTP(key, t.clock.now()) } });
		expect(off.statusCode).toBe(401);
		expect(off.json()).toMatchObject({ code: "ERR_INVALID_CODE", reason: "already_used" });
	});

	it("sign-in: a wrong and a reused code answer alike, and neither says why", async () => {
		const { key } = await enable2FA("signin-alike@example.com");
		t.clock.advance(STEP_MS);
		const code = generateTOTP(key, t.clock.now());
		const challenge = async () => (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "signin-alike@example.com", password: PASSWORD } })).json().challenge.challengeToken as string;
		expect((await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code } })).statusCode).toBe(200);
		const reused = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code } });
		const wrong = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code: wrongCode(key) } });
		expect(reused.statusCode).toBe(401);
		expect(reused.json()).toEqual(wrong.json());
		expect(reused.json().reason).toBeUndefined();
	});
});

describe("the dashboard shows the cause next to the code field", () => {
	/** A browser's cookies after signing up through the API and opening the Security page (form token set). */
	async function browserSignedUp(email: string): Promise<Record<string, string>> {
		const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email, password: PASSWORD } }));
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		return jar;
	}
	const post = (jar: Record<string, string>, url: string, payload: Record<string, string>) => t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload });

	/** The code field's error: its text, and whether the input points at it and is marked invalid. */
	function codeFieldError(body: string, id: string): string | null {
		const input = new RegExp(`<input[^>]* id="${id}"[^>]*>`).exec(body)?.[0] ?? "";
		expect(input).toContain(`aria-describedby="`);
		expect(input).toMatch(new RegExp(`aria-describedby="[^"]*${id}-error`));
		expect(input).toContain('aria-invalid="true"');
		return new RegExp(`<p class="field__error" id="${id}-error">([^<]*)</p>`).exec(body)?.[1] ?? null;
	}

	it("setup step 3: an expired code, then a wrong one", async () => {
		const jar = await browserSignedUp("dash-setup@example.com");
		const stepOne = await post(jar, "/dashboard/settings/security/two-factor/setup", { csrf: jar["deadbolt_csrf"]!, password: PASSWORD });
		cookieJar(stepOne, jar);
		const key = decodeBase32(/data-copy-value="([A-Z2-7]+)"/.exec(stepOne.body)![1]!);
		const confirm = (code: string) => post(jar, "/dashboard/settings/security/two-factor/confirm", { csrf: jar["deadbolt_csrf"]!, flow: "setup", code });
		const expired = await confirm(generateTOTP(key, t.clock.now() - 2 * STEP_MS));
		expect(expired.statusCode).toBe(401);
		expect(codeFieldError(expired.body, "code")).toMatch(/^That code has expired: codes change every 30 seconds\./);
		const wrong = await confirm(wrongCode(key));
		expect(codeFieldError(wrong.body, "code")).toMatch(/^That code doesn(&#39;|')t match this setup(&#39;|')s key\./);
	});

	it("turning 2FA off in the dashboard: the code already used", async () => {
		const jar = await browserSignedUp("dash-off@example.com");
		const stepOne = await post(jar, "/dashboard/settings/security/two-factor/setup", { csrf: jar["deadbolt_csrf"]!, password: PASSWORD });
		cookieJar(stepOne, jar);
		const key = decodeBase32(/data-copy-value="([A-Z2-7]+)"/.exec(stepOne.body)![1]!);
		const code = generateTOTP(key, t.clock.now());
		cookieJar(await post(jar, "/dashboard/settings/security/two-factor/confirm", { csrf: jar["deadbolt_csrf"]!, flow: "setup", code }), jar);
		const off = await post(jar, "/dashboard/settings/security/two-factor/disable", { csrf: jar["deadbolt_csrf"]!, password: PASSWORD, code });
		expect(off.statusCode).toBe(401);
		expect(codeFieldError(off.body, "disable-code")).toMatch(/^That code was already used: each code works once\./);
	});
});
