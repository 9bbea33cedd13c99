/**
 * The admin API's OpenID Connect clients (`/api/v1/admin/oidc/clients`), on SQLite and
 * PostgreSQL: behind the admin key (404 without one configured, 401 with a wrong one); the secret
 * is in the answer of an add or a rotation only, with `Cache-Control: no-store`, never in a list
 * or a show; refusals are 4xx with stable codes, never a 500; an added client is in discovery's
 * provider at once, and its redirect origin in the pages' CSP `form-action`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { testBackends } from "../helpers/backends.js";
import { createTestApp, type TestApp } from "../helpers/http.js";

const backends = await testBackends();
const ADMIN_KEY = "oidc-clients-test-admin-key-0123456789abcdef";
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const ISSUER = "https://auth.example.com";
const CONFIG_SECRET = "a-config-client-secret-of-32-chars-or-more";
let serial = 0;

describe.each(backends)("admin API: OpenID Connect clients on $name", ({ open }) => {
	let t: TestApp;
	/** A prefix of this test's ids: on PostgreSQL every test of the file shares one schema. */
	let p = "";
	afterEach(async () => {
		await t.app.close();
		await t.deadbolt.close();
	});

	async function start(options: { adminKey?: string | null; oidc?: Record<string, unknown>; publicUrl?: string } = {}): Promise<void> {
		p = `h${process.pid}-${serial++}-`;
		t = await createTestApp({
			store: await open(),
			overrides: {
				http: { publicUrl: options.publicUrl ?? ISSUER },
				keys: { encryptionKey: null, hmacKey: null, adminApiKey: options.adminKey === undefined ? ADMIN_KEY : options.adminKey },
				oidc: options.oidc ?? { enabled: true, clients: [{ id: "wiki", name: "Team wiki", secret: CONFIG_SECRET, redirectUris: ["https://wiki.example.com/cb"] }] },
			},
		});
	}

	const add = (payload: unknown, headers: Record<string, string> = admin) => t.app.inject({ method: "POST", url: "/api/v1/admin/oidc/clients", headers, payload: payload as object });

	it("answers 404 without an admin key configured and 401 with a wrong one; nothing is stored", async () => {
		await start({ adminKey: null });
		for (const [method, url] of [["GET", "/api/v1/admin/oidc/clients"], ["POST", "/api/v1/admin/oidc/clients"], ["GET", "/api/v1/admin/oidc/clients/wiki"], ["DELETE", "/api/v1/admin/oidc/clients/wiki"], ["POST", "/api/v1/admin/oidc/clients/wiki/secret"]] as const) {
			const res = await t.app.inject({ method, url, headers: admin, ...(method === "POST" ? { payload: { id: `${p}x`, redirectUris: ["https://x.example.com/cb"] } } : {}) });
			expect(res.statusCode, `${method} ${url}`).toBe(404);
		}
		await t.app.close();
		await t.deadbolt.close();
		await start();
		const wrong = await add({ id: `${p}x`, redirectUris: ["https://x.example.com/cb"] }, { authorization: "Bearer not-the-admin-key-but-long-enough-0123456789" });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.json().code).toBe("ERR_UNAUTHENTICATED");
		expect((await t.app.inject({ method: "GET", url: "/api/v1/admin/oidc/clients" })).statusCode).toBe(401);
		expect(await t.store.oidcClients.findOidcClient(`${p}x`)).toBeNull();
	});

	it("POST adds a client and returns its secret once with no-store; list and show never carry it", async () => {
		await start();
		const res = await add({ id: `${p}grafana`, name: "Grafana", redirectUris: ["https://grafana.example.com/login/generic_oauth"], groups: ["Admins"], minimumAal: 1 });
		expect(res.statusCode, res.body).toBe(201);
		expect(res.headers["cache-control"]).toBe("no-store");
		const { client, secret } = res.json() as { client: Record<string, unknown>; secret: string };
		expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(client).toEqual({
			id: `${p}grafana`,
			name: "Grafana",
			source: "api",
			redirectUris: ["https://grafana.example.com/login/generic_oauth"],
			postLogoutRedirectUris: [],
			backchannelLogoutUri: null,
			public: false,
			firstParty: false,
			minimumAal: 1,
			groups: ["admins"],
			accounts: null,
			createdAt: new Date(t.clock.now()).toISOString(),
		});
		const list = await t.app.inject({ method: "GET", url: "/api/v1/admin/oidc/clients", headers: admin });
		expect(list.statusCode).toBe(200);
		expect(list.body).not.toContain(secret);
		expect(list.body).not.toContain(CONFIG_SECRET);
		const ids = (list.json().clients as { id: string; source: string }[]).map((c) => [c.id, c.source]);
		expect(ids[0]).toEqual(["wiki", "config"]);
		expect(ids).toContainEqual([`${p}grafana`, "api"]);
		const shown = await t.app.inject({ method: "GET", url: `/api/v1/admin/oidc/clients/${p}grafana`, headers: admin });
		expect(shown.statusCode).toBe(200);
		expect(shown.json().client).toEqual(client);
		expect(shown.body).not.toContain(secret);
		const config = await t.app.inject({ method: "GET", url: "/api/v1/admin/oidc/clients/wiki", headers: admin });
		expect(config.json().client).toMatchObject({ id: "wiki", source: "config", createdAt: null });
		expect(config.body).not.toContain(CONFIG_SECRET);
	});

	it("a public client: secret null; rotating it is a 400 with rule public_client", async () => {
		await start();
		const res = await add({ id: `${p}spa`, public: true, firstParty: true, redirectUris: ["http://localhost:5173/cb"] });
		expect(res.statusCode, res.body).toBe(201);
		expect(res.json().secret).toBeNull();
		const rotate = await t.app.inject({ method: "POST", url: `/api/v1/admin/oidc/clients/${p}spa/secret`, headers: admin });
		expect(rotate.statusCode).toBe(400);
		expect(rotate.json().violations[0].rule).toBe("public_client");
	});

	it("refusals have stable codes: ERR_INVALID_REQUEST with a violation, ERR_OIDC_CLIENT_EXISTS, ERR_OIDC_CLIENT_READ_ONLY, ERR_NOT_FOUND", async () => {
		await start();
		for (const [body, field, rule] of [
			[{ id: `${p}a`, redirectUris: ["http://app.example.com/cb"] }, "redirectUris", "invalid_uri"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb#x"] }, "redirectUris", "invalid_uri"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], postLogoutRedirectUris: ["/relative"] }, "postLogoutRedirectUris", "invalid_uri"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], backchannelLogoutUri: "https://10.1.2.3/logout" }, "backchannelLogoutUri", "private_network"],
			[{ id: `${p} a`, redirectUris: ["https://app.example.com/cb"] }, "id", "invalid_id"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], groups: ["no spaces"] }, "groups", "not_a_group"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], accounts: ["nope"] }, "accounts", "invalid_email"],
			[{ id: `${p}a`, redirectUris: [] }, "redirectUris", "minItems"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], minimumAal: 3 }, "minimumAal", "enum"],
			[{ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], secret: "a-secret-chosen-by-the-caller-000000000" }, "secret", "not_allowed"],
		] as const) {
			const res = await add(body);
			expect(res.statusCode, JSON.stringify(body)).toBe(400);
			expect(res.json().code).toBe("ERR_INVALID_REQUEST");
			expect(res.json().violations[0].field, JSON.stringify(body)).toBe(field);
			if (rule !== null) expect(res.json().violations[0].rule, JSON.stringify(body)).toBe(rule);
		}
		// A value outside a fixed set: one violation naming the allowed values, in the message too.
		const aal = (await add({ id: `${p}a`, redirectUris: ["https://app.example.com/cb"], minimumAal: 3 })).json();
		expect(aal.violations).toEqual([{ field: "minimumAal", rule: "enum", message: "minimumAal must be one of: 1, 2." }]);
		expect(aal.message).toBe("Invalid request: body/minimumAal must be one of: 1, 2");
		expect(await t.store.oidcClients.findOidcClient(`${p}a`)).toBeNull();
		const clash = await add({ id: "wiki", redirectUris: ["https://app.example.com/cb"] });
		expect(clash.statusCode).toBe(409);
		expect(clash.json().code).toBe("ERR_OIDC_CLIENT_EXISTS");
		expect((await add({ id: `${p}b`, redirectUris: ["https://app.example.com/cb"] })).statusCode).toBe(201);
		expect((await add({ id: `${p}b`, redirectUris: ["https://app.example.com/cb"] })).json().code).toBe("ERR_OIDC_CLIENT_EXISTS");
		for (const [method, url] of [["DELETE", "/api/v1/admin/oidc/clients/wiki"], ["POST", "/api/v1/admin/oidc/clients/wiki/secret"]] as const) {
			const res = await t.app.inject({ method, url, headers: admin });
			expect(res.statusCode).toBe(409);
			expect(res.json().code).toBe("ERR_OIDC_CLIENT_READ_ONLY");
		}
		for (const [method, url] of [["GET", `/api/v1/admin/oidc/clients/${p}none`], ["DELETE", `/api/v1/admin/oidc/clients/${p}none`], ["POST", `/api/v1/admin/oidc/clients/${p}none/secret`]] as const) {
			const res = await t.app.inject({ method, url, headers: admin });
			expect(res.statusCode).toBe(404);
			expect(res.json().code).toBe("ERR_NOT_FOUND");
		}
	});

	it("POST while the provider is off is a 409 ERR_OIDC_DISABLED, and the provider's routes do not exist", async () => {
		await start({ oidc: { enabled: false } });
		const res = await add({ id: `${p}a`, redirectUris: ["https://app.example.com/cb"] });
		expect(res.statusCode).toBe(409);
		expect(res.json().code).toBe("ERR_OIDC_DISABLED");
		expect((await t.app.inject({ method: "GET", url: "/.well-known/openid-configuration" })).statusCode).toBe(404);
	});

	it("with oidc.enabled and no config client, the provider runs (discovery) and an added client is used at once", async () => {
		// Plain http (inject's requests are): the provider's cookies are not Secure then.
		await start({ oidc: { enabled: true }, publicUrl: "http://localhost" });
		const discovery = await t.app.inject({ method: "GET", url: "/.well-known/openid-configuration" });
		expect(discovery.statusCode).toBe(200);
		expect(discovery.json().issuer).toBe("http://localhost");
		const res = await add({ id: `${p}app`, redirectUris: ["https://app.example.com/cb"] });
		expect(res.statusCode).toBe(201);
		// The authorization endpoint knows the client (no invalid_client): it sends the browser to deadbolt's interaction.
		const query = new URLSearchParams({ client_id: `${p}app`, redirect_uri: "https://app.example.com/cb", response_type: "code", scope: "openid", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" });
		const auth = await t.app.inject({ method: "GET", url: `/oidc/auth?${query}` });
		expect(auth.statusCode, auth.body.slice(0, 300)).toBe(303);
		expect(auth.headers.location).toMatch(/^\/oidc\/interaction\//);
		const unknown = await t.app.inject({ method: "GET", url: `/oidc/auth?${new URLSearchParams({ ...Object.fromEntries(query), client_id: `${p}nobody` })}` });
		expect(unknown.statusCode).toBe(400);
		expect(unknown.body).toContain("invalid_client");
		// Removed: unknown at the next request.
		expect((await t.app.inject({ method: "DELETE", url: `/api/v1/admin/oidc/clients/${p}app`, headers: admin })).json()).toEqual({ id: `${p}app`, grantsEnded: 0 });
		const gone = await t.app.inject({ method: "GET", url: `/oidc/auth?${query}` });
		expect(gone.statusCode).toBe(400);
		expect(gone.body).toContain("invalid_client");
	});

	it("rotating returns a new secret once (no-store); the provider accepts only the new one at the token endpoint", async () => {
		await start();
		const { secret: first } = (await add({ id: `${p}rot`, redirectUris: ["https://app.example.com/cb"] })).json() as { secret: string };
		const rotated = await t.app.inject({ method: "POST", url: `/api/v1/admin/oidc/clients/${p}rot/secret`, headers: admin });
		expect(rotated.statusCode).toBe(200);
		expect(rotated.headers["cache-control"]).toBe("no-store");
		const second = rotated.json().secret as string;
		expect(second).not.toBe(first);
		const basic = (secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(`${p}rot`)}:${encodeURIComponent(secret)}`).toString("base64")}`;
		// A code that does not exist: with the right client credentials the answer is invalid_grant, with wrong ones invalid_client.
		const token = (secret: string) => t.app.inject({ method: "POST", url: "/oidc/token", headers: { authorization: basic(secret), "content-type": "application/x-www-form-urlencoded" }, payload: "grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb" });
		const withOld = await token(first);
		expect(withOld.statusCode).toBe(401);
		expect(withOld.json().error).toBe("invalid_client");
		const withNew = await token(second);
		expect(withNew.statusCode).toBe(400);
		expect(withNew.json().error).toBe("invalid_grant");
	});

	it("a page's CSP form-action lists an added client's redirect origin at once, and drops it when the client is removed", async () => {
		await start();
		const formAction = async () => {
			const page = await t.app.inject({ method: "GET", url: "/dashboard/sign-in" });
			expect(page.headers["content-type"]).toMatch(/^text\/html/);
			return /form-action ([^;]*)/.exec(String(page.headers["content-security-policy"]))![1]!.split(" ");
		};
		expect(await formAction()).toContain("https://wiki.example.com");
		const origin = `https://${p}added.example.net`;
		expect(await formAction()).not.toContain(origin);
		await add({ id: `${p}added`, redirectUris: [`${origin}/cb`] });
		expect(await formAction()).toContain(origin);
		expect(await formAction()).toContain("https://wiki.example.com");
		// JSON answers keep the policy of the start (no database read for them).
		const json = await t.app.inject({ method: "GET", url: "/api/v1/admin/oidc/clients", headers: admin });
		expect(String(json.headers["content-security-policy"])).not.toContain(origin);
		await t.app.inject({ method: "DELETE", url: `/api/v1/admin/oidc/clients/${p}added`, headers: admin });
		expect(await formAction()).not.toContain(origin);
	});
});
