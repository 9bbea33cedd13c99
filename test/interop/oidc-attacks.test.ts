/**
 * deadbolt's OpenID Connect provider attacked as an attacker would (issue 13), with real requests
 * against a listening provider: what was found (each test fails without its fix) and what held.
 *
 * Found:
 * - a link to `/oidc/session/end` signed a browser out of deadbolt without asking (the library
 *   auto-submits its logout form when its own session has no account);
 * - switching accounts in one browser: the library's logout of the old account's provider session
 *   ended the NEW account's deadbolt session (sign in twice, the app told of a logout);
 * - RP-initiated logout "Only this app" left that app's refresh and access tokens alive;
 * - an account whose address is not verified signed in to `minimumAal: 1` apps with an `email`
 *   claim it does not own (forward-auth refuses such an account: `verify_email`);
 * - removed from a client's `groups`, an account's app kept refreshing its tokens;
 * - a confidential client could introspect another client's tokens (the library's default policy);
 * - `max_age` written as the library also reads it (`1e0`) was not enforced by deadbolt;
 * - an internal error of the provider (a 500) left no line in deadbolt's log;
 * - every anonymous GET of `/oidc/session/end` stored a provider session for 30 days (the signed-in
 *   session's life): rows at the rate of requests, kept for a month;
 * - on PostgreSQL, a NUL character in a `client_id`, token or `request_uri` (from anyone) failed the
 *   adapter's query: a 500 and an error line per request.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { testBackends } from "../helpers/backends.js";
import { recordingLogger } from "../helpers/deadbolt.js";
import { makeOidcAccount, OIDC_PASSWORD, OidcBrowser, type BrowserResponse, type OidcAccount, type OidcProvider, startOidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "an-rp-secret-of-more-than-32-characters!";
const OTHER_SECRET = "another-rp-secret-of-more-than-32-chars!";
const CALLBACK = "http://127.0.0.1:59999/callback";
const OTHER_CALLBACK = "http://127.0.0.1:59998/cb";
const BYE = "http://127.0.0.1:59999/bye";
/** Where the browser stops: anything on the apps' port range. */
const APPS = "http://127.0.0.1:5999";

let provider: OidcProvider;

beforeAll(async () => {
	provider = await startOidcProvider({
		clients: [
			{ id: "wiki", name: "Wiki", secret: SECRET, redirectUris: [CALLBACK], postLogoutRedirectUris: [BYE], firstParty: true, backchannelLogoutUri: "http://127.0.0.1:59999/bcl" },
			{ id: "notes", name: "Notes", secret: SECRET, redirectUris: [CALLBACK], postLogoutRedirectUris: [BYE], firstParty: true, backchannelLogoutUri: "http://127.0.0.1:59999/bcl2" },
			{ id: "board", name: "Board", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, minimumAal: 1 },
			{ id: "staff", name: "Staff app", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, minimumAal: 1, groups: ["staff"] },
			{ id: "tool", name: "Outside tool", secret: SECRET, redirectUris: [CALLBACK], minimumAal: 1 },
			{ id: "spa", name: "SPA", public: true, redirectUris: [CALLBACK], firstParty: true },
			{ id: "other", name: "Other", secret: OTHER_SECRET, redirectUris: [OTHER_CALLBACK], firstParty: true },
		],
	});
});

afterAll(async () => {
	await provider?.close();
});

function pkce(): { verifier: string; challenge: string } {
	const verifier = randomBytes(32).toString("base64url");
	return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authUrl(params: Record<string, string>): string {
	return `${provider.issuer}/oidc/auth?${new URLSearchParams({ response_type: "code", scope: "openid email offline_access", state: "st", redirect_uri: CALLBACK, ...params })}`;
}

function basic(id: string, secret: string): string {
	return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

async function post(path: string, form: Record<string, string>, authorization?: string): Promise<{ status: number; json: Record<string, unknown> }> {
	const response = await fetch(`${provider.issuer}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization === undefined ? {} : { authorization }) }, body: new URLSearchParams(form) });
	const text = await response.text();
	return { status: response.status, json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

interface Tokens {
	readonly access_token: string;
	readonly refresh_token: string;
	readonly id_token: string;
}

function codeOf(response: BrowserResponse): string {
	const code = response.location === null ? null : new URL(response.location).searchParams.get("code");
	if (code === null) throw new Error(`no code: ${response.status} ${response.url} ${response.location} ${response.body.slice(0, 300)}`);
	return code;
}

/** Signs `account` in (password, and the code when it has 2FA) from an authorization of `clientId`, and exchanges the code. */
async function signInToApp(browser: OidcBrowser, clientId: string, account: OidcAccount): Promise<Tokens> {
	const { verifier, challenge } = pkce();
	const page = await browser.follow(authUrl({ client_id: clientId, code_challenge: challenge, code_challenge_method: "S256" }), APPS);
	const done = page.location?.startsWith(APPS) === true ? page : await browser.signIn(page, account.email, APPS, account.key === null ? undefined : () => account.code());
	return exchange(clientId, codeOf(done), verifier);
}

async function exchange(clientId: string, code: string, verifier: string): Promise<Tokens> {
	const answer = await post("/oidc/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(clientId, SECRET));
	expect(answer.status, JSON.stringify(answer.json)).toBe(200);
	return answer.json as unknown as Tokens;
}

function refresh(clientId: string, refreshToken: string, secret = SECRET): Promise<{ status: number; json: Record<string, unknown> }> {
	return post("/oidc/token", { grant_type: "refresh_token", refresh_token: refreshToken }, basic(clientId, secret));
}

async function userinfoStatus(accessToken: string): Promise<number> {
	return (await fetch(`${provider.issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

/** The browser's deadbolt session token. */
function sessionTokenOf(browser: OidcBrowser): string {
	return decodeURIComponent(/deadbolt_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer))?.[1] ?? "");
}

async function sessionLive(token: string): Promise<boolean> {
	return provider.deadbolt.validateSession(token).then(
		() => true,
		() => false,
	);
}

/** Does what a browser does with the library's self-submitting form (`<form method="post">` + script): posts it. */
async function submitSelfPostingForm(browser: OidcBrowser, page: BrowserResponse): Promise<BrowserResponse> {
	expect(page.body).toMatch(/document\.forms\[0\]\.submit\(\)/);
	const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1]!;
	const fields = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((match) => [match[1]!, match[2]!]));
	return browser.request(action, { form: fields });
}

/** Signs in to the dashboard only (no app). */
async function signInToDashboard(browser: OidcBrowser, account: OidcAccount): Promise<void> {
	const page = await browser.follow(`${provider.issuer}/dashboard/sign-in`, APPS);
	await browser.signIn(page, account.email, `${provider.issuer}/dashboard`, account.key === null ? undefined : () => account.code());
	expect(await sessionLive(sessionTokenOf(browser))).toBe(true);
}

describe("found: RP-initiated logout and account switches", () => {
	it("a link to /oidc/session/end never signs a browser out of deadbolt without its confirmation", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		await signInToDashboard(browser, account);
		const token = sessionTokenOf(browser);
		// Another site links (or redirects) the browser there; the library answers a form that posts itself.
		const landing = await browser.request(`${provider.issuer}/oidc/session/end`);
		expect(landing.status).toBe(200);
		await submitSelfPostingForm(browser, landing);
		expect(await sessionLive(token)).toBe(true);
		expect(sessionTokenOf(browser)).toBe(token);
		const home = await browser.request(`${provider.issuer}/dashboard`);
		expect(home.status).toBe(200);
	});

	it("the confirmed RP-initiated logout (Sign out) still ends the deadbolt session and tells every app", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const wiki = await signInToApp(browser, "wiki", account);
		const notes = await signInToApp(browser, "notes", account);
		const token = sessionTokenOf(browser);
		const page = await browser.request(`${provider.issuer}/oidc/session/end?${new URLSearchParams({ id_token_hint: wiki.id_token, post_logout_redirect_uri: BYE })}`);
		expect(page.body).toMatch(/id="logout-everywhere"/);
		const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)![1]!;
		const done = await browser.request(`${provider.issuer}/oidc/session/end/confirm`, { form: { xsrf, logout: "yes" } });
		expect(done.location!.startsWith(BYE)).toBe(true);
		expect(await sessionLive(token)).toBe(false);
		expect((await refresh("wiki", wiki.refresh_token)).status).toBe(400);
		expect((await refresh("notes", notes.refresh_token)).status).toBe(400);
		const logouts = (await provider.store.outbox.listDeliveries({ channel: "webhook", limit: 500 })).filter((delivery) => delivery.accountId === account.id && delivery.kind === "oidc.backchannel_logout");
		expect(logouts.map((delivery) => delivery.target).sort()).toEqual(["oidc:notes", "oidc:wiki"]);
	});

	it("switching accounts in one browser: the second account signs in once, its session is not ended by the provider's logout of the first", async () => {
		const first = await makeOidcAccount(provider, { confirmed: true });
		const second = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		await signInToApp(browser, "wiki", first);
		// The first account signs out of deadbolt; the provider's own session of it stays in the browser.
		await provider.deadbolt.logout(sessionTokenOf(browser));
		browser.dropCookie(provider.issuer, "deadbolt_session");
		const { verifier, challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "wiki", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		let answer = await browser.signIn(page, second.email, APPS, () => second.code());
		const secondSession = sessionTokenOf(browser);
		expect(await sessionLive(secondSession)).toBe(true);
		// The library ends its session of the first account with a form that posts itself, then resumes.
		if (answer.location === null && /document\.forms\[0\]\.submit\(\)/.test(answer.body)) {
			const posted = await submitSelfPostingForm(browser, answer);
			answer = posted.location === null ? posted : await browser.follow(posted.location, APPS);
		}
		expect(await sessionLive(secondSession)).toBe(true);
		expect(answer.location, `${answer.status} ${answer.url} ${answer.body.slice(0, 300)}`).toMatch(new RegExp(`^${CALLBACK}\\?code=`));
		const tokens = await exchange("wiki", codeOf(answer), verifier);
		expect(decodeJwt(tokens.id_token).sub).toBe(second.id);
		expect((await refresh("wiki", tokens.refresh_token)).status).toBe(200);
	});

	it("RP-initiated logout \"Only this app\" ends that app's refresh and access tokens; the other app and the deadbolt session live on", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const wiki = await signInToApp(browser, "wiki", account);
		const notes = await signInToApp(browser, "notes", account);
		const page = await browser.request(`${provider.issuer}/oidc/session/end?${new URLSearchParams({ id_token_hint: wiki.id_token, post_logout_redirect_uri: BYE })}`);
		const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)![1]!;
		const done = await browser.request(`${provider.issuer}/oidc/session/end/confirm`, { form: { xsrf } });
		expect(done.location!.startsWith(BYE)).toBe(true);
		expect((await refresh("wiki", wiki.refresh_token)).status).toBe(400);
		expect(await userinfoStatus(wiki.access_token)).toBe(401);
		expect((await refresh("notes", notes.refresh_token)).status).toBe(200);
		expect(await sessionLive(sessionTokenOf(browser))).toBe(true);
	});
});

describe("found: what a stranger can make the provider store", () => {
	/** The stored lifetime (seconds) of the provider session named by the browser's cookie. */
	async function providerSessionLifetime(browser: OidcBrowser): Promise<number> {
		const id = /deadbolt_oidc_session=([^;]+)/.exec(browser.cookieHeader(provider.issuer))?.[1];
		expect(id).toBeDefined();
		const row = await provider.store.oidcPayloads.findOidcPayload("Session", decodeURIComponent(id!));
		expect(row).not.toBeNull();
		return (row!.expiresAt! - row!.createdAt) / 1000;
	}

	it("a provider session without an account (a GET of /oidc/session/end) is kept minutes, not the 30 days of a signed-in one", async () => {
		const stranger = new OidcBrowser();
		await stranger.request(`${provider.issuer}/oidc/session/end`);
		expect(await providerSessionLifetime(stranger)).toBeLessThanOrEqual(15 * 60);
		const account = await makeOidcAccount(provider, { confirmed: true });
		const user = new OidcBrowser();
		await signInToApp(user, "wiki", account);
		expect(await providerSessionLifetime(user)).toBe(provider.deadbolt.config.session.absoluteTtlSeconds);
	});
});

describe("found: who may sign in, and for how long", () => {
	it("an account whose address is not verified never signs in to an app, not even a minimumAal 1 one (its email claim is not its own yet)", async () => {
		const email = `ceo-${process.pid}@corp.example`;
		await provider.deadbolt.registerAccount({ email, password: OIDC_PASSWORD });
		const browser = new OidcBrowser();
		const { challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "board", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const answer = await browser.signIn(page, email, APPS);
		expect(answer.location?.startsWith(APPS) ?? false, `${answer.url} ${answer.location}`).toBe(false);
		// The dashboard says why, and how to go on.
		expect(answer.url).toMatch(/\/dashboard\?notice=verify-for-app$/);
		expect(answer.body).toMatch(/signs in only accounts with a verified email address/);
		const silent = await browser.follow(authUrl({ client_id: "board", prompt: "none", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		expect(new URL(silent.location!).searchParams.get("code")).toBeNull();
	});

	it("removed from a client's groups: the app's refresh token and access token are refused at once", async () => {
		const account = await makeOidcAccount(provider, { groups: ["staff"] });
		const browser = new OidcBrowser();
		const tokens = await signInToApp(browser, "staff", account);
		const rotated = await refresh("staff", tokens.refresh_token);
		expect(rotated.status).toBe(200);
		await provider.deadbolt.setAccountGroups(account.id, [], { via: "cli" });
		expect((await refresh("staff", rotated.json["refresh_token"] as string)).status).toBe(400);
		expect(await userinfoStatus(rotated.json["access_token"] as string)).toBe(401);
	});

	it("a confidential client cannot introspect another client's tokens", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const tokens = await signInToApp(new OidcBrowser(), "wiki", account);
		for (const token of [tokens.access_token, tokens.refresh_token]) {
			expect((await post("/oidc/token/introspection", { token }, basic("other", OTHER_SECRET))).json).toEqual({ active: false });
			expect((await post("/oidc/token/introspection", { token }, basic("wiki", SECRET))).json["active"]).toBe(true);
		}
		// Nor revoke them.
		await post("/oidc/token/revocation", { token: tokens.refresh_token }, basic("other", OTHER_SECRET));
		expect((await refresh("wiki", tokens.refresh_token)).status).toBe(200);
	});

	it("max_age written as the library also reads it (1e0) is enforced by deadbolt: no code for an older sign-in", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		await signInToApp(browser, "wiki", account);
		await new Promise((resolve) => setTimeout(resolve, 2_100));
		const { challenge } = pkce();
		for (const maxAge of ["1", "1e0", "1.0"]) {
			const again = await browser.follow(authUrl({ client_id: "wiki", max_age: maxAge, code_challenge: challenge, code_challenge_method: "S256" }), APPS);
			expect(again.location?.startsWith(APPS) ?? false, `max_age=${maxAge}: ${again.location}`).toBe(false);
			expect(again.url, maxAge).toMatch(/\/dashboard\/step-up\?rd=/);
		}
	});
});

describe("held: codes, tokens, PKCE, redirect URIs, forged forms, mixed cookies, bad input", () => {
	it("a code or refresh token of one client is refused to another, and stays good for its own", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const { verifier, challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "wiki", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const code = codeOf(await browser.signIn(page, account.email, APPS, () => account.code()));
		const stolen = await post("/oidc/token", { grant_type: "authorization_code", code, redirect_uri: OTHER_CALLBACK, code_verifier: verifier }, basic("other", OTHER_SECRET));
		expect(stolen.json["error"]).toBe("invalid_grant");
		const tokens = await exchange("wiki", code, verifier);
		expect((await refresh("other", tokens.refresh_token, OTHER_SECRET)).json["error"]).toBe("invalid_grant");
		expect((await refresh("wiki", tokens.refresh_token)).status).toBe(200);
	});

	it("of 20 parallel exchanges of one code, one wins and its tokens die (the grant is revoked)", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const { verifier, challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "wiki", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const code = codeOf(await browser.signIn(page, account.email, APPS, () => account.code()));
		const answers = await Promise.all(Array.from({ length: 20 }, () => post("/oidc/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic("wiki", SECRET))));
		const won = answers.filter((answer) => answer.status === 200);
		expect(won.length).toBeLessThanOrEqual(1);
		for (const winner of won) {
			expect(await userinfoStatus(winner.json["access_token"] as string)).toBe(401);
			expect((await refresh("wiki", winner.json["refresh_token"] as string)).status).toBe(400);
		}
	});

	it("PKCE: plain is refused; a public client's code needs its own verifier", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const { verifier, challenge } = pkce();
		const plain = await browser.request(authUrl({ client_id: "spa", code_challenge: verifier, code_challenge_method: "plain" }));
		expect(new URL(plain.location!).searchParams.get("error")).toBe("invalid_request");
		const page = await browser.follow(authUrl({ client_id: "spa", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const code = codeOf(await browser.signIn(page, account.email, APPS, () => account.code()));
		for (const form of [{}, { code_verifier: pkce().verifier }]) {
			const answer = await post("/oidc/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, client_id: "spa", ...form });
			expect(answer.json["error"]).toBe("invalid_grant");
		}
	});

	it("redirect URIs that only look alike are refused with a page, never redirected to", async () => {
		const browser = new OidcBrowser();
		const { challenge } = pkce();
		for (const uri of [`${CALLBACK}/`, CALLBACK.replace("127.0.0.1", "localhost"), "http://127.0.0.1:59999/%63allback", "http://user@127.0.0.1:59999/callback", `${CALLBACK}#`, "HTTP://127.0.0.1:59999/callback", "http://127.0.0.1.:59999/callback", "http://127.0.0.1:59999//callback", "http://127.0.0.1:59999\\@evil.example/callback"]) {
			const answer = await browser.request(authUrl({ client_id: "wiki", redirect_uri: uri, code_challenge: challenge, code_challenge_method: "S256" }));
			expect(answer.status, uri).toBe(400);
			expect(answer.location, uri).toBeNull();
		}
	});

	it("a consent form is refused from another origin, a null origin, or without Origin and Sec-Fetch-Site", async () => {
		const account = await makeOidcAccount(provider);
		const browser = new OidcBrowser();
		const { challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "tool", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const consent = await browser.signIn(page, account.email, APPS);
		const action = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(consent.body)![1]!;
		for (const headers of [{ origin: "null" }, { origin: "http://evil.example" }, { origin: provider.issuer.replace("127.0.0.1", "localhost") }, { "sec-fetch-site": "same-site" }, {}]) {
			const forged = await fetch(`${provider.issuer}${action}`, { method: "POST", headers: { cookie: browser.cookieHeader(provider.issuer), "content-type": "application/x-www-form-urlencoded", ...headers }, body: "decision=allow", redirect: "manual" });
			expect(forged.status, JSON.stringify(headers)).toBe(400);
			expect(forged.headers.get("location")).toBeNull();
		}
		expect(await provider.deadbolt.oidc.hasConsent(account.id, "tool", ["openid"])).toBe(false);
	});

	it("one account's provider cookie with another account's deadbolt session: prompt=none answers login_required", async () => {
		const first = await makeOidcAccount(provider, { confirmed: true });
		const second = await makeOidcAccount(provider, { confirmed: true });
		const firstBrowser = new OidcBrowser();
		const secondBrowser = new OidcBrowser();
		await signInToApp(firstBrowser, "wiki", first);
		await signInToApp(secondBrowser, "wiki", second);
		const mixed = firstBrowser.cookieHeader(provider.issuer).replace(/deadbolt_session=[^;]+/, `deadbolt_session=${encodeURIComponent(sessionTokenOf(secondBrowser))}`);
		const { challenge } = pkce();
		const answer = await fetch(authUrl({ client_id: "wiki", prompt: "none", code_challenge: challenge, code_challenge_method: "S256" }), { headers: { cookie: mixed }, redirect: "manual" });
		expect(new URL(answer.headers.get("location")!).searchParams.get("error")).toBe("login_required");
	});

	it("a code issued just before a sign-out is refused after it", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const browser = new OidcBrowser();
		const { verifier, challenge } = pkce();
		const page = await browser.follow(authUrl({ client_id: "wiki", code_challenge: challenge, code_challenge_method: "S256" }), APPS);
		const code = codeOf(await browser.signIn(page, account.email, APPS, () => account.code()));
		await provider.deadbolt.logout(sessionTokenOf(browser));
		const answer = await post("/oidc/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic("wiki", SECRET));
		expect(answer.json["error"]).toBe("invalid_grant");
	});

	it("bad bodies at the token endpoint answer 400 in JSON, never a 500 or a stack", async () => {
		const bodies: [string, string | Buffer][] = [
			["application/json", '{"grant_type":"refresh_token"}'],
			["application/json", '{"grant_type":'],
			["text/plain", "grant_type=refresh_token&refresh_token=x"],
			["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n--x--'],
			["application/x-www-form-urlencoded", Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe, 0x25, 0x46, 0x46])],
			["application/x-www-form-urlencoded", "grant_type=%ZZ&refresh_token=%"],
			["application/x-www-form-urlencoded; charset=bogus", "grant_type=refresh_token&refresh_token=x"],
			["application/x-www-form-urlencoded", "grant_type=refresh_token&grant_type=authorization_code&refresh_token=x"],
			["application/x-www-form-urlencoded", "grant_type[]=refresh_token&refresh_token[a]=x"],
			["application/x-www-form-urlencoded", `grant_type=authorization_code&code=${"A".repeat(50_000)}`],
			["application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=%00%27%22"],
		];
		for (const [type, body] of bodies) {
			const response = await fetch(`${provider.issuer}/oidc/token`, { method: "POST", headers: { "content-type": type, authorization: basic("wiki", SECRET) }, body });
			const text = await response.text();
			expect(response.status, `${type} ${String(body).slice(0, 40)}`).toBe(400);
			expect(JSON.parse(text)).toHaveProperty("error");
			expect(text).not.toMatch(/\bat .+:\d+:\d+|an-rp-secret/);
		}
	});
});

describe("found: the provider's internal errors reach deadbolt's log", () => {
	it("a 500 of the provider is logged with its route, without the request's secrets", async () => {
		const logged: Record<string, unknown>[] = [];
		const broken = await startOidcProvider({ logger: recordingLogger(logged), clients: [{ id: "wiki", secret: SECRET, redirectUris: [CALLBACK], firstParty: true }] });
		try {
			await broken.store.close();
			const response = await fetch(`${broken.issuer}/oidc/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("wiki", SECRET) }, body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x".repeat(43) }) });
			expect(response.status).toBe(500);
			expect(await response.json()).toEqual({ error: "server_error", error_description: "oops! something went wrong" });
			const errors = logged.filter((entry) => entry["event"] === "oidc.server_error");
			expect(errors.length).toBe(1);
			expect(errors[0]).toMatchObject({ level: "error", route: "token" });
			expect(JSON.stringify(logged)).not.toContain(SECRET);
		} finally {
			await broken.close().catch(() => {});
		}
	});
});

for (const backend of await testBackends()) {
	describe(`found on ${backend.name}: a NUL character from a stranger is an unknown id, not a 500`, () => {
		it("client_id, code, refresh token, token to introspect or revoke, request_uri, logout client_id: 4xx (or introspection's inactive), nothing logged as an error", async () => {
			const logged: Record<string, unknown>[] = [];
			const nul = await startOidcProvider({ store: await backend.open(), logger: recordingLogger(logged), clients: [{ id: "wiki", secret: SECRET, redirectUris: [CALLBACK], firstParty: true }] });
			try {
				const form = (body: string, authorization: string | null = basic("wiki", SECRET)) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization === null ? {} : { authorization }) }, body, redirect: "manual" as const });
				const requests: [string, RequestInit][] = [
					["/oidc/token", form("grant_type=refresh_token&refresh_token=%00abc")],
					["/oidc/token", form(`grant_type=authorization_code&redirect_uri=${encodeURIComponent(CALLBACK)}&code=%00abc`)],
					["/oidc/token", form("grant_type=refresh_token&refresh_token=x&client_id=%00x&client_secret=y", null)],
					["/oidc/token/introspection", form("token=%00abc")],
					["/oidc/token/revocation", form("token=%00abc")],
					["/oidc/auth?client_id=%00x&response_type=code&scope=openid", { headers: { accept: "text/html" }, redirect: "manual" }],
					["/oidc/auth?client_id=wiki&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A%00x", { headers: { accept: "text/html" }, redirect: "manual" }],
					["/oidc/session/end?client_id=%00", { headers: { accept: "text/html" }, redirect: "manual" }],
				];
				for (const [path, init] of requests) {
					const response = await fetch(`${nul.issuer}${path}`, init);
					await response.text();
					expect(response.status, path).toBeLessThan(500);
				}
				expect(logged.filter((entry) => entry["level"] === "error")).toEqual([]);
			} finally {
				await nul.close();
			}
		});
	});
}
