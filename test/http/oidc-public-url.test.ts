/**
 * The provider's URLs are the public URL's (issue 13 item 1: the issuer is `http.publicUrl`, the
 * endpoints under its `/oidc`), never the request's: oidc-provider builds discovery's endpoints and
 * its redirects from the request's scheme and host (Koa's `ctx.href`), so without deadbolt pinning
 * them (`oidc/routes.ts`), a `Host` or `X-Forwarded-Host` of a client's choosing would land in
 * discovery, where apps read the token endpoint they send their client secret to; and behind a
 * TLS proxy, an https public URL would be advertised as http, its cookies refused.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/cli-process.js";
import { startOidcProvider, type OidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "an-rp-secret-of-more-than-32-characters!";
const CALLBACK = "http://127.0.0.1:59999/callback";
const CLIENTS = [{ id: "wiki", name: "Team wiki", secret: SECRET, redirectUris: [CALLBACK], firstParty: true }];

/** One GET with exactly these headers (node:http sends the Host header given). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { headers }, (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (chunk: string) => (body += chunk));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on("error", reject);
		req.end();
	});
}

/** Every `*_endpoint` and `jwks_uri` of a discovery document. */
function endpointsOf(document: Record<string, unknown>): string[] {
	return Object.entries(document)
		.filter(([name]) => name.endsWith("_endpoint") || name === "jwks_uri")
		.map(([, value]) => String(value));
}

const FORGED = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" };

describe("the provider's URLs are the public URL's, whatever the request's Host or X-Forwarded-* say", () => {
	let plain: OidcProvider;
	let behindProxy: OidcProvider;
	let tls: OidcProvider;
	let tlsAddress = "";

	beforeAll(async () => {
		plain = await startOidcProvider({ clients: CLIENTS });
		// The same, with the loopback proxy trusted (`http.trustedProxies`).
		const proxyPort = await freePort();
		behindProxy = await startOidcProvider({ clients: CLIENTS, port: proxyPort, overrides: { http: { host: "127.0.0.1", port: proxyPort, publicUrl: `http://127.0.0.1:${proxyPort}`, trustedProxies: ["loopback"] } } });
		// An https public URL, deadbolt on plain http behind a TLS proxy that is not listed in http.trustedProxies.
		const tlsPort = await freePort();
		tlsAddress = `http://127.0.0.1:${tlsPort}`;
		tls = await startOidcProvider({ clients: CLIENTS, port: tlsPort, overrides: { http: { host: "127.0.0.1", port: tlsPort, publicUrl: "https://auth.example.test" }, email: { transport: "file" } } });
	});

	afterAll(async () => {
		await plain?.close();
		await behindProxy?.close();
		await tls?.close();
	});

	it("discovery with a forged Host and X-Forwarded-Host / -Proto names the issuer's endpoints only", async () => {
		for (const provider of [plain, behindProxy]) {
			const honest = await get(`${provider.issuer}/.well-known/openid-configuration`, {});
			const forged = await get(`${provider.issuer}/.well-known/openid-configuration`, FORGED);
			expect(forged.status).toBe(200);
			const document = JSON.parse(forged.body) as Record<string, unknown>;
			expect(document["issuer"]).toBe(provider.issuer);
			expect(endpointsOf(document).length).toBeGreaterThan(5);
			for (const endpoint of endpointsOf(document)) expect(endpoint.startsWith(`${provider.issuer}/oidc/`), endpoint).toBe(true);
			expect(document).toEqual(JSON.parse(honest.body));
		}
	});

	it("an https public URL behind a TLS proxy: discovery says https and the public host; an authorization starts (its cookies Secure)", async () => {
		const discovery = await get(`${tlsAddress}/.well-known/openid-configuration`, { host: "auth.example.test" });
		const document = JSON.parse(discovery.body) as Record<string, unknown>;
		expect(document["issuer"]).toBe("https://auth.example.test");
		expect(document["authorization_endpoint"]).toBe("https://auth.example.test/oidc/auth");
		for (const endpoint of endpointsOf(document)) expect(endpoint.startsWith("https://auth.example.test/oidc/"), endpoint).toBe(true);
		const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
		const query = new URLSearchParams({ client_id: "wiki", redirect_uri: CALLBACK, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256", state: "s" });
		const started = await get(`${tlsAddress}/oidc/auth?${query}`, { host: "auth.example.test", accept: "text/html" });
		expect(started.status, started.body.slice(0, 300)).toBe(303);
		expect(started.headers.location).toMatch(/^\/oidc\/interaction\/[\w-]+$/);
		const cookies = ([] as string[]).concat(started.headers["set-cookie"] ?? []);
		expect(cookies.some((cookie) => cookie.startsWith("deadbolt_oidc_interaction="))).toBe(true);
		for (const cookie of cookies) expect(cookie.toLowerCase(), cookie).toContain("; secure");
	});

	it("the provider's answers carry deadbolt's headers: nosniff, no framing, same-origin referrers", async () => {
		for (const path of ["/.well-known/openid-configuration", "/oidc/jwks", "/oidc/auth?client_id=wiki"]) {
			const answer = await get(`${plain.issuer}${path}`, {});
			expect(answer.headers["x-content-type-options"], path).toBe("nosniff");
			expect(answer.headers["x-frame-options"], path).toBe("DENY");
			expect(answer.headers["referrer-policy"], path).toBe("same-origin");
		}
	});
});
