/**
 * Issue 9 item 3: the session token changes when the session gains privilege (session fixation,
 * OWASP ASVS V7). After a re-authentication, setup step 1 with the password, turning 2FA on (or
 * moving it to a new phone), a password change or first password, and "secure account", the
 * session keeps its id and goes on under a new secret; the old token is refused at once.
 * A Bearer client gets the new token in the answer's `session.token`; a client that sent the
 * session as a cookie gets the cookie replaced and no token in the body; the dashboard's forms
 * replace the cookie too.
 */
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

const SESSION_COOKIE = "deadbolt_session";
const NEW_PASSWORD = "a brand new passphrase 9";

let t: TestApp;
appPerTest((app) => (t = app));

/** How a client sends its session: `Authorization: Bearer`, or the session cookie as a browser page does. */
type Mode = "bearer" | "cookie";

function headersOf(mode: Mode, token: string): Record<string, string> {
	return mode === "bearer" ? bearer(token) : { ...BROWSER, cookie: `${SESSION_COOKIE}=${token}` };
}

function send(mode: Mode, token: string, method: "GET" | "POST" | "PUT", url: string, payload?: object): Promise<LightMyRequestResponse> {
	return t.app.inject({ method, url, headers: headersOf(mode, token), ...(payload === undefined ? {} : { payload }) });
}

/** The session's token as the client holds it after `response` (cookie mode: the value it sent, unless replaced). */
function tokenAfter(mode: Mode, response: LightMyRequestResponse, before: string): string {
	if (mode === "bearer") return (response.json().session?.token as string | undefined) ?? before;
	return cookieJar(response, { [SESSION_COOKIE]: before })[SESSION_COOKIE]!;
}

/** A new account with a password; its session token (from the body or the cookie). */
async function signUp(mode: Mode): Promise<string> {
	const res = await t.app.inject({ method: "POST", url: "/api/v1/accounts", ...(mode === "cookie" ? { headers: BROWSER } : {}), payload: { email: `rot-${Math.random().toString(36).slice(2)}@example.com`, password: PASSWORD } });
	expect(res.statusCode).toBe(201);
	return mode === "bearer" ? (res.json().session.token as string) : cookieJar(res)[SESSION_COOKIE]!;
}

/** A new account created without a password, signed in by a sign-in link; its session token. */
async function linkedIn(mode: Mode): Promise<string> {
	const email = `link-${Math.random().toString(36).slice(2)}@example.com`;
	await t.deadbolt.createAccountWithoutPassword(email);
	const link = await t.deadbolt.issueSignInLink(email);
	const res = await t.app.inject({ method: "POST", url: "/api/v1/login/link", ...(mode === "cookie" ? { headers: BROWSER } : {}), payload: { token: link.token } });
	expect(res.statusCode).toBe(200);
	return mode === "bearer" ? (res.json().session.token as string) : cookieJar(res)[SESSION_COOKIE]!;
}

/** Setup step 1 with the password (it rotates the session). @returns the key and the session's token from here on */
async function stepOne(mode: Mode, token: string): Promise<{ key: Uint8Array; token: string }> {
	const res = await send(mode, token, "POST", "/api/v1/two-factor/totp/enrollment", { password: PASSWORD });
	expect(res.statusCode).toBe(201);
	return { key: decodeBase32(res.json().secret), token: tokenAfter(mode, res, token) };
}

/** Turns 2FA on. @returns the key and the session's token from here on */
async function enable2FA(mode: Mode, token: string): Promise<{ key: Uint8Array; token: string }> {
	const started = await stepOne(mode, token);
	const res = await send(mode, started.token, "POST", "/api/v1/two-factor/totp/enrollment/confirm", { code: generateTOTP(started.key, t.clock.now()) });
	expect(res.statusCode).toBe(200);
	return { key: started.key, token: tokenAfter(mode, res, started.token) };
}

/** A session ready for an action: its token, and the pending authenticator's key when the action confirms a setup. */
interface Prepared {
	readonly token: string;
	readonly key?: Uint8Array;
}

/** One action that raises the session: how to get a session ready for it, and the request itself. */
interface RaisingAction {
	readonly name: string;
	readonly status: number;
	readonly prepare: (mode: Mode) => Promise<Prepared>;
	readonly act: (mode: Mode, prepared: Prepared) => Promise<LightMyRequestResponse>;
}

const signedUp = async (mode: Mode): Promise<Prepared> => ({ token: await signUp(mode) });
const linkSignedIn = async (mode: Mode): Promise<Prepared> => ({ token: await linkedIn(mode) });
const confirmSetup = (mode: Mode, { token, key }: Prepared) => send(mode, token, "POST", "/api/v1/two-factor/totp/enrollment/confirm", { code: generateTOTP(key!, t.clock.now()) });

const ACTIONS: readonly RaisingAction[] = [
	{
		name: "POST /reauthenticate",
		status: 200,
		prepare: signedUp,
		act: (mode, { token }) => send(mode, token, "POST", "/api/v1/reauthenticate", { password: PASSWORD }),
	},
	{
		name: "setup step 1 with the password (POST /two-factor/totp/enrollment)",
		status: 201,
		prepare: signedUp,
		act: (mode, { token }) => send(mode, token, "POST", "/api/v1/two-factor/totp/enrollment", { password: PASSWORD }),
	},
	{
		name: "setup step 1 setting the first password (POST /two-factor/totp/enrollment with newPassword)",
		status: 201,
		prepare: linkSignedIn,
		act: (mode, { token }) => send(mode, token, "POST", "/api/v1/two-factor/totp/enrollment", { newPassword: NEW_PASSWORD }),
	},
	{
		name: "turning 2FA on (POST /two-factor/totp/enrollment/confirm)",
		status: 200,
		// Step 1 rotates too (its own case above): this one starts from the token step 1 gave.
		prepare: async (mode) => stepOne(mode, await signUp(mode)),
		act: confirmSetup,
	},
	{
		name: "moving 2FA to a new phone (enrollment/confirm with 2FA on)",
		status: 200,
		prepare: async (mode) => {
			const { token } = await enable2FA(mode, await signUp(mode));
			// Recently confirmed (turning 2FA on proved both factors): step 1 needs no password, and does not rotate.
			const begin = await send(mode, token, "POST", "/api/v1/two-factor/totp/enrollment", {});
			expect(begin.statusCode).toBe(201);
			expect(begin.json().session).toBeUndefined();
			expect(begin.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
			return { token, key: decodeBase32(begin.json().secret) };
		},
		act: async (mode, prepared) => {
			const res = await confirmSetup(mode, prepared);
			expect(res.json().replaced).toBe(true);
			return res;
		},
	},
	{
		name: "PUT /password (a change)",
		status: 200,
		prepare: signedUp,
		act: (mode, { token }) => send(mode, token, "PUT", "/api/v1/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
	},
	{
		name: "PUT /password (the first password of an account without one)",
		status: 200,
		prepare: linkSignedIn,
		act: (mode, { token }) => send(mode, token, "PUT", "/api/v1/password", { newPassword: NEW_PASSWORD }),
	},
	{
		name: "POST /secure-account",
		status: 200,
		prepare: signedUp,
		act: (mode, { token }) => send(mode, token, "POST", "/api/v1/secure-account", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
	},
];

async function sessionStatus(mode: Mode, token: string): Promise<number> {
	return (await send(mode, token, "GET", "/api/v1/session")).statusCode;
}

describe.each(ACTIONS)("$name rotates the session's token", (action) => {
	it("Bearer client: the answer carries session.token under the same id; the old token is refused at once, the new one works", async () => {
		const prepared = await action.prepare("bearer");
		const old = prepared.token;
		const id = old.split(".")[0];
		const res = await action.act("bearer", prepared);
		expect(res.statusCode, res.body).toBe(action.status);
		const session = res.json().session as { id: string; token: string };
		expect(session.id).toBe(id);
		expect(session.token.split(".")[0]).toBe(id);
		expect(session.token).not.toBe(old);
		// No cookie for an API client.
		expect(res.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
		expect(await sessionStatus("bearer", old)).toBe(401);
		const me = await send("bearer", session.token, "GET", "/api/v1/session");
		expect(me.statusCode).toBe(200);
		expect(me.json().session.id).toBe(id);
	});

	it("cookie client: the session cookie is replaced (HttpOnly), the body has no token; the old cookie is refused at once, the new one works", async () => {
		const prepared = await action.prepare("cookie");
		const old = prepared.token;
		const id = old.split(".")[0];
		const res = await action.act("cookie", prepared);
		expect(res.statusCode, res.body).toBe(action.status);
		expect(res.json().session).toEqual({ id });
		const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
		expect(cookie).toBeDefined();
		expect(cookie!.httpOnly).toBe(true);
		expect(cookie!.sameSite).toBe("Lax");
		expect(cookie!.value).not.toBe(old);
		expect(cookie!.value.split(".")[0]).toBe(id);
		expect(res.body).not.toContain(cookie!.value.split(".")[1]);
		expect(await sessionStatus("cookie", old)).toBe(401);
		const jar = cookieJar(res, { [SESSION_COOKIE]: old });
		const me = await t.app.inject({ method: "GET", url: "/api/v1/session", headers: { ...BROWSER, cookie: cookieHeader(jar) } });
		expect(me.statusCode).toBe(200);
		expect(me.json().session.id).toBe(id);
	});
});

describe("what does not raise the session keeps its token", () => {
	it("setup step 1 without a password (a recent confirmation is enough) answers no session and keeps the token", async () => {
		const token = await signUp("bearer");
		const begin = await send("bearer", token, "POST", "/api/v1/two-factor/totp/enrollment", {});
		expect(begin.statusCode).toBe(201);
		expect(begin.json().session).toBeUndefined();
		expect(await sessionStatus("bearer", token)).toBe(200);
	});

	it("a refused re-authentication (wrong password) keeps the token and gives no new one", async () => {
		const token = await signUp("bearer");
		const wrong = await send("bearer", token, "POST", "/api/v1/reauthenticate", { password: "not the password at all" });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.json().session).toBeUndefined();
		expect(await sessionStatus("bearer", token)).toBe(200);
	});
});

describe("the dashboard replaces the session cookie", () => {
	/** A browser signed up, with the Security page's form token. */
	async function browser(): Promise<Record<string, string>> {
		const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: `dash-${Math.random().toString(36).slice(2)}@example.com`, password: PASSWORD } }));
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		expect(jar["deadbolt_csrf"]).toBeDefined();
		return jar;
	}

	function postForm(jar: Record<string, string>, url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
		return t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
	}

	/** After a form's answer: the cookie was replaced (same id), the old one is refused, the browser goes on signed in. */
	async function expectReplaced(jar: Record<string, string>, res: LightMyRequestResponse): Promise<void> {
		const before = jar[SESSION_COOKIE]!;
		const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
		expect(cookie, "Set-Cookie deadbolt_session").toBeDefined();
		expect(cookie!.value).not.toBe(before);
		expect(cookie!.value.split(".")[0]).toBe(before.split(".")[0]);
		expect(res.body).not.toContain(cookie!.value.split(".")[1]);
		cookieJar(res, jar);
		expect(await sessionStatus("cookie", before)).toBe(401);
		expect(await sessionStatus("cookie", jar[SESSION_COOKIE]!)).toBe(200);
		// The page itself still works for the browser that holds the new cookie.
		const page = await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } });
		expect(page.statusCode).toBe(200);
	}

	it("'Confirm it's you' (then sign out the other sessions) replaces the cookie", async () => {
		const jar = await browser();
		t.clock.advance((t.config.session.reauthenticationTtlSeconds + 1) * 1000);
		const prompt = await postForm(jar, "/dashboard/settings/security/sessions/revoke-others", {});
		expect(prompt.statusCode).toBe(200);
		expect(prompt.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
		cookieJar(prompt, jar);
		const confirmed = await postForm(jar, "/dashboard/settings/security/confirm", { action: "revoke-others", confirmed: "yes", password: PASSWORD });
		expect(confirmed.statusCode).toBe(303);
		await expectReplaced(jar, confirmed);
	});

	it("a password change through the form replaces the cookie", async () => {
		const jar = await browser();
		const changed = await postForm(jar, "/dashboard/settings/security/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
		expect(changed.statusCode).toBe(303);
		expect(changed.headers.location).toContain("done=password-changed");
		await expectReplaced(jar, changed);
	});

	it("with 2FA on and the code in the form (a confirmation, then the change: two rotations), the cookie the browser ends with works", async () => {
		const jar = await browser();
		const { key, token } = await enable2FA("cookie", jar[SESSION_COOKIE]!);
		jar[SESSION_COOKIE] = token;
		t.clock.advance((t.config.session.reauthenticationTtlSeconds + 1) * 1000);
		const changed = await postForm(jar, "/dashboard/settings/security/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: generateTOTP(key, t.clock.now()) });
		expect(changed.statusCode).toBe(303);
		expect(changed.headers.location).toContain("done=password-changed");
		expect(changed.cookies.filter((c) => c.name === SESSION_COOKIE)).toHaveLength(1);
		await expectReplaced(jar, changed);
	});

	it("setup step 1 and turning 2FA on through the forms replace the cookie each time", async () => {
		const jar = await browser();
		const scan = await postForm(jar, "/dashboard/settings/security/two-factor/setup", { password: PASSWORD });
		expect(scan.statusCode).toBe(200);
		const key = decodeBase32(/data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!);
		await expectReplaced(jar, scan);
		const done = await postForm(jar, "/dashboard/settings/security/two-factor/confirm", { code: generateTOTP(key, t.clock.now()) });
		expect(done.statusCode).toBe(200);
		expect(done.body).toContain('id="recovery-codes"');
		await expectReplaced(jar, done);
	});

	it("'I think my account is compromised' replaces the cookie", async () => {
		const jar = await browser();
		const secured = await postForm(jar, "/dashboard/settings/security/compromised", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
		expect(secured.statusCode).toBe(200);
		expect(secured.body).toContain('id="account-secured"');
		await expectReplaced(jar, secured);
	});
});
