/**
 * deadbolt as an OpenID Connect provider, end to end in Chromium (issue 13, "Chromium driving the
 * user through all of it"): a person opens an app that signs its users in with deadbolt, and is led
 * through deadbolt's own pages back to the app, signed in.
 *
 * The app is a tiny relying party written here (node:http + panva's `openid-client`), on
 * `http://localhost:<port>` while deadbolt is on `http://127.0.0.1:<port>` (two sites, as an app
 * and its provider are): `/login/<client>` builds the authorization URL with PKCE (S256) and a
 * state kept in its own cookie, and redirects; `/callback/<client>` exchanges the code (ID token
 * checked by `openid-client`), reads userinfo and shows "Hello <email>, acr <acr>".
 *
 * Journeys, each in a new browser context (test/helpers/browser.ts watches every page: console,
 * CSP, script and request errors):
 * (a) password + code, from the app's /login, back at the app with acr aal2;
 * (b) 2FA on but never confirmed by mail: "Email me the link", the mailed link opened in the same
 *     browser, confirmed, back at the app (through the dashboard's return cookie);
 * (c) 2FA off at an app that needs aal2: the dashboard's setup (four steps, QR code scanned), the
 *     mailed confirmation, back at the app;
 * (d) consent for an app that is not first-party (axe-core on the page), Allow, back at the app;
 * (e) an app limited to a group: the refusal page (axe-core), "Back to the app": the app is told
 *     access_denied.
 * CSP: deadbolt's pages send `form-action 'self' <the apps' redirect origins>`; the POST of each
 * form is followed by redirects to /oidc/interaction, /oidc/auth and the app's redirect URI (the
 * chain of requests is checked), which Chromium checks against form-action: every journey ends at
 * the app with no CSP report. (Without the apps' origins in form-action, Chromium aborts the last
 * redirect and logs "Sending form data to '<the form's own action>' violates ... form-action".)
 */
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import * as client from "openid-client";
import type { Browser, Locator, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchedPage, type WatchedPage } from "../helpers/browser.js";
import { launchChromium } from "../helpers/chromium.js";
import { freePort } from "../helpers/cli-process.js";
import { setUpTwoFactor } from "../helpers/dashboard-setup.js";
import { textOf } from "../helpers/dashboard-steps.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { makeOidcAccount, OIDC_PASSWORD, startOidcProvider, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";

const OUTPUT_DIR = fileURLToPath(new URL("../../test-output/e2e/oidc/", import.meta.url));
const SECRET = "an-rp-secret-of-more-than-32-characters!";
const ACR_AAL1 = "urn:deadbolt:aal1";
const ACR_AAL2 = "urn:deadbolt:aal2";

/** The relying party's transaction cookie (PKCE verifier, state, nonce), on its own host. */
const TX_COOKIE = "rp_tx";

/** A relying party on `origin`, one redirect URI per client (`/callback/<client>`). */
interface RelyingParty {
	readonly origin: string;
	/** Where the browser starts a sign-in to `clientId`. */
	loginUrl(clientId: string): string;
	close(): Promise<void>;
}

/** The relying party's redirect URI for `clientId`. */
function callbackOf(origin: string, clientId: string): string {
	return `${origin}/callback/${clientId}`;
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page of the relying party (a data: favicon, so the browser asks nothing else of it). */
function rpPage(response: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
	response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers });
	response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test app</title><link rel="icon" href="data:,"></head><body><main><h1>Test app</h1>${body}</main></body></html>`);
}

/** The value of cookie `name` in the request, or null. */
function cookieOf(request: IncomingMessage, name: string): string | null {
	for (const part of (request.headers.cookie ?? "").split(";")) {
		const [key, ...value] = part.trim().split("=");
		if (key === name) return value.join("=");
	}
	return null;
}

/**
 * Starts the relying party on 127.0.0.1:`port`, reached as `http://localhost:<port>` (another site
 * than deadbolt's 127.0.0.1), for the confidential clients `clientIds` of `issuer` (secret {@link SECRET}).
 */
async function startRelyingParty(port: number, issuer: string): Promise<RelyingParty> {
	const origin = `http://localhost:${port}`;
	const configs = new Map<string, Promise<client.Configuration>>();
	const configOf = (clientId: string): Promise<client.Configuration> => {
		let config = configs.get(clientId);
		if (config === undefined) {
			// Plain http on loopback only (deadbolt's issuer here is http://127.0.0.1).
			config = client.discovery(new URL(issuer), clientId, SECRET, undefined, { execute: [client.allowInsecureRequests] });
			configs.set(clientId, config);
		}
		return config;
	};
	const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const url = new URL(request.url ?? "/", origin);
		const login = /^\/login\/([\w-]+)$/.exec(url.pathname);
		if (login !== null) {
			const clientId = login[1]!;
			const config = await configOf(clientId);
			const verifier = client.randomPKCECodeVerifier();
			const state = client.randomState();
			const nonce = client.randomNonce();
			const authorization = client.buildAuthorizationUrl(config, {
				redirect_uri: callbackOf(origin, clientId),
				scope: "openid email",
				code_challenge: await client.calculatePKCECodeChallenge(verifier),
				code_challenge_method: "S256",
				state,
				nonce,
			});
			const tx = Buffer.from(JSON.stringify({ clientId, verifier, state, nonce })).toString("base64url");
			response.writeHead(302, { location: authorization.href, "set-cookie": `${TX_COOKIE}=${tx}; Path=/; HttpOnly; SameSite=Lax; Max-Age=900`, "cache-control": "no-store" });
			response.end();
			return;
		}
		const callback = /^\/callback\/([\w-]+)$/.exec(url.pathname);
		if (callback !== null) {
			const clientId = callback[1]!;
			const clearTx = `${TX_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
			const raw = cookieOf(request, TX_COOKIE);
			if (raw === null) return rpPage(response, 400, `<p id="rp-error">No sign-in under way (no ${TX_COOKIE} cookie).</p>`);
			const tx = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as { clientId: string; verifier: string; state: string; nonce: string };
			if (tx.clientId !== clientId) return rpPage(response, 400, `<p id="rp-error">Sign-in began for another client.</p>`, { "set-cookie": clearTx });
			const config = await configOf(clientId);
			try {
				const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: tx.verifier, expectedState: tx.state, expectedNonce: tx.nonce, idTokenExpected: true });
				const claims = tokens.claims()!;
				const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
				return rpPage(response, 200, `<p id="greeting">Hello ${escapeHtml(String(userinfo.email))}, acr ${escapeHtml(String(claims["acr"]))}</p><p id="amr">${escapeHtml(JSON.stringify(claims["amr"]))}</p>`, { "set-cookie": clearTx });
			} catch (error) {
				const code = error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError ? error.error : (error as Error).message;
				return rpPage(response, 400, `<p id="rp-error">Sign-in failed: ${escapeHtml(code)}</p>`, { "set-cookie": clearTx });
			}
		}
		rpPage(response, 404, `<p>Not found.</p>`);
	};
	const server: Server = createServer((request, response) => {
		handle(request, response).catch((error: unknown) => {
			if (!response.headersSent) rpPage(response, 500, `<p id="rp-error">${escapeHtml(String(error))}</p>`);
		});
	});
	await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
	return {
		origin,
		loginUrl: (clientId) => `${origin}/login/${clientId}`,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

describe("an app signs its users in with deadbolt (OpenID Connect), in Chromium", () => {
	let provider: OidcProvider;
	let rp: RelyingParty;
	let browser: Browser;
	const pages: WatchedPage[] = [];

	beforeAll(async () => {
		mkdirSync(OUTPUT_DIR, { recursive: true });
		const rpPort = await freePort();
		const rpOrigin = `http://localhost:${rpPort}`;
		const app = (id: string, name: string, extra: Record<string, unknown> = {}) => ({ id, name, secret: SECRET, redirectUris: [callbackOf(rpOrigin, id)], ...extra });
		provider = await startOidcProvider({
			clients: [
				// minimumAal 2 is the default.
				app("wiki", "Team wiki", { firstParty: true }),
				app("outside", "Outside tool", { minimumAal: 1 }),
				app("console", "Admin console", { firstParty: true, groups: ["admins"] }),
			],
		});
		rp = await startRelyingParty(rpPort, provider.issuer);
		browser = await launchChromium();
	});

	afterAll(async () => {
		for (const w of pages) await w.context.close();
		await browser?.close();
		await rp?.close();
		await provider?.close();
	});

	/** A new browser (context) with one watched page; relative URLs go to deadbolt. */
	async function newPage(): Promise<WatchedPage> {
		const w = await watchedPage(browser, provider.issuer);
		pages.push(w);
		return w;
	}

	/** Opens the app's sign-in for `clientId`: deadbolt's sign-in page, with the interaction as its way back. */
	async function openApp(w: WatchedPage, clientId: string): Promise<void> {
		await w.page.goto(rp.loginUrl(clientId));
		const url = new URL(w.page.url());
		expect(url.origin + url.pathname, w.page.url()).toBe(`${provider.issuer}/dashboard/sign-in`);
		expect(url.searchParams.get("rd")).toMatch(new RegExp(`^${provider.issuer}/oidc/interaction/[\\w-]+$`));
	}

	/** The password step (the page is deadbolt's sign-in page). */
	async function password(w: WatchedPage, account: OidcAccount): Promise<void> {
		await w.page.locator("#email").fill(account.email);
		await w.page.locator("#password").fill(OIDC_PASSWORD);
		await w.clickAndLoad(w.page.getByRole("button", { name: "Sign in", exact: true }));
	}

	/**
	 * Clicks `target` (a form's button), which leads through deadbolt's redirects to a page of the
	 * app; returns the chain of the main frame's requests, as `METHOD path` (deadbolt's) or the
	 * app's URL without its query. A redirect that the form's CSP (`form-action`) blocks aborts
	 * the navigation: the error then names what the page logged (Chromium's CSP report).
	 */
	async function clickToApp(w: WatchedPage, target: Locator): Promise<string[]> {
		const chain: string[] = [];
		const onRequest = (request: Request): void => {
			if (!request.isNavigationRequest() || request.frame() !== w.page.mainFrame()) return;
			const url = new URL(request.url());
			chain.push(url.origin === provider.issuer ? `${request.method()} ${url.pathname}` : `${request.method()} ${url.origin}${url.pathname}`);
		};
		w.page.on("request", onRequest);
		try {
			await Promise.all([w.page.waitForURL((url) => url.origin === rp.origin, { waitUntil: "load" }), target.click()]);
		} catch (error) {
			// Chromium logs the CSP report a moment after the navigation is aborted.
			await w.page.waitForTimeout(500);
			throw new Error(`[url ${w.page.url()}] the way back to the app failed (${(error as Error).message.split("\n")[0]}); requests: ${JSON.stringify(chain)}; the page logged: ${JSON.stringify(w.problems)}`);
		} finally {
			w.page.off("request", onRequest);
		}
		return chain;
	}

	/** The chain of {@link clickToApp} from a form POSTed to `formPath`: the form, the interaction, the authorization resumed, the app's redirect URI. */
	function throughInteraction(formPath: string, clientId: string): (string | RegExp)[] {
		return [`POST ${formPath}`, /^GET \/oidc\/interaction\/[\w-]+$/, /^GET \/oidc\/auth\/[\w-]+$/, `GET ${callbackOf(rp.origin, clientId)}`];
	}

	/** Expects `chain` to match `expected` step by step. */
	function expectChain(chain: readonly string[], expected: readonly (string | RegExp)[]): void {
		expect(chain.length, JSON.stringify(chain)).toBe(expected.length);
		expected.forEach((step, index) => (typeof step === "string" ? expect(chain[index], JSON.stringify(chain)).toBe(step) : expect(chain[index], JSON.stringify(chain)).toMatch(step)));
	}

	/** The app's greeting (the page is the app's callback), with no problem recorded on the way (CSP included). */
	async function expectSignedInAtApp(w: WatchedPage, clientId: string, account: OidcAccount, acr: string): Promise<void> {
		const url = new URL(w.page.url());
		expect(url.origin + url.pathname).toBe(callbackOf(rp.origin, clientId));
		expect(url.searchParams.get("code")).not.toBeNull();
		expect(url.searchParams.get("iss")).toBe(provider.issuer);
		expect(await w.page.locator("#rp-error").count(), await w.page.locator("body").innerText()).toBe(0);
		expect(await textOf(w.page.locator("#greeting"))).toBe(`Hello ${account.email}, acr ${acr}`);
		expect(w.problems, "console (CSP), script or request errors on the way").toEqual([]);
	}

	/** "Email me the link" on the step-up page, then the mailed link opened in this browser and confirmed. */
	async function confirmByMail(w: WatchedPage, account: OidcAccount, clientId: string): Promise<void> {
		const { page } = w;
		expect(new URL(page.url()).pathname).toBe("/dashboard/step-up");
		await page.getByRole("heading", { name: "Confirm your authenticator app" }).waitFor();
		await w.expectGood("step-up: confirm the authenticator by mail");
		await w.clickAndLoad(page.getByRole("button", { name: "Email me the link", exact: true }));
		expect(w.path()).toBe("/dashboard/step-up?sent=1");
		expect(await textOf(page.locator("#mail-confirmation-sent"))).toContain(account.email);
		const token = await lastMailedToken(provider.store, account.email, "two_factor.confirm");
		await page.goto(`/dashboard/confirm-two-factor?token=${encodeURIComponent(token)}`);
		await w.expectGood("the mailed confirmation link");
		// The confirmation returns to the interaction through the dashboard's return cookie, then to the app.
		expectChain(await clickToApp(w, page.getByRole("button", { name: "Confirm my authenticator app", exact: true })), throughInteraction("/dashboard/confirm-two-factor", clientId));
		await expectSignedInAtApp(w, clientId, account, ACR_AAL2);
	}

	it("(a) password and code from the app's /login: back at the app, signed in at aal2", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const w = await newPage();
		await openApp(w, "wiki");
		await w.expectGood("sign-in page from an app");
		await password(w, account);
		expect(w.path()).toBe("/dashboard/sign-in/code");
		await w.page.locator("#code").fill(account.code());
		expectChain(await clickToApp(w, w.page.getByRole("button", { name: "Verify", exact: true })), throughInteraction("/dashboard/sign-in/code", "wiki"));
		await expectSignedInAtApp(w, "wiki", account, ACR_AAL2);
		expect(JSON.parse(await w.page.locator("#amr").innerText())).toEqual(["pwd", "otp", "mfa"]);

		// Signed in at deadbolt now: the app's next sign-in comes straight back, no page in between.
		await w.page.goto(rp.loginUrl("wiki"));
		await expectSignedInAtApp(w, "wiki", account, ACR_AAL2);
	});

	it("(b) 2FA on, never confirmed by mail: 'Email me the link', the mailed link in the same browser, back at the app", async () => {
		const account = await makeOidcAccount(provider, { twoFactor: true });
		const w = await newPage();
		await openApp(w, "wiki");
		await password(w, account);
		expect(w.path()).toBe("/dashboard/sign-in/code");
		await w.page.locator("#code").fill(account.code());
		// The code signs in, then the interaction sends the browser to confirm the authenticator, with itself as the way back.
		await Promise.all([w.page.waitForURL((url) => url.pathname === "/dashboard/step-up"), w.page.getByRole("button", { name: "Verify", exact: true }).click()]);
		expect(new URL(w.page.url()).searchParams.get("rd")).toMatch(new RegExp(`^${provider.issuer}/oidc/interaction/[\\w-]+$`));
		await confirmByMail(w, account, "wiki");
	});

	it("(c) 2FA off at an app that needs aal2: the setup's four steps, the mailed confirmation, back at the app", async () => {
		const account = await makeOidcAccount(provider);
		const w = await newPage();
		const { page } = w;
		await openApp(w, "wiki");
		await password(w, account);
		// No code step (2FA off): the interaction asks for two-factor authentication.
		expect(new URL(page.url()).pathname).toBe("/dashboard/step-up");
		await page.getByRole("heading", { name: "Two-factor authentication needed" }).waitFor();
		await w.expectGood("step-up: two-factor authentication needed");
		await w.clickAndLoad(page.getByRole("link", { name: "Set up two-factor authentication" }));
		expect(w.path()).toBe("/dashboard/settings/security/two-factor/setup");
		// The four steps, as in the dashboard's own journey (the QR code scanned off the screen); Finish leads back to the interaction.
		await setUpTwoFactor({ now: () => Date.now() }, w, { email: account.email, password: OIDC_PASSWORD, outputDir: OUTPUT_DIR, landsOn: /^\/dashboard\/step-up\?rd=/ });
		// The authenticator was enrolled with a password alone: an aal2 app takes it once confirmed by mail.
		await confirmByMail(w, account, "wiki");
	});

	it("(d) consent for an app that is not first-party: the page passes axe-core; Allow leads back to the app", async () => {
		const account = await makeOidcAccount(provider);
		const w = await newPage();
		const { page } = w;
		await openApp(w, "outside");
		await password(w, account);
		expect(w.path()).toMatch(/^\/oidc\/interaction\/[\w-]+$/);
		await page.getByRole("heading", { name: "Sign in to Outside tool?" }).waitFor();
		expect(await page.locator("#consent-scopes li").evaluateAll((items) => items.map((item) => item.getAttribute("data-scope")))).toEqual(["openid", "email"]);
		await w.expectGood("consent page");
		const allowed = await clickToApp(w, page.getByRole("button", { name: "Allow", exact: true }));
		expectChain(allowed, [/^POST \/oidc\/interaction\/[\w-]+\/consent$/, /^GET \/oidc\/auth\/[\w-]+$/, `GET ${callbackOf(rp.origin, "outside")}`]);
		await expectSignedInAtApp(w, "outside", account, ACR_AAL1);
		// Remembered: the next sign-in to the app asks nothing.
		await page.goto(rp.loginUrl("outside"));
		await expectSignedInAtApp(w, "outside", account, ACR_AAL1);
	});

	it("(e) an app limited to a group: the refusal page says why (axe-core); 'Back to' the app tells it access_denied", async () => {
		const account = await makeOidcAccount(provider, { confirmed: true });
		const w = await newPage();
		const { page } = w;
		await openApp(w, "console");
		await password(w, account);
		await page.locator("#code").fill(account.code());
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(w.path()).toMatch(/^\/oidc\/interaction\/[\w-]+$/);
		await page.getByRole("heading", { name: "You can't use Admin console with this account" }).waitFor();
		expect(await textOf(page.locator("#oidc-refusal"))).toContain(account.email);
		await w.expectGood("refusal page");
		const back = await clickToApp(w, page.getByRole("button", { name: "Back to Admin console" }));
		expectChain(back, [/^POST \/oidc\/interaction\/[\w-]+\/abort$/, /^GET \/oidc\/auth\/[\w-]+$/, `GET ${callbackOf(rp.origin, "console")}`]);
		const url = new URL(page.url());
		expect(url.origin + url.pathname).toBe(callbackOf(rp.origin, "console"));
		expect(url.searchParams.get("error")).toBe("access_denied");
		expect(url.searchParams.get("code")).toBeNull();
		expect(await textOf(page.locator("#rp-error"))).toBe("Sign-in failed: access_denied");
		expect(w.problems, "console (CSP), script or request errors on the way").toEqual([]);
	});
});
