/**
 * `GET /.well-known/jwks.json` (issue 12): deadbolt's public signing keys, public and cacheable for
 * five minutes, never a private member; an assertion made by the same deadbolt verifies against
 * what it serves, as an upstream fetching it would verify.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { describe, expect, it } from "vitest";
import { appPerTest, type TestApp } from "../helpers/http.js";
import { T0 } from "../helpers/deadbolt.js";

let t: TestApp;
appPerTest((app) => (t = app));

describe("GET /.well-known/jwks.json", () => {
	it("serves one ES256 public key with only public members, cacheable for 5 minutes, to anyone (no session)", async () => {
		const res = await t.app.inject({ method: "GET", url: "/.well-known/jwks.json" });
		expect(res.statusCode).toBe(200);
		expect(res.headers["content-type"]).toMatch(/^application\/json/);
		expect(res.headers["cache-control"]).toBe("public, max-age=300");
		expect(res.headers["x-content-type-options"]).toBe("nosniff");
		const body = res.json() as { keys: Record<string, unknown>[] };
		expect(Object.keys(body)).toEqual(["keys"]);
		expect(body.keys).toHaveLength(1);
		const [key] = body.keys;
		expect(Object.keys(key!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
		expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
		expect(res.body).not.toMatch(/"d"\s*:/);
		// The same key on the next fetch (it is stored, not made per request).
		const again = await t.app.inject({ method: "GET", url: "/.well-known/jwks.json" });
		expect(again.json()).toEqual(body);
	});

	it("an assertion verifies against the served set", async () => {
		const jwks = (await t.app.inject({ method: "GET", url: "/.well-known/jwks.json" })).json() as JSONWebKeySet;
		const assertion = await t.deadbolt.issueAssertion({ host: "app.example.test", accountId: "acc_1", email: "a@example.test", groups: [], aal: "aal1", amr: ["pwd"], sessionId: "ses_1", accessTokenId: null, authTime: T0 });
		const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), { issuer: t.deadbolt.publicOrigin, audience: "app.example.test", currentDate: new Date(T0) });
		expect(payload.sub).toBe("acc_1");
	});

	it("other methods are not served; other paths keep no-store", async () => {
		const post = await t.app.inject({ method: "POST", url: "/.well-known/jwks.json", payload: {} });
		expect(post.statusCode).toBe(404);
		expect(post.headers["cache-control"]).toBe("no-store");
		const health = await t.app.inject({ method: "GET", url: "/healthz" });
		expect(health.headers["cache-control"]).toBe("no-store");
	});
});
