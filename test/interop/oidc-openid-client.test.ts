/**
 * deadbolt as an OpenID Connect provider, with panva's `openid-client` as the relying party
 * (issue 13, "Real parts in the tests"): discovery, code + PKCE, the ID token checked against the
 * JWK Set with `amr`, `acr`, `auth_time`; refresh tokens that rotate, a reused one revoking the
 * grant; step-up by `acr_values` and by a client's `minimumAal`; `max_age`; a wrong password or a
 * missing code never yields a code; sign out everywhere ends every refresh token and access token;
 * redirect URIs matched exactly; a client not for the user's groups refuses with a page.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeOidcAccount, OidcBrowser, startOidcProvider, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "an-rp-secret-of-more-than-32-characters!";
const CALLBACK = "http://127.0.0.1:59999/callback";

let provider: OidcProvider;

beforeAll(async () => {
	provider = await startOidcProvider({
		clients: [
			{ id: "app-aal2", name: "Team wiki", secret: SECRET, redirectUris: [CALLBACK], firstParty: true },
			{ id: "app-aal1", name: "Status board", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, minimumAal: 1 },
			{ id: "app-aal1-second", name: "Wall display", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, minimumAal: 1 },
			{ id: "app-third", name: "Outside tool", secret: SECRET, redirectUris: [CALLBACK], minimumAal: 1 },
			{ id: "app-admins", name: "Admin console", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, groups: ["admins"] },
			{ id: "app-public", name: "Single-page app", public: true, redirectUris: [CALLBACK], firstParty: true },
		],
	});
});

afterAll(async () => {
	await provider?.close();
});

/** The relying party's configuration for `clientId` (plain http on loopback allowed). */
async function rp(clientId: string, isPublic = false): Promise<client.Configuration> {
	return client.discovery(new URL(provider.issuer), clientId, isPublic ? undefined : SECRET, isPublic ? client.None() : undefined, { execute: [client.allowInsecureRequests] });
}

/** An authorization URL with PKCE; returns it with the verifier and state. */
async function authorization(config: client.Configuration, extra: Record<string, string> = {}): Promise<{ url: string; verifier: string; state: string }> {
	const verifier = client.randomPKCECodeVerifier();
	const state = client.randomState();
	const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid email offline_access", code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state, ...extra });
	return { url: url.href, verifier, state };
}

/** Signs `account` in through the browser from the authorization URL to the callback (its URL). */
async function signInThroughBrowser(browser: OidcBrowser, url: string, account: OidcAccount, withCode = true): Promise<string> {
	const page = await browser.follow(url, CALLBACK);
	const done = await browser.signIn(page, account.email, CALLBACK, withCode ? () => account.code() : undefined);
	expect(done.location, done.body.slice(0, 400)).toMatch(new RegExp(`^${CALLBACK}\\?`));
	return done.location!;
}

/** `account` signed in to `clientId` through a browser, the code exchanged: the relying party's configuration, the browser, the tokens, the deadbolt session token of the browser. */
async function signedIn(clientId: string, account: OidcAccount, withCode = true): Promise<{ config: client.Configuration; browser: OidcBrowser; tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers; sessionToken: () => string }> {
	const config = await rp(clientId);
	const { url, verifier, state } = await authorization(config);
	const browser = new OidcBrowser();
	const tokens = await client.authorizationCodeGrant(config, new URL(await signInThroughBrowser(browser, url, account, withCode)), { pkceCodeVerifier: verifier, expectedState: state });
	return { config, browser, tokens, sessionToken: () => decodeURIComponent(/deadbolt_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer))![1]!) };
}

describe("openid-client against deadbolt (code + PKCE)", () => {
	it("discovery names the issuer, the /oidc endpoints, PKCE S256, ES256 and deadbolt's acr values", async () => {
		const config = await rp("app-aal2");
		const metadata = config.serverMetadata();
		expect(metadata.issuer).toBe(provider.issuer);
		expect(metadata.authorization_endpoint).toBe(`${provider.issuer}/oidc/auth`);
		expect(metadata.token_endpoint).toBe(`${provider.issuer}/oidc/token`);
		expect(metadata.code_challenge_methods_supported).toContain("S256");
		expect(metadata.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "none"]);
		expect(metadata.id_token_signing_alg_values_supported).toEqual(["ES256"]);
		expect(metadata.acr_values_supported).toEqual(["urn:deadbolt:aal1", "urn:deadbolt:aal2"]);
		expect(metadata["backchannel_logout_supported"]).toBe(true);
		expect(metadata["claims_parameter_supported"]).toBe(false);
	});

	it("signs in with password and code: an ID token verified against the JWK Set, acr aal2, amr pwd+otp+mfa, auth_time", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("app-aal2");
		const { url, verifier, state } = await authorization(config);
		const browser = new OidcBrowser();
		const callback = await signInThroughBrowser(browser, url, account);
		const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
		const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
		const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: provider.issuer, audience: "app-aal2" });
		expect(protectedHeader.alg).toBe("ES256");
		expect(payload.sub).toBe(account.id);
		expect(payload["acr"]).toBe("urn:deadbolt:aal2");
		expect(payload["amr"]).toEqual(["pwd", "otp", "mfa"]);
		expect(typeof payload["auth_time"]).toBe("number");
		expect(Math.abs((payload["auth_time"] as number) - Date.now() / 1000)).toBeLessThan(120);
		const userinfo = await client.fetchUserInfo(config, tokens.access_token, account.id);
		expect(userinfo.email).toBe(account.email);
		expect(userinfo.email_verified).toBe(true);
		// The same key set as forward-auth's assertions.
		const assertionKeys = (await (await fetch(`${provider.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
		expect(assertionKeys.keys.map((key) => key.kid)).toContain(protectedHeader.kid);
	});

	it("a wrong password or a missing code never yields a code", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("app-aal2");
		const { url } = await authorization(config);
		const browser = new OidcBrowser();
		const page = await browser.follow(url, CALLBACK);
		const origin = provider.issuer;
		const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
		const wrong = await browser.request(`${origin}/dashboard/sign-in`, { form: { csrf, email: account.email, password: "not the password at all" } });
		expect(wrong.status).toBe(401);
		// The right password: a login challenge, no session. Going back to the app's authorization does not finish it.
		const again = await browser.follow(url, CALLBACK);
		const challenge = await browser.request(`${origin}/dashboard/sign-in`, { form: { csrf: /name="csrf" value="([^"]+)"/.exec(again.body)![1]!, email: account.email, password: "correct horse battery staple" } });
		expect(challenge.location).toMatch(/\/dashboard\/sign-in\/code$/);
		const retry = await browser.follow(url, CALLBACK);
		expect(retry.location === null || !retry.location.startsWith(CALLBACK)).toBe(true);
		expect(retry.url).toMatch(/\/dashboard\/sign-in/);
		// prompt=none with only a challenge: login_required, no code.
		const silent = await browser.follow((await authorization(config, { prompt: "none" })).url, CALLBACK);
		expect(new URL(silent.location!).searchParams.get("error")).toBe("login_required");
		expect(new URL(silent.location!).searchParams.get("code")).toBeNull();
	});

	it("refresh tokens rotate; a used one presented again revokes the grant (the new one dies too)", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const { config, tokens } = await signedIn("app-aal2", account);
		const first = tokens.refresh_token!;
		const second = await client.refreshTokenGrant(config, first);
		expect(second.refresh_token).toBeDefined();
		expect(second.refresh_token).not.toBe(first);
		await expect(client.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: "invalid_grant" });
		await expect(client.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
	});

	it("of 20 parallel uses of one refresh token, at most one succeeds and the grant is revoked", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const { config, tokens } = await signedIn("app-aal2", account);
		const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.refreshTokenGrant(config, tokens.refresh_token!)));
		const won = results.filter((result) => result.status === "fulfilled") as PromiseFulfilledResult<client.TokenEndpointResponse>[];
		expect(won.length).toBeLessThanOrEqual(1);
		for (const winner of won) await expect(client.refreshTokenGrant(config, winner.value.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
	});

	it("sign out everywhere: every refresh token and access token of that session is dead at once, prompt=none says login_required", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const { config, browser, tokens } = await signedIn("app-aal2", account);
		const sessionToken = /deadbolt_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer))![1]!;
		const auth = await provider.deadbolt.validateSession(decodeURIComponent(sessionToken));
		await provider.deadbolt.signOutEverywhere(auth);
		await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
		await expect(client.fetchUserInfo(config, tokens.access_token, account.id)).rejects.toBeDefined();
		const introspected = await client.tokenIntrospection(config, tokens.access_token);
		expect(introspected.active).toBe(false);
		const silent = await browser.follow((await authorization(config, { prompt: "none" })).url, CALLBACK);
		expect(new URL(silent.location!).searchParams.get("error")).toBe("login_required");
	});

	it("a session ended by its expiry: tokens dead on the next use (no sweeper needed for that)", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const { config, tokens, sessionToken: sessionTokenOf } = await signedIn("app-aal2", account);
		const sessionToken = sessionTokenOf();
		const auth = await provider.deadbolt.validateSession(sessionToken);
		await provider.store.sessions.revokeSession(auth.session.id, Date.now());
		await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
	});

	it("minimumAal 2 (the default) steps an account without 2FA to the setup; an unconfirmed authenticator to the mailed confirmation", async () => {
		const noTwoFactor = await makeOidcAccount(provider);
		const config = await rp("app-aal2");
		const browser = new OidcBrowser();
		const { url } = await authorization(config);
		const page = await browser.follow(url, CALLBACK);
		const afterPassword = await browser.signIn(page, noTwoFactor.email, CALLBACK);
		expect(afterPassword.url).toMatch(/\/dashboard\/step-up\?rd=/);
		expect(afterPassword.body).toMatch(/two-factor/i);
		// The page names the app that asks (its client name), not deadbolt's own host.
		expect(afterPassword.body).toMatch(/<strong>Team wiki<\/strong> is open only to accounts with two-factor authentication/);

		const unconfirmed = await makeOidcAccount(provider, { twoFactor: true });
		const other = new OidcBrowser();
		const second = await other.signIn(await other.follow(url, CALLBACK), unconfirmed.email, CALLBACK, () => unconfirmed.code());
		expect(second.url).toMatch(/\/dashboard\/step-up\?rd=/);
		expect(second.body).toMatch(/Email me the link/);
	});

	it("minimumAal 1 signs in with the password alone: acr aal1, amr pwd; acr_values=aal2 then steps up to the setup", async () => {
		const account = await makeOidcAccount(provider);
		const { config, browser, tokens } = await signedIn("app-aal1", account, false);
		const claims = tokens.claims()!;
		expect(claims["acr"]).toBe("urn:deadbolt:aal1");
		expect(claims["amr"]).toEqual(["pwd"]);
		const stepUp = await browser.follow((await authorization(config, { acr_values: "urn:deadbolt:aal2" })).url, CALLBACK);
		expect(stepUp.url).toMatch(/\/dashboard\/step-up\?rd=/);
	});

	it("max_age: a sign-in older than max_age asks for the password and a fresh code again", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("app-aal2");
		const browser = new OidcBrowser();
		const first = await authorization(config);
		await signInThroughBrowser(browser, first.url, account);
		// Two seconds later, max_age=1: the sign-in is too old.
		await new Promise((resolve) => setTimeout(resolve, 2_100));
		const fresh = await authorization(config, { max_age: "1" });
		const again = await browser.follow(fresh.url, CALLBACK);
		expect(again.url).toMatch(/\/dashboard\/step-up\?rd=/);
		expect(again.body).toMatch(/Confirm it/);
		expect(again.body).toMatch(/name="code"/);
		const csrf = /name="csrf" value="([^"]+)"/.exec(again.body)![1]!;
		const done = await browser.follow(`${provider.issuer}/dashboard/step-up`, CALLBACK, { form: { csrf, password: "correct horse battery staple", code: account.code() } });
		if (done.location === null || !done.location.startsWith(CALLBACK)) throw new Error(`${done.status} ${done.url} ${done.body.replace(/[\s\S]*<main/, "").slice(0, 4000)}`);
		const tokens = await client.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: fresh.verifier, expectedState: fresh.state });
		expect(Date.now() / 1000 - (tokens.claims()!["auth_time"] as number)).toBeLessThan(3);
	});

	it("max_age and prompt=login for an account without 2FA at an aal1 client: the password alone, then back to the app", async () => {
		const account = await makeOidcAccount(provider);
		const config = await rp("app-aal1");
		const browser = new OidcBrowser();
		await signInThroughBrowser(browser, (await authorization(config)).url, account, false);
		// The next second: auth_time and the interaction's start are in whole seconds.
		await new Promise((resolve) => setTimeout(resolve, 1_100));
		const fresh = await authorization(config, { prompt: "login" });
		const again = await browser.follow(fresh.url, CALLBACK);
		expect(again.url, `${again.status} ${again.body.slice(0, 4000)}`).toMatch(/\/dashboard\/step-up\?rd=.*&password=only$/);
		expect(again.body).not.toMatch(/name="code"/);
		const csrf = /name="csrf" value="([^"]+)"/.exec(again.body)![1]!;
		const wrong = await browser.request(`${provider.issuer}/dashboard/step-up`, { form: { csrf, password: "not the password", password_only: "1" } });
		expect(wrong.status).toBe(401);
		const csrf2 = /name="csrf" value="([^"]+)"/.exec(wrong.body)![1]!;
		const done = await browser.follow(`${provider.issuer}/dashboard/step-up`, CALLBACK, { form: { csrf: csrf2, password: "correct horse battery staple", password_only: "1" } });
		expect(done.location, `${done.status} ${done.url} ${done.body.slice(0, 800)}`).toMatch(new RegExp(`^${CALLBACK}\\?`));
		const tokens = await client.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: fresh.verifier, expectedState: fresh.state });
		expect(tokens.claims()!["acr"]).toBe("urn:deadbolt:aal1");
		// At an aal2 client, the password alone is never enough: "password=only" in the address changes nothing.
		const strict = await rp("app-aal2");
		const stepUp = await browser.follow((await authorization(strict)).url, CALLBACK);
		expect(stepUp.body).toMatch(/Two-factor authentication needed/);
	});

	it("a client not for the user's groups refuses with a page that says why", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("app-admins");
		const browser = new OidcBrowser();
		const page = await browser.follow((await authorization(config)).url, CALLBACK);
		const refused = await browser.signIn(page, account.email, CALLBACK, () => account.code());
		expect(refused.status).toBe(403);
		expect(refused.body).toMatch(/can(&#39;|')t use Admin console with this account/);
	});

	it("redirect URIs are matched exactly: a different path, query or port is refused with a page, never redirected to", async () => {
		const config = await rp("app-aal2");
		const browser = new OidcBrowser();
		for (const wrong of [`${CALLBACK}/x`, `${CALLBACK}?a=1`, "http://127.0.0.1:59998/callback", "http://127.0.0.1:59999/CALLBACK"]) {
			const url = client.buildAuthorizationUrl(config, { redirect_uri: wrong, scope: "openid", code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: "S256" });
			const answer = await browser.request(url.href);
			expect(answer.status, wrong).toBe(400);
			expect(answer.location).toBeNull();
			expect(answer.body).toMatch(/redirect_uri/);
		}
	});

	it("a public client must use PKCE", async () => {
		const config = await rp("app-public", true);
		const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid" });
		const answer = await new OidcBrowser().request(url.href);
		const location = new URL(answer.location!);
		expect(location.searchParams.get("error")).toBe("invalid_request");
		expect(location.searchParams.get("error_description")).toMatch(/code_challenge|PKCE/i);
	});

	it("consent for a client that is not first-party: Deny goes back with access_denied; Allow is remembered", async () => {
		const account = await makeOidcAccount(provider);
		const config = await rp("app-third");
		const browser = new OidcBrowser();
		const page = await browser.follow((await authorization(config)).url, CALLBACK);
		const consent = await browser.signIn(page, account.email, CALLBACK);
		expect(consent.status).toBe(200);
		expect(consent.body).toMatch(/Sign in to Outside tool\?/);
		const action = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(consent.body)![1]!;
		const denied = await browser.follow(`${provider.issuer}${action}`, CALLBACK, { form: { decision: "deny" } });
		expect(new URL(denied.location!).searchParams.get("error")).toBe("access_denied");
		const second = await browser.follow((await authorization(config)).url, CALLBACK);
		const allowAction = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(second.body)![1]!;
		const allowed = await browser.follow(`${provider.issuer}${allowAction}`, CALLBACK, { form: { decision: "allow" } });
		expect(new URL(allowed.location!).searchParams.get("code")).not.toBeNull();
		// Remembered: the next authorization goes straight back with a code.
		const third = await browser.follow((await authorization(config)).url, CALLBACK);
		expect(new URL(third.location!).searchParams.get("code")).not.toBeNull();
		// A consent form from another site is refused.
		const fourth = await browser.follow((await authorization(config, { scope: "openid email groups" })).url, CALLBACK);
		const forgedAction = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(fourth.body)![1]!;
		const forged = await browser.request(`${provider.issuer}${forgedAction}`, { form: { decision: "allow" }, origin: "http://evil.example" });
		expect(forged.location).toBeNull();
		expect(forged.status).toBe(400);
	});

	it("Connected apps: the app is listed with its last use; Disconnect ends its tokens and the API lists it no more", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const { config, browser, tokens, sessionToken: sessionTokenOf } = await signedIn("app-aal2", account);
		const sessionToken = sessionTokenOf();
		const listed = (await (await fetch(`${provider.issuer}/api/v1/apps`, { headers: { authorization: `Bearer ${sessionToken}` } })).json()) as { apps: { clientId: string; name: string; sessions: number; lastUsedAt: string | null }[] };
		expect(listed.apps).toEqual([expect.objectContaining({ clientId: "app-aal2", name: "Team wiki", sessions: 1 })]);
		expect(listed.apps[0]!.lastUsedAt).not.toBeNull();
		const page = await browser.request(`${provider.issuer}/dashboard/settings/security/sessions`);
		expect(page.body).toMatch(/Apps you signed in to/);
		expect(page.body).toMatch(/Team wiki/);
		const csrf = /<form[^>]+action="\/dashboard\/settings\/security\/apps\/disconnect"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
		const done = await browser.request(`${provider.issuer}/dashboard/settings/security/apps/disconnect`, { form: { csrf, client: "app-aal2" } });
		expect(done.status).toBe(303);
		expect(done.location).toMatch(/done=app-disconnected/);
		await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
		expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
		const after = (await (await fetch(`${provider.issuer}/api/v1/apps`, { headers: { authorization: `Bearer ${sessionToken}` } })).json()) as { apps: unknown[] };
		expect(after.apps).toEqual([]);
		const gone = await fetch(`${provider.issuer}/api/v1/apps/app-aal2`, { method: "DELETE", headers: { authorization: `Bearer ${sessionToken}` } });
		expect(gone.status).toBe(404);
	});

	it("prompt=none at a first-party app works from its first time in a signed-in browser (no consent to ask); at a third-party one never allowed: consent_required", async () => {
		const account = await makeOidcAccount(provider);
		const browser = new OidcBrowser();
		await signInThroughBrowser(browser, (await authorization(await rp("app-aal1"))).url, account, false);
		// Another first-party app, never signed in to in this session: straight back with a code.
		const strictConfig = await rp("app-public", true);
		const silent = await browser.follow((await authorization(strictConfig, { prompt: "none" })).url, CALLBACK);
		const location = new URL(silent.location!);
		// app-public needs aal2: not enough, so login_required, never a code.
		expect(location.searchParams.get("code")).toBeNull();
		expect(location.searchParams.get("error")).toBe("login_required");
		const third = await browser.follow((await authorization(await rp("app-third"), { prompt: "none" })).url, CALLBACK);
		expect(new URL(third.location!).searchParams.get("error")).toBe("consent_required");
		// A second aal1 first-party client: a code at once.
		const firstParty = await browser.follow((await authorization(await rp("app-aal1-second"), { prompt: "none" })).url, CALLBACK);
		expect(new URL(firstParty.location!).searchParams.get("code"), firstParty.location!).not.toBeNull();
	});
});
