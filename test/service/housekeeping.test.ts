/**
 * Retention (service/housekeeping.ts, issue 15), on SQLite and PostgreSQL: security activity older
 * than `activity.retentionSeconds` and sessions ended more than `session.retentionSeconds` ago are
 * deleted in batches until none is left, newer rows are kept; and the new-device alert, the one
 * decision that reads old activity, gives the same answer whether pruning has run or not. (Pending
 * outbox deliveries are never pruned: test/storage/outbox-contract.ts.)
 * The tests run in order: the first counts exactly what it deleted, so it runs before the second
 * leaves old rows behind (PostgreSQL keeps one schema for the file).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestContext } from "../../src/service/deps.js";
import type { SessionRecord } from "../../src/storage/store.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, signUp } from "../helpers/flows.js";

const DAY_MS = 86_400_000;
const FIREFOX: RequestContext = { ipAddress: "192.0.2.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" };
let counter = 0;

for (const backend of await testBackends()) {
	describe(`housekeeping's retention on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});

		it("deletes activity past activity.retentionSeconds and sessions past session.retentionSeconds after their end, batch after batch until none is left, and keeps newer ones", async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { activity: { retentionSeconds: 30 * 86_400 }, session: { retentionSeconds: 86_400 } } });
			const { account, session } = await signUp(t);
			const now = t.clock.now();
			const activityCutoff = now - 30 * DAY_MS;
			const sessionCutoff = now - DAY_MS;
			const event = (id: string, createdAt: number) => ({ id, accountId: account.id, type: "login.succeeded", createdAt, ipAddress: null, userAgent: null, details: "{}" });
			for (let i = 1; i <= 5; i++) await t.store.securityEvents.insertSecurityEvent(event(`old-event-${++counter}`, activityCutoff - i));
			const keptEvent = event(`kept-event-${++counter}`, activityCutoff);
			await t.store.securityEvents.insertSecurityEvent(keptEvent);
			const ended = (id: string, expiresAt: number): SessionRecord => ({ id, accountId: account.id, secretHash: "0".repeat(64), aal: 1, createdAt: expiresAt - DAY_MS, lastActiveAt: expiresAt - DAY_MS, expiresAt, reauthenticatedAt: expiresAt - DAY_MS, revokedAt: null, ipAddress: null, userAgent: null, secondFactorAt: null, amr: "pwd" });
			const old = [1, 2, 3].map((i) => ended(`old-session-${++counter}`, sessionCutoff - i));
			for (const record of old) await t.store.sessions.insertSession(record);
			const keptSession = ended(`kept-session-${++counter}`, sessionCutoff);
			await t.store.sessions.insertSession(keptSession);

			const result = await t.deadbolt.purgeExpired({ batchRows: 2 });
			expect({ expiredActivity: result.expiredActivity, endedSessions: result.endedSessions }).toEqual({ expiredActivity: 5, endedSessions: 3 });
			const events = await t.store.securityEvents.listSecurityEvents(account.id, 500);
			expect(events.filter((kept) => kept.id.startsWith("old-")), "every old event, over three batches").toEqual([]);
			expect(events.map((kept) => kept.id)).toContain(keptEvent.id);
			expect(events.some((kept) => kept.type === "account.created"), "the sign-up's event").toBe(true);
			for (const record of old) expect(await t.store.sessions.findSession(record.id)).toBeNull();
			expect(await t.store.sessions.findSession(keptSession.id)).toEqual(keptSession);
			expect((await t.deadbolt.validateSession(session.token)).account.id, "the live session").toBe(account.id);
		});

		it("the new-device alert reads only the retention period: a dormant account's sign-in is new whether its old activity was pruned yet or not", async () => {
			t = await createTestDeadbolt({ store: await backend.open(), overrides: { activity: { retentionSeconds: 30 * 86_400 } } });
			const signIn = async (email: string) => {
				const result = await t.deadbolt.beginLogin({ email, password: PASSWORD }, FIREFOX);
				if (result.kind !== "session") throw new Error("expected a session");
			};
			const newDeviceFlags = async (accountId: string) => (await t.deadbolt.listSecurityEvents(accountId)).filter((event) => event.type === "login.succeeded").map((event) => event.details["newDevice"]);
			const notPruned = await signUp(t, `dormant${++counter}@example.com`);
			const pruned = await signUp(t, `dormant${++counter}@example.com`);
			await signIn(notPruned.email);
			await signIn(pruned.email);
			expect([...(await newDeviceFlags(notPruned.account.id)), ...(await newDeviceFlags(pruned.account.id))], "the first sign-ins").toEqual([false, false]);

			t.clock.advance(31 * DAY_MS);
			await signIn(notPruned.email);
			expect((await t.deadbolt.purgeExpired()).expiredActivity).toBeGreaterThanOrEqual(4);
			await signIn(pruned.email);
			expect((await newDeviceFlags(notPruned.account.id))[0], "signed in while its old activity was there").toBe(true);
			expect(await newDeviceFlags(pruned.account.id), "signed in after it was pruned").toEqual([true]);
		});
	});
}
