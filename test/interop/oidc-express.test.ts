/**
 * deadbolt's provider with `express-openid-connect` 3.4.0 as a real Node relying party (issue 13,
 * "Real parts in the tests"; test/helpers/express-oidc.ts): two Express apps on loopback ports,
 * configured as the library's README tells an app to be (code flow, ES256, back-channel logout,
 * `idpLogout`), and deadbolt's outbox dispatcher running as `deadbolt serve` runs it.
 *
 * Shown: a sign-in through the app (its /login, deadbolt's password and code, its callback, its
 * session cookie) reaches a protected route with the account's `sub`; deadbolt's sign-out (the
 * dashboard's button) reaches both apps by back-channel logout, whose tokens the library accepts
 * (their `sid` is the one of the app's ID token), and the apps' next requests are signed out;
 * RP-initiated logout from one app (its /logout, deadbolt's "Sign out?" page) ends the deadbolt
 * session and signs the other app out too, while "Only this app" ends that app's grant alone; a
 * logout token names the session that ended (`sid`), so an app keyed by `sid` keeps the user's
 * other sessions, which the library's default hooks (they store the token's `sub` too) do not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/cli-process.js";
import { expressClientConfig, startExpressRelyingParty, type ExpressRelyingParty } from "../helpers/express-oidc.js";
import { csrfOf, makeOidcAccount, OidcBrowser, startOidcProvider, type BrowserResponse, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "an-express-rp-secret-of-more-than-32-chars";
/** A `stopAt` no URL starts with: {@link OidcBrowser.follow} goes on until a page answers. */
const TO_THE_PAGE = "never:";
/** How long a back-channel logout may take to arrive: a bound for a hang, not a check of speed. */
const DELIVERY_BOUND_MS = 15_000;

let provider: OidcProvider;
let appA: ExpressRelyingParty;
let appB: ExpressRelyingParty;
/** An app whose back-channel logout hooks end the token's session only (its `sid`). */
let appC: ExpressRelyingParty;

beforeAll(async () => {
	const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
	provider = await startOidcProvider({
		// express-a and express-c take the password alone (minimumAal 1); an account with 2FA still signs in with its code (aal2).
		clients: [expressClientConfig(portA, "express-a", SECRET, { minimumAal: 1 }), expressClientConfig(portB, "express-b", SECRET), expressClientConfig(portC, "express-c", SECRET, { minimumAal: 1 })],
		dispatcher: true,
	});
	appA = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-a", clientSecret: SECRET, port: portA });
	appB = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-b", clientSecret: SECRET, port: portB });
	appC = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-c", clientSecret: SECRET, port: portC, logoutBy: "sid" });
});

afterAll(async () => {
	await appA?.close();
	await appB?.close();
	await appC?.close();
	await provider?.close();
});

/** What the app's `/me` answers for a signed-in session. */
interface Me {
	readonly sub: string;
	readonly idTokenClaims: Record<string, unknown>;
	readonly userinfo: Record<string, unknown>;
	readonly refreshToken: string | null;
}

/** Opens the app's protected `/me`: signs in at deadbolt when sent there (with the code when the account has 2FA), and reads the answer. */
async function signInToApp(browser: OidcBrowser, app: ExpressRelyingParty, account: OidcAccount): Promise<Me> {
	let page = await browser.follow(`${app.baseUrl}/me`, TO_THE_PAGE);
	if (page.url.startsWith(`${provider.issuer}/dashboard/sign-in`)) page = await browser.signIn(page, account.email, TO_THE_PAGE, account.key === null ? undefined : () => account.code());
	return meOf(page, app);
}

function meOf(page: BrowserResponse, app: ExpressRelyingParty): Me {
	expect(page.url, `${page.body.slice(0, 400)}\n${app.errors.join("\n")}`).toBe(`${app.baseUrl}/me`);
	expect(page.status, page.body.slice(0, 400)).toBe(200);
	return JSON.parse(page.body) as Me;
}

/** Waits for the app's `count`-th back-channel logout POST (any answer). */
async function receipt(app: ExpressRelyingParty, count: number): Promise<void> {
	const deadline = Date.now() + DELIVERY_BOUND_MS;
	while (app.receipts.length < count) {
		if (Date.now() > deadline) throw new Error(`${app.clientId} got ${app.receipts.length} back-channel logouts, not ${count}, within ${DELIVERY_BOUND_MS} ms`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** The app's `/me` for a session that is no longer signed in: redirected to deadbolt's authorization endpoint. */
async function expectSignedOut(browser: OidcBrowser, app: ExpressRelyingParty): Promise<void> {
	const me = await browser.request(`${app.baseUrl}/me`);
	expect(me.status, me.body.slice(0, 300)).toBe(302);
	expect(me.location).toMatch(new RegExp(`^${provider.issuer}/oidc/auth\\?`));
	const home = await browser.request(`${app.baseUrl}/`);
	expect(JSON.parse(home.body)).toEqual({ authenticated: false });
}

/** The dashboard's "Sign out" button, in this browser. */
async function dashboardSignOut(browser: OidcBrowser): Promise<void> {
	const home = await browser.follow(`${provider.issuer}/dashboard`, TO_THE_PAGE);
	expect(home.status).toBe(200);
	const out = await browser.request(`${provider.issuer}/dashboard/sign-out`, { form: { csrf: csrfOf(home.body) } });
	expect(out.status).toBe(303);
}

describe("express-openid-connect against deadbolt", () => {
	it("signs in through the app: /login, deadbolt's password and code, the callback, a protected route with the account's sub", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const me = await signInToApp(browser, appA, account);
		expect(me.sub).toBe(account.id);
		expect(me.idTokenClaims["iss"]).toBe(provider.issuer);
		expect(me.idTokenClaims["aud"]).toBe("express-a");
		expect(me.idTokenClaims["acr"]).toBe("urn:deadbolt:aal2");
		expect(me.idTokenClaims["amr"]).toEqual(["pwd", "otp", "mfa"]);
		expect(me.userinfo).toMatchObject({ sub: account.id, email: account.email, email_verified: true });
		// A client with a back-channel logout URI gets `sid` (Back-Channel Logout 1.0 §2.4).
		expect(typeof me.idTokenClaims["sid"]).toBe("string");
		expect(me.refreshToken).not.toBeNull();
		// The app's own session cookie (encrypted) carries it; the second app signs in without a password (deadbolt's session).
		expect(browser.cookieHeader(appA.baseUrl)).toMatch(/appSession=/);
		const second = meOf(await browser.follow(`${appB.baseUrl}/me`, TO_THE_PAGE), appB);
		expect(second.sub).toBe(account.id);
		// oidc-provider gives each app a `sid` of its own for one session (`session.sidFor(clientId)`).
		expect(typeof second.idTokenClaims["sid"]).toBe("string");
	});

	it("deadbolt's sign-out reaches both apps by back-channel logout; their next requests are signed out", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const meA = await signInToApp(browser, appA, account);
		const meB = meOf(await browser.follow(`${appB.baseUrl}/me`, TO_THE_PAGE), appB);
		const before = [appA.receipts.length, appB.receipts.length] as const;

		await dashboardSignOut(browser);
		await Promise.all([receipt(appA, before[0] + 1), receipt(appB, before[1] + 1)]);
		// The library accepted the tokens (204), and stored the very sid of its ID token.
		for (const [app, me, count] of [[appA, meA, before[0]], [appB, meB, before[1]]] as const) {
			const got = app.receipts[count]!;
			expect(got.status, got.body).toBe(204);
			expect(app.logoutEntries.entries.has(`${provider.issuer}|${me.idTokenClaims["sid"] as string}`)).toBe(true);
			expect(app.logoutEntries.entries.has(`${provider.issuer}|${account.id}`)).toBe(true);
			await expectSignedOut(browser, app);
		}
		// The app's refresh token is dead at deadbolt.
		for (const [app, me] of [[appA, meA], [appB, meB]] as const) expect(await refreshError(app.clientId, me.refreshToken!)).toBe("invalid_grant");
	});

	it("RP-initiated logout: the app's /logout, deadbolt's \"Sign out\" ends the deadbolt session; the other app is signed out by back-channel logout", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		await signInToApp(browser, appA, account);
		meOf(await browser.follow(`${appB.baseUrl}/me`, TO_THE_PAGE), appB);
		const before = appB.receipts.length;

		const confirm = await browser.follow(`${appA.baseUrl}/logout`, TO_THE_PAGE);
		expect(confirm.url).toMatch(new RegExp(`^${provider.issuer}/oidc/session/end\\?`));
		expect(new URL(confirm.url).searchParams.get("post_logout_redirect_uri")).toBe(appA.postLogoutRedirectUri);
		expect(new URL(confirm.url).searchParams.get("id_token_hint")).not.toBeNull();
		expect(confirm.status).toBe(200);
		expect(confirm.body).toMatch(/Express app express-a asks to sign you out/);
		const done = await browser.follow(`${provider.issuer}${formAction(confirm.body)}`, TO_THE_PAGE, { form: { xsrf: xsrfOf(confirm.body), logout: "yes" } });
		expect(done.url).toBe(appA.postLogoutRedirectUri);
		expect(done.body).toBe("signed out of the app");

		// deadbolt's session is over: its dashboard asks for a sign-in again.
		const dashboard = await browser.follow(`${provider.issuer}/dashboard`, TO_THE_PAGE);
		expect(dashboard.url).toMatch(/\/dashboard\/sign-in/);
		await expectSignedOut(browser, appA);
		// App B never saw the browser leave: the back-channel logout signs it out.
		await receipt(appB, before + 1);
		expect(appB.receipts[before]!.status, appB.receipts[before]!.body).toBe(204);
		await expectSignedOut(browser, appB);
	});

	it("RP-initiated logout, \"Only this app\": that app is signed out and its grant ended (refresh token dead, told by back-channel logout); deadbolt and the other app stay signed in", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const meA = await signInToApp(browser, appA, account);
		const meB = meOf(await browser.follow(`${appB.baseUrl}/me`, TO_THE_PAGE), appB);
		const before = [appA.receipts.length, appB.receipts.length] as const;

		const confirm = await browser.follow(`${appA.baseUrl}/logout`, TO_THE_PAGE);
		const done = await browser.follow(`${provider.issuer}${formAction(confirm.body)}`, TO_THE_PAGE, { form: { xsrf: xsrfOf(confirm.body) } });
		expect(done.url).toBe(appA.postLogoutRedirectUri);
		await expectSignedOut(browser, appA);
		// The app's grant is over at deadbolt: its refresh token is dead and Connected apps no longer lists it as signed in.
		expect(await refreshError("express-a", meA.refreshToken!)).toBe("invalid_grant");
		expect((await provider.store.oidcPayloads.listOidcGrantsOfAccount(account.id)).map((grant) => grant.clientId)).toEqual(["express-b"]);
		await receipt(appA, before[0] + 1);
		expect(appA.receipts[before[0]]!.status).toBe(204);
		// The other app and deadbolt go on.
		const stillB = meOf(await browser.request(`${appB.baseUrl}/me`), appB);
		expect(stillB.sub).toBe(account.id);
		expect(await refreshError("express-b", meB.refreshToken!)).toBeNull();
		expect(appB.receipts.length).toBe(before[1]);
		const dashboard = await browser.follow(`${provider.issuer}/dashboard`, TO_THE_PAGE);
		expect(dashboard.url).toBe(`${provider.issuer}/dashboard`);
		// Signing in to the app again in the same deadbolt session needs no password: one grant for it again.
		meOf(await browser.follow(`${appA.baseUrl}/me`, TO_THE_PAGE), appA);
		expect((await provider.store.oidcPayloads.listOidcGrantsOfAccount(account.id)).map((grant) => grant.clientId).sort()).toEqual(["express-a", "express-b"]);
	});

	it("one deadbolt session's logout token names its sid: an app keyed by sid ends that session only; the library's default hooks end the user's other sessions too (they store the sub as well)", async () => {
		// Without 2FA (minimumAal 1 apps): two sign-ins in a row, no code to wait for.
		const account = await makeOidcAccount(provider);
		const laptop = new OidcBrowser();
		const phone = new OidcBrowser();
		const phoneMe = new Map<string, Me>();
		for (const browser of [laptop, phone]) {
			const meA = await signInToApp(browser, appA, account);
			const meC = meOf(await browser.follow(`${appC.baseUrl}/me`, TO_THE_PAGE), appC);
			if (browser === phone) phoneMe.set("express-a", meA).set("express-c", meC);
		}
		const before = [appA.receipts.length, appC.receipts.length] as const;

		await dashboardSignOut(laptop);
		await Promise.all([receipt(appA, before[0] + 1), receipt(appC, before[1] + 1)]);
		expect([appA.receipts[before[0]]!.status, appC.receipts[before[1]]!.status]).toEqual([204, 204]);
		await expectSignedOut(laptop, appA);
		await expectSignedOut(laptop, appC);
		// Keyed by sid: the phone's session of express-c goes on.
		expect(meOf(await phone.request(`${appC.baseUrl}/me`), appC).sub).toBe(account.id);
		// The library's default: the phone is signed out of express-a too, though deadbolt ended only the laptop's session...
		await expectSignedOut(phone, appA);
		// ...whose grants alone deadbolt ended: the phone's refresh tokens still work.
		expect(await refreshError("express-a", phoneMe.get("express-a")!.refreshToken!)).toBeNull();
		expect(await refreshError("express-c", phoneMe.get("express-c")!.refreshToken!)).toBeNull();
		expect(appA.receipts.length - before[0]).toBe(1);
	});
});

/** The action of the provider's logout form (`op.logoutForm`). */
function formAction(html: string): string {
	const match = /<form[^>]*id="op\.logoutForm"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="op\.logoutForm"/.exec(html);
	if (match === null) throw new Error(`no logout form in the page: ${html.slice(0, 400)}`);
	return new URL(match[1] ?? match[2]!, provider.issuer).pathname;
}

/** The provider's `xsrf` field of the logout form. */
function xsrfOf(html: string): string {
	const match = /name="xsrf" value="([^"]+)"/.exec(html);
	if (match === null) throw new Error(`no xsrf field in the page: ${html.slice(0, 400)}`);
	return match[1]!;
}

/** Presents `refreshToken` at deadbolt's token endpoint as the app would; the error code, or null when it worked. */
async function refreshError(clientId: string, refreshToken: string): Promise<string | null> {
	const response = await fetch(`${provider.issuer}/oidc/token`, {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString("base64")}` },
		body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
	});
	if (response.ok) return null;
	return ((await response.json()) as { error: string }).error;
}
