/**
 * The OpenID Connect provider on two deadbolt instances (issue 13, "two deadbolt instances on
 * PostgreSQL"): two real `deadbolt serve` processes (the built CLI) on two ports, one PostgreSQL
 * database, the same keys and the same config, so the same issuer (`http.publicUrl` = instance A's
 * address; B is reached directly by its own port, as a load balancer would reach it). An app's
 * requests and a browser's may land on either instance at any step:
 * - discovery on either names the one issuer and the public URL's endpoints (never the Host a
 *   request came with), and the same JWK Set;
 * - an authorization started on A, signed in across A and B, resumed on A with the provider's
 *   cookies signed on A and read on B (cookie keys derived from the shared HMAC key; a forged
 *   signature is refused); the code exchanged on B, the refresh token used on A, userinfo on B;
 *   `prompt=none` on B with the provider session cookie set by A;
 * - sign out everywhere on B: the refresh token is refused on A at once, userinfo on A too, and
 *   `prompt=none` on A answers login_required.
 *
 * Each run creates its own database on the shared server (`DEADBOLT_TEST_DATABASE_URL`) and drops
 * it after. Skipped without PostgreSQL, except on CI, where it fails. Needs `npm run build`.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiClient, type APIClient } from "../helpers/api-client.js";
import { beginSetup, confirmSetup, expectAnswer, signUp } from "../helpers/api-flows.js";
import { freePort, runCLI, startServe, stopAllCLIProcesses, type ServeProcess } from "../helpers/cli-process.js";
import { eventually, readMails } from "../helpers/delivery-processes.js";
import { csrfOf, OidcBrowser, type BrowserResponse } from "../helpers/oidc-stack.js";
import { createTestDatabase, probePostgres, TEST_DATABASE_URL, unreachablePostgres, type TestDatabase } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const unreachable = await probePostgres(TEST_DATABASE_URL);
const missing = unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable);

const SECRET = "an-rp-secret-of-more-than-32-characters!";
/** The app's redirect URI: never requested (the browser stops there and hands the URL to the app). */
const CALLBACK = "http://127.0.0.1:59999/callback";
const CLIENT_ID = "wiki";
/** The password of {@link signUp}. */
const PASSWORD = "correct horse battery staple";

/** An account with a verified address and 2FA on, confirmed by the mailed link: what an aal2 app needs. */
interface Account {
	readonly email: string;
	readonly accountId: string;
	code(): string;
}

/** `url` with the origin of `instance` (a load balancer sending that request there): its path and query kept. */
function on(instance: string, url: string): string {
	const parsed = new URL(url);
	return new URL(parsed.pathname + parsed.search, instance).href;
}

/** GET `url` with `headers` as given (node:http: the Host header too), the body as JSON. */
function getWithHeaders(url: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { headers }, (res) => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (chunk: string) => (text += chunk));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
		});
		req.on("error", reject);
		req.end();
	});
}

describeWhen("the OpenID Connect provider on two instances, one PostgreSQL database", missing, () => {
	let database: TestDatabase;
	let workDir = "";
	let mailDir = "";
	let instanceA: ServeProcess;
	let instanceB: ServeProcess;
	/** Instance A's address: `http.publicUrl` of both, so the issuer. */
	let issuer = "";
	let a: APIClient;
	let b: APIClient;

	beforeAll(async () => {
		workDir = mkdtempSync(join(tmpdir(), "deadbolt-oidc-instances-"));
		const dataDir = join(workDir, "data");
		mailDir = join(dataDir, "mail");
		const [portA, portB] = [await freePort(), await freePort()];
		issuer = `http://127.0.0.1:${portA}`;
		const configFile = join(workDir, "deadbolt.json");
		const config = {
			rateLimit: { perMinute: 10_000 },
			http: { publicUrl: issuer },
			// minimumAal 2 (the default): password, code, and the authenticator confirmed by mail.
			oidc: { clients: [{ id: CLIENT_ID, name: "Team wiki", secret: SECRET, redirectUris: [CALLBACK], firstParty: true }] },
		};
		writeFileSync(configFile, `${JSON.stringify(config)}\n`);
		database = await createTestDatabase();
		const env = {
			DEADBOLT_DATABASE_URL: database.url,
			DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
			DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64"),
			DEADBOLT_CONFIG_FILE: configFile,
			// Shared: both dispatchers write their mails (.eml files, no SMTP server) into one folder.
			DEADBOLT_DATA_DIR: dataDir,
			DEADBOLT_LOG_LEVEL: "info",
		};
		const migrated = await runCLI(["migrate"], env);
		expect(migrated.code, migrated.stderr).toBe(0);
		[instanceA, instanceB] = await Promise.all([startServe({ ...env, DEADBOLT_HTTP_PORT: String(portA) }), startServe({ ...env, DEADBOLT_HTTP_PORT: String(portB) })]);
		expect(instanceA.url).toBe(issuer);
		a = apiClient(instanceA.url);
		b = apiClient(instanceB.url);
	});

	afterAll(async () => {
		await stopAllCLIProcesses();
		await database?.drop();
		if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
	});

	/** The token of the newest mailed link to `email` whose path is `path` (the dispatcher of either instance wrote it). */
	async function mailedToken(email: string, path: string, after: string | null = null): Promise<string> {
		return eventually(async () => {
			const mails = await readMails(mailDir);
			for (const mail of mails.reverse()) {
				const to = Array.isArray(mail.to) ? mail.to.flatMap((entry) => entry.value) : (mail.to?.value ?? []);
				if (!to.some((address) => address.address === email)) continue;
				const match = new RegExp(`${path.replace(/[/.]/g, "\\$&")}\\?token=([^\\s"<>]+)`).exec(mail.text ?? "");
				if (match !== null && decodeURIComponent(match[1]!) !== after) return decodeURIComponent(match[1]!);
			}
			return undefined;
		}, `a mail to ${email} with a link to ${path}`);
	}

	/** Sign-up on A, address verified on B, 2FA set up on A and confirmed on B, confirmed by mail (asked on A, confirmed on B). */
	async function makeAccount(): Promise<Account> {
		const account = await signUp(a);
		expectAnswer(await b.post("/api/v1/email/verify", { body: { token: await mailedToken(account.email, "/dashboard/verify-email") } }), 200);
		const setup = await beginSetup(a, account.token);
		const { token } = await confirmSetup(b, setup.token, setup.authenticator);
		expect((await a.post("/api/v1/two-factor/totp/mail-confirmation", { token })).body).toEqual({ status: "sent" });
		expectAnswer(await b.post("/api/v1/two-factor/totp/mail-confirmation/confirm", { token, body: { token: await mailedToken(account.email, "/dashboard/confirm-two-factor") } }), 200);
		let next = Date.now();
		return {
			email: account.email,
			accountId: account.accountId,
			// A code of a later time step each time (the setup used the current one; each step signs in once).
			code() {
				next = Math.max(next + 30_000, Date.now() + 30_000);
				return setup.authenticator.codeAt(next);
			},
		};
	}

	/** The app's configuration with its requests sent to `instance` (discovered on A: the issuer). */
	async function appTalkingTo(instance: string): Promise<client.Configuration> {
		// Discovered on A (as an app does: at the issuer), the requests then sent to `instance`.
		const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as client.ServerMetadata;
		const config = new client.Configuration(
			{ ...metadata, token_endpoint: on(instance, metadata.token_endpoint!), userinfo_endpoint: on(instance, metadata.userinfo_endpoint!), jwks_uri: on(instance, metadata.jwks_uri!) },
			CLIENT_ID,
			SECRET,
		);
		client.allowInsecureRequests(config);
		return config;
	}

	/** An authorization URL on A's authorization endpoint, with PKCE. */
	async function authorization(config: client.Configuration, extra: Record<string, string> = {}): Promise<{ url: string; verifier: string; state: string }> {
		const verifier = client.randomPKCECodeVerifier();
		const state = client.randomState();
		const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid email offline_access", code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state, ...extra });
		return { url: on(issuer, url.href), verifier, state };
	}

	/** Follows one redirect; expects one. */
	async function redirected(browser: OidcBrowser, response: BrowserResponse, to: RegExp, instance: string): Promise<BrowserResponse> {
		expect(response.status, response.body.slice(0, 300)).toBeOneOf([302, 303]);
		expect(response.location).toMatch(to);
		return browser.request(on(instance, response.location!));
	}

	test("discovery on A and on B (reached by its own port, even with another Host) names the one issuer, the public URL's endpoints and the same keys", async () => {
		const fromA = await a.get("/.well-known/openid-configuration");
		const fromB = await b.get("/.well-known/openid-configuration");
		expectAnswer(fromA, 200);
		expectAnswer(fromB, 200);
		expect(fromA.body.issuer).toBe(issuer);
		expect(fromA.body.authorization_endpoint).toBe(`${issuer}/oidc/auth`);
		expect(fromA.body.token_endpoint).toBe(`${issuer}/oidc/token`);
		expect(fromB.body).toEqual(fromA.body);
		// A Host header (or X-Forwarded-Host) of the client's choosing changes nothing: no request makes discovery name another host.
		const forged = await getWithHeaders(`${instanceB.url}/.well-known/openid-configuration`, { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
		expect(forged.status).toBe(200);
		expect(forged.body).toEqual(fromA.body);
		const keysA = await a.get("/oidc/jwks");
		const keysB = await b.get("/oidc/jwks");
		expect(keysA.body.keys.length).toBeGreaterThan(0);
		expect(keysB.body).toEqual(keysA.body);
	});

	test("sign-in across A and B with the provider's cookies signed on A; code exchanged on B, refresh on A, userinfo on B; sign out everywhere on B ends it on A at once", async () => {
		const account = await makeAccount();
		const onA = await appTalkingTo(instanceA.url);
		const onB = await appTalkingTo(instanceB.url);
		const browser = new OidcBrowser("hostname");
		const { url, verifier, state } = await authorization(onA);

		// A starts the authorization and sets its interaction cookies (signed with A's cookie keys).
		const started = await browser.request(url);
		expect(started.location).toMatch(/\/oidc\/interaction\/[\w-]+$/);
		const interaction = new URL(started.location!).pathname;
		// B reads them: a cookie signed on A is accepted on B. A forged signature is not.
		const cookies = browser.cookieHeader(issuer);
		expect(cookies).toMatch(/deadbolt_oidc_interaction\.sig=/);
		const forged = await fetch(`${instanceB.url}${interaction}`, { headers: { cookie: cookies.replace(/deadbolt_oidc_interaction\.sig=([^;]+)/, (_all, sig: string) => `deadbolt_oidc_interaction.sig=${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`), accept: "text/html" }, redirect: "manual" });
		expect(forged.status).toBe(400);
		expect(await forged.text()).toContain("This sign-in has expired");
		const signInRedirect = await browser.request(`${instanceB.url}${interaction}`);
		expect(signInRedirect.status, signInRedirect.body.slice(0, 300)).toBe(303);
		expect(signInRedirect.location).toMatch(/\/dashboard\/sign-in\?rd=/);
		// The way back is the interaction on the public URL (the issuer), whichever instance answered.
		expect(new URL(signInRedirect.location!).searchParams.get("rd")).toBe(`${issuer}${interaction}`);

		// The sign-in page from A, the password to B, the code to A (the form's Origin is the public one).
		const signInPage = await browser.request(on(issuer, signInRedirect.location!));
		expect(signInPage.status).toBe(200);
		const password = await browser.request(`${instanceB.url}/dashboard/sign-in`, { form: { csrf: csrfOf(signInPage.body), email: account.email, password: PASSWORD }, origin: issuer });
		expect(password.status, password.body.slice(0, 300)).toBe(303);
		expect(password.location).toMatch(/\/dashboard\/sign-in\/code$/);
		const codePage = await browser.request(on(issuer, password.location!));
		const code = await browser.request(`${issuer}/dashboard/sign-in/code`, { form: { csrf: csrfOf(codePage.body), code: account.code() }, origin: issuer });
		expect(code.status, code.body.slice(0, 300)).toBe(303);
		expect(code.location).toBe(`${issuer}${interaction}`);

		// B finishes the interaction (the grant, bound to the deadbolt session); A resumes the authorization with its resume cookie.
		const finished = await browser.request(on(instanceB.url, code.location!));
		const resumed = await redirected(browser, finished, /\/oidc\/auth\/[\w-]+$/, instanceA.url);
		expect(resumed.status, resumed.body.slice(0, 300)).toBe(303);
		expect(resumed.location!.startsWith(`${CALLBACK}?`)).toBe(true);
		const callback = new URL(resumed.location!);
		expect(callback.searchParams.get("iss")).toBe(issuer);

		// The code, exchanged on B: the ID token's issuer is the one issuer, verified against A's key set.
		const tokens = await client.authorizationCodeGrant(onB, callback, { pkceCodeVerifier: verifier, expectedState: state });
		const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${issuer}/oidc/jwks`)), { issuer, audience: CLIENT_ID });
		expect(payload.sub).toBe(account.accountId);
		expect(payload["acr"]).toBe("urn:deadbolt:aal2");
		// The refresh token, used on A (rotated); userinfo on B with the new access token.
		const refreshed = await client.refreshTokenGrant(onA, tokens.refresh_token!);
		expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
		expect(refreshed.claims()?.iss).toBe(issuer);
		expect((await client.fetchUserInfo(onB, refreshed.access_token, account.accountId)).email).toBe(account.email);
		// The provider session cookie set by A is B's too: prompt=none on B comes straight back with a code.
		const silent = await browser.request(on(instanceB.url, (await authorization(onA, { prompt: "none" })).url));
		expect(silent.status, silent.body.slice(0, 300)).toBe(303);
		expect(new URL(silent.location!).searchParams.get("code")).not.toBeNull();

		// Sign out everywhere on B: on A, the refresh token is refused at once, the access token too; prompt=none says login_required.
		const sessionToken = decodeURIComponent(/deadbolt_session=([^;]+)/.exec(browser.cookieHeader(issuer))![1]!);
		expectAnswer(await b.post("/api/v1/sign-out-everywhere", { token: sessionToken }), 200);
		await expect(client.refreshTokenGrant(onA, refreshed.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
		await expect(client.fetchUserInfo(onA, refreshed.access_token, account.accountId)).rejects.toBeDefined();
		const after = await browser.request(on(issuer, (await authorization(onA, { prompt: "none" })).url));
		expect(new URL(after.location!).searchParams.get("error")).toBe("login_required");
	});
});
