/**
 * "Logout that reaches every app", measured (issue 13 item 5: "from the sign-out to each app's
 * logout, nothing missed"): three relying parties written by others (two `express-openid-connect`
 * apps and Apache with `mod_auth_openidc`) signed in from one deadbolt session per user, deadbolt's
 * outbox dispatcher running as in `deadbolt serve`. After sign out everywhere:
 * - every app got its logout: one back-channel logout delivery per (session, app), all delivered,
 *   none pending or dead, each app's endpoint accepted it (204 / 200), at the first attempt;
 * - every app's session is over (its next request is sent to deadbolt again), and every refresh
 *   token the apps hold is dead at deadbolt (`invalid_grant`);
 * - the time from the sign-out to each app's logout is measured and printed (bounded only against
 *   a hang: a loaded two-core machine is not a benchmark);
 * - a user who did not sign out stays signed in everywhere;
 * - an app that is down at the sign-out gets its logout when it is back (outbox retries);
 * - RP-initiated logout from Apache that ends the deadbolt session reaches the express apps.
 * Without apache2 and the module the suite is skipped (fails when `CI=true`).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apacheRelyingPartyUnmet, apacheRelyingPartyUrls, startApacheRelyingParty, stopApacheRelyingParties, type ApacheRelyingParty } from "../helpers/apache-oidc.js";
import { freePort } from "../helpers/cli-process.js";
import { expressClientConfig, startExpressRelyingParty, type ExpressRelyingParty } from "../helpers/express-oidc.js";
import { makeOidcAccount, OidcBrowser, startOidcProvider, type BrowserResponse, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";
import { describeWhen } from "../helpers/requirements.js";
import type { DeliveryRecord } from "../../src/storage/store.js";

const SECRET = "a-relying-party-secret-of-more-than-32-chars";
/** A `stopAt` no URL starts with: {@link OidcBrowser.follow} goes on until a page answers. */
const TO_THE_PAGE = "never:";
/** How long the logouts may take to be settled: a bound for a hang, not a check of speed. */
const SETTLE_BOUND_MS = 20_000;
/** Users signed in to the three apps who sign out everywhere at the same moment. */
const USERS = 4;
/** The Apache app passes its refresh token to the page's response (mod_auth_openidc `OIDCPassRefreshToken`). */
const APACHE_REFRESH_HEADER = "x-test-refresh-token";

const unmet = apacheRelyingPartyUnmet();
let provider: OidcProvider;
let expressA: ExpressRelyingParty;
let expressB: ExpressRelyingParty;
let apache: ApacheRelyingParty;
const expressBSecret = randomBytes(32).toString("base64url");

beforeAll(async () => {
	if (unmet !== null) return;
	const [portA, portB, portApache] = [await freePort(), await freePort(), await freePort()];
	const apacheUrls = apacheRelyingPartyUrls(portApache);
	provider = await startOidcProvider({
		clients: [
			expressClientConfig(portA, "express-a", SECRET),
			expressClientConfig(portB, "express-b", SECRET),
			{ id: "apache", name: "Apache app", secret: SECRET, redirectUris: [apacheUrls.redirectUri], postLogoutRedirectUris: [`${apacheUrls.baseUrl}/`], backchannelLogoutUri: apacheUrls.backchannelLogoutUri, firstParty: true },
		],
		dispatcher: true,
		// Quick retries for the app that is down (a first retry after about half a second).
		overrides: { outbox: { retryMinMillis: 500, pollIntervalMillis: 100 } },
	});
	expressA = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-a", clientSecret: SECRET, port: portA });
	expressB = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-b", clientSecret: SECRET, port: portB, sessionSecret: expressBSecret });
	apache = await startApacheRelyingParty({
		issuer: provider.issuer,
		clientId: "apache",
		clientSecret: SECRET,
		port: portApache,
		extraConfig: ["OIDCPassRefreshToken On", `Header set ${APACHE_REFRESH_HEADER} "%{OIDC_refresh_token}e" env=OIDC_refresh_token`],
	});
});

afterAll(async () => {
	await expressA?.close();
	await expressB?.close();
	await stopApacheRelyingParties();
	await provider?.close();
});

/** A user signed in to the three apps from one browser (one deadbolt session). */
interface SignedIn {
	readonly account: OidcAccount;
	readonly browser: OidcBrowser;
	/** The refresh token each app holds, by client id. */
	readonly refreshTokens: ReadonlyMap<string, string>;
}

function expectPage(page: BrowserResponse, url: string, context: () => string = () => ""): void {
	expect(page.url, `${page.status} ${page.body.slice(0, 300)}\n${context()}`).toBe(url);
	expect(page.status, `${page.body.slice(0, 300)}\n${context()}`).toBe(200);
}

/** Signs a new user in to express-a (password and code at deadbolt), then to express-b and Apache without a password (deadbolt's session). */
async function signInEverywhere(): Promise<SignedIn> {
	const account = await makeOidcAccount(provider, { confirmed: true });
	const browser = new OidcBrowser();
	const refreshTokens = new Map<string, string>();
	const signInPage = await browser.follow(`${expressA.baseUrl}/me`, TO_THE_PAGE);
	const meA = await browser.signIn(signInPage, account.email, TO_THE_PAGE, () => account.code());
	expectPage(meA, `${expressA.baseUrl}/me`, () => expressA.errors.join("\n"));
	const meB = await browser.follow(`${expressB.baseUrl}/me`, TO_THE_PAGE);
	expectPage(meB, `${expressB.baseUrl}/me`, () => expressB.errors.join("\n"));
	for (const [clientId, page] of [["express-a", meA], ["express-b", meB]] as const) {
		const me = JSON.parse(page.body) as { sub: string; refreshToken: string | null };
		expect(me.sub).toBe(account.id);
		refreshTokens.set(clientId, me.refreshToken!);
	}
	const apachePage = await browser.follow(apache.protectedUrl, TO_THE_PAGE);
	expectPage(apachePage, apache.protectedUrl, () => apache.errorLog());
	expect(/<dd id="sub">([^<]*)<\/dd>/.exec(apachePage.body)?.[1]).toBe(account.id);
	const apacheRefresh = apachePage.headers[APACHE_REFRESH_HEADER];
	expect(typeof apacheRefresh, "mod_auth_openidc passes no refresh token").toBe("string");
	refreshTokens.set("apache", apacheRefresh as string);
	return { account, browser, refreshTokens };
}

/** The deadbolt session of this browser, as the service sees it. */
async function deadboltSession(browser: OidcBrowser) {
	const token = /deadbolt_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer));
	if (token === null) throw new Error("the browser has no deadbolt session");
	return provider.deadbolt.validateSession(decodeURIComponent(token[1]!));
}

/** The account's back-channel logout deliveries once `count` of them are there and none is pending. */
async function settledLogouts(accountIds: readonly string[], count: number): Promise<DeliveryRecord[]> {
	const deadline = Date.now() + SETTLE_BOUND_MS;
	for (;;) {
		const deliveries = (await Promise.all(accountIds.map((accountId) => provider.store.outbox.listDeliveries({ accountId, channel: "webhook", limit: 100 })))).flat().filter((d) => d.kind === "oidc.backchannel_logout");
		if (deliveries.length >= count && deliveries.every((d) => d.status !== "pending")) return deliveries;
		if (Date.now() > deadline) throw new Error(`back-channel logouts not settled within ${SETTLE_BOUND_MS} ms: ${JSON.stringify(deliveries.map((d) => [d.target, d.status, d.attempts, d.lastError]))}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
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

/** Each app's next request in this browser: true when it is signed out (sent to deadbolt's authorization endpoint). */
async function signedOutAt(browser: OidcBrowser): Promise<Record<string, boolean>> {
	const sentToDeadbolt = (page: BrowserResponse): boolean => page.status === 302 && (page.location?.startsWith(`${provider.issuer}/oidc/auth?`) ?? false);
	return {
		"express-a": sentToDeadbolt(await browser.request(`${expressA.baseUrl}/me`)),
		"express-b": sentToDeadbolt(await browser.request(`${expressB.baseUrl}/me`)),
		apache: sentToDeadbolt(await browser.request(apache.protectedUrl)),
	};
}

/** The Apache access log's back-channel logout POSTs and their status. */
function apacheLogoutPosts(): string[] {
	return [...apache.accessLog().matchAll(/"POST \/protected\/redirect_uri\?logout=backchannel HTTP\/1\.1" (\d{3}) /g)].map((match) => match[1]!);
}

describeWhen("sign out everywhere reaches every app (two express-openid-connect apps and Apache + mod_auth_openidc)", unmet, () => {
	it(`${USERS} users signed in to three apps sign out everywhere at once: every app's logout delivered at the first attempt, every app session over, every refresh token dead, the time measured; a bystander stays`, async () => {
		const users: SignedIn[] = [];
		// Signed in one after the other (argon2id on two cores), to the three apps each.
		for (let n = 0; n < USERS; n++) users.push(await signInEverywhere());
		const bystander = await signInEverywhere();
		const expressBefore = { "express-a": expressA.receipts.length, "express-b": expressB.receipts.length };
		const apacheBefore = apacheLogoutPosts().length;
		const sessions = await Promise.all(users.map((user) => deadboltSession(user.browser)));

		const signedOutAtMillis = Date.now();
		await Promise.all(sessions.map((session) => provider.deadbolt.signOutEverywhere(session)));
		const deliveries = await settledLogouts(users.map((user) => user.account.id), USERS * 3);

		// Nothing missed: one delivery per (user, app), every one delivered at its first attempt.
		expect(deliveries).toHaveLength(USERS * 3);
		for (const user of users) {
			const mine = deliveries.filter((d) => d.accountId === user.account.id);
			expect(mine.map((d) => d.target).sort()).toEqual(["oidc:apache", "oidc:express-a", "oidc:express-b"]);
		}
		for (const delivery of deliveries) {
			expect(delivery.status, `${delivery.target}: ${delivery.lastError}`).toBe("delivered");
			expect(delivery.attempts, `${delivery.target}: ${delivery.lastError}`).toBe(1);
		}
		const byStatus = await provider.store.outbox.countDeliveriesByStatus();
		expect(byStatus.dead).toBe(0);
		// Each app's endpoint accepted each logout token: the library's 204, the module's 200.
		for (const [app, before] of [[expressA, expressBefore["express-a"]], [expressB, expressBefore["express-b"]]] as const) {
			const got = app.receipts.slice(before);
			expect(got.map((receipt) => receipt.status), got.map((receipt) => receipt.body).join("\n")).toEqual(Array.from({ length: USERS }, () => 204));
		}
		expect(apacheLogoutPosts().slice(apacheBefore)).toEqual(Array.from({ length: USERS }, () => "200"));

		// Every app session is over, every refresh token the apps hold is dead, no grant is left.
		for (const user of users) {
			expect(await signedOutAt(user.browser)).toEqual({ "express-a": true, "express-b": true, apache: true });
			for (const [clientId, refreshToken] of user.refreshTokens) expect(await refreshError(clientId, refreshToken), clientId).toBe("invalid_grant");
			expect(await provider.store.oidcPayloads.listOidcGrantsOfAccount(user.account.id)).toEqual([]);
		}
		// The one who did not sign out is signed in everywhere still, and a refresh token of theirs works.
		expect(await signedOutAt(bystander.browser)).toEqual({ "express-a": false, "express-b": false, apache: false });
		expect(await refreshError("express-a", bystander.refreshTokens.get("express-a")!)).toBeNull();

		// Measured: from the sign-out to each app's logout (deadbolt's record of the app's answer).
		const latencies = deliveries.map((d) => d.deliveredAt! - signedOutAtMillis).sort((a, b) => a - b);
		const byApp = Object.fromEntries(["oidc:express-a", "oidc:express-b", "oidc:apache"].map((target) => [target, Math.max(...deliveries.filter((d) => d.target === target).map((d) => d.deliveredAt! - signedOutAtMillis))]));
		console.info(`sign out everywhere of ${USERS} users -> ${deliveries.length} app logouts delivered, 0 missed; ms from the sign-out: median ${latencies[Math.floor(latencies.length / 2)]}, max ${latencies.at(-1)}; slowest per app ${JSON.stringify(byApp)}`);
		for (const latency of latencies) expect(latency).toBeLessThan(SETTLE_BOUND_MS);
	});

	it("an app that is down at the sign-out gets its logout once it is back (the outbox retries): nothing missed", async () => {
		const user = await signInEverywhere();
		const session = await deadboltSession(user.browser);
		const port = expressB.port;
		await expressB.close();

		await provider.deadbolt.signOutEverywhere(session);
		// The two apps that are up are told at once; express-b's delivery fails and stays pending.
		const deadline = Date.now() + SETTLE_BOUND_MS;
		let waiting: DeliveryRecord | undefined;
		for (;;) {
			const deliveries = (await provider.store.outbox.listDeliveries({ accountId: user.account.id, channel: "webhook", limit: 10 })).filter((d) => d.kind === "oidc.backchannel_logout");
			waiting = deliveries.find((d) => d.target === "oidc:express-b");
			const others = deliveries.filter((d) => d.target !== "oidc:express-b");
			if (waiting !== undefined && waiting.attempts >= 1 && others.length === 2 && others.every((d) => d.status === "delivered")) break;
			if (Date.now() > deadline) throw new Error(`not as expected within ${SETTLE_BOUND_MS} ms: ${JSON.stringify(deliveries.map((d) => [d.target, d.status, d.attempts, d.lastError]))}`);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(waiting.status).toBe("pending");
		expect(waiting.lastError).toMatch(/ECONNREFUSED/);

		// Back on its port with the same session key (so it reads the browser's cookie as before).
		expressB = await startExpressRelyingParty({ issuer: provider.issuer, clientId: "express-b", clientSecret: SECRET, port, sessionSecret: expressBSecret });
		const [late] = (await settledLogouts([user.account.id], 3)).filter((d) => d.target === "oidc:express-b");
		expect(late!.status, late!.lastError ?? "").toBe("delivered");
		expect(late!.attempts).toBeGreaterThan(1);
		expect(expressB.receipts.map((receipt) => receipt.status)).toEqual([204]);
		expect(await signedOutAt(user.browser)).toEqual({ "express-a": true, "express-b": true, apache: true });
		expect(await refreshError("express-b", user.refreshTokens.get("express-b")!)).toBe("invalid_grant");
	});

	it("RP-initiated logout from Apache (its ?logout=, which revokes its own tokens; deadbolt's \"Sign out\") ends the deadbolt session, and the two express apps are told by back-channel logout", async () => {
		const user = await signInEverywhere();
		const before = { "express-a": expressA.receipts.length, "express-b": expressB.receipts.length };

		const confirm = await user.browser.follow(apache.logoutUrl(), TO_THE_PAGE);
		expect(confirm.url, `${confirm.body.slice(0, 300)}\n${apache.errorLog()}`).toMatch(new RegExp(`^${provider.issuer}/oidc/session/end\\?`));
		expect(new URL(confirm.url).searchParams.get("id_token_hint")).not.toBeNull();
		expect(confirm.body).toMatch(/Apache app asks to sign you out/);
		// mod_auth_openidc revoked its own refresh and access token at deadbolt's revocation endpoint (RFC 7009) before
		// sending the browser here: its grant is over already, the app needs no logout token.
		expect((await provider.store.oidcPayloads.listOidcGrantsOfAccount(user.account.id)).map((grant) => grant.clientId).sort()).toEqual(["express-a", "express-b"]);
		const action = /<form id="op\.logoutForm" method="post" action="([^"]+)">/.exec(confirm.body)![1]!;
		const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
		const done = await user.browser.follow(new URL(action, provider.issuer).href, TO_THE_PAGE, { form: { xsrf, logout: "yes" } });
		expect(done.url).toBe(`${apache.baseUrl}/`);
		expect(done.status).toBe(200);

		const deliveries = await settledLogouts([user.account.id], 2);
		expect(deliveries.map((d) => [d.target, d.status]).sort()).toEqual([["oidc:express-a", "delivered"], ["oidc:express-b", "delivered"]]);
		expect([expressA.receipts.length - before["express-a"], expressB.receipts.length - before["express-b"]]).toEqual([1, 1]);
		expect(await signedOutAt(user.browser)).toEqual({ "express-a": true, "express-b": true, apache: true });
		for (const [clientId, refreshToken] of user.refreshTokens) expect(await refreshError(clientId, refreshToken), clientId).toBe("invalid_grant");
	});
});
