/**
 * The admin API's webhook endpoints and delivery log, on SQLite and PostgreSQL: endpoints added
 * through the API may not target private or loopback networks unless `webhooks.allowedNetworks`
 * lists them; the signing secret is returned once and never listed; bad input is a 4xx with a
 * stable code, never a 500; deliveries are listed, shown with their attempts, and sent again
 * with the same id.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import { findWebhookTarget } from "../../src/service/webhook-endpoints.js";
import type { DeliveryRecord, DeliveryStatus, Store } from "../../src/storage/store.js";
import { testBackends } from "../helpers/backends.js";
import { TEST_KEYS } from "../helpers/deadbolt.js";
import { createTestApp, type TestApp } from "../helpers/http.js";

const backends = await testBackends();
const ADMIN_KEY = "webhooks-test-admin-key-0123456789abcdef";
const CONFIG_SECRET = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
let serial = 0;
const unique = (): string => `${process.pid}-${Date.now().toString(36)}-${serial++}`;

describe.each(backends)("admin webhooks and deliveries on $name", ({ open }) => {
	let t: TestApp;
	afterEach(async () => {
		await t.app.close();
		await t.deadbolt.close();
	});

	async function start(webhooks: Partial<Config["webhooks"]> = {}): Promise<void> {
		t = await createTestApp({
			store: await open(),
			overrides: { keys: { encryptionKey: null, hmacKey: null, adminApiKey: ADMIN_KEY }, webhooks: { endpoints: [{ url: "https://hooks.example.com/deadbolt", events: ["*"], secret: CONFIG_SECRET }], allowedNetworks: [], timeoutSeconds: 5, ...webhooks } },
		});
	}

	const add = (payload: unknown) => t.app.inject({ method: "POST", url: "/api/v1/admin/webhooks", headers: admin, payload: payload as object });

	it("refuses private, loopback and link-local targets (every way of writing them) with ERR_WEBHOOK_TARGET_REFUSED, and stores nothing", async () => {
		await start();
		for (const url of [
			"https://127.0.0.1/hook",
			"https://localhost/hook",
			"https://[::1]/hook",
			"https://[::ffff:127.0.0.1]/hook",
			"https://0x7f.1/hook",
			"https://2130706433/hook",
			"https://10.0.0.5/hook",
			"https://192.168.1.20:8443/hook",
			"https://169.254.169.254/latest/meta-data",
			"https://100.64.0.1/hook",
			"https://[fd00::1]/hook",
			"https://[fe80::1]/hook",
			"https://0.0.0.0/hook",
		]) {
			const res = await add({ url, events: ["*"] });
			expect(res.statusCode, url).toBe(400);
			expect(res.json().code, url).toBe("ERR_WEBHOOK_TARGET_REFUSED");
		}
		expect(await t.store.webhookEndpoints.listWebhookEndpoints()).toEqual([]);
	});

	it("accepts a loopback or private target that webhooks.allowedNetworks lists (http too), and only that one", async () => {
		await start({ allowedNetworks: ["127.0.0.0/8", "10.1.0.0/16"] });
		const loopback = await add({ url: "http://127.0.0.1:9/hook", events: ["login.locked"] });
		expect(loopback.statusCode, loopback.body).toBe(201);
		expect(loopback.json().endpoint).toMatchObject({ url: "http://127.0.0.1:9/hook", events: ["login.locked"], source: "api" });
		const listed = await add({ url: "https://10.1.2.3/hook", events: ["*"] });
		expect(listed.statusCode).toBe(201);
		const outside = await add({ url: "https://10.2.0.1/hook", events: ["*"] });
		expect(outside.json().code).toBe("ERR_WEBHOOK_TARGET_REFUSED");
		const ipv6 = await add({ url: "https://[::1]/hook", events: ["*"] });
		expect(ipv6.json().code).toBe("ERR_WEBHOOK_TARGET_REFUSED");
		for (const { id } of [loopback.json().endpoint, listed.json().endpoint]) expect((await t.app.inject({ method: "DELETE", url: `/api/v1/admin/webhooks/${id}`, headers: admin })).statusCode).toBe(204);
	});

	it("returns the signing secret once (whsec_ + 32 bytes, sealed at rest), never in the list; removes an added endpoint, not a config one", async () => {
		await start();
		const created = await add({ url: "https://93.184.215.14/deadbolt", events: ["login.locked", "password.changed", "login.locked"], description: "SIEM" });
		expect(created.statusCode, created.body).toBe(201);
		expect(created.headers["cache-control"]).toBe("no-store");
		const { endpoint, secret } = created.json();
		expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
		expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
		expect(endpoint).toEqual({ id: expect.any(String), url: "https://93.184.215.14/deadbolt", events: ["login.locked", "password.changed"], description: "SIEM", source: "api", createdAt: expect.any(String) });

		const stored = await t.store.webhookEndpoints.findWebhookEndpoint(endpoint.id);
		expect(Buffer.from(stored!.sealedSecret).toString("latin1")).not.toContain(secret.slice(6, 20));
		expect((await findWebhookTarget(deadboltDeps(t), endpoint.id))?.secret).toBe(secret);

		const list = await t.app.inject({ method: "GET", url: "/api/v1/admin/webhooks", headers: admin });
		expect(list.statusCode).toBe(200);
		expect(list.body).not.toContain(secret);
		expect(list.body).not.toContain(CONFIG_SECRET);
		const endpoints = list.json().endpoints as { id: string; source: string }[];
		expect(endpoints[0]).toEqual({ id: "config:0", url: "https://hooks.example.com/deadbolt", events: ["*"], description: null, source: "config", createdAt: null });
		expect(endpoints.map((e) => e.id)).toContain(endpoint.id);

		const configDelete = await t.app.inject({ method: "DELETE", url: "/api/v1/admin/webhooks/config:0", headers: admin });
		expect(configDelete.statusCode).toBe(400);
		expect(configDelete.json().violations[0].rule).toBe("read_only");
		expect((await t.app.inject({ method: "DELETE", url: `/api/v1/admin/webhooks/${endpoint.id}`, headers: admin })).statusCode).toBe(204);
		expect((await t.app.inject({ method: "DELETE", url: `/api/v1/admin/webhooks/${endpoint.id}`, headers: admin })).json().code).toBe("ERR_NOT_FOUND");
		expect(((await t.app.inject({ method: "GET", url: "/api/v1/admin/webhooks", headers: admin })).json().endpoints as { id: string }[]).map((e) => e.id)).not.toContain(endpoint.id);
	});

	it("answers bad input with a 4xx and a stable code, never a 500; without the key 401, without a key configured 404", async () => {
		await start();
		const before = (await t.store.webhookEndpoints.listWebhookEndpoints()).length;
		const cases: [unknown, number, string, string?][] = [
			[{ url: "http://93.184.215.14/hook", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "https_required"],
			[{ url: "https://user:pass@93.184.215.14/hook", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "credentials"],
			[{ url: "ftp://93.184.215.14/hook", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "scheme"],
			[{ url: "https://93.184.215.14/hook#x", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "fragment"],
			[{ url: "not a url", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "invalid_url"],
			[{ url: "https://[::1/hook", events: ["*"] }, 400, "ERR_INVALID_REQUEST", "invalid_url"],
			[{ url: "https://93.184.215.14/hook", events: ["login.nope"] }, 400, "ERR_INVALID_REQUEST", "unknown_event"],
			[{ url: "https://93.184.215.14/hook", events: ["*", "login.locked"] }, 400, "ERR_INVALID_REQUEST", "wildcard_alone"],
			[{ url: "https://93.184.215.14/hook", events: [] }, 400, "ERR_INVALID_REQUEST"],
			[{ url: "https://93.184.215.14/hook" }, 400, "ERR_INVALID_REQUEST"],
			[{ url: "https://93.184.215.14/hook", events: ["*"], secret: "whsec_mine" }, 400, "ERR_INVALID_REQUEST"],
			[{ url: `https://93.184.215.14/${"a".repeat(2048)}`, events: ["*"] }, 400, "ERR_INVALID_REQUEST"],
			[{ url: "https://93.184.215.14/hook", events: ["*"], description: "bell\u0007" }, 400, "ERR_INVALID_REQUEST"],
			[[], 400, "ERR_INVALID_REQUEST"],
		];
		for (const [payload, status, code, rule] of cases) {
			const res = await add(payload);
			expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
			expect(res.json().code).toBe(code);
			if (rule !== undefined) expect(res.json().violations?.[0]?.rule).toBe(rule);
		}
		expect(await t.store.webhookEndpoints.listWebhookEndpoints()).toHaveLength(before);
		for (const url of ["/api/v1/admin/deliveries?limit=0", "/api/v1/admin/deliveries?limit=501", "/api/v1/admin/deliveries?limit=abc", "/api/v1/admin/deliveries?status=lost", "/api/v1/admin/deliveries?channel=sms", "/api/v1/admin/deliveries?other=1"]) {
			const res = await t.app.inject({ method: "GET", url, headers: admin });
			expect(res.statusCode, url).toBe(400);
			expect(res.json().code).toBe("ERR_INVALID_REQUEST");
		}
		for (const [method, url] of [["GET", "/api/v1/admin/deliveries/nope"], ["POST", "/api/v1/admin/deliveries/nope/retry"], ["GET", `/api/v1/admin/deliveries/${encodeURIComponent("../'; drop")}`], ["DELETE", "/api/v1/admin/webhooks/config:99"]] as const) {
			const res = await t.app.inject({ method, url, headers: admin });
			expect(res.statusCode, url).toBeLessThan(500);
			expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
		}
		for (const [method, url] of [["GET", "/api/v1/admin/webhooks"], ["POST", "/api/v1/admin/webhooks"], ["GET", "/api/v1/admin/deliveries"], ["POST", "/api/v1/admin/deliveries/x/retry"]] as const) {
			const res = await t.app.inject({ method, url, headers: { authorization: "Bearer wrong" }, ...(method === "POST" ? { payload: {} } : {}) });
			expect(res.statusCode, url).toBe(401);
		}
		await t.app.close();
		await t.deadbolt.close();
		t = await createTestApp({ store: await open() });
		expect((await t.app.inject({ method: "GET", url: "/api/v1/admin/webhooks", headers: admin })).statusCode).toBe(404);
	});

	it("lists deliveries by status, channel and account, shows one with its attempts and payload, and redelivers a dead one with the same id", async () => {
		await start();
		const email = `hooked-${unique()}@example.com`;
		const created = await t.app.inject({ method: "POST", url: "/api/v1/admin/accounts", headers: admin, payload: { email } });
		const accountId = created.json().account.id as string;
		const list = async (query: string) => (await t.app.inject({ method: "GET", url: `/api/v1/admin/deliveries?${query}`, headers: admin })).json().deliveries as Record<string, unknown>[];
		const [delivery] = await list(`accountId=${accountId}`);
		expect(delivery).toMatchObject({ channel: "webhook", kind: "account.created", target: "config:0", status: "pending", attempts: 0, accountId, nextAttemptAt: expect.any(String), deliveredAt: null });
		expect(delivery!["payload"]).toMatchObject({ type: "account.created", data: { accountId, email } });
		const id = delivery!["id"] as string;
		expect((await list(`accountId=${accountId}&channel=email`)).length).toBe(0);
		expect((await list(`accountId=${accountId}&status=dead`)).length).toBe(0);

		const pending = await t.app.inject({ method: "POST", url: `/api/v1/admin/deliveries/${id}/retry`, headers: admin });
		expect(pending.statusCode).toBe(409);
		expect(pending.json().code).toBe("ERR_DELIVERY_NOT_RETRYABLE");

		await settle(t.store, id, "dead", "HTTP 500");
		expect((await list(`accountId=${accountId}&status=dead`)).map((d) => d["id"])).toEqual([id]);
		const shown = await t.app.inject({ method: "GET", url: `/api/v1/admin/deliveries/${id}`, headers: admin });
		expect(shown.statusCode).toBe(200);
		expect(shown.json().delivery).toMatchObject({ id, status: "dead", attempts: 1, lastError: "HTTP 500", nextAttemptAt: null });
		expect(shown.json().attempts).toEqual([{ attemptedAt: expect.any(String), outcome: "failed", detail: "HTTP 500", durationMillis: 12 }]);

		const retried = await t.app.inject({ method: "POST", url: `/api/v1/admin/deliveries/${id}/retry`, headers: admin });
		expect(retried.statusCode).toBe(200);
		expect(retried.json().delivery).toMatchObject({ id, status: "pending", attempts: 0, nextAttemptAt: expect.any(String) });
		const claimed = await t.store.outbox.claimDueDeliveries(`owner-${unique()}`, t.clock.now(), t.clock.now() + 60_000, 500);
		expect(claimed.map((d) => d.id)).toContain(id);
		const after = await t.app.inject({ method: "GET", url: `/api/v1/admin/deliveries/${id}`, headers: admin });
		expect(after.json().attempts).toHaveLength(1);
	});

	it("refuses to redeliver a link mail whose secret is gone, or a webhook whose endpoint was removed; never shows a mail's facts or secret", async () => {
		await start();
		const token = `link-token-${unique()}`;
		const mail = deliveryRecord(t, { channel: "email", kind: "password.reset", target: `reset-${unique()}@example.com`, payload: JSON.stringify({ name: "facts" }), sealedSecret: new TextEncoder().encode(token) });
		await t.store.outbox.insertDeliveries([mail]);
		const pendingView = await t.app.inject({ method: "GET", url: `/api/v1/admin/deliveries/${mail.id}`, headers: admin });
		expect(pendingView.json().delivery).toMatchObject({ channel: "email", kind: "password.reset", target: mail.target, payload: null });
		expect(pendingView.body).not.toContain(token);
		expect(pendingView.body).not.toContain("facts");
		await settle(t.store, mail.id, "delivered", "250 OK");
		const refused = await t.app.inject({ method: "POST", url: `/api/v1/admin/deliveries/${mail.id}/retry`, headers: admin });
		expect(refused.statusCode).toBe(409);
		expect(refused.json()).toMatchObject({ code: "ERR_DELIVERY_NOT_RETRYABLE", message: expect.stringContaining("new link") });

		// A mail without a link secret (an alert) is sent again.
		const alert = deliveryRecord(t, { channel: "email", kind: "account_locked", target: mail.target, payload: "{}", sealedSecret: null });
		await t.store.outbox.insertDeliveries([alert]);
		await settle(t.store, alert.id, "delivered", "250 OK");
		expect((await t.app.inject({ method: "POST", url: `/api/v1/admin/deliveries/${alert.id}/retry`, headers: admin })).statusCode).toBe(200);

		const added = (await add({ url: "https://93.184.215.14/gone", events: ["*"] })).json().endpoint.id as string;
		const hook = deliveryRecord(t, { channel: "webhook", kind: "login.locked", target: added, payload: "{}", sealedSecret: null });
		await t.store.outbox.insertDeliveries([hook]);
		await settle(t.store, hook.id, "dead", "ECONNREFUSED");
		await t.app.inject({ method: "DELETE", url: `/api/v1/admin/webhooks/${added}`, headers: admin });
		const gone = await t.app.inject({ method: "POST", url: `/api/v1/admin/deliveries/${hook.id}/retry`, headers: admin });
		expect(gone.statusCode).toBe(409);
		expect(gone.json().message).toContain("no longer exists");
	});
});

/** The service dependencies of a test app's deadbolt, for calling a service function directly. */
function deadboltDeps(t: TestApp) {
	return { store: t.store, config: t.config, keys: TEST_KEYS } as unknown as Parameters<typeof findWebhookTarget>[0];
}

function deliveryRecord(t: TestApp, fields: Pick<DeliveryRecord, "channel" | "kind" | "target" | "payload" | "sealedSecret">): DeliveryRecord {
	return { id: `d${unique()}`.slice(0, 32), eventId: null, accountId: null, ...fields, status: "pending", attempts: 0, nextAttemptAt: t.clock.now(), leaseExpiresAt: 0, leaseOwner: null, lastError: null, createdAt: t.clock.now(), deliveredAt: null };
}

/** Settles one delivery as a dispatcher would: claims it under a lease, then records an attempt. */
async function settle(store: Store, id: string, status: DeliveryStatus, detail: string): Promise<void> {
	const owner = `test-dispatcher-${unique()}`;
	const now = Date.UTC(2026, 0, 1, 0, 0, 10);
	const claimed = await store.outbox.claimDueDeliveries(owner, now, now + 60_000, 500);
	expect(claimed.map((d) => d.id)).toContain(id);
	const outcome = status === "delivered" ? "delivered" : "failed";
	expect(await store.outbox.settleDelivery(id, owner, { status, nextAttemptAt: now, lastError: outcome === "failed" ? detail : null, deliveredAt: status === "delivered" ? now : null }, { id: `a${unique()}`.slice(0, 32), deliveryId: id, attemptedAt: now, outcome, detail, durationMillis: 12 })).toBe(true);
	// Free the other rows this claim took (other tests' deliveries on a shared database).
	for (const other of claimed) if (other.id !== id) await store.outbox.settleDelivery(other.id, owner, { status: "pending", nextAttemptAt: now, lastError: null, deliveredAt: null }, { id: `a${unique()}`.slice(0, 32), deliveryId: other.id, attemptedAt: now, outcome: "failed", detail: "test release", durationMillis: 0 });
}
