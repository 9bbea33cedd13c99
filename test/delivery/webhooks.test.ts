/**
 * Webhook delivery with real parts (issue 11 item 7): a receiver process that verifies every
 * message with the `standardwebhooks` library, on SQLite and PostgreSQL. Signed and verified;
 * 500 then 200 delivers again with the same webhook-id and a fresh signature; redirects are not
 * followed; dead after `outbox.maxAttempts`; an admin-API endpoint whose host resolves to a
 * private address at send time is refused then (DNS rebinding). Time moves on a fixed clock.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sealSecret } from "../../src/domain/crypto/secret-box.js";
import { nodeRandom } from "../../src/platform/random.js";
import type { DeliveryRecord } from "../../src/storage/store.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, TEST_KEYS, type TestDeadbolt } from "../helpers/deadbolt.js";
import { drain } from "../helpers/delivery-flows.js";
import { startWebhookReceiver, stopDeliveryProcesses, testWebhookSecret, type ReceivedWebhook, type WebhookReceiver } from "../helpers/delivery-processes.js";
import { signUp } from "../helpers/flows.js";

const backends = await testBackends();
const SECRET = testWebhookSecret(5);
let receiver: WebhookReceiver;
const opened: TestDeadbolt[] = [];

beforeAll(async () => {
	receiver = await startWebhookReceiver(SECRET);
});

afterAll(async () => {
	try {
		for (const t of opened) await t.deadbolt.close().catch(() => {});
		await receiver.release().catch(() => {});
	} finally {
		await stopDeliveryProcesses();
	}
});

/** A test deadbolt whose clock starts now (the receiver checks signature times against its own). */
async function make(backend: Backend, webhooks: Record<string, unknown>, outbox: Record<string, unknown> = {}): Promise<TestDeadbolt> {
	const t = await createTestDeadbolt({ store: await backend.open(), overrides: { webhooks: { timeoutSeconds: 5, ...webhooks }, outbox: { retryMinMillis: 1_000, ...outbox } } });
	t.clock.set(Date.now());
	opened.push(t);
	return t;
}

const endpoint = (path: string, secret = SECRET) => ({ url: `${receiver.url}${path}`, events: ["account.created"], secret });

/** Signs up a fresh account (an `account.created` event) and returns its webhook deliveries. */
async function accountCreated(t: TestDeadbolt): Promise<DeliveryRecord[]> {
	const { account } = await signUp(t, `hook-${randomBytes(5).toString("hex")}@example.test`);
	return (await t.store.outbox.listDeliveries({ accountId: account.id, channel: "webhook", limit: 50 })).filter((d) => d.kind === "account.created");
}

/** Stores an admin-API endpoint directly (as `addWebhookEndpoint` does, past its add-time checks), signing with the receiver's secret. */
async function storeEndpoint(t: TestDeadbolt, url: string): Promise<string> {
	const id = `wh${randomBytes(8).toString("hex")}`;
	const sealedSecret = sealSecret(TEST_KEYS.encryptionKey, new TextEncoder().encode(SECRET), `deadbolt/webhook-secret/v1:${id}`, nodeRandom);
	await t.store.webhookEndpoints.insertWebhookEndpoint({ id, url, events: JSON.stringify(["account.created"]), sealedSecret, createdAt: t.clock.now(), description: null });
	return id;
}

const requestsFor = async (id: string): Promise<ReceivedWebhook[]> => (await receiver.received()).filter((r) => r.id === id);
const reload = async (t: TestDeadbolt, id: string): Promise<DeliveryRecord> => (await t.store.outbox.findDelivery(id))!;

for (const backend of backends) {
	describe(`webhooks on ${backend.name}`, () => {
		test("a message is signed per Standard Webhooks and verified by the receiver; the body is the event, without secrets", async () => {
			const t = await make(backend, { endpoints: [endpoint("/ok")] });
			const [delivery] = await accountCreated(t);
			expect(delivery!.target).toBe("config:0");
			await drain(t.deadbolt.createDispatcher());
			const [request] = await requestsFor(delivery!.id);
			expect(request).toMatchObject({ path: "/ok", verified: true, contentType: "application/json", userAgent: "deadbolt-webhooks/1", timestamp: String(Math.floor(t.clock.now() / 1000)) });
			const body = JSON.parse(request!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
			expect(body.type).toBe("account.created");
			expect(body.data["accountId"]).toBe(delivery!.accountId);
			expect(request!.body).not.toMatch(/password|token|secret/i);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
		});

		test("the receiver's check is real: a message signed with another secret is not verified", async () => {
			const t = await make(backend, { endpoints: [endpoint("/ok", testWebhookSecret(6))] });
			const [delivery] = await accountCreated(t);
			await drain(t.deadbolt.createDispatcher());
			expect((await requestsFor(delivery!.id)).map((r) => r.verified)).toEqual([false]);
		});

		test("500, then 200: delivered on the next attempt, with the same webhook-id and a fresh signature and timestamp", async () => {
			const t = await make(backend, { endpoints: [endpoint("/fail-once")] });
			const [delivery] = await accountCreated(t);
			const dispatcher = t.deadbolt.createDispatcher();
			await drain(dispatcher);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });
			// Not due before its backoff.
			expect(await dispatcher.runOnce()).toBe(0);
			t.clock.advance(60_000);
			await drain(dispatcher);
			const requests = await requestsFor(delivery!.id);
			expect(requests.map((r) => [r.attempt, r.verified])).toEqual([[1, true], [2, true]]);
			expect(requests[1]!.signature).not.toBe(requests[0]!.signature);
			expect(Number(requests[1]!.timestamp)).toBeGreaterThan(Number(requests[0]!.timestamp));
			expect(requests[1]!.body).toBe(requests[0]!.body);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "delivered", attempts: 2 });
			expect((await t.store.outbox.listDeliveryAttempts(delivery!.id)).map((a) => [a.outcome, a.detail])).toEqual([["failed", "HTTP 500"], ["delivered", "HTTP 200"]]);
		});

		test("a redirect is not followed: a 302 is a failed attempt, and its target never gets the message", async () => {
			const t = await make(backend, { endpoints: [endpoint("/redirect")] }, { maxAttempts: 2 });
			const [delivery] = await accountCreated(t);
			const dispatcher = t.deadbolt.createDispatcher();
			await drain(dispatcher);
			t.clock.advance(60_000);
			await drain(dispatcher);
			expect((await requestsFor(delivery!.id)).map((r) => r.path)).toEqual(["/redirect", "/redirect"]);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "dead", attempts: 2, lastError: expect.stringContaining("HTTP 302") });
		});

		test("dead letter after outbox.maxAttempts: no attempt after the last; 410 Gone is dead at once", async () => {
			const t = await make(backend, { endpoints: [endpoint("/missing"), endpoint("/gone")] }, { maxAttempts: 3 });
			const [missing, gone] = (await accountCreated(t)).sort((a, b) => a.target.localeCompare(b.target));
			const dispatcher = t.deadbolt.createDispatcher();
			for (let round = 0; round < 5; round++) {
				await drain(dispatcher);
				t.clock.advance(3_600_000);
			}
			expect((await requestsFor(missing!.id)).map((r) => r.attempt)).toEqual([1, 2, 3]);
			expect(await reload(t, missing!.id)).toMatchObject({ status: "dead", attempts: 3, lastError: "HTTP 404", sealedSecret: null });
			expect((await requestsFor(gone!.id)).map((r) => r.attempt)).toEqual([1]);
			expect(await reload(t, gone!.id)).toMatchObject({ status: "dead", attempts: 1, lastError: expect.stringContaining("410") });
			expect(t.logs.filter((line) => line["event"] === "outbox.attempt" && line["deliveryId"] === missing!.id).map((line) => line["outcome"])).toEqual(["pending", "pending", "dead"]);
		});

		test("an admin-API endpoint whose host resolves to a loopback address when sending is refused then (DNS rebinding); inside webhooks.allowedNetworks it is delivered", async () => {
			const port = new URL(receiver.url).port;
			for (const allowedNetworks of [[], ["127.0.0.0/8", "::1/128"]]) {
				const t = await make(backend, { allowedNetworks });
				// Stored as if its name had resolved to a public address when it was added; now `localhost` is 127.0.0.1.
				const id = await storeEndpoint(t, `http://localhost:${port}/ok`);
				const [delivery] = (await accountCreated(t)).filter((d) => d.target === id);
				await drain(t.deadbolt.createDispatcher());
				if (allowedNetworks.length === 0) {
					expect(await requestsFor(delivery!.id)).toEqual([]);
					expect(await reload(t, delivery!.id)).toMatchObject({ status: "pending", lastError: expect.stringContaining("EADDRNOTALLOWED") });
				} else {
					expect((await requestsFor(delivery!.id)).map((r) => r.verified)).toEqual([true]);
					expect(await reload(t, delivery!.id)).toMatchObject({ status: "delivered" });
				}
				await t.store.webhookEndpoints.deleteWebhookEndpoint(id);
			}
		});

		test("a stored endpoint naming a loopback IP is refused at send time (allowedNetworks narrowed since it was added); one removed since is dead", async () => {
			const t = await make(backend, {});
			const id = await storeEndpoint(t, `${receiver.url}/ok`);
			const [delivery] = (await accountCreated(t)).filter((d) => d.target === id);
			const dispatcher = t.deadbolt.createDispatcher();
			await drain(dispatcher);
			expect(await requestsFor(delivery!.id)).toEqual([]);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "pending", lastError: expect.stringContaining("EADDRNOTALLOWED") });
			await t.store.webhookEndpoints.deleteWebhookEndpoint(id);
			t.clock.advance(60_000);
			await drain(dispatcher);
			expect(await reload(t, delivery!.id)).toMatchObject({ status: "dead", lastError: expect.stringContaining("no longer exists") });
		});
	});
}
