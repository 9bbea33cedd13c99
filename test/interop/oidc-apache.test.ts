/**
 * deadbolt's provider with Debian's Apache and `mod_auth_openidc` as a relying party written by
 * others in another language (issue 13, "Real parts in the tests"; test/helpers/apache-oidc.ts):
 * `/protected` signs in with password and code and Apache hands the app `sub`, `acr` and `amr`;
 * `/aal2` (`Require claim acr:urn:deadbolt:aal2`) refuses a sign-in proven by the password alone
 * (a `minimumAal: 1` client, an account without 2FA) and admits one with the code; deadbolt's
 * back-channel logout, sent by its outbox dispatcher, ends the Apache session of the deadbolt
 * session that ended (the logout token's `sid`): the old Apache cookie is sent to the provider
 * again, while the same user's Apache session from another deadbolt session stays.
 *
 * Requests are a browser's navigations (`accept: text/html`, `sec-fetch-mode: navigate`, what
 * {@link OidcBrowser} sends): mod_auth_openidc answers 401 instead of redirecting to fetch-like
 * requests. Without apache2 and the module the suite is skipped (fails when `CI=true`).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { AAL2_ACR, apacheRelyingPartyUnmet, apacheRelyingPartyUrls, startApacheRelyingParty, stopApacheRelyingParties, type ApacheRelyingParty } from "../helpers/apache-oidc.js";
import { freePort } from "../helpers/cli-process.js";
import { describeWhen } from "../helpers/requirements.js";
import { csrfOf, makeOidcAccount, OidcBrowser, startOidcProvider, type BrowserResponse, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "an-apache-rp-secret-of-more-than-32-chars";
const CLIENT_ID = "apache-rp";
/** A `stopAt` no URL starts with: {@link OidcBrowser.follow} goes on until a page answers. */
const TO_THE_PAGE = "never:";
/** How long a back-channel logout may take to be delivered: a bound for a hang, not a check of speed. */
const DELIVERY_BOUND_MS = 15_000;

const unmet = apacheRelyingPartyUnmet();
let provider: OidcProvider;
let rp: ApacheRelyingParty;

beforeAll(async () => {
	if (unmet !== null) return;
	const port = await freePort();
	const urls = apacheRelyingPartyUrls(port);
	provider = await startOidcProvider({
		clients: [{ id: CLIENT_ID, name: "Apache app", secret: SECRET, redirectUris: [urls.redirectUri], postLogoutRedirectUris: [`${urls.baseUrl}/`], backchannelLogoutUri: urls.backchannelLogoutUri, firstParty: true, minimumAal: 1 }],
		dispatcher: true,
	});
	rp = await startApacheRelyingParty({ issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: SECRET, port });
});

afterAll(async () => {
	await stopApacheRelyingParties();
	await provider?.close();
});

/** What the signed-in page of the Apache app shows (its `<dd id=...>` fields, as the module set them). */
function shown(page: BrowserResponse, id: string): string | null {
	const match = new RegExp(`<dd id="${id}">([^<]*)</dd>`).exec(page.body);
	return match === null ? null : match[1]!;
}

/** Navigates to `url` on the Apache app and signs in at deadbolt when sent there (with the code when the account has 2FA); the page Apache answers at last. */
async function signInThroughApache(browser: OidcBrowser, url: string, account: OidcAccount): Promise<BrowserResponse> {
	const start = await browser.follow(url, TO_THE_PAGE);
	expect(start.url, `${start.status} ${start.body.slice(0, 300)}\n${rp.errorLog()}`).toMatch(new RegExp(`^${provider.issuer}/dashboard/sign-in`));
	return browser.signIn(start, account.email, TO_THE_PAGE, account.key === null ? undefined : () => account.code());
}

/** The deadbolt session of this browser, as the service sees it. */
async function deadboltSession(browser: OidcBrowser) {
	const token = /deadbolt_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer));
	if (token === null) throw new Error("the browser has no deadbolt session");
	return provider.deadbolt.validateSession(decodeURIComponent(token[1]!));
}

/** Waits until every back-channel logout delivery of the account is settled; returns them. */
async function settledLogouts(accountId: string, count: number) {
	const deadline = Date.now() + DELIVERY_BOUND_MS;
	for (;;) {
		const deliveries = (await provider.store.outbox.listDeliveries({ accountId, channel: "webhook", limit: 100 })).filter((d) => d.kind === "oidc.backchannel_logout");
		if (deliveries.length >= count && deliveries.every((d) => d.status !== "pending")) return deliveries;
		if (Date.now() > deadline) throw new Error(`back-channel logouts of ${accountId} not settled within ${DELIVERY_BOUND_MS} ms: ${JSON.stringify(deliveries.map((d) => [d.target, d.status, d.lastError]))}\n${rp.errorLog()}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** Apache's answer to the browser's old cookie: a redirect to deadbolt's authorization endpoint (signed out), not the page. */
async function expectSentToDeadbolt(browser: OidcBrowser): Promise<void> {
	const after = await browser.request(rp.protectedUrl);
	expect(after.status, after.body.slice(0, 300)).toBe(302);
	expect(after.location).toMatch(new RegExp(`^${provider.issuer}/oidc/auth\\?`));
	expect(new URL(after.location!).searchParams.get("client_id")).toBe(CLIENT_ID);
}

/** The dashboard's "Sign out" button, in this browser (ends this deadbolt session only). */
async function dashboardSignOut(browser: OidcBrowser): Promise<void> {
	const home = await browser.follow(`${provider.issuer}/dashboard`, TO_THE_PAGE);
	expect(home.status).toBe(200);
	const out = await browser.request(`${provider.issuer}/dashboard/sign-out`, { form: { csrf: csrfOf(home.body) } });
	expect(out.status).toBe(303);
}

describeWhen("Apache + mod_auth_openidc against deadbolt", unmet, () => {
	it("/protected: password and code at deadbolt, Apache shows the account's sub, acr aal2 and amr pwd,otp,mfa", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const page = await signInThroughApache(browser, rp.protectedUrl, account);
		expect(page.url).toBe(rp.protectedUrl);
		expect(page.status, `${page.body.slice(0, 400)}\n${rp.errorLog()}`).toBe(200);
		expect(shown(page, "sub")).toBe(account.id);
		expect(shown(page, "acr")).toBe(AAL2_ACR);
		expect(shown(page, "amr")).toBe("pwd,otp,mfa");
		expect(shown(page, "sid")).toMatch(/^\S+$/);
		// mod_auth_openidc's REMOTE_USER: <sub>@<issuer> (it strips "https://" only; this issuer is plain http).
		expect(shown(page, "remote-user")).toBe(`${account.id}@${provider.issuer}`);
		// Signed in: the next navigation is answered from Apache's session, deadbolt is not asked.
		const again = await browser.request(rp.protectedUrl);
		expect(again.status).toBe(200);
		expect(shown(again, "sub")).toBe(account.id);
	});

	it("/aal2 (Require claim acr:urn:deadbolt:aal2) refuses a password-only sign-in (minimumAal 1, no 2FA) and admits one with the code", async () => {
		const passwordOnly = await makeOidcAccount(provider);
		const first = new OidcBrowser();
		const refused = await signInThroughApache(first, rp.aal2Url, passwordOnly);
		expect(refused.url).toBe(rp.aal2Url);
		expect(refused.status, `${refused.body.slice(0, 400)}\n${rp.errorLog()}`).toBe(401);
		expect(shown(refused, "sub")).toBeNull();
		// The same Apache session is good enough for /protected: it is the acr that /aal2 refuses.
		const protectedPage = await first.request(rp.protectedUrl);
		expect(protectedPage.status).toBe(200);
		expect(shown(protectedPage, "acr")).toBe("urn:deadbolt:aal1");
		expect(shown(protectedPage, "amr")).toBe("pwd");

		const withCode = await makeOidcAccount(provider, { confirmed: true });
		const admitted = await signInThroughApache(new OidcBrowser(), rp.aal2Url, withCode);
		expect(admitted.url).toBe(rp.aal2Url);
		expect(admitted.status, `${admitted.body.slice(0, 400)}\n${rp.errorLog()}`).toBe(200);
		expect(shown(admitted, "sub")).toBe(withCode.id);
		expect(shown(admitted, "acr")).toBe(AAL2_ACR);
	});

	it("deadbolt's sign-out ends that session's Apache session by back-channel logout (the logout token's sid), the same user's other session stays; sign out everywhere ends that one too", async () => {
		// Without 2FA (a minimumAal 1 client): two sign-ins in a row, no code to wait for (each code's time step is used once).
		const account = await makeOidcAccount(provider);
		const laptop = new OidcBrowser();
		const phone = new OidcBrowser();
		const onLaptop = await signInThroughApache(laptop, rp.protectedUrl, account);
		const onPhone = await signInThroughApache(phone, rp.protectedUrl, account);
		expect([onLaptop.status, onPhone.status]).toEqual([200, 200]);
		expect(shown(onLaptop, "sid")).not.toBe(shown(onPhone, "sid"));

		// The laptop signs out of deadbolt (the dashboard's button): that session only.
		await dashboardSignOut(laptop);
		const [delivery, ...more] = await settledLogouts(account.id, 1);
		expect(more).toEqual([]);
		expect(delivery!.target).toBe(`oidc:${CLIENT_ID}`);
		expect(delivery!.status, `${delivery!.lastError}\n${rp.errorLog()}`).toBe("delivered");
		expect(JSON.parse(delivery!.payload)).toEqual({ sub: account.id, sid: shown(onLaptop, "sid") });
		expect(rp.accessLog()).toMatch(/"POST \/protected\/redirect_uri\?logout=backchannel HTTP\/1\.1" 200 /);

		// The old Apache cookie no longer signs in: Apache sends the browser to deadbolt again
		// (mod_auth_openidc answers a logout token 200 even when no session matched: the effect is what counts).
		await expectSentToDeadbolt(laptop);
		// deadbolt's session is over too: that authorization ends on the sign-in page, not back at Apache.
		const signIn = await laptop.follow(rp.protectedUrl, TO_THE_PAGE);
		expect(signIn.url).toMatch(new RegExp(`^${provider.issuer}/dashboard/sign-in`));
		// The phone's Apache session (another deadbolt session, another sid) goes on.
		const still = await phone.request(rp.protectedUrl);
		expect(still.status).toBe(200);
		expect(shown(still, "sub")).toBe(account.id);

		// Sign out everywhere from the phone: its Apache session ends as well.
		await provider.deadbolt.signOutEverywhere(await deadboltSession(phone));
		const all = await settledLogouts(account.id, 2);
		expect(all.map((d) => d.status)).toEqual(["delivered", "delivered"]);
		await expectSentToDeadbolt(phone);
	});
});
