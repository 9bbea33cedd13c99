/**
 * Pages shown once as the answer to a POST (new recovery codes, "my account is compromised") get a
 * new form token: reloading them (the browser re-sends the old form) is a refused form, not a
 * second set of codes that silently voids the first.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { BROWSER, cookieJar, createTestApp, type TestApp } from "../helpers/http.js";

let t: TestApp;
beforeEach(async () => {
	t = await createTestApp();
});
afterEach(async () => {
	await t.app.close();
	await t.deadbolt.close();
});

const cookieHeader = (jar: Record<string, string>) => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join("; ");

describe("dashboard pages shown once", () => {
	it("reloading the new recovery codes is refused and generates nothing", async () => {
		const signUp = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "reload@example.com", password: PASSWORD } });
		const jar = cookieJar(signUp);
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: {} });
		await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { ...BROWSER, cookie: cookieHeader(jar) }, payload: { code: generateTOTP(decodeBase32(begin.json().secret), t.clock.now()) } });
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		const form = { csrf: jar["deadbolt_csrf"] ?? "" };
		const first = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/recovery-codes", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(first.statusCode).toBe(200);
		expect(first.body).toContain('id="recovery-codes"');
		cookieJar(first, jar);
		expect(jar["deadbolt_csrf"]).not.toBe(form.csrf);
		// The reload: the same form body, with the browser's cookies as they are now.
		const reload = await t.app.inject({ method: "POST", url: "/dashboard/settings/security/recovery-codes", headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: form });
		expect(reload.statusCode).toBe(403);
		expect(reload.body).not.toContain('id="recovery-codes"');
		const account = await t.store.accounts.findAccountByEmail("reload@example.com");
		const events = await t.deadbolt.listSecurityEvents(account!.id);
		expect(events.filter((e) => e.type === "recovery_codes.regenerated")).toHaveLength(1);
	});
});
