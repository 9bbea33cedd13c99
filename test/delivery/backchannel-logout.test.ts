/**
 * OpenID Connect Back-Channel Logout 1.0 through the outbox (issue 13, item 5), with real parts on
 * SQLite and PostgreSQL: a loopback HTTP receiver (the app's back-channel logout endpoint) gets
 * a form POST whose `logout_token` verifies with `jose.jwtVerify` against deadbolt's JWK Set as
 * §2.6 asks an app to check it (typ `logout+jwt`, ES256, iss, aud, sub, sid, events, no nonce);
 * a 500 or a 400 is retried with the outbox's backoff; no answer within
 * `webhooks.timeoutSeconds` fails the attempt; a redirect is not followed; a client without a
 * `backchannelLogoutUri` queues nothing; a client removed from the config ends its deliveries
 * (dead) and cannot be retried; the delivery row and the log never hold the token.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DeliveryNotRetryable } from "../../src/errors.js";
import { createKeyedLimiter } from "../../src/platform/limiter.js";
import { silentLogger } from "../../src/platform/logger.js";
import { NO_METRICS } from "../../src/platform/metrics.js";
import { nodeRandom } from "../../src/platform/random.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import { BACKCHANNEL_LOGOUT_KIND, enqueueBackchannelLogout } from "../../src/service/oidc-logout.js";
import { createPasswordHasher } from "../../src/service/password-hasher.js";
import { createSigningKeyCache } from "../../src/service/signing-key-cache.js";
import type { DeliveryRecord } from "../../src/storage/store.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, TEST_KEYS, type TestDeadbolt } from "../helpers/deadbolt.js";
import { drain } from "../helpers/delivery-flows.js";
import { signUp } from "../helpers/flows.js";

const ISSUER = "https://auth.example.test";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";
const SECRET = "s".repeat(40);

/** One request the receiver got. */
interface Received {
	readonly path: string;
	readonly contentType: string | undefined;
	readonly userAgent: string | undefined;
	readonly body: string;
}

/**
 * The apps' back-channel logout endpoints, on a loopback port: `/ok/...` answers 200,
 * `/no-content/...` 204, `/fail-once/...` 500 the first time a path is asked then 200,
 * `/bad/...` 400, `/redirect/...` 302 to `/ok/...`, `/hang/...` never answers.
 */
let server: Server;
let receiverUrl: string;
const received: Received[] = [];
const hanging = new Set<ServerResponse>();
const opened: TestDeadbolt[] = [];
const directories: string[] = [];

function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
	const path = request.url ?? "";
	const seenBefore = received.some((r) => r.path === path);
	received.push({ path, contentType: request.headers["content-type"], userAgent: request.headers["user-agent"], body });
	const [, kind] = path.split("/");
	if (kind === "hang") return void hanging.add(response);
	if (kind === "no-content") return void response.writeHead(204).end();
	if (kind === "bad") return void response.writeHead(400, { "content-type": "text/plain" }).end("bad logout token");
	if (kind === "redirect") return void response.writeHead(302, { location: path.replace("/redirect/", "/ok/") }).end();
	if (kind === "fail-once" && !seenBefore) return void response.writeHead(500).end();
	response.writeHead(200, { "cache-control": "no-store" }).end();
}

beforeAll(async () => {
	server = createServer((request, response) => {
		let body = "";
		request.setEncoding("utf8");
		request.on("data", (chunk: string) => (body += chunk));
		request.on("end", () => answer(request, response, body));
	});
	await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
	receiverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
	for (const t of opened) await t.deadbolt.close().catch(() => {});
	for (const response of hanging) response.destroy();
	server.closeAllConnections();
	await new Promise((done) => server.close(done));
	for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** A path of the receiver no other test uses: `/<kind>/<n>`. */
const uniquePath = (kind: string): string => `/${kind}/${++counter}`;
/**
 * A client id no other test uses: the database of a backend is shared by the file's tests, and a
 * dispatcher claims every due delivery, a leftover of an earlier test too; with ids of their own,
 * a test's deliveries never reach another test's receiver paths.
 */
const uniqueId = (name: string): string => `${name}-${++counter}`;

/** A client declared in the config file; `logoutPath` null: no `backchannelLogoutUri`. */
function client(id: string, logoutPath: string | null): Record<string, unknown> {
	return { id, secret: SECRET, redirectUris: ["https://app.example.test/callback"], ...(logoutPath === null ? {} : { backchannelLogoutUri: `${receiverUrl}${logoutPath}` }) };
}

/** A test deadbolt with these clients, issuer {@link ISSUER}, its clock at now (the tokens are checked at that time). */
async function make(store: Awaited<ReturnType<Backend["open"]>>, clients: Record<string, unknown>[], overrides: { webhooks?: Record<string, unknown>; outbox?: Record<string, unknown> } = {}): Promise<TestDeadbolt> {
	const mailDir = mkdtempSync(join(tmpdir(), "deadbolt-bcl-"));
	directories.push(mailDir);
	const t = await createTestDeadbolt({
		store,
		overrides: {
			http: { publicUrl: ISSUER },
			email: { transport: "file", fileDir: mailDir },
			oidc: { clients },
			webhooks: { timeoutSeconds: 5, ...overrides.webhooks },
			outbox: { retryMinMillis: 1_000, ...overrides.outbox },
		},
	});
	t.clock.set(Date.now());
	return t;
}

/** The services' dependencies over the test deadbolt's store, clock and config, as the composition root builds them. */
function serviceDeps(t: TestDeadbolt): ServiceDeps {
	return Object.freeze({
		store: t.store,
		clock: t.clock,
		random: nodeRandom,
		config: t.config,
		logger: silentLogger,
		keys: TEST_KEYS,
		passwords: createPasswordHasher(t.config.password.argon2, 1),
		attemptQueue: createKeyedLimiter(1),
		publicOrigin: t.deadbolt.publicOrigin,
		signingKeys: createSigningKeyCache(),
		metrics: NO_METRICS,
	});
}

/** Queues the back-channel logout of `sid` at `clientId` in a transaction of its own. @returns whether one was queued */
function queueLogout(t: TestDeadbolt, logout: { accountId: string; clientId: string; sid: string | null }): Promise<boolean> {
	return t.store.transaction((tx) => enqueueBackchannelLogout(serviceDeps(t), tx, { ...logout, eventId: null }));
}

/** The account's back-channel logout deliveries. */
async function logoutDeliveries(t: TestDeadbolt, accountId: string): Promise<DeliveryRecord[]> {
	return (await t.store.outbox.listDeliveries({ accountId, limit: 50 })).filter((d) => d.kind === BACKCHANNEL_LOGOUT_KIND);
}

/** Queues one logout of a new account's session at `clientId` and returns the account id and the delivery. */
async function oneLogout(t: TestDeadbolt, clientId: string, sid: string | null = "session-1"): Promise<{ accountId: string; delivery: DeliveryRecord }> {
	const { account } = await signUp(t);
	expect(await queueLogout(t, { accountId: account.id, clientId, sid })).toBe(true);
	const [delivery] = await logoutDeliveries(t, account.id);
	return { accountId: account.id, delivery: delivery! };
}

/** The requests made to `path`, and each one's `logout_token`. */
function requestsTo(path: string): (Received & { token: string | null; fields: string[] })[] {
	return received.filter((r) => r.path === path).map((r) => {
		const form = new URLSearchParams(r.body);
		return { ...r, token: form.get("logout_token"), fields: [...form.keys()] };
	});
}

/** Verifies a logout token as an app must (Back-Channel Logout 1.0 §2.6) against deadbolt's JWK Set. */
async function verifyLogoutToken(t: TestDeadbolt, token: string, audience: string): Promise<JWTPayload> {
	const jwks = createLocalJWKSet(structuredClone(await t.deadbolt.publicJWKS()) as Parameters<typeof createLocalJWKSet>[0]);
	const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: ISSUER, audience, typ: "logout+jwt", algorithms: ["ES256"], currentDate: new Date(t.clock.now()) });
	expect(protectedHeader.kid).toBe((await t.deadbolt.publicJWKS()).keys[0]!.kid);
	return payload;
}

const reload = async (t: TestDeadbolt, id: string): Promise<DeliveryRecord> => (await t.store.outbox.findDelivery(id))!;

for (const backend of await testBackends()) {
	describe(`back-channel logout on ${backend.name}`, () => {
		let store: Awaited<ReturnType<Backend["open"]>>;
		beforeAll(async () => {
			store = await backend.open();
		});
		const open = async (...args: Parameters<typeof make> extends [unknown, ...infer R] ? R : never): Promise<TestDeadbolt> => {
			const t = await make(store, ...args);
			if (opened.every((o) => o.store !== store)) opened.push(t);
			return t;
		};

		test("a form POST of logout_token that verifies against the JWKS: typ logout+jwt, iss, aud, sub, sid, events, exp in 2 minutes, no nonce; the row and the log hold no token", async () => {
			const aId = uniqueId("app-a");
			const bId = uniqueId("app-b");
			const path = uniquePath("ok");
			const t = await open([client(aId, path), client(bId, null)]);
			const { accountId, delivery } = await oneLogout(t, aId, "sid-42");
			expect(delivery).toMatchObject({ channel: "webhook", kind: "oidc.backchannel_logout", target: `oidc:${aId}`, status: "pending", sealedSecret: null });
			expect(JSON.parse(delivery.payload)).toEqual({ sub: accountId, sid: "sid-42" });

			await drain(t.deadbolt.createDispatcher());
			const [request, ...more] = requestsTo(path);
			expect(more).toEqual([]);
			expect(request).toMatchObject({ contentType: "application/x-www-form-urlencoded", userAgent: "deadbolt-backchannel-logout/1", fields: ["logout_token"] });
			const token = request!.token!;
			expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", typ: "logout+jwt" });
			const claims = await verifyLogoutToken(t, token, aId);
			expect(claims).toMatchObject({ iss: ISSUER, aud: aId, sub: accountId, sid: "sid-42", events: { [EVENT]: {} } });
			expect(claims).not.toHaveProperty("nonce");
			expect(claims.exp! - claims.iat!).toBe(120);
			expect(claims.iat).toBe(Math.floor(t.clock.now() / 1000));
			expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
			// The same token is refused for another audience, and as another type (an ID token): the checks are real.
			await expect(verifyLogoutToken(t, token, bId)).rejects.toThrow(/aud/);
			await expect(jwtVerify(token, createLocalJWKSet(structuredClone(await t.deadbolt.publicJWKS()) as Parameters<typeof createLocalJWKSet>[0]), { typ: "JWT", currentDate: new Date(t.clock.now()) })).rejects.toThrow(/typ/);

			const after = await reload(t, delivery.id);
			expect(after).toMatchObject({ status: "delivered", attempts: 1, lastError: null, sealedSecret: null });
			expect(after.payload).not.toContain(token.split(".")[2]!);
			expect(after.payload).not.toMatch(/eyJ/);
			expect(JSON.stringify(t.logs)).not.toContain(token.split(".")[2]!);
			expect(t.logs.filter((line) => line["event"] === "outbox.attempt" && line["deliveryId"] === delivery.id).map((line) => [line["kind"], line["outcome"], line["detail"]])).toEqual([["oidc.backchannel_logout", "delivered", "HTTP 200"]]);
		});

		test("sid null: the token has sub and no sid (every session of the account at that app); 204 No Content is delivered", async () => {
			const aId = uniqueId("app-a");
			const path = uniquePath("no-content");
			const t = await open([client(aId, path)]);
			const { accountId, delivery } = await oneLogout(t, aId, null);
			expect(JSON.parse(delivery.payload)).toEqual({ sub: accountId, sid: null });
			await drain(t.deadbolt.createDispatcher());
			const claims = await verifyLogoutToken(t, requestsTo(path)[0]!.token!, aId);
			expect(claims.sub).toBe(accountId);
			expect(claims).not.toHaveProperty("sid");
			expect(claims).not.toHaveProperty("nonce");
			expect(await reload(t, delivery.id)).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
		});

		test("a client without backchannelLogoutUri, or an unknown client, queues nothing", async () => {
			const aId = uniqueId("app-a");
			const bId = uniqueId("app-b");
			const t = await open([client(aId, uniquePath("ok")), client(bId, null)]);
			const { account } = await signUp(t);
			expect(await queueLogout(t, { accountId: account.id, clientId: bId, sid: "s" })).toBe(false);
			expect(await queueLogout(t, { accountId: account.id, clientId: "no-such-app", sid: "s" })).toBe(false);
			expect(await logoutDeliveries(t, account.id)).toEqual([]);
		});

		test("500, then 200: pending with attempts=1 and HTTP 500, not due before the backoff, then delivered with a fresh token (new jti, new iat)", async () => {
			const aId = uniqueId("app-a");
			const path = uniquePath("fail-once");
			const t = await open([client(aId, path)]);
			const { accountId, delivery } = await oneLogout(t, aId);
			const dispatcher = t.deadbolt.createDispatcher();
			await drain(dispatcher);
			expect(await reload(t, delivery.id)).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });
			expect(await dispatcher.runOnce()).toBe(0);
			t.clock.advance(60_000);
			await drain(dispatcher);
			const requests = requestsTo(path);
			expect(requests).toHaveLength(2);
			// The first token was made a minute earlier: still within its 2 minutes.
			const first = await verifyLogoutToken(t, requests[0]!.token!, aId);
			const second = await verifyLogoutToken(t, requests[1]!.token!, aId);
			expect([first.sub, second.sub]).toEqual([accountId, accountId]);
			expect(second.jti).not.toBe(first.jti);
			expect(second.iat! - first.iat!).toBe(60);
			expect(await reload(t, delivery.id)).toMatchObject({ status: "delivered", attempts: 2, lastError: null });
			expect((await t.store.outbox.listDeliveryAttempts(delivery.id)).map((a) => [a.outcome, a.detail])).toEqual([["failed", "HTTP 500"], ["delivered", "HTTP 200"]]);
		});

		test("400 (the app could not process it) is retried up to outbox.maxAttempts, then dead; a 302 is not followed", async () => {
			const badId = uniqueId("app-bad");
			const redirectId = uniqueId("app-redirect");
			const bad = uniquePath("bad");
			const redirect = uniquePath("redirect");
			const t = await open([client(badId, bad), client(redirectId, redirect)], { outbox: { maxAttempts: 2 } });
			const { delivery: toBad } = await oneLogout(t, badId);
			const { delivery: toRedirect } = await oneLogout(t, redirectId);
			const dispatcher = t.deadbolt.createDispatcher();
			await drain(dispatcher);
			expect(await reload(t, toBad.id)).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 400" });
			t.clock.advance(60_000);
			await drain(dispatcher);
			expect(await reload(t, toBad.id)).toMatchObject({ status: "dead", attempts: 2, lastError: "HTTP 400" });
			expect(requestsTo(bad)).toHaveLength(2);
			expect(await reload(t, toRedirect.id)).toMatchObject({ status: "dead", attempts: 2, lastError: expect.stringContaining("HTTP 302") });
			expect(received.filter((r) => r.path === redirect.replace("/redirect/", "/ok/"))).toEqual([]);
		});

		test("no answer within webhooks.timeoutSeconds fails the attempt (retried later)", async () => {
			const aId = uniqueId("app-a");
			const path = uniquePath("hang");
			const t = await open([client(aId, path)], { webhooks: { timeoutSeconds: 1 } });
			const { delivery } = await oneLogout(t, aId);
			const started = performance.now();
			await drain(t.deadbolt.createDispatcher());
			expect(performance.now() - started).toBeLessThan(4_000);
			expect(requestsTo(path)).toHaveLength(1);
			expect(await reload(t, delivery.id)).toMatchObject({ status: "pending", attempts: 1, lastError: expect.stringContaining("ETIMEDOUT") });
		});

		test("a client removed from the config (or its backchannelLogoutUri) meanwhile: dead at once, no request, and a manual retry is refused; with the client back it is allowed", async () => {
			const aId = uniqueId("app-a");
			const bId = uniqueId("app-b");
			const path = uniquePath("ok");
			const t = await open([client(aId, path), client(bId, uniquePath("ok"))]);
			const { delivery: toA } = await oneLogout(t, aId);
			const { delivery: toB } = await oneLogout(t, bId);
			// Another instance (a restart) on the same database, whose config no longer has app-a, and app-b without its URI.
			const later = await make(store, [client(bId, null)]);
			await drain(later.deadbolt.createDispatcher());
			expect(requestsTo(path)).toEqual([]);
			expect(await reload(t, toA.id)).toMatchObject({ status: "dead", attempts: 1, lastError: `OpenID Connect client oidc:${aId} no longer exists` });
			expect(await reload(t, toB.id)).toMatchObject({ status: "dead", attempts: 1, lastError: `OpenID Connect client oidc:${bId} no longer has a backchannelLogoutUri` });
			const refused = await later.deadbolt.retryDelivery(toA.id).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(DeliveryNotRetryable);
			expect(refused).toMatchObject({ reason: "endpoint_gone" });
			// The first instance still has app-a: the operator can send it again there, and it is delivered.
			expect(await t.deadbolt.retryDelivery(toA.id)).toMatchObject({ status: "pending", attempts: 0, target: `oidc:${aId}` });
			await drain(t.deadbolt.createDispatcher());
			expect(await reload(t, toA.id)).toMatchObject({ status: "delivered" });
			expect(requestsTo(path)).toHaveLength(1);
		});

		test("the delivery log and the webhook endpoint list take oidc:<client> targets: listed with their { sub, sid } payload, no endpoint invented", async () => {
			const aId = uniqueId("app-a");
			const t = await open([client(aId, uniquePath("ok"))]);
			const { accountId, delivery } = await oneLogout(t, aId, "sid-7");
			const listed = (await t.deadbolt.listDeliveries({ channel: "webhook", accountId })).find((d) => d.id === delivery.id);
			expect(listed).toMatchObject({ kind: "oidc.backchannel_logout", target: `oidc:${aId}`, payload: { sub: accountId, sid: "sid-7" } });
			expect((await t.deadbolt.showDelivery(delivery.id)).delivery.target).toBe(`oidc:${aId}`);
			expect(await t.deadbolt.listWebhookEndpoints()).toEqual([]);
		});
	});
}
