/**
 * Issue 10 items 4 to 6: Settings > Security as a summary and one page per job, each at its own
 * URL; banners that carry their action; destructive actions that ask first, naming the
 * consequence, even inside the "Confirm it's you" window (the API is unchanged).
 */
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { codeAt, PASSWORD, signUpWith2FA, type Enrolled } from "../helpers/flows.js";
import { BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

const PAGES = [
	["/dashboard/settings/security", "Security"],
	["/dashboard/settings/security/two-factor", "Two-factor authentication"],
	["/dashboard/settings/security/password", "Password"],
	["/dashboard/settings/security/sessions", "Sessions and devices"],
	["/dashboard/settings/security/activity", "Security activity"],
	["/dashboard/settings/security/compromised", "I think my account is compromised"],
] as const;

/** A browser signed in to `account` (a fresh session, recently confirmed), with its form token. */
async function browserOf(account: { email: string }): Promise<Record<string, string>> {
	const signIn = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email: account.email, password: PASSWORD } });
	const jar = cookieJar(signIn);
	if (signIn.json().status === "two_factor_required") throw new Error("use signedInBrowser for 2FA accounts");
	cookieJar(await get(jar, "/dashboard/settings/security"), jar);
	return jar;
}

/** A browser session of a 2FA account, made by the service (both factors just proved), with its form token. */
async function signedInBrowser(enrolled: Enrolled): Promise<Record<string, string>> {
	const jar: Record<string, string> = { deadbolt_session: enrolled.session.token };
	cookieJar(await get(jar, "/dashboard/settings/security"), jar);
	expect(jar["deadbolt_csrf"]).toBeDefined();
	return jar;
}

function get(jar: Record<string, string>, url: string): Promise<LightMyRequestResponse> {
	return t.app.inject({ method: "GET", url, headers: { cookie: cookieHeader(jar) } });
}

function post(jar: Record<string, string>, url: string, form: Record<string, string> = {}): Promise<LightMyRequestResponse> {
	return t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
}

/** The open "Are you sure?" dialog of `action` in a page, with the focus on Cancel. */
function expectAskedFirst(res: LightMyRequestResponse, action: string, consequence: RegExp): void {
	expect(res.statusCode).toBe(200);
	const dialog = new RegExp(`<dialog class="modal modal--narrow modal--confirm" id="confirm-${action}"[^>]* open aria-modal="true"[^>]*>([\\s\\S]*?)</dialog>`).exec(res.body);
	expect(dialog, `the open confirmation of ${action}`).not.toBeNull();
	const inside = dialog![1]!;
	expect(inside.replace(/\s+/g, " ")).toMatch(consequence);
	expect(inside).toMatch(/<a class="button button--secondary" href="[^"]+" autofocus>Cancel<\/a>/);
	expect(inside).toContain('<input type="hidden" name="confirmed" value="yes">');
	// The page behind embeds no second, closed copy of it: each id once.
	for (const id of [`confirm-${action}`, `confirm-${action}-title`, `confirm-${action}-continue`]) expect(res.body.split(`id="${id}"`).length - 1, id).toBe(1);
}

describe("Security pages", () => {
	it("each page has its own URL, title and place in the navigation; reload answers the same page", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		for (const [path, title] of PAGES) {
			for (const attempt of [1, 2]) {
				const res = await get(jar, path);
				expect(res.statusCode, `${path} (${attempt})`).toBe(200);
				expect(res.body).toContain(`<h1 class="page-title">${title}</h1>`);
				expect(res.body).toContain(`href="${path}" aria-current="page"`);
			}
		}
	});

	it("a notice shows on the page of its action; one meant for another page is sent there (fixed words only)", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const moved = await get(jar, "/dashboard/settings/security?done=others-signed-out&n=2");
		expect(moved.statusCode).toBe(302);
		expect(moved.headers.location).toBe("/dashboard/settings/security/sessions?done=others-signed-out&n=2");
		const shown = await get(jar, moved.headers.location as string);
		expect(shown.body).toContain("Signed out 2 other sessions.");
		for (const junk of ["//evil.example", "https://evil.example", "<script>", "toString"]) {
			const res = await get(jar, `/dashboard/settings/security?done=${encodeURIComponent(junk)}`);
			expect(res.statusCode).toBe(200);
			expect(res.body).not.toContain("evil.example");
			expect(res.body).not.toContain("<script>");
		}
	});

	it("the summary states where each part stands; with 2FA off its banner leads to the setup", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const on = await get(jar, "/dashboard/settings/security");
		expect(on.body).toContain("10 of 10 left");
		expect(on.body).not.toContain('id="two-factor-off-banner"');
		const plain = await t.deadbolt.registerAccount({ email: "plain@example.com", password: PASSWORD });
		expect(plain.session).not.toBeNull();
		const off = await get(await browserOf({ email: "plain@example.com" }), "/dashboard/settings/security");
		expect(off.body).toMatch(/id="two-factor-off-banner"[\s\S]*href="\/dashboard\/settings\/security\/two-factor\/setup" id="banner-setup-two-factor"/);
	});

	it("few recovery codes: the banner's action makes new ones (asked first)", async () => {
		const enrolled = await signUpWith2FA(t);
		for (const code of enrolled.recoveryCodes.slice(0, 8)) {
			const challenge = await t.deadbolt.beginLogin({ email: enrolled.email, password: PASSWORD });
			if (challenge.kind !== "challenge") throw new Error("expected a challenge");
			await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: challenge.challenge.challengeToken, code });
		}
		const jar = await signedInBrowser(enrolled);
		const page = await get(jar, "/dashboard/settings/security");
		expect(page.body).toContain("Only 2 recovery codes left.");
		expect(page.body).toMatch(/id="recovery-codes-warning"[\s\S]*<form method="post" action="\/dashboard\/settings\/security\/recovery-codes" class="inline-form" data-confirm="confirm-regenerate-recovery-codes"/);
	});
});

describe("destructive actions ask first, even right after 'Confirm it's you'", () => {
	it("sign out other sessions, sign out everywhere, forget all devices: nothing happens until confirmed", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const other = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: enrolled.email, password: PASSWORD } });
		const challengeToken = other.json().challenge.challengeToken as string;
		t.clock.advance(30_000);
		const second = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken, code: codeAt(t, enrolled.key), rememberDevice: true } });
		expect(second.statusCode).toBe(200);
		const sessionsBefore = (await t.deadbolt.listSessions(await t.deadbolt.validateSession(enrolled.session.token))).length;
		expect(sessionsBefore).toBe(2);

		expectAskedFirst(await post(jar, "/dashboard/settings/security/sessions/revoke-others"), "revoke-others", /Sign out your other session\?[\s\S]*This device stays signed in\./);
		expectAskedFirst(await post(jar, "/dashboard/settings/security/sessions/sign-out-everywhere"), "sign-out-everywhere", /Every session ends \(2 sessions\), this one too/);
		expectAskedFirst(await post(jar, "/dashboard/settings/security/devices/forget-all"), "forget-all-devices", /Forget your remembered device\?/);
		const auth = await t.deadbolt.validateSession(enrolled.session.token);
		expect((await t.deadbolt.listSessions(auth)).length).toBe(2);
		expect((await t.deadbolt.listTrustedDevices(auth)).length).toBe(1);

		const forgot = await post(jar, "/dashboard/settings/security/devices/forget-all", { confirmed: "yes" });
		expect(forgot.statusCode).toBe(303);
		expect(forgot.headers.location).toBe("/dashboard/settings/security/sessions?done=devices-forgotten&n=1");
		const signedOut = await post(jar, "/dashboard/settings/security/sessions/revoke-others", { confirmed: "yes" });
		expect(signedOut.statusCode).toBe(303);
		expect(signedOut.headers.location).toBe("/dashboard/settings/security/sessions?done=others-signed-out&n=1");
		expect((await t.deadbolt.listSessions(auth)).length).toBe(1);
		// Anything but the exact answer is no answer.
		expectAskedFirst(await post(jar, "/dashboard/settings/security/sessions/sign-out-everywhere", { confirmed: "YES" }), "sign-out-everywhere", /this one too/);
		expect((await get(jar, "/dashboard/settings/security")).statusCode).toBe(200);
	});

	it("new recovery codes and a new phone: asked first (naming the codes that stop working); the old codes and phone still work", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		expectAskedFirst(await post(jar, "/dashboard/settings/security/recovery-codes"), "regenerate-recovery-codes", /Your 10 current recovery codes stop working at once/);
		expectAskedFirst(await post(jar, "/dashboard/settings/security/two-factor/replace"), "replace-authenticator", /Your old phone keeps working until you enter a code from the new one/);
		expect(await t.deadbolt.countUnusedRecoveryCodes(enrolled.account.id)).toBe(10);
		const events = await t.deadbolt.listSecurityEvents(enrolled.account.id);
		expect(events.some((e) => e.type === "recovery_codes.regenerated")).toBe(false);
		const regenerated = await post(jar, "/dashboard/settings/security/recovery-codes", { confirmed: "yes" });
		expect(regenerated.statusCode).toBe(200);
		expect(regenerated.body).toContain('id="recovery-codes"');
		expect((await t.deadbolt.listSecurityEvents(enrolled.account.id)).filter((e) => e.type === "recovery_codes.regenerated")).toHaveLength(1);
	});

	it("outside the 'Confirm it's you' window: asked first, then confirm it's you, then done", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		t.clock.advance((t.config.session.reauthenticationTtlSeconds + 1) * 1000);
		expectAskedFirst(await post(jar, "/dashboard/settings/security/sessions/revoke-others"), "revoke-others", /This device stays signed in/);
		const reauth = await post(jar, "/dashboard/settings/security/sessions/revoke-others", { confirmed: "yes" });
		expect(reauth.statusCode).toBe(200);
		expect(reauth.body).toContain('id="reauthenticate"');
		expect(reauth.body).toContain('<input type="hidden" name="action" value="revoke-others">');
		expect(reauth.body).toContain('<input type="hidden" name="confirmed" value="yes">');
		// "Confirm it's you" posted without the answer (not from the dialog): asked first, nothing checked or done.
		const skipped = await post(jar, "/dashboard/settings/security/confirm", { action: "revoke-others", password: PASSWORD, code: codeAt(t, enrolled.key, 1) });
		expectAskedFirst(skipped, "revoke-others", /This device stays signed in/);
		const events = await t.deadbolt.listSecurityEvents(enrolled.account.id);
		expect(events.some((e) => e.type === "reauthenticated")).toBe(false);
	});

	it("the pages embed each confirmation closed, next to its opener, for the script", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const twoFactor = (await get(jar, "/dashboard/settings/security/two-factor")).body;
		for (const action of ["replace-authenticator", "regenerate-recovery-codes", "turn-off-two-factor"]) {
			expect(twoFactor).toContain(`data-confirm="confirm-${action}"`);
			expect(twoFactor).toMatch(new RegExp(`<dialog class="modal modal--narrow modal--confirm" id="confirm-${action}" aria-labelledby="confirm-${action}-title" aria-describedby="confirm-${action}-consequence">`));
		}
		expect(twoFactor).toContain("data-close-dialog autofocus>Cancel</button>");
		const sessions = (await get(jar, "/dashboard/settings/security/sessions")).body;
		expect(sessions).toContain('data-confirm="confirm-sign-out-everywhere"');
	});
});
