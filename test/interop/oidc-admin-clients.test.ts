/**
 * OpenID Connect clients added through the admin API (issue 13 item 2), with panva's
 * `openid-client` as the relying party: a provider with no client in its config file
 * (`oidc.enabled`), a client added over HTTP signs a user in at once (code + PKCE, ID token
 * checked against the JWK Set); a rotated secret works at once and the old one is refused;
 * after `DELETE` its refresh token and access token are refused and its grant rows are gone. A
 * public client added the same way signs in with PKCE and no secret.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeOidcAccount, OidcBrowser, startOidcProvider, type OidcAccount, type OidcProvider } from "../helpers/oidc-stack.js";

const ADMIN_KEY = "interop-admin-key-for-oidc-clients-0123456789";
const CALLBACK = "http://127.0.0.1:59998/callback";

let provider: OidcProvider;

beforeAll(async () => {
	provider = await startOidcProvider({ clients: [], oidcEnabled: true, adminApiKey: ADMIN_KEY });
});

afterAll(async () => {
	await provider?.close();
});

/** One admin API call over the network, as an integrator's backend makes it. */
async function adminAPI(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> | null; cacheControl: string | null }> {
	const response = await fetch(`${provider.issuer}/api/v1/admin/oidc/clients${path}`, {
		method,
		headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	const text = await response.text();
	return { status: response.status, json: text === "" ? null : (JSON.parse(text) as Record<string, unknown>), cacheControl: response.headers.get("cache-control") };
}

/** The relying party's configuration (plain http on loopback allowed); no secret: a public client. */
function rp(clientId: string, secret: string | null): Promise<client.Configuration> {
	return client.discovery(new URL(provider.issuer), clientId, secret ?? undefined, secret === null ? client.None() : undefined, { execute: [client.allowInsecureRequests] });
}

/** Signs `account` in through the browser with code + PKCE; returns the tokens. */
async function signIn(config: client.Configuration, account: OidcAccount) {
	const verifier = client.randomPKCECodeVerifier();
	const state = client.randomState();
	const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid email offline_access", prompt: "consent", code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state });
	const browser = new OidcBrowser();
	const page = await browser.follow(url.href, CALLBACK);
	const done = await browser.signIn(page, account.email, CALLBACK, () => account.code());
	expect(done.location, done.body.slice(0, 400)).toMatch(new RegExp(`^${CALLBACK}\\?`));
	return client.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
}

describe("a client added through the admin API, with openid-client", () => {
	it("signs in at once, rotates its secret at once, and after DELETE its refresh and access tokens are refused", async () => {
		const added = await adminAPI("POST", "", { id: "added-app", name: "Added app", redirectUris: [CALLBACK], firstParty: true });
		expect(added.status, JSON.stringify(added.json)).toBe(201);
		expect(added.cacheControl).toBe("no-store");
		const secret = added.json!["secret"] as string;
		expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("added-app", secret);
		const tokens = await signIn(config, account);
		const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
		const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: provider.issuer, audience: "added-app" });
		expect(payload.sub).toBe(account.id);
		expect(payload["acr"]).toBe("urn:deadbolt:aal2");
		expect(tokens.refresh_token).toBeTruthy();
		const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);

		// A new secret: the old one is refused at once, the new one works on the same grant.
		const rotated = await adminAPI("POST", "/added-app/secret");
		expect(rotated.status).toBe(200);
		const newSecret = rotated.json!["secret"] as string;
		await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: "invalid_client" });
		const rotatedConfig = await rp("added-app", newSecret);
		const again = await client.refreshTokenGrant(rotatedConfig, refreshed.refresh_token!);
		expect(again.access_token).toBeTruthy();
		expect(await client.fetchUserInfo(rotatedConfig, again.access_token, account.id)).toMatchObject({ sub: account.id });

		// Removed: its grant ended with every token, and the client is unknown at the next request.
		const removed = await adminAPI("DELETE", "/added-app");
		expect(removed.status).toBe(200);
		expect(removed.json).toEqual({ id: "added-app", grantsEnded: 1 });
		await expect(client.refreshTokenGrant(rotatedConfig, again.refresh_token!)).rejects.toMatchObject({ error: "invalid_client" });
		await expect(client.fetchUserInfo(rotatedConfig, again.access_token, account.id)).rejects.toBeDefined();
		expect(await provider.store.oidcPayloads.findOidcPayload("RefreshToken", again.refresh_token!)).toBeNull();
		expect(await provider.store.oidcPayloads.findOidcPayload("AccessToken", again.access_token)).toBeNull();
		// Added again with the same id: the old tokens stay dead (they were deleted, not hidden).
		const readded = await adminAPI("POST", "", { id: "added-app", redirectUris: [CALLBACK], firstParty: true });
		expect(readded.status).toBe(201);
		await expect(client.refreshTokenGrant(await rp("added-app", readded.json!["secret"] as string), again.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
	});

	it("a public client added through the admin API signs in with PKCE and no secret", async () => {
		const added = await adminAPI("POST", "", { id: "added-spa", public: true, redirectUris: [CALLBACK], firstParty: true });
		expect(added.status, JSON.stringify(added.json)).toBe(201);
		expect(added.json!["secret"]).toBeNull();
		const account = await makeOidcAccount(provider, { confirmed: true });
		const config = await rp("added-spa", null);
		const tokens = await signIn(config, account);
		expect(tokens.claims()?.sub).toBe(account.id);
		expect(tokens.claims()?.aud).toBe("added-spa");
	});
});
