/**
 * What the provider's log lines carry when a refresh token is used twice (`oidc.reuse_detected`)
 * and a grant's tokens are issued: ids and event names, never a secret value (the client secret,
 * a code, an access, refresh or ID token). Removing the redaction of any of them from a log line
 * fails this test.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../helpers/deadbolt.js";
import { makeOidcAccount, OidcBrowser, startOidcProvider, type OidcProvider } from "../helpers/oidc-stack.js";

const SECRET = "a-log-test-secret-of-more-than-32-chars!";
const CALLBACK = "http://127.0.0.1:59997/callback";
const logged: Record<string, unknown>[] = [];
let provider: OidcProvider;

beforeAll(async () => {
	provider = await startOidcProvider({ logger: recordingLogger(logged), clients: [{ id: "board", secret: SECRET, redirectUris: [CALLBACK], firstParty: true, minimumAal: 1 }] });
});

afterAll(async () => {
	await provider?.close();
});

describe("the provider's log lines carry no secret value", () => {
	it("a reused refresh token is logged as oidc.reuse_detected with ids only", async () => {
		const account = await makeOidcAccount(provider);
		const config = await client.discovery(new URL(provider.issuer), "board", SECRET, undefined, { execute: [client.allowInsecureRequests] });
		const verifier = client.randomPKCECodeVerifier();
		const state = client.randomState();
		const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: "openid email", code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state });
		const browser = new OidcBrowser();
		const done = await browser.signIn(await browser.follow(url.href, CALLBACK), account.email, CALLBACK);
		const callback = new URL(done.location!);
		const code = callback.searchParams.get("code")!;
		const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
		const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
		// Two uses of one refresh token at once, as the adapter settles them (the id of its row is the
		// token itself): the second conditional write loses, the grant is revoked, and the line names
		// the grant, not the row.
		const { payloads } = provider.deadbolt.oidc;
		expect(await payloads.consume("RefreshToken", rotated.refresh_token!)).toBe(true);
		expect(await payloads.consume("RefreshToken", rotated.refresh_token!)).toBe(false);
		await expect(client.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
		const reuse = logged.find((entry) => entry["event"] === "oidc.reuse_detected");
		expect(reuse).toMatchObject({ model: "RefreshToken", clientId: "board", accountId: account.id });
		const text = JSON.stringify(logged);
		for (const [name, value] of Object.entries({ SECRET, code, access: tokens.access_token, refresh: tokens.refresh_token!, idToken: tokens.id_token!, rotatedRefresh: rotated.refresh_token!, rotatedAccess: rotated.access_token })) {
			expect(text.includes(value), `${name} in the log`).toBe(false);
		}
	});
});
