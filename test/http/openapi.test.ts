/**
 * The OpenAPI 3.1 document (`/api/v1/openapi.json`, issue 14 item 5) and its page (`/api/v1/docs`):
 * (a) the document is valid OpenAPI 3.1 (`@readme/openapi-parser` against the official schema, and
 * every schema in it compiles as JSON Schema 2020-12); (b) every route registered under `/api/v1`
 * (as Fastify's onRoute hook sees them) is in it with a summary, description, tag, security and its
 * error codes, and it has no path the app does not serve; (c) every answer of a representative run
 * of flows (sign-up, sign-in, setup, codes, sessions, the admin API, forward-auth, refusals) matches
 * the schema the document gives for its route and status, and an undocumented status fails.
 */
import { compileErrors, validate } from "@readme/openapi-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FastifyInstance, RouteOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { STATUS_BY_CODE } from "../../src/http/plugins/status-codes.js";
import { ERROR_CODE_MEANINGS } from "../../src/http/openapi/error-responses.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { createTestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, createTestApp, type TestApp } from "../helpers/http.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { answerChecker, type OpenAPIDocumentLike } from "../helpers/openapi.js";

const ADMIN_KEY = "test-admin-key-0123456789-abcdefghijklmnop";
const INTROSPECTION_KEY = "test-introspection-key-0123456789-abcdef";
const OVERRIDES = {
	keys: { encryptionKey: null, hmacKey: null, adminApiKey: ADMIN_KEY, introspectionKeys: [INTROSPECTION_KEY] },
	http: { publicUrl: "http://auth.example.test", trustedProxies: ["127.0.0.1"] },
	accessControl: { defaultPolicy: "deny", rules: [{ domains: ["app.example.test"], policy: "two_factor" }, { domains: ["open.example.test"], policy: "bypass" }] },
};

interface Operation {
	summary?: string;
	description?: string;
	tags?: string[];
	security?: unknown[];
	operationId?: string;
	responses: Record<string, { description?: string; content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> }>;
}
type Document = OpenAPIDocumentLike & { paths: Record<string, Record<string, Operation>>; tags: { name: string }[]; components: { schemas: Record<string, { anyOf?: { enum: string[]; "x-http-status": number }[] }>; securitySchemes: Record<string, unknown> } };

let t: TestApp | null = null;
afterEach(async () => {
	await t?.app.close();
	await t?.deadbolt.close();
	t = null;
});

async function documentOf(app: FastifyInstance): Promise<Document> {
	const response = await app.inject({ method: "GET", url: "/api/v1/openapi.json" });
	expect(response.statusCode).toBe(200);
	expect(response.headers["content-type"]).toMatch(/^application\/json/);
	expect(response.headers["cache-control"]).toBe("no-store");
	return response.json() as Document;
}

describe("(a) the document", () => {
	it("is valid OpenAPI 3.1 (the official schema, and the checks beyond it: unique operationIds, parameters), and each of its schemas is valid JSON Schema 2020-12", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const document = await documentOf(t.app);
		expect(document.openapi).toBe("3.1.0");
		const result = await validate(structuredClone(document) as never);
		expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
		const ajv = new Ajv2020({ strict: false, validateFormats: false });
		for (const [path, item] of Object.entries(document.paths)) {
			for (const [method, operation] of Object.entries(item)) {
				for (const [status, response] of Object.entries(operation.responses)) {
					const schema = response.content?.["application/json"]?.schema;
					if (schema !== undefined) expect(() => ajv.compile(schema as object), `${method} ${path} ${status}`).not.toThrow();
				}
			}
		}
	});

	it("lists every error code of src/errors.ts (and ERR_INTERNAL) with its status in components.schemas.ErrorCode", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const catalogue = (await documentOf(t.app)).components.schemas["ErrorCode"]?.anyOf ?? [];
		const listed = Object.fromEntries(catalogue.map((entry) => [entry.enum[0], entry["x-http-status"]]));
		expect(listed).toEqual({ ...STATUS_BY_CODE, ERR_INTERNAL: 500 });
		expect(Object.keys(ERROR_CODE_MEANINGS).sort()).toEqual(Object.keys(listed).sort());
	});

	it("says what it leaves out (the dashboard and /oidc), and names the security schemes the routes use", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const document = await documentOf(t.app);
		expect((document as unknown as { info: { description: string } }).info.description).toMatch(/\/dashboard\/\*.*\/oidc\/\*/s);
		const schemes = new Set(Object.keys(document.components.securitySchemes));
		for (const item of Object.values(document.paths)) for (const operation of Object.values(item)) for (const requirement of operation.security ?? []) for (const name of Object.keys(requirement as object)) expect(schemes.has(name), name).toBe(true);
	});
});

describe("(b) every route of /api/v1 is in the document", () => {
	it("each method of each registered route under /api/v1 (onRoute), with summary, description, a known tag, security and its error codes; and no path the app does not serve", async () => {
		const routes: { method: string; url: string }[] = [];
		const td = await createTestDeadbolt({ overrides: OVERRIDES });
		const app = await buildApp(td.deadbolt, {
			onRoute: (route: RouteOptions) => {
				// A string HEAD is the one Fastify adds for each GET; a HEAD a route names itself (forward-auth) counts.
				if (route.method === "HEAD") return;
				for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
			},
		});
		t = { ...td, app };
		await app.ready();
		const document = await documentOf(app);
		const tags = new Set(document.tags.map((tag) => tag.name));
		const api = routes.filter((route) => route.url.startsWith("/api/v1/") && !route.url.startsWith("/api/v1/docs"));
		expect(api.length).toBeGreaterThan(50);
		const missing: string[] = [];
		for (const route of api) {
			const path = route.url.replace(/:([A-Za-z]+)/g, "{$1}");
			const operation = document.paths[path]?.[route.method];
			if (operation === undefined) {
				missing.push(`${route.method.toUpperCase()} ${route.url}: not in the document`);
				continue;
			}
			const where = `${route.method.toUpperCase()} ${route.url}`;
			if (!operation.summary) missing.push(`${where}: no summary`);
			if (!operation.description) missing.push(`${where}: no description`);
			if (operation.tags?.length !== 1 || !tags.has(operation.tags[0]!)) missing.push(`${where}: tags ${JSON.stringify(operation.tags)}`);
			if (operation.security === undefined) missing.push(`${where}: no security`);
			const statuses = Object.keys(operation.responses);
			if (!statuses.some((status) => /^[23]/.test(status))) missing.push(`${where}: no success answer`);
			for (const status of ["400", "500", "503"]) if (!statuses.includes(status)) missing.push(`${where}: no ${status}`);
			for (const status of statuses.filter((s) => /^[45]/.test(s))) {
				const codes = operation.responses[status]?.content?.["application/json"]?.schema?.properties?.code?.enum ?? [];
				if (codes.length === 0) missing.push(`${where}: ${status} lists no code`);
				for (const code of codes) if (code !== "ERR_INTERNAL" && status !== "413" && status !== "415" && STATUS_BY_CODE[code as keyof typeof STATUS_BY_CODE] !== Number(status)) missing.push(`${where}: ${code} under ${status}`);
			}
		}
		expect(missing).toEqual([]);
		// And the other way: every documented operation is served.
		const served = new Set([...routes.map((route) => `${route.method} ${route.url.replace(/:([A-Za-z]+)/g, "{$1}")}`), "head /api/v1/authz/forward-auth", "head /api/v1/authz/auth-request"]);
		const extra = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)).filter((operation) => !served.has(operation));
		expect(extra).toEqual([]);
	});
});

describe("(c) answers match the document", () => {
	it("the checker refuses an undocumented status, a body that does not match, and an undocumented route", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const check = answerChecker(await documentOf(t.app));
		const json = "application/json; charset=utf-8";
		expect(check({ method: "GET", url: "/api/v1/session", status: 418, contentType: json, body: "{}" })[0]).toMatch(/status 418 is not documented/);
		expect(check({ method: "GET", url: "/api/v1/session", status: 200, contentType: json, body: '{"account":{}}' })[0]).toMatch(/does not match/);
		expect(check({ method: "GET", url: "/api/v1/session", status: 401, contentType: json, body: '{"statusCode":401,"code":"ERR_EMAIL_TAKEN","error":"Unauthorized","message":"x"}' })[0]).toMatch(/does not match/);
		expect(check({ method: "GET", url: "/api/v1/sessions", status: 200, contentType: json, body: '{"sessions":[],"secret":"x"}' })[0]).toMatch(/does not match/);
		expect(check({ method: "GET", url: "/api/v1/session", status: 401, contentType: json, body: '{"statusCode":401,"code":"ERR_UNAUTHENTICATED","error":"Unauthorized","message":"x"}' })).toEqual([]);
	});

	it("every answer of a run through the API's flows matches its documented schema (createTestApp checks each inject)", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const app = t.app;
		const inject = (method: string, url: string, options: { token?: string; key?: string; payload?: unknown; headers?: Record<string, string> } = {}) =>
			app.inject({
				method: method as "GET",
				url,
				headers: { ...(options.token === undefined ? {} : bearer(options.token)), ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }), ...options.headers },
				...(options.payload === undefined ? {} : { payload: options.payload as object }),
			});
		const email = "flow@example.com";
		// Refusals first: validation, media type, CSRF, unauthenticated, unknown route.
		expect((await inject("POST", "/api/v1/accounts", { payload: { email } })).statusCode).toBe(400);
		expect((await inject("POST", "/api/v1/login", { payload: "x=1", headers: { "content-type": "application/x-www-form-urlencoded" } })).statusCode).toBe(415);
		expect((await inject("POST", "/api/v1/logout", { headers: { origin: "https://evil.example" } })).statusCode).toBe(403);
		expect((await inject("GET", "/api/v1/session")).statusCode).toBe(401);
		expect((await inject("GET", "/api/v1/nothing-here")).statusCode).toBe(404);
		// Sign up, session, setup, codes.
		const signUp = await inject("POST", "/api/v1/accounts", { payload: { email, password: PASSWORD } });
		expect(signUp.statusCode).toBe(201);
		expect((await inject("POST", "/api/v1/accounts", { payload: { email, password: PASSWORD } })).statusCode).toBe(409);
		let token = signUp.json().session.token as string;
		expect((await inject("GET", "/api/v1/session", { token })).statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/account/email/verification", { token })).statusCode).toBe(200);
		const verify = await inject("POST", "/api/v1/email/verify", { payload: { token: await lastMailedToken(t.store, email, "email.verify") } });
		expect(verify.statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/email/verify", { payload: { token: "nope.nope" } })).statusCode).toBe(401);
		expect((await inject("POST", "/api/v1/two-factor/totp/enrollment", { token, payload: { password: "wrong password!" } })).statusCode).toBe(401);
		const begin = await inject("POST", "/api/v1/two-factor/totp/enrollment", { token, payload: { password: PASSWORD } });
		expect(begin.statusCode).toBe(201);
		token = begin.json().session.token;
		const key = decodeBase32(begin.json().secret);
		expect((await inject("POST", "/api/v1/two-factor/totp/enrollment/confirm", { token, payload: { code: "000000" } })).statusCode).toBe(401);
		const confirm = await inject("POST", "/api/v1/two-factor/totp/enrollment/confirm", { token, payload: { code: generateTOTP(key, t.clock.now()) } });
		expect(confirm.statusCode).toBe(200);
		token = confirm.json().session.token;
		const recoveryCodes = confirm.json().recoveryCodes as string[];
		expect((await inject("POST", "/api/v1/two-factor/totp/mail-confirmation", { token })).statusCode).toBe(200);
		// Sign in: wrong password, code, recovery code, remember the device.
		expect((await inject("POST", "/api/v1/login", { payload: { email, password: "not the password" } })).statusCode).toBe(401);
		t.clock.advance(30_000);
		const login = await inject("POST", "/api/v1/login", { payload: { email, password: PASSWORD } });
		expect(login.json().status).toBe("two_factor_required");
		expect((await inject("POST", "/api/v1/login/totp", { payload: { challengeToken: "x.y", code: "123456" } })).statusCode).toBe(401);
		const totp = await inject("POST", "/api/v1/login/totp", { payload: { challengeToken: login.json().challenge.challengeToken, code: generateTOTP(key, t.clock.now()), rememberDevice: true } });
		expect(totp.statusCode).toBe(200);
		const second = totp.json().session.token as string;
		const login2 = await inject("POST", "/api/v1/login", { payload: { email, password: PASSWORD } });
		const recovery = await inject("POST", "/api/v1/login/recovery-code", { payload: { challengeToken: login2.json().challenge.challengeToken, code: recoveryCodes[0] } });
		expect(recovery.statusCode).toBe(200);
		// Sessions, devices, apps, activity, recovery codes, re-authentication.
		const sessions = await inject("GET", "/api/v1/sessions", { token });
		expect(sessions.statusCode).toBe(200);
		expect((await inject("DELETE", `/api/v1/sessions/${recovery.json().session.id as string}`, { token })).statusCode).toBe(204);
		expect((await inject("DELETE", "/api/v1/sessions/unknown", { token })).statusCode).toBe(404);
		const devices = await inject("GET", "/api/v1/trusted-devices", { token });
		expect(devices.json().trustedDevices).toHaveLength(1);
		expect((await inject("GET", "/api/v1/apps", { token })).statusCode).toBe(200);
		expect((await inject("DELETE", "/api/v1/apps/someone", { token })).statusCode).toBe(404);
		expect((await inject("GET", "/api/v1/security-events?limit=5", { token })).statusCode).toBe(200);
		expect((await inject("GET", "/api/v1/two-factor/recovery-codes", { token })).json()).toEqual({ unused: 9 });
		t.clock.advance(10 * 60_000);
		expect((await inject("DELETE", "/api/v1/sessions", { token })).statusCode).toBe(403);
		t.clock.advance(30_000);
		expect((await inject("POST", "/api/v1/reauthenticate", { token, payload: { password: PASSWORD, code: "000000" } })).statusCode).toBe(401);
		const reauth = await inject("POST", "/api/v1/reauthenticate", { token, payload: { password: PASSWORD, code: generateTOTP(key, t.clock.now()) } });
		expect(reauth.statusCode).toBe(200);
		token = reauth.json().session.token;
		expect((await inject("POST", "/api/v1/two-factor/recovery-codes", { token })).statusCode).toBe(201);
		expect((await inject("DELETE", "/api/v1/trusted-devices", { token })).statusCode).toBe(200);
		expect((await inject("DELETE", "/api/v1/sessions", { token })).statusCode).toBe(200);
		const changed = await inject("PUT", "/api/v1/password", { token, payload: { currentPassword: PASSWORD, newPassword: "another horse battery staple" } });
		expect(changed.statusCode).toBe(200);
		token = changed.json().session.token;
		const secured = await inject("POST", "/api/v1/secure-account", { token, payload: { currentPassword: "another horse battery staple", newPassword: PASSWORD } });
		expect(secured.statusCode).toBe(200);
		token = secured.json().session.token;
		expect((await inject("POST", "/api/v1/account/email", { token, payload: { newEmail: "flow2@example.com" } })).statusCode).toBe(202);
		t.clock.advance(30_000);
		expect((await inject("DELETE", "/api/v1/two-factor/totp", { token, payload: { password: PASSWORD, code: generateTOTP(key, t.clock.now()) } })).statusCode).toBe(200);
		// Forgot password.
		expect((await inject("POST", "/api/v1/password/forgot", { payload: { email } })).statusCode).toBe(202);
		const reset = await lastMailedToken(t.store, email, "password.reset");
		expect((await inject("POST", "/api/v1/password/reset/describe", { payload: { token: reset } })).json()).toEqual({ email, secondFactorRequired: false });
		expect((await inject("POST", "/api/v1/password/reset/code", { payload: { token: "a.b", code: "123456" } })).statusCode).toBe(401);
		expect((await inject("POST", "/api/v1/password/reset", { payload: { token: reset, newPassword: "a third horse battery staple" } })).statusCode).toBe(200);
		// The admin API.
		expect((await inject("POST", "/api/v1/admin/accounts", { payload: { email: "made@example.com" } })).statusCode).toBe(401);
		const made = await inject("POST", "/api/v1/admin/accounts", { key: ADMIN_KEY, payload: { email: "made@example.com" } });
		expect(made.statusCode).toBe(201);
		const accountId = made.json().account.id as string;
		expect((await inject("PUT", `/api/v1/admin/accounts/${accountId}/groups`, { key: ADMIN_KEY, payload: { groups: ["Admins", "ops"] } })).statusCode).toBe(200);
		expect((await inject("PUT", `/api/v1/admin/accounts/${accountId}/groups`, { key: ADMIN_KEY, payload: { groups: ["not a group!"] } })).statusCode).toBe(400);
		const link = await inject("POST", "/api/v1/admin/sign-in-links", { key: ADMIN_KEY, payload: { email: "made@example.com" } });
		expect(link.statusCode).toBe(201);
		const linked = await inject("POST", "/api/v1/login/link", { payload: { token: link.json().token } });
		expect(linked.statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/login/link", { payload: { token: link.json().token } })).statusCode).toBe(401);
		expect((await inject("POST", `/api/v1/admin/accounts/${accountId}/sign-out-everywhere`, { key: ADMIN_KEY })).statusCode).toBe(200);
		expect((await inject("GET", "/api/v1/admin/webhooks", { key: ADMIN_KEY })).statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/admin/webhooks", { key: ADMIN_KEY, payload: { url: "http://127.0.0.1:9/hook", events: ["*"] } })).statusCode).toBe(400);
		expect((await inject("DELETE", "/api/v1/admin/webhooks/unknown", { key: ADMIN_KEY })).statusCode).toBe(404);
		const deliveries = await inject("GET", "/api/v1/admin/deliveries?limit=5", { key: ADMIN_KEY });
		const deliveryId = deliveries.json().deliveries[0].id as string;
		expect((await inject("GET", `/api/v1/admin/deliveries/${deliveryId}`, { key: ADMIN_KEY })).statusCode).toBe(200);
		expect((await inject("POST", `/api/v1/admin/deliveries/${deliveryId}/retry`, { key: ADMIN_KEY })).statusCode).toBe(409);
		expect((await inject("GET", "/api/v1/admin/oidc/clients", { key: ADMIN_KEY })).statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/admin/oidc/clients", { key: ADMIN_KEY, payload: { id: "app", redirectUris: ["https://app.example.test/cb"] } })).statusCode).toBe(409);
		expect((await inject("GET", "/api/v1/admin/oidc/clients/none", { key: ADMIN_KEY })).statusCode).toBe(404);
		// Introspection and forward-auth.
		expect((await inject("POST", "/api/v1/introspect", { key: INTROSPECTION_KEY, payload: { token: second } })).json().active).toBe(false);
		expect((await inject("POST", "/api/v1/introspect", { key: "wrong", payload: { token: second } })).statusCode).toBe(401);
		const forwarded = { "x-forwarded-method": "GET", "x-forwarded-proto": "https", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/" };
		expect((await inject("GET", "/api/v1/authz/forward-auth", { headers: forwarded })).statusCode).toBe(401);
		expect((await inject("GET", "/api/v1/authz/forward-auth", { headers: { ...forwarded, accept: "text/html" } })).statusCode).toBe(302);
		expect((await inject("GET", "/api/v1/authz/forward-auth", { headers: { ...forwarded, "x-forwarded-host": "open.example.test" } })).statusCode).toBe(200);
		expect((await inject("GET", "/api/v1/authz/forward-auth", { headers: { ...forwarded, "x-forwarded-host": "other.example.test" } })).statusCode).toBe(403);
		expect((await inject("GET", "/api/v1/authz/forward-auth")).statusCode).toBe(400);
		expect((await inject("HEAD", "/api/v1/authz/auth-request", { headers: { "x-original-url": "https://app.example.test/" } })).statusCode).toBe(401);
		// Operations.
		expect((await inject("GET", "/healthz")).statusCode).toBe(200);
		expect((await inject("GET", "/readyz")).statusCode).toBe(200);
		expect((await inject("GET", "/.well-known/jwks.json")).statusCode).toBe(200);
		expect((await inject("POST", "/api/v1/logout", { token: second, headers: BROWSER })).statusCode).toBe(204);
	});

	it("a response schema added where there was none drops nothing: forward-auth refusals and readiness keep every field", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const refused = await t.app.inject({ method: "GET", url: "/api/v1/authz/forward-auth", headers: { "x-forwarded-method": "GET", "x-forwarded-proto": "https", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/" } });
		expect(refused.json()).toEqual({ statusCode: 401, code: "ERR_UNAUTHENTICATED", error: "Unauthorized", message: expect.any(String) });
		expect(refused.json().message.length).toBeGreaterThan(10);
		const ready = await t.app.inject({ method: "GET", url: "/readyz" });
		expect(ready.json()).toEqual({ status: "ready" });
		await t.deadbolt.close();
		const down = await t.app.inject({ method: "GET", url: "/readyz" });
		expect(down.statusCode).toBe(503);
		expect(down.json()).toEqual({ statusCode: 503, code: "ERR_STORAGE_UNAVAILABLE", error: "Service Unavailable", message: "The database cannot be reached." });
	});
});

describe("the page at /api/v1/docs", () => {
	it("is Swagger UI from this origin, its CSP relaxed for its own paths only (inline styles; never inline script, eval or another origin)", async () => {
		t = await createTestApp({ overrides: OVERRIDES });
		const page = await t.app.inject({ method: "GET", url: "/api/v1/docs" });
		expect(page.statusCode).toBe(200);
		expect(page.headers["content-type"]).toMatch(/^text\/html/);
		expect(page.body).not.toMatch(/https?:\/\//);
		expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
		const strict = String((await t.app.inject({ method: "GET", url: "/api/v1/openapi.json" })).headers["content-security-policy"]);
		expect(strict).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self'; /);
		const csp = String(page.headers["content-security-policy"]);
		expect(csp).toBe(strict.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';"));
		expect(csp).toMatch(/script-src 'self';/);
		expect(csp).not.toMatch(/unsafe-eval|https:|script-src[^;]*unsafe-inline/);
		for (const asset of page.body.matchAll(/(?:src|href)="([^"]+)"/g)) {
			const url = asset[1]!.startsWith(".") ? `/api/v1/docs/${asset[1]!.slice(2)}` : asset[1]!;
			const response = await t.app.inject({ method: "GET", url });
			expect(response.statusCode, url).toBe(200);
		}
		const init = await t.app.inject({ method: "GET", url: "/api/v1/docs/static/swagger-initializer.js" });
		expect(init.body).toContain("./json");
		expect(init.body).not.toMatch(/validator\.swagger\.io/);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/docs/json" })).json().openapi).toBe("3.1.0");
		// Everywhere else the policy is deadbolt's own, without the page's relaxation.
		for (const url of ["/api/v1/openapi.json", "/dashboard/sign-in", "/api/v1/session"]) {
			expect((await t.app.inject({ method: "GET", url })).headers["content-security-policy"], url).toBe(strict);
		}
	});
});
