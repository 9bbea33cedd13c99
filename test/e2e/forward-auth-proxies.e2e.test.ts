/**
 * Forward-auth through real proxies (issue 12): Debian's nginx-light (`auth_request` to
 * `/api/v1/authz/auth-request`) and Caddy 2.6 (`forward_auth` to `/api/v1/authz/forward-auth`),
 * each started from the very file docs/integrations/ shows (test/helpers/proxies.ts), in front of
 * an upstream that echoes the headers it received, with deadbolt behind the same proxy at
 * auth.example.test (test/helpers/forward-auth-stack.ts). The same checks run through both:
 *
 * - nobody signed in: a browser is sent to the sign-in page with the original URL in `rd`, an API
 *   client gets 401; the app is not reached;
 * - a bypass rule lets anyone through, without identity: client-sent `Remote-*` headers (any
 *   spelling) never arrive;
 * - a deny rule answers 403, signed in or not;
 * - signed in through the dashboard (behind the proxy): the app gets deadbolt's identity headers,
 *   never the client's forged ones, nor deadbolt's cookies;
 * - a password-only session never reaches a `two_factor` path; a session with the code does (AAL2);
 * - signing out refuses the very next request, even with the old cookie kept;
 * - a proxy not in `http.trustedProxies` lets nothing through (the misconfiguration is loud).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginSetup, confirmSetup, expectAnswer, nextStepCode, PASSWORD, signUp, uniqueEmail, type SignedUp } from "../helpers/api-flows.js";
import type { Authenticator } from "../helpers/api-client.js";
import { APP_HOST, AUTH_HOST, OTHER_BYPASS_HOST, startForwardAuthStack, type ForwardAuthStack } from "../helpers/forward-auth-stack.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { identityHeadersOf, PROXY_KINDS, proxiedRequest, proxyUnmet, stopProxies, type ProxiedResponse } from "../helpers/proxies.js";
import { ProxyBrowser } from "../helpers/proxy-browser.js";
import { describeWhen } from "../helpers/requirements.js";

/** The six identity headers, lower case. */
const IDENTITY_HEADERS = ["remote-user", "remote-email", "remote-groups", "remote-account-id", "remote-aal", "remote-assertion"] as const;

/** Identity headers a client forges, in several spellings (`_` is read as `-` by many frameworks). */
const FORGED: readonly (readonly [string, string])[] = [
	["Remote-User", "admin@evil.example"],
	["Remote-Email", "admin@evil.example"],
	["Remote-Groups", "admins"],
	["Remote-Account-Id", "acc_forged"],
	["Remote-AAL", "aal2"],
	["Remote-Assertion", "forged.jwt.value"],
	["REMOTE-USER", "admin2@evil.example"],
	["Remote_User", "admin3@evil.example"],
	["remote_aal", "aal2"],
];

/** An API client's request: JSON, no HTML. */
const API_ACCEPT: readonly (readonly [string, string])[] = [["Accept", "application/json"]];

/** A signed-up account whose address is verified (identity headers carry only verified addresses). */
async function verifiedAccount(stack: ForwardAuthStack, label: string): Promise<SignedUp> {
	const account = await signUp(stack.api, uniqueEmail(label));
	const token = await lastMailedToken(stack.store, account.email, "email.verify");
	expectAnswer(await stack.api.post("/api/v1/email/verify", { body: { token } }), 200);
	return account;
}

/** A verified account with 2FA on, confirmed by the mailed link (what `two_factor` rules need): its authenticator. */
async function verifiedAccountWith2FA(stack: ForwardAuthStack, label: string): Promise<SignedUp & { authenticator: Authenticator }> {
	const account = await verifiedAccount(stack, label);
	const setup = await beginSetup(stack.api, account.token);
	const { token } = await confirmSetup(stack.api, setup.token, setup.authenticator);
	expectAnswer(await stack.api.post("/api/v1/two-factor/totp/mail-confirmation", { token }), 200);
	const link = await lastMailedToken(stack.store, account.email, "two_factor.confirm");
	expectAnswer(await stack.api.post("/api/v1/two-factor/totp/mail-confirmation/confirm", { token, body: { token: link } }), 200);
	return { ...account, authenticator: setup.authenticator };
}

/** The claims of a JWT (read, not verified: the assertion's signature is checked by its own tests). */
function jwtPayload(jwt: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Fails unless the answer is the upstream's (the proxy let the request through). @returns its identity headers */
function reachedApp(response: ProxiedResponse, what: string): Record<string, string[]> {
	expect(response.echoed, `${what}: the app should be reached; got ${response.status} ${response.body.slice(0, 300)}`).not.toBeNull();
	expect(response.status).toBe(200);
	return identityHeadersOf(response.echoed!);
}

/** Fails when the answer is the upstream's. */
function notReachedApp(response: ProxiedResponse, what: string): void {
	expect(response.echoed, `${what}: the app must not be reached`).toBeNull();
}

/** Each identity header arrived once with deadbolt's value, or not at all / empty when deadbolt has none. */
function expectIdentity(found: Record<string, string[]>, expected: Partial<Record<(typeof IDENTITY_HEADERS)[number], string>>): void {
	for (const name of Object.keys(found)) expect(IDENTITY_HEADERS as readonly string[], `unexpected header ${name}: ${JSON.stringify(found[name])}`).toContain(name);
	for (const name of IDENTITY_HEADERS) {
		const values = found[name] ?? [];
		expect(values.length, `${name} arrived ${values.length} times: ${JSON.stringify(values)}`).toBeLessThanOrEqual(1);
		const value = values[0] ?? "";
		if (name === "remote-assertion" && expected[name] === "<jwt>") expect(value, name).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
		else expect(value, name).toBe(expected[name] ?? "");
	}
}

for (const kind of PROXY_KINDS) {
	describeWhen(`forward-auth through ${kind}, from docs/integrations/`, proxyUnmet(kind), () => {
		let stack: ForwardAuthStack;
		beforeAll(async () => {
			stack = await startForwardAuthStack(kind);
		});
		afterAll(async () => {
			await stack?.close();
			await stopProxies();
		});

		it("sends an anonymous browser to the sign-in page with the original URL, answers an API client 401, and never reaches the app", async () => {
			const browser = new ProxyBrowser(stack);
			const page = await browser.open("/reports/2026?tab=open");
			notReachedApp(page, "anonymous browser");
			expect(page.status).toBe(302);
			const location = new URL(page.headers.location ?? "");
			expect(location.origin + location.pathname).toBe(`${stack.publicUrl}/dashboard/sign-in`);
			expect(location.searchParams.get("rd")).toBe(`${stack.appOrigin}/reports/2026?tab=open`);

			const api = await proxiedRequest(stack.proxy, APP_HOST, "/api/items", { headers: API_ACCEPT });
			notReachedApp(api, "anonymous API client");
			expect(api.status).toBe(401);
			expect(api.headers.location).toBeUndefined();
		});

		it("lets anyone through a bypass rule without identity: forged identity headers never arrive", async () => {
			const response = await proxiedRequest(stack.proxy, APP_HOST, "/public/index.html", { headers: [...API_ACCEPT, ...FORGED] });
			expectIdentity(reachedApp(response, "bypass"), {});
		});

		it("never lets a path that apps resolve differently through a bypass rule", async () => {
			// The proxies pass these on as the client wrote them, and apps read them as a path outside
			// /public (Express routes /x/../public/y under /x, Tomcat reads ..; as .., Go merges // before
			// it resolves, nginx passes \ on): refused, whatever the rule for /public says.
			for (const path of ["/public/../page", "/public/%2e%2e/page", "/x/../public/y", "/x/%2e%2e/public/y", "/public/..;/page", "/public//../page", "/public/%2e%2e%2fpage", "/x\\..\\public/y", "/public#/../page"]) {
				const response = await proxiedRequest(stack.proxy, APP_HOST, path, { headers: API_ACCEPT });
				notReachedApp(response, path);
				expect([400, 401, 500], path).toContain(response.status);
			}
			reachedApp(await proxiedRequest(stack.proxy, APP_HOST, "/public/y", { headers: API_ACCEPT }), "/public/y");
		});

		it("judges a request by the site it reaches, never by another host its Host header names", async () => {
			// The request line names the app (the site nginx and Caddy pick); the Host header names a
			// bypass host. Judged as the app: refused.
			const target = `http://${APP_HOST}:${stack.proxy.port}/page`;
			const response = await proxiedRequest(stack.proxy, OTHER_BYPASS_HOST, "/page", { target, headers: API_ACCEPT });
			notReachedApp(response, "Host header of a bypass host");
			expect(response.status).toBe(401);
		});

		it("never answers the authz endpoints to a client through deadbolt's own site (no assertion for whatever a client describes)", async () => {
			const account = await verifiedAccount(stack, "mint");
			const browser = new ProxyBrowser(stack);
			await browser.signIn(account.email, PASSWORD);
			const cookie = browser.cookieHeader(APP_HOST);
			expect(cookie).toContain("deadbolt_forward_auth=");
			const describe: [string, string][] = [
				["X-Original-URL", `${stack.appOrigin}/page`],
				["X-Original-Method", "GET"],
				["X-Forwarded-Method", "GET"],
				["X-Forwarded-Proto", "http"],
				["X-Forwarded-Host", APP_HOST],
				["X-Forwarded-Uri", "/page"],
			];
			for (const path of ["/api/v1/authz/auth-request", "/api/v1/authz/forward-auth", "/api/v1//authz/auth-request", "/api/v1/./authz/forward-auth", "/api/v1/%61uthz/auth-request", "/api/v1/authz%2Fauth-request", "/api/v1/authz/auth-request/"]) {
				const response = await proxiedRequest(stack.proxy, AUTH_HOST, path, { headers: [...API_ACCEPT, ["Cookie", cookie], ...describe] });
				expect(response.status, path).toBe(404);
				expect(response.headers["remote-assertion"], path).toBeUndefined();
				expect(response.headers["remote-user"], path).toBeUndefined();
			}
			// deadbolt's own pages are still served there.
			expect((await proxiedRequest(stack.proxy, AUTH_HOST, "/dashboard/sign-in")).status).toBe(200);
		});

		it("answers 403 on a deny rule, signed in or not", async () => {
			notReachedApp(await proxiedRequest(stack.proxy, APP_HOST, "/closed/x", { headers: API_ACCEPT }), "deny, anonymous");
			expect((await proxiedRequest(stack.proxy, APP_HOST, "/closed/x", { headers: API_ACCEPT })).status).toBe(403);
			const account = await verifiedAccount(stack, "deny");
			const browser = new ProxyBrowser(stack);
			await browser.signIn(account.email, PASSWORD);
			const response = await browser.open("/closed/x");
			notReachedApp(response, "deny, signed in");
			expect(response.status).toBe(403);
			// An encoded slash, which Django, Flask and Go's old ServeMux route as /closed/x: the proxy passes it on as written, deadbolt judges it decoded too.
			for (const path of ["/closed%2Fx", "/%2Fclosed/x"]) {
				const encoded = await browser.open(path);
				notReachedApp(encoded, `deny, signed in, ${path}`);
				expect(encoded.status, path).toBe(403);
			}
			// The same browser passes elsewhere: the 403 is the rule's.
			reachedApp(await browser.open("/elsewhere"), "one_factor, signed in");
		});

		it("passes deadbolt's identity of a signed-in browser to the app, never the forged one, nor deadbolt's cookies", async () => {
			const account = await verifiedAccount(stack, "signed-in");
			const browser = new ProxyBrowser(stack);
			await browser.signIn(account.email, PASSWORD);
			const cookie = browser.cookie("deadbolt_forward_auth");
			expect(cookie?.domain, "the forward-auth cookie is on the parent domain").toBe("example.test");

			// The app's own Authorization passes; Proxy-Authorization is for the proxy, never the app.
			const appAuthorization = "Bearer app-own-token-123";
			const response = await browser.open("/dashboard?x=1", { headers: [...FORGED, ["Cookie", "app_pref=dark"], ["Authorization", appAuthorization], ["Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"]] });
			const found = reachedApp(response, "signed in");
			expectIdentity(found, { "remote-user": account.email, "remote-email": account.email, "remote-account-id": account.accountId, "remote-aal": "aal1", "remote-assertion": "<jwt>" });
			const payload = jwtPayload(found["remote-assertion"]![0]!);
			expect(payload["aud"]).toBe(APP_HOST);
			expect(payload["sub"]).toBe(account.accountId);

			// The app gets its own cookies, never deadbolt's (the forward-auth one is stripped by the
			// proxy; the dashboard's are on deadbolt's host only).
			const sentCookies = String(response.echoed!.headers.cookie ?? "");
			expect(sentCookies).toContain("app_pref=dark");
			expect(sentCookies).not.toContain("deadbolt_");
			expect(response.echoed!.headers["proxy-authorization"]).toBeUndefined();
			expect(response.echoed!.headers.authorization).toBe(appAuthorization);
		});

		if (kind === "caddy") {
			it("deletes every Remote-* header the client sent, not only the six (GHSA-7r4p-vjf4-gxv4)", async () => {
				const response = await proxiedRequest(stack.proxy, APP_HOST, "/public/x", { headers: [...API_ACCEPT, ["Remote-Name", "Admin"], ["Remote_Role", "admin"]] });
				expectIdentity(reachedApp(response, "bypass"), {});
			});
		}

		it("keeps a password-only session away from a two_factor path, and lets a session with the code through at AAL2", async () => {
			const passwordOnly = await verifiedAccount(stack, "aal1");
			const first = new ProxyBrowser(stack);
			await first.signIn(passwordOnly.email, PASSWORD);
			const refused = await first.open("/secure/settings");
			notReachedApp(refused, "password-only session on a two_factor path");
			expect(refused.status).toBe(302);
			expect(refused.headers.location?.startsWith(`${stack.publicUrl}/`)).toBe(true);

			const withCode = await verifiedAccountWith2FA(stack, "aal2");
			const second = new ProxyBrowser(stack);
			await second.signIn(withCode.email, PASSWORD, () => nextStepCode(withCode.authenticator));
			const found = reachedApp(await second.open("/secure/settings", { headers: FORGED }), "session with the code on a two_factor path");
			expectIdentity(found, { "remote-user": withCode.email, "remote-email": withCode.email, "remote-account-id": withCode.accountId, "remote-aal": "aal2", "remote-assertion": "<jwt>" });
		});

		it("refuses the very next request after signing out, even with the old cookie kept", async () => {
			for (const how of ["the dashboard's Sign out", "the app's sign-out link"] as const) {
				const account = await verifiedAccount(stack, "sign-out");
				const browser = new ProxyBrowser(stack);
				await browser.signIn(account.email, PASSWORD);
				const kept = browser.cookieHeader(APP_HOST);
				expect(kept).toContain("deadbolt_forward_auth=");
				reachedApp(await browser.open("/before"), `${how}: before signing out`);
				if (how === "the app's sign-out link") {
					const back = `${stack.appOrigin}/goodbye`;
					expect((await browser.signOutFromApp(back)).headers.location, "back to the app").toBe(back);
				} else {
					await browser.signOut();
				}
				expect(browser.cookieHeader(APP_HOST), `${how}: the forward-auth cookie is cleared`).not.toContain("deadbolt_forward_auth=");
				notReachedApp(await browser.open("/after"), `${how}: after signing out`);
				const replayed = await proxiedRequest(stack.proxy, APP_HOST, "/after", { headers: [...API_ACCEPT, ["Cookie", kept]] });
				notReachedApp(replayed, `${how}: the old cookie after signing out`);
				expect(replayed.status).toBe(401);
			}
		});

		it("keeps its connections to deadbolt between allowed checks, and judges every check on its own", async () => {
			const [first, second] = [await verifiedAccount(stack, "kept-a"), await verifiedAccount(stack, "kept-b")];
			const browsers = [new ProxyBrowser(stack), new ProxyBrowser(stack)] as const;
			await browsers[0].signIn(first.email, PASSWORD);
			await browsers[1].signIn(second.email, PASSWORD);
			reachedApp(await browsers[0].open("/warm-up"), "before counting");
			let accepted = 0;
			const onConnection = (): void => {
				accepted++;
			};
			stack.app.server.on("connection", onConnection);
			try {
				// Two people's checks, one after the other: over kept connections, each gets its own identity.
				for (let i = 0; i < 10; i++) {
					for (const [browser, account] of [[browsers[0], first], [browsers[1], second]] as const) {
						const found = reachedApp(await browser.open(`/kept/${i}`), `${account.email}, check ${i}`);
						expectIdentity(found, { "remote-user": account.email, "remote-email": account.email, "remote-account-id": account.accountId, "remote-aal": "aal1", "remote-assertion": "<jwt>" });
					}
				}
			} finally {
				stack.app.server.off("connection", onConnection);
			}
			// A new connection per check would be 20 (docs/integrations/nginx.conf: `upstream deadbolt` with `keepalive`).
			expect(accepted, "connections deadbolt accepted for 20 allowed checks").toBeLessThanOrEqual(2);

			// Between allowed checks on the same kept connections: nobody, then a session just signed out.
			notReachedApp(await proxiedRequest(stack.proxy, APP_HOST, "/kept/anonymous", { headers: API_ACCEPT }), "anonymous between kept checks");
			const kept = browsers[1].cookieHeader(APP_HOST);
			reachedApp(await browsers[1].open("/kept/before-sign-out"), "before signing out");
			await browsers[1].signOut();
			const replayed = await proxiedRequest(stack.proxy, APP_HOST, "/kept/after-sign-out", { headers: [...API_ACCEPT, ["Cookie", kept]] });
			notReachedApp(replayed, "the signed-out session's cookie, right after an allowed check");
			expect(replayed.status).toBe(401);
			expectIdentity(reachedApp(await browsers[0].open("/kept/still"), "the other session"), { "remote-user": first.email, "remote-email": first.email, "remote-account-id": first.accountId, "remote-aal": "aal1", "remote-assertion": "<jwt>" });
		});

		it("lets a signed-in account with an unverified address through bypass rules only", async () => {
			const account = await signUp(stack.api, uniqueEmail("unverified"));
			const browser = new ProxyBrowser(stack);
			await browser.signIn(account.email, PASSWORD);
			const refused = await browser.open("/page");
			notReachedApp(refused, "unverified address on a one_factor path");
			expect(refused.status).toBe(302);
			expect(refused.headers.location?.startsWith(`${stack.publicUrl}/dashboard?`), refused.headers.location).toBe(true);
			expectIdentity(reachedApp(await browser.open("/public/x", { headers: FORGED }), "unverified address on a bypass path"), {});
		});
	});

	describeWhen(`forward-auth through ${kind}, when deadbolt does not trust the proxy`, proxyUnmet(kind), () => {
		let stack: ForwardAuthStack;
		beforeAll(async () => {
			// TEST-NET-1: not the proxy's address.
			stack = await startForwardAuthStack(kind, { trustedProxies: ["192.0.2.1"] });
		});
		afterAll(async () => {
			await stack?.close();
			await stopProxies();
		});

		it("lets nothing through, not even a bypass path, and says why", async () => {
			for (const path of ["/public/index.html", "/page"]) {
				const response = await proxiedRequest(stack.proxy, APP_HOST, path, { headers: API_ACCEPT });
				notReachedApp(response, path);
				// nginx turns any answer of auth_request but 2xx, 401 and 403 into 500; Caddy passes deadbolt's answer on.
				if (kind === "nginx") expect(response.status).toBe(500);
				else expect([response.status, JSON.parse(response.body).code]).toEqual([400, "ERR_PROXY_NOT_TRUSTED"]);
			}
		});
	});
}
