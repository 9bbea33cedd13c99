/**
 * The storage contract of the transactional outbox and the webhook endpoints (issue 11), run by
 * {@link describeStoreContract} on every backend. The store is shared with the rest of the
 * suite: each test uses its own accounts and ids; tests that claim first lease away whatever is
 * due already ({@link drainDue}), tests that count use deltas or instants no other test uses.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { UnixMillis } from "../../src/platform/clock.js";
import type { AccountRecord, DeliveryAttemptRecord, DeliveryRecord, Store, WebhookEndpointRecord } from "../../src/storage/store.js";

const T0 = 1_700_000_000_000;
const MINUTE_MS = 60_000;
/** An instant beyond every other test's: leases until then never expire within the suite. */
const FOREVER = Number.MAX_SAFE_INTEGER;
const RACERS = 20;

/**
 * Registers the outbox and webhook endpoint cases.
 * @param store - the suite's store (opened in its `beforeAll`)
 * @param givenAccount - inserts a fresh account
 */
export function describeOutboxContract(store: () => Store, givenAccount: () => Promise<AccountRecord>): void {
	/** Leases every delivery due before `FOREVER - 1` to a drain owner until `FOREVER`, so that claims after it see only new rows. */
	async function drainDue(): Promise<void> {
		while ((await store().outbox.claimDueDeliveries(uid("drain"), FOREVER - 1, FOREVER, 500)).length > 0);
	}

	async function givenDeliveries(accountId: string | null, count: number, overrides: Partial<DeliveryRecord> = {}): Promise<DeliveryRecord[]> {
		const records = times(count, (index) => deliveryFixture(accountId, { createdAt: T0 + index, ...overrides }));
		await store().outbox.insertDeliveries(records);
		return records;
	}

	/** Claims what is due at `now` for a fresh owner (lease one minute). */
	async function claim(now: UnixMillis, owner = uid("owner"), limit = 500): Promise<{ owner: string; claimed: DeliveryRecord[] }> {
		return { owner, claimed: await store().outbox.claimDueDeliveries(owner, now, now + MINUTE_MS, limit) };
	}

	describe("outbox", () => {
		test("a delivery round-trips with every field: sealed secret bytes (zero bytes included), nulls and large epoch values", async () => {
			const account = await givenAccount();
			const full = deliveryFixture(account.id, { eventId: uid("evt"), sealedSecret: new Uint8Array([0, 1, 2, 0, 255]), nextAttemptAt: 2 ** 41, lastError: "HTTP 500", deliveredAt: null });
			const bare = deliveryFixture(null, { channel: "webhook", kind: "login.succeeded", target: "config:0", sealedSecret: null });
			await store().outbox.insertDeliveries([full, bare]);
			await store().outbox.insertDeliveries([]);
			expect(comparable(await store().outbox.findDelivery(full.id))).toEqual(comparable(full));
			expect(await store().outbox.findDelivery(bare.id)).toEqual(bare);
			expect(await store().outbox.findDelivery(uid("missing"))).toBeNull();
		});

		test("a claim takes due pending deliveries only, oldest first, at most limit, and sets the lease", async () => {
			await drainDue();
			const account = await givenAccount();
			const now = T0 + 10 * MINUTE_MS;
			const due = await givenDeliveries(account.id, 3);
			const [notYet] = await givenDeliveries(account.id, 1, { nextAttemptAt: now + 1 });
			const [delivered] = await givenDeliveries(account.id, 1, { status: "delivered", deliveredAt: T0 });
			const [dead] = await givenDeliveries(account.id, 1, { status: "dead" });
			const [leased] = await givenDeliveries(account.id, 1, { leaseOwner: "someone", leaseExpiresAt: now + 1 });

			const first = await store().outbox.claimDueDeliveries("owner-a", now, now + MINUTE_MS, 2);
			expect(first.map((d) => d.id)).toEqual([due[0]!.id, due[1]!.id]);
			expect(first[0]).toEqual({ ...due[0], leaseOwner: "owner-a", leaseExpiresAt: now + MINUTE_MS, sealedSecret: first[0]!.sealedSecret });
			const second = await store().outbox.claimDueDeliveries("owner-b", now, now + MINUTE_MS, 500);
			expect(second.map((d) => d.id)).toEqual([due[2]!.id]);
			expect((await claim(now)).claimed).toEqual([]);
			for (const untouched of [notYet!, delivered!, dead!, leased!]) expect(await store().outbox.findDelivery(untouched.id)).toEqual(untouched);
			// Due exactly at nextAttemptAt; a lease ending exactly now is free.
			expect((await claim(now + 1)).claimed.map((d) => d.id).sort()).toEqual([notYet!.id, leased!.id].sort());
		});

		test("a limit outside 1..500 and a lease not after now are refused with TypeError", async () => {
			await expect(store().outbox.claimDueDeliveries("o", T0, T0 + 1, 0)).rejects.toBeInstanceOf(TypeError);
			await expect(store().outbox.claimDueDeliveries("o", T0, T0 + 1, 501)).rejects.toBeInstanceOf(TypeError);
			await expect(store().outbox.claimDueDeliveries("o", T0, T0, 1)).rejects.toBeInstanceOf(TypeError);
			await expect(store().outbox.listDeliveries({ limit: 0 })).rejects.toBeInstanceOf(TypeError);
			await expect(store().outbox.listDeliveries({ limit: 1.5 })).rejects.toBeInstanceOf(TypeError);
		});

		test("concurrent claims by different owners are exclusive: disjoint results whose union is every due delivery", async () => {
			await drainDue();
			const account = await givenAccount();
			const rows = await givenDeliveries(account.id, 30);
			const now = T0 + MINUTE_MS;
			const claims = await Promise.all(times(4, () => claim(now)));
			const ids = claims.flatMap((c) => c.claimed.map((d) => d.id));
			expect(new Set(ids).size).toBe(ids.length);
			expect(ids.sort()).toEqual(rows.map((d) => d.id).sort());
			for (const { owner, claimed } of claims) {
				for (const delivery of claimed) expect((await store().outbox.findDelivery(delivery.id))?.leaseOwner).toBe(owner);
			}
		});

		test(`${RACERS} concurrent claims of one due delivery: exactly one gets it`, async () => {
			await drainDue();
			const [row] = await givenDeliveries(null, 1);
			const claims = await Promise.all(times(RACERS, () => claim(T0 + MINUTE_MS)));
			expect(claims.filter((c) => c.claimed.length > 0).map((c) => c.claimed.map((d) => d.id))).toEqual([[row!.id]]);
		});

		test("an expired lease can be reclaimed; the first owner then loses its settle, and the log keeps both attempts", async () => {
			await drainDue();
			const [row] = await givenDeliveries(null, 1);
			const now = T0 + MINUTE_MS;
			const first = await claim(now);
			expect(first.claimed.map((d) => d.id)).toEqual([row!.id]);
			expect((await claim(now + MINUTE_MS - 1)).claimed).toEqual([]);
			const second = await claim(now + MINUTE_MS);
			expect(second.claimed.map((d) => d.id)).toEqual([row!.id]);
			expect(second.claimed[0]?.leaseOwner).toBe(second.owner);

			const late = attemptFixture(row!.id, { attemptedAt: now + 2 * MINUTE_MS, outcome: "delivered" });
			expect(await store().outbox.settleDelivery(row!.id, first.owner, { status: "delivered", nextAttemptAt: now, lastError: null, deliveredAt: now + 2 * MINUTE_MS }, late)).toBe(false);
			expect((await store().outbox.findDelivery(row!.id))?.leaseOwner).toBe(second.owner);
			const current = attemptFixture(row!.id, { attemptedAt: now + 3 * MINUTE_MS, outcome: "delivered" });
			expect(await store().outbox.settleDelivery(row!.id, second.owner, { status: "delivered", nextAttemptAt: now, lastError: null, deliveredAt: now + 3 * MINUTE_MS }, current)).toBe(true);
			expect(await store().outbox.listDeliveryAttempts(row!.id)).toEqual([late, current]);
			expect((await store().outbox.findDelivery(row!.id))?.attempts).toBe(1);
		});

		test("a settle by a non-owner returns false and changes nothing but the attempt log", async () => {
			await drainDue();
			const [row] = await givenDeliveries(null, 1, { sealedSecret: new Uint8Array([7, 7]) });
			const { claimed } = await claim(T0 + MINUTE_MS);
			const before = comparable(claimed[0]);
			const attempt = attemptFixture(row!.id);
			for (const status of ["delivered", "dead", "pending"] as const) {
				const logged = { ...attempt, id: uid("att") };
				expect(await store().outbox.settleDelivery(row!.id, "not-the-owner", { status, nextAttemptAt: T0 + 9 * MINUTE_MS, lastError: "x", deliveredAt: T0 }, logged)).toBe(false);
			}
			expect(comparable(await store().outbox.findDelivery(row!.id))).toEqual(before);
			expect(await store().outbox.listDeliveryAttempts(row!.id)).toHaveLength(3);
		});

		test("a failed attempt keeps the delivery pending with its secret, counts it, frees the lease, and it is due again at nextAttemptAt", async () => {
			await drainDue();
			const [row] = await givenDeliveries(null, 1, { sealedSecret: new Uint8Array([1, 2, 3]) });
			const now = T0 + MINUTE_MS;
			const { owner } = await claim(now);
			const retryAt = now + 5_000;
			expect(await store().outbox.settleDelivery(row!.id, owner, { status: "pending", nextAttemptAt: retryAt, lastError: "ECONNREFUSED", deliveredAt: null }, attemptFixture(row!.id, { outcome: "failed", detail: "ECONNREFUSED" }))).toBe(true);
			expect(comparable(await store().outbox.findDelivery(row!.id))).toEqual(comparable({ ...row!, attempts: 1, nextAttemptAt: retryAt, lastError: "ECONNREFUSED", leaseOwner: null, leaseExpiresAt: 0 }));
			// Settled once: the same owner cannot settle again without a new claim.
			expect(await store().outbox.settleDelivery(row!.id, owner, { status: "dead", nextAttemptAt: retryAt, lastError: "x", deliveredAt: null }, attemptFixture(row!.id))).toBe(false);
			expect((await claim(retryAt - 1)).claimed).toEqual([]);
			expect((await claim(retryAt)).claimed.map((d) => d.id)).toEqual([row!.id]);
		});

		test("delivered and dead clear the sealed secret and are never claimed again", async () => {
			await drainDue();
			const [toDeliver, toKill] = await givenDeliveries(null, 2, { sealedSecret: new Uint8Array([9, 9, 9]) });
			const now = T0 + MINUTE_MS;
			const { owner } = await claim(now);
			expect(await store().outbox.settleDelivery(toDeliver!.id, owner, { status: "delivered", nextAttemptAt: now, lastError: null, deliveredAt: now + 1 }, attemptFixture(toDeliver!.id, { outcome: "delivered" }))).toBe(true);
			expect(await store().outbox.settleDelivery(toKill!.id, owner, { status: "dead", nextAttemptAt: now, lastError: "HTTP 500", deliveredAt: null }, attemptFixture(toKill!.id))).toBe(true);
			expect(await store().outbox.findDelivery(toDeliver!.id)).toEqual({ ...toDeliver!, status: "delivered", attempts: 1, nextAttemptAt: now, deliveredAt: now + 1, sealedSecret: null, leaseOwner: null, leaseExpiresAt: 0 });
			expect(await store().outbox.findDelivery(toKill!.id)).toEqual({ ...toKill!, status: "dead", attempts: 1, nextAttemptAt: now, lastError: "HTTP 500", sealedSecret: null, leaseOwner: null, leaseExpiresAt: 0 });
			expect((await claim(now + 10 * MINUTE_MS)).claimed).toEqual([]);
		});

		test("retryDelivery makes a dead or delivered delivery pending again, due at now, attempts 0, same id; false when pending or unknown", async () => {
			await drainDue();
			const [dead] = await givenDeliveries(null, 1, { status: "dead", attempts: 8, lastError: "HTTP 500" });
			const [delivered] = await givenDeliveries(null, 1, { status: "delivered", attempts: 1, deliveredAt: T0 + 1 });
			const [pending] = await givenDeliveries(null, 1, { nextAttemptAt: T0 + 9 * MINUTE_MS, attempts: 2 });
			const now = T0 + 5 * MINUTE_MS;
			expect(await store().outbox.retryDelivery(dead!.id, now)).toBe(true);
			expect(await store().outbox.findDelivery(dead!.id)).toEqual({ ...dead!, status: "pending", attempts: 0, nextAttemptAt: now });
			expect(await store().outbox.retryDelivery(dead!.id, now)).toBe(false);
			expect(await store().outbox.retryDelivery(delivered!.id, now)).toBe(true);
			expect(await store().outbox.findDelivery(delivered!.id)).toEqual({ ...delivered!, status: "pending", attempts: 0, nextAttemptAt: now, deliveredAt: null });
			expect(await store().outbox.retryDelivery(pending!.id, now)).toBe(false);
			expect(await store().outbox.findDelivery(pending!.id)).toEqual(pending);
			expect(await store().outbox.retryDelivery(uid("missing"), now)).toBe(false);
			expect((await claim(now)).claimed.map((d) => d.id).sort()).toEqual([dead!.id, delivered!.id].sort());
		});

		test("listDeliveries lists newest first, filtered by status, channel and account, at most limit; attempts are listed oldest first", async () => {
			const account = await givenAccount();
			const rows = await givenDeliveries(account.id, 4);
			const [webhook] = await givenDeliveries(account.id, 1, { channel: "webhook", createdAt: T0 + 10 });
			const [dead] = await givenDeliveries(account.id, 1, { status: "dead", createdAt: T0 + 11 });
			await givenDeliveries((await givenAccount()).id, 2);
			const ids = (list: DeliveryRecord[]) => list.map((d) => d.id);
			expect(ids(await store().outbox.listDeliveries({ accountId: account.id, limit: 500 }))).toEqual([dead!.id, webhook!.id, ...ids(rows).reverse()]);
			expect(ids(await store().outbox.listDeliveries({ accountId: account.id, limit: 2 }))).toEqual([dead!.id, webhook!.id]);
			expect(ids(await store().outbox.listDeliveries({ accountId: account.id, channel: "webhook", limit: 500 }))).toEqual([webhook!.id]);
			expect(ids(await store().outbox.listDeliveries({ accountId: account.id, status: "dead", limit: 500 }))).toEqual([dead!.id]);
			expect(ids(await store().outbox.listDeliveries({ accountId: account.id, status: "pending", channel: "email", limit: 500 }))).toEqual(ids(rows).reverse());
			const attempts = times(3, (index) => attemptFixture(rows[0]!.id, { attemptedAt: T0 + 3 - index }));
			for (const attempt of attempts) await store().transaction(async (tx) => {
				// The attempt log is written by settle even when the lease is not held.
				await tx.outbox.settleDelivery(rows[0]!.id, "nobody", { status: "pending", nextAttemptAt: T0, lastError: null, deliveredAt: null }, attempt);
			});
			expect(await store().outbox.listDeliveryAttempts(rows[0]!.id)).toEqual([...attempts].reverse());
			expect(await store().outbox.listDeliveryAttempts(uid("missing"))).toEqual([]);
		});

		test("countRecentDeliveries counts the account's deliveries of one kind created at or after since", async () => {
			const account = await givenAccount();
			await givenDeliveries(account.id, 3, { kind: "account_locked", createdAt: T0 });
			await givenDeliveries(account.id, 1, { kind: "account_locked", createdAt: T0 - 1 });
			await givenDeliveries(account.id, 2, { kind: "password_changed", createdAt: T0 });
			await givenDeliveries((await givenAccount()).id, 2, { kind: "account_locked", createdAt: T0 });
			expect(await store().outbox.countRecentDeliveries(account.id, "account_locked", T0)).toBe(3);
			expect(await store().outbox.countRecentDeliveries(account.id, "account_locked", T0 - 1)).toBe(4);
			expect(await store().outbox.countRecentDeliveries(account.id, "password_changed", T0 + 1)).toBe(0);
			expect(await store().outbox.countRecentDeliveries(uid("missing"), "account_locked", 0)).toBe(0);
		});

		test("deleteSettledDeliveries deletes up to `limit` delivered and dead deliveries created before `before`, with their attempts, and keeps the rest, pending ones whatever their age", async () => {
			// Instants no other test uses: the count is exact in the shared store.
			const [delivered] = await givenDeliveries(null, 1, { status: "delivered", createdAt: 1_000, deliveredAt: 1_001 });
			const [dead] = await givenDeliveries(null, 1, { status: "dead", createdAt: 2_000 });
			const [pending] = await givenDeliveries(null, 1, { createdAt: 1_500, nextAttemptAt: FOREVER });
			const [newer] = await givenDeliveries(null, 1, { status: "dead", createdAt: 5_000 });
			await store().outbox.settleDelivery(dead!.id, "nobody", { status: "dead", nextAttemptAt: 0, lastError: null, deliveredAt: null }, attemptFixture(dead!.id));
			expect(await store().outbox.deleteSettledDeliveries(5_000, 1), "at most `limit`").toBe(1);
			expect(await store().outbox.deleteSettledDeliveries(5_000, 100)).toBe(1);
			expect(await store().outbox.findDelivery(dead!.id)).toBeNull();
			expect(await store().outbox.listDeliveryAttempts(dead!.id)).toEqual([]);
			expect(await store().outbox.findDelivery(pending!.id)).toEqual(pending);
			expect(await store().outbox.findDelivery(newer!.id)).toEqual(newer);
		});

		test("countDeliveriesByStatus counts every status", async () => {
			const before = await store().outbox.countDeliveriesByStatus();
			await givenDeliveries(null, 3, { nextAttemptAt: FOREVER });
			await givenDeliveries(null, 2, { status: "delivered", deliveredAt: T0 });
			await givenDeliveries(null, 1, { status: "dead" });
			const after = await store().outbox.countDeliveriesByStatus();
			expect({ pending: after.pending - before.pending, delivered: after.delivered - before.delivered, dead: after.dead - before.dead }).toEqual({ pending: 3, delivered: 2, dead: 1 });
		});

		test("summarizeBacklog counts pending and dead deliveries by channel with the oldest createdAt, and leaves delivered ones out", async () => {
			const count = (rows: Awaited<ReturnType<Store["outbox"]["summarizeBacklog"]>>, channel: string, status: string) => rows.find((row) => row.channel === channel && row.status === status)?.count ?? 0;
			const before = await store().outbox.summarizeBacklog();
			await givenDeliveries(null, 3, { nextAttemptAt: FOREVER, createdAt: 0 });
			await givenDeliveries(null, 2, { channel: "webhook", kind: "login.succeeded", target: "config:0", nextAttemptAt: FOREVER });
			await givenDeliveries(null, 4, { status: "delivered", deliveredAt: T0 });
			await givenDeliveries(null, 1, { status: "dead" });
			const after = await store().outbox.summarizeBacklog();
			expect(after.every((row) => row.status === "pending" || row.status === "dead")).toBe(true);
			expect(count(after, "email", "pending") - count(before, "email", "pending")).toBe(3);
			expect(count(after, "webhook", "pending") - count(before, "webhook", "pending")).toBe(2);
			expect(count(after, "email", "dead") - count(before, "email", "dead")).toBe(1);
			// createdAt 0: the oldest there can be.
			expect(after.find((row) => row.channel === "email" && row.status === "pending")?.oldestCreatedAt).toBe(0);
			expect(typeof after.find((row) => row.channel === "webhook" && row.status === "pending")?.oldestCreatedAt).toBe("number");
		});

		test("deliveries written in a rolled-back transaction leave no trace; a settle inside a transaction commits with it", async () => {
			const [row] = await givenDeliveries(null, 1, { nextAttemptAt: FOREVER });
			const ghost = deliveryFixture(null);
			const failure = new Error("roll back");
			await expect(
				store().transaction(async (tx) => {
					await tx.outbox.insertDeliveries([ghost]);
					await tx.outbox.settleDelivery(row!.id, "nobody", { status: "dead", nextAttemptAt: 0, lastError: null, deliveredAt: null }, attemptFixture(row!.id));
					throw failure;
				}),
			).rejects.toBe(failure);
			expect(await store().outbox.findDelivery(ghost.id)).toBeNull();
			expect(await store().outbox.listDeliveryAttempts(row!.id)).toEqual([]);
		});

		test("a delivery for an unknown account is refused; deleting an account deletes its deliveries and their attempts", async () => {
			await expect(store().outbox.insertDeliveries([deliveryFixture(uid("no-such-account"))])).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
			const account = await givenAccount();
			const other = await givenAccount();
			const [mine] = await givenDeliveries(account.id, 1, { nextAttemptAt: FOREVER });
			const [theirs] = await givenDeliveries(other.id, 1, { nextAttemptAt: FOREVER });
			await store().outbox.settleDelivery(mine!.id, "nobody", { status: "dead", nextAttemptAt: 0, lastError: null, deliveredAt: null }, attemptFixture(mine!.id));
			expect(await store().accounts.deleteAccount(account.id)).toBe(true);
			expect(await store().outbox.findDelivery(mine!.id)).toBeNull();
			expect(await store().outbox.listDeliveryAttempts(mine!.id)).toEqual([]);
			expect(await store().outbox.findDelivery(theirs!.id)).toEqual(theirs);
		});
	});

	describe("webhook endpoints", () => {
		test("an endpoint round-trips with its sealed secret; listed oldest first; deleted once", async () => {
			const first = webhookEndpointFixture({ createdAt: T0 - 1, description: null });
			const second = webhookEndpointFixture({ createdAt: T0 });
			await store().webhookEndpoints.insertWebhookEndpoint(second);
			await store().webhookEndpoints.insertWebhookEndpoint(first);
			expect(comparableEndpoint(await store().webhookEndpoints.findWebhookEndpoint(first.id))).toEqual(comparableEndpoint(first));
			const listed = (await store().webhookEndpoints.listWebhookEndpoints()).filter((e) => e.id === first.id || e.id === second.id);
			expect(listed.map(comparableEndpoint)).toEqual([first, second].map(comparableEndpoint));
			expect(await store().webhookEndpoints.deleteWebhookEndpoint(first.id)).toBe(true);
			expect(await store().webhookEndpoints.deleteWebhookEndpoint(first.id)).toBe(false);
			expect(await store().webhookEndpoints.findWebhookEndpoint(first.id)).toBeNull();
			expect(await store().webhookEndpoints.findWebhookEndpoint(second.id)).not.toBeNull();
			await store().webhookEndpoints.deleteWebhookEndpoint(second.id);
		});
	});
}

function uid(prefix: string): string {
	return `${prefix}-${randomUUID()}`;
}

function times<T>(count: number, make: (index: number) => T): T[] {
	return Array.from({ length: count }, (_, index) => make(index));
}

/** A delivery with its bytes as a plain array, so Buffer and Uint8Array compare equal. */
function comparable(record: DeliveryRecord | null | undefined): unknown {
	if (record === null || record === undefined) return record;
	return { ...record, sealedSecret: record.sealedSecret === null ? null : Array.from(record.sealedSecret) };
}

function comparableEndpoint(record: WebhookEndpointRecord | null | undefined): unknown {
	if (record === null || record === undefined) return record;
	return { ...record, sealedSecret: Array.from(record.sealedSecret) };
}

function deliveryFixture(accountId: string | null, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
	return {
		id: uid("dlv"),
		eventId: null,
		accountId,
		channel: "email",
		kind: "account_locked",
		target: "user@example.com",
		payload: JSON.stringify({ type: "login.locked" }),
		sealedSecret: null,
		status: "pending",
		attempts: 0,
		nextAttemptAt: T0,
		leaseExpiresAt: 0,
		leaseOwner: null,
		lastError: null,
		createdAt: T0,
		deliveredAt: null,
		...overrides,
	};
}

function attemptFixture(deliveryId: string, overrides: Partial<DeliveryAttemptRecord> = {}): DeliveryAttemptRecord {
	return { id: uid("att"), deliveryId, attemptedAt: T0, outcome: "failed", detail: "HTTP 500", durationMillis: 12, ...overrides };
}

function webhookEndpointFixture(overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
	return { id: uid("whe"), url: "https://hooks.example.com/deadbolt", events: JSON.stringify(["*"]), sealedSecret: new Uint8Array([0, 5, 0, 6]), createdAt: T0, description: "CRM", ...overrides };
}
