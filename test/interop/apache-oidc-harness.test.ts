/**
 * The Apache + mod_auth_openidc relying party of test/helpers/apache-oidc.ts, on its own: no
 * provider answers (its discovery URL names a closed loopback port), so this proves what the
 * harness does before deadbolt's provider is in the picture: Apache starts from the config the
 * helper writes (the module accepts every directive, ES256 among its ID token algorithms), serves
 * an unprotected page, answers a protected path and the back-channel logout endpoint with error
 * pages instead of crashing, and stops. Without Debian's apache2 and libapache2-mod-auth-openidc
 * the suite is skipped with one line, except when `CI=true`, where it fails.
 */
import { request } from "node:http";
import { afterAll, expect, it } from "vitest";
import { apacheRelyingPartyUnmet, startApacheRelyingParty, stopApacheRelyingParties, type ApacheRelyingPartyOptions } from "../helpers/apache-oidc.js";
import { freePort } from "../helpers/cli-process.js";
import { describeWhen } from "../helpers/requirements.js";

afterAll(async () => {
	await stopApacheRelyingParties();
});

/** Options naming an issuer on a loopback port nobody listens on. */
async function providerDown(): Promise<ApacheRelyingPartyOptions> {
	return { issuer: `http://127.0.0.1:${await freePort()}`, clientId: "apache-rp", clientSecret: "a-client-secret-of-the-test-0123456789" };
}

/** What a browser sends when it navigates to a page: mod_auth_openidc redirects only such requests to the provider. */
const NAVIGATION = { accept: "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" };

interface Answer {
	readonly status: number;
	readonly location: string | undefined;
	readonly body: string;
}

/** One request with exactly these headers (node:http: fetch would add `sec-fetch-mode: cors`); redirects are not followed. */
function send(url: string, options: { method?: string; headers?: Readonly<Record<string, string>>; body?: string } = {}): Promise<Answer> {
	return new Promise((resolveAnswer, reject) => {
		const outgoing = request(url, { method: options.method ?? "GET", headers: { ...options.headers }, timeout: 15_000 }, (response) => {
			let body = "";
			response.setEncoding("utf8");
			response.on("data", (chunk: string) => (body += chunk));
			response.on("end", () => resolveAnswer({ status: response.statusCode ?? 0, location: response.headers.location, body }));
			response.on("error", reject);
		});
		outgoing.on("timeout", () => outgoing.destroy(new Error(`${url}: no answer within 15 s`)));
		outgoing.on("error", reject);
		outgoing.end(options.body);
	});
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describeWhen("Apache + mod_auth_openidc relying party harness (no provider running)", apacheRelyingPartyUnmet(), () => {
	it("starts from the helper's config, serves the unprotected page, and answers /protected/ with an error page while the provider is down", async () => {
		const options = await providerDown();
		const rp = await startApacheRelyingParty(options);
		expect(rp.redirectUri).toBe(`http://127.0.0.1:${rp.port}/protected/redirect_uri`);
		expect(rp.backchannelLogoutUri).toBe(`${rp.redirectUri}?logout=backchannel`);
		expect(rp.config).toContain(`OIDCProviderMetadataURL ${options.issuer}/.well-known/openid-configuration`);
		expect(rp.config).toContain("OIDCIDTokenSignedResponseAlg ES256");
		expect(rp.config).not.toContain(options.clientSecret);

		// The module was built with elliptic curves (cjose/OpenSSL): ES256 ID tokens can be checked.
		expect(rp.errorLog()).toMatch(/mod_auth_openidc-2\.4\.\S+ - init - .*EC=yes/);

		const home = await send(`${rp.baseUrl}/`, { headers: NAVIGATION });
		expect(home.status).toBe(200);
		expect(home.body).toContain("Not protected.");

		// A browser navigation makes the module fetch the discovery document: it fails, so an error page, no redirect.
		for (const url of [rp.protectedUrl, rp.aal2Url]) {
			const guarded = await send(url, { headers: NAVIGATION });
			expect(guarded.status, rp.errorLog()).toBe(500);
			expect(guarded.location).toBeUndefined();
			expect(guarded.body).not.toContain("Signed in");
		}
		expect(rp.errorLog()).toContain(`could not retrieve metadata from url: ${options.issuer}/.well-known/openid-configuration`);
		// A request that cannot follow a redirect to a provider (no text/html, fetch's sec-fetch-mode) gets 401 at once.
		const script = await send(rp.protectedUrl, { headers: { accept: "*/*", "sec-fetch-mode": "cors" } });
		expect(script.status).toBe(401);
		expect(script.location).toBeUndefined();

		// Not a crash: the same parent still serves.
		expect(alive(rp.pid)).toBe(true);
		expect((await send(`${rp.baseUrl}/`)).status).toBe(200);
		await rp.stop();
		expect(alive(rp.pid)).toBe(false);
	});

	it("answers the back-channel logout endpoint without a valid logout token with an error, not a crash", async () => {
		const rp = await startApacheRelyingParty(await providerDown());
		const post = (body: string): Promise<Answer> => send(rp.backchannelLogoutUri, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
		const missing = await post("");
		expect(missing.status, rp.errorLog()).toBe(400);
		expect(rp.errorLog()).toContain('could not find a parameter named "logout_token"');
		const garbage = await post(new URLSearchParams({ logout_token: "not.a.jwt" }).toString());
		expect(garbage.status, rp.errorLog()).toBe(400);
		expect(rp.errorLog()).toContain("oidc_jwt_parse failed");
		expect(alive(rp.pid)).toBe(true);
		expect((await send(`${rp.baseUrl}/`)).status).toBe(200);
		await rp.stop();
	});

	it("refuses to start on an ID token algorithm the module does not support, so its acceptance of ES256 means support", async () => {
		const start = startApacheRelyingParty({ ...(await providerDown()), idTokenSignedResponseAlg: "XS256" });
		// The module's own message (Apache's stderr), not the config text the error also shows.
		await expect(start).rejects.toThrow(/unsupported\/invalid signing algorithm 'XS256'; must be one of \[[^\]]*\bES256\b/);
	});
});
