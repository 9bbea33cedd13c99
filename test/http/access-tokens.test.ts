/**
 * Settings > Security > Access tokens (issue 12 item 6), driven as a browser's plain forms: create
 * (confirm it's you when not recently confirmed), shown once, listed with its hosts and last use,
 * revoked one by one or all (asked first); and a `dbpat_` token is never a session of the
 * dashboard or the API.
 */
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { codeAt, PASSWORD, signUpWith2FA, type Enrolled } from "../helpers/flows.js";
import { appPerTest, bearer, BROWSER, cookieHeader, cookieJar, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

const PAGE = "/dashboard/settings/security/access-tokens";
const TOKEN_PATTERN = /dbpat_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}/g;

/** A browser session of a verified 2FA account (both factors just proved: recently confirmed), with its form token. */
async function signedInBrowser(enrolled: Enrolled): Promise<Record<string, string>> {
	await t.store.accounts.markEmailVerified(enrolled.account.id, t.clock.now());
	const jar: Record<string, string> = { deadbolt_session: enrolled.session.token };
	cookieJar(await get(jar, PAGE), jar);
	expect(jar["deadbolt_csrf"]).toBeDefined();
	return jar;
}

function get(jar: Record<string, string>, url: string): Promise<LightMyRequestResponse> {
	return t.app.inject({ method: "GET", url, headers: { cookie: cookieHeader(jar) } });
}

async function post(jar: Record<string, string>, url: string, form: Record<string, string> = {}): Promise<LightMyRequestResponse> {
	const res = await t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
	cookieJar(res, jar);
	return res;
}

const NEW_TOKEN = { name: "Grafana on my phone", hosts: "grafana.example.test\n*.apps.example.test", expiresInDays: "90" };

describe("the Access tokens page", () => {
	it("is linked from the security summary and the navigation, lists nothing at first and says what ends tokens", async () => {
		const jar = await signedInBrowser(await signUpWith2FA(t));
		const summary = await get(jar, "/dashboard/settings/security");
		expect(summary.body).toMatch(/id="summary-access-tokens"[\s\S]*?None[\s\S]*?href="\/dashboard\/settings\/security\/access-tokens"/);
		const page = await get(jar, PAGE);
		expect(page.statusCode).toBe(200);
		expect(page.body).toContain('<h1 class="page-title">Access tokens</h1>');
		expect(page.body).toContain(`href="${PAGE}" aria-current="page"`);
		expect(page.body).toContain('id="no-access-tokens"');
		expect(page.body).toMatch(/Tokens stay valid when you sign out \(even everywhere\) or change your password/);
		// Recently confirmed: the form does not ask for the password.
		expect(page.body).not.toContain('id="access-token-password"');
	});

	it("creates a token and shows it once; a reload of that POST makes no second one; the list shows name, hosts, dates, never the token", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		const formToken = jar["deadbolt_csrf"]!;
		const created = await post(jar, PAGE, NEW_TOKEN);
		expect(created.statusCode).toBe(200);
		const shown = created.body.match(TOKEN_PATTERN);
		expect(shown).toHaveLength(1);
		const token = shown![0];
		expect(created.body).toMatch(/<dialog open class="modal modal--narrow" id="new-access-token"[\s\S]*Copy it now: this is the only time it is shown\./);
		expect(created.body).toContain('data-copy-target="new-access-token"');
		// The form token changed: the same POST again (a reload) is refused, nothing is made.
		expect(jar["deadbolt_csrf"]).not.toBe(formToken);
		const again = await t.app.inject({ method: "POST", url: PAGE, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: formToken, ...NEW_TOKEN } });
		expect(again.statusCode).toBe(403);
		expect(again.body).not.toMatch(TOKEN_PATTERN);
		const auth = await t.deadbolt.validateSession(jar["deadbolt_session"]!);
		expect(await t.deadbolt.listAccessTokens(auth)).toHaveLength(1);

		const validated = await t.deadbolt.validateAccessToken(token, "grafana.example.test", "203.0.113.5");
		expect(validated.kind).toBe("valid");
		const list = await get(jar, PAGE);
		expect(list.body).not.toMatch(TOKEN_PATTERN);
		expect(list.body).toContain("Grafana on my phone");
		expect(list.body).toContain("<code>grafana.example.test</code>, <code>*.apps.example.test</code>");
		expect(list.body).toMatch(/Last used <time[^>]*>[^<]*<\/time> from 203\.0\.113\.5/);
		// Made in a session with 2FA: accepted by two_factor rules, and marked so.
		expect(list.body).toMatch(/Grafana on my phone <span class="badge badge--current"[^>]*>2FA<\/span>/);
		expect((await get(jar, "/dashboard/settings/security")).body).toMatch(/id="summary-access-tokens"[\s\S]*?1 active token/);
	});

	it("without a recent confirmation the form asks for the password and a code, and refuses a wrong one; the fields typed are kept", async () => {
		const enrolled = await signUpWith2FA(t);
		const jar = await signedInBrowser(enrolled);
		t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000);
		const page = await get(jar, PAGE);
		expect(page.body).toContain('id="access-token-password"');
		expect(page.body).toContain('id="access-token-code"');

		const empty = await post(jar, PAGE, NEW_TOKEN);
		expect(empty.statusCode).toBe(400);
		expect(empty.body).toContain("Enter your password.");
		expect(empty.body).toContain('value="Grafana on my phone"');
		expect(empty.body).toContain("grafana.example.test\n*.apps.example.test</textarea>");
		expect(empty.body).toMatch(/<option value="90" selected>90 days<\/option>/);

		t.clock.advance(30_000);
		const wrong = await post(jar, PAGE, { ...NEW_TOKEN, password: "not the password", code: codeAt(t, enrolled.key) });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.body).toContain("That password is not correct.");
		const auth = await t.deadbolt.validateSession(jar["deadbolt_session"]!);
		expect(await t.deadbolt.listAccessTokens(auth)).toEqual([]);

		t.clock.advance(30_000);
		const ok = await post(jar, PAGE, { ...NEW_TOKEN, password: PASSWORD, code: codeAt(t, enrolled.key) });
		expect(ok.statusCode).toBe(200);
		expect(ok.body.match(TOKEN_PATTERN)).toHaveLength(1);
	});

	it("refuses hosts that are not host names, a missing name and an expiry not offered, field by field", async () => {
		const jar = await signedInBrowser(await signUpWith2FA(t));
		const refused = await post(jar, PAGE, { name: "", hosts: "https://grafana.example.test/", expiresInDays: "9999" });
		expect(refused.statusCode).toBe(400);
		expect(refused.body).toMatch(/id="access-token-name-error">Give the token a name/);
		expect(refused.body).toMatch(/id="access-token-hosts-error">Not a host name or \*\. and a domain: https:\/\/grafana\.example\.test\//);
		expect(refused.body).toMatch(/id="access-token-expiry-error">Choose an expiry of 1 to 365 days\./);
		expect(refused.body).not.toMatch(TOKEN_PATTERN);
	});

	it("revokes one token (refused from then on), and all tokens after asking first", async () => {
		const jar = await signedInBrowser(await signUpWith2FA(t));
		const first = (await post(jar, PAGE, NEW_TOKEN)).body.match(TOKEN_PATTERN)![0];
		const second = (await post(jar, PAGE, { ...NEW_TOKEN, name: "backup script" })).body.match(TOKEN_PATTERN)![0];
		const third = (await post(jar, PAGE, { ...NEW_TOKEN, name: "CI" })).body.match(TOKEN_PATTERN)![0];
		const firstId = first.slice("dbpat_".length, "dbpat_".length + 16);

		const revoked = await post(jar, `${PAGE}/revoke`, { accessToken: firstId });
		expect(revoked.statusCode).toBe(303);
		expect(revoked.headers.location).toBe(`${PAGE}?done=access-token-revoked`);
		expect((await get(jar, revoked.headers.location as string)).body).toContain("Revoked that token.");
		expect(await t.deadbolt.validateAccessToken(first, null)).toEqual({ kind: "refused", reason: "revoked" });
		const gone = await post(jar, `${PAGE}/revoke`, { accessToken: firstId });
		expect(gone.headers.location).toBe(`${PAGE}?done=access-token-gone`);

		const asked = await post(jar, `${PAGE}/revoke-all`);
		expect(asked.statusCode).toBe(200);
		expect(asked.body).toMatch(/<dialog class="modal modal--narrow modal--confirm" id="confirm-revoke-all-access-tokens"[^>]* open aria-modal="true"[\s\S]*Revoke all 2 access tokens\?/);
		expect((await t.deadbolt.validateAccessToken(second, null)).kind).toBe("valid");
		const all = await post(jar, `${PAGE}/revoke-all`, { confirmed: "yes" });
		expect(all.statusCode).toBe(303);
		expect(all.headers.location).toBe(`${PAGE}?done=access-tokens-revoked&n=2`);
		for (const token of [second, third]) expect((await t.deadbolt.validateAccessToken(token, null)).kind).toBe("refused");
		expect((await get(jar, PAGE)).body).toContain('id="no-access-tokens"');
	});
});

describe("a personal access token is never a session", () => {
	it("is refused at the API as a Bearer token and at the dashboard as a session cookie", async () => {
		const jar = await signedInBrowser(await signUpWith2FA(t));
		const token = (await post(jar, PAGE, NEW_TOKEN)).body.match(TOKEN_PATTERN)![0];
		for (const url of ["/api/v1/session", "/api/v1/sessions", "/api/v1/security-events"]) {
			const res = await t.app.inject({ method: "GET", url, headers: bearer(token) });
			expect(res.statusCode, url).toBe(401);
			expect(res.json().code, url).toBe("ERR_UNAUTHENTICATED");
		}
		const dashboard = await t.app.inject({ method: "GET", url: PAGE, headers: { cookie: `deadbolt_session=${token}` } });
		expect(dashboard.statusCode).toBe(302);
		expect(dashboard.headers.location).toBe("/dashboard/sign-in");
		// The token itself still works where it belongs.
		expect((await t.deadbolt.validateAccessToken(token, "grafana.example.test")).kind).toBe("valid");
	});
});
