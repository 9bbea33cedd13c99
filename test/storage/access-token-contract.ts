/**
 * The storage contract of personal access tokens (issue 12, migration 0013), run by
 * {@link describeStoreContract} on every backend. The store is shared with the rest of the suite:
 * each test uses its own accounts; housekeeping is checked on this file's tokens only.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { StorageUnavailable } from "../../src/errors.js";
import type { AccessTokenRecord, AccountRecord, Store } from "../../src/storage/store.js";

const T0 = 1_700_000_000_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const RACERS = 20;

/**
 * Registers the access token cases.
 * @param store - the suite's store (opened in its `beforeAll`)
 * @param givenAccount - inserts a fresh account
 */
export function describeAccessTokenContract(store: () => Store, givenAccount: (overrides?: Partial<AccountRecord>) => Promise<AccountRecord>): void {
	async function givenToken(accountId: string, overrides: Partial<AccessTokenRecord> = {}): Promise<AccessTokenRecord> {
		const token = accessTokenFixture(accountId, overrides);
		await store().accessTokens.insertAccessToken(token);
		return token;
	}

	describe("access tokens", () => {
		test("a token round-trips with every field, including large epoch values and nulls; an unknown id is null", async () => {
			const account = await givenAccount();
			const full = await givenToken(account.id, { name: "CI \u00e9\u4e2d", aal: 2, expiresAt: Number.MAX_SAFE_INTEGER, lastUsedAt: 2 ** 41, lastUsedIp: "2001:db8::7", revokedAt: 2 ** 41 + 1 });
			const fresh = await givenToken(account.id);
			expect(await store().accessTokens.findAccessToken(full.id)).toEqual(full);
			expect(await store().accessTokens.findAccessToken(fresh.id)).toEqual(fresh);
			expect(await store().accessTokens.findAccessToken(uid("missing"))).toBeNull();
		});

		test("a token for an unknown account is refused", async () => {
			const orphan = accessTokenFixture(uid("no-such-account"));
			await expect(store().accessTokens.insertAccessToken(orphan)).rejects.toBeInstanceOf(StorageUnavailable);
			expect(await store().accessTokens.findAccessToken(orphan.id)).toBeNull();
		});

		test("the list holds the account's unrevoked tokens, expired ones too, newest first, and no other account's", async () => {
			const account = await givenAccount();
			const other = await givenAccount();
			const older = await givenToken(account.id, { createdAt: T0 });
			const expired = await givenToken(account.id, { createdAt: T0 + 1, expiresAt: T0 + 2 });
			const newer = await givenToken(account.id, { createdAt: T0 + 2 });
			await givenToken(account.id, { createdAt: T0 + 3, revokedAt: T0 + 4 });
			await givenToken(other.id);
			expect((await store().accessTokens.listAccountAccessTokens(account.id)).map((t) => t.id)).toEqual([newer.id, expired.id, older.id]);
		});

		test("a use is written at most once per interval: not again until the last one is at or before unlessUsedAfter, never on a revoked token", async () => {
			const account = await givenAccount();
			const token = await givenToken(account.id);
			const touch = (now: number, ip: string | null) => store().accessTokens.touchAccessToken(token.id, { now, ipAddress: ip, unlessUsedAfter: now - MINUTE_MS });
			expect(await touch(T0 + 10, "192.0.2.1")).toBe(true);
			expect(await touch(T0 + 20, "192.0.2.2")).toBe(false);
			expect(await touch(T0 + 10 + MINUTE_MS - 1, "192.0.2.3")).toBe(false);
			expect(await store().accessTokens.findAccessToken(token.id)).toMatchObject({ lastUsedAt: T0 + 10, lastUsedIp: "192.0.2.1" });
			expect(await touch(T0 + 10 + MINUTE_MS, null)).toBe(true);
			expect(await store().accessTokens.findAccessToken(token.id)).toMatchObject({ lastUsedAt: T0 + 10 + MINUTE_MS, lastUsedIp: null });
			expect(await store().accessTokens.revokeAccessToken(account.id, token.id, T0 + DAY_MS)).toBe(true);
			expect(await touch(T0 + 2 * DAY_MS, "192.0.2.4")).toBe(false);
			expect(await store().accessTokens.touchAccessToken(uid("missing"), { now: T0, ipAddress: null, unlessUsedAfter: T0 })).toBe(false);
		});

		test(`${RACERS} concurrent uses within one interval: exactly one writes`, async () => {
			const token = await givenToken((await givenAccount()).id);
			const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => store().accessTokens.touchAccessToken(token.id, { now: T0 + i, ipAddress: null, unlessUsedAfter: T0 - MINUTE_MS })));
			expect(results.filter(Boolean)).toHaveLength(1);
		});

		test("revoking one: only the owner's account, once; another account's id revokes nothing", async () => {
			const account = await givenAccount();
			const other = await givenAccount();
			const token = await givenToken(account.id);
			expect(await store().accessTokens.revokeAccessToken(other.id, token.id, T0 + 1)).toBe(false);
			expect((await store().accessTokens.findAccessToken(token.id))?.revokedAt).toBeNull();
			expect(await store().accessTokens.revokeAccessToken(account.id, token.id, T0 + 2)).toBe(true);
			expect(await store().accessTokens.revokeAccessToken(account.id, token.id, T0 + 3)).toBe(false);
			expect((await store().accessTokens.findAccessToken(token.id))?.revokedAt).toBe(T0 + 2);
			expect(await store().accessTokens.revokeAccessToken(account.id, uid("missing"), T0 + 4)).toBe(false);
		});

		test("revoking all ends every unrevoked token of the account (expired ones too), counts them, and leaves other accounts' alone", async () => {
			const account = await givenAccount();
			const other = await givenAccount();
			await givenToken(account.id);
			await givenToken(account.id, { expiresAt: T0 + 1 });
			const earlier = await givenToken(account.id, { revokedAt: T0 });
			const others = await givenToken(other.id);
			expect(await store().accessTokens.revokeAccountAccessTokens(account.id, T0 + 5)).toBe(2);
			expect(await store().accessTokens.listAccountAccessTokens(account.id)).toEqual([]);
			expect((await store().accessTokens.findAccessToken(earlier.id))?.revokedAt).toBe(T0);
			expect((await store().accessTokens.findAccessToken(others.id))?.revokedAt).toBeNull();
			expect(await store().accessTokens.revokeAccountAccessTokens(account.id, T0 + 6)).toBe(0);
		});

		test("housekeeping deletes tokens revoked or expired before the instant, and keeps live ones", async () => {
			const account = await givenAccount();
			// Instants far before any other test's: only this test's rows can be old enough.
			const before = 1_000_000;
			const revokedLongAgo = await givenToken(account.id, { createdAt: 10, expiresAt: Number.MAX_SAFE_INTEGER, revokedAt: before - 1 });
			const expiredLongAgo = await givenToken(account.id, { createdAt: 10, expiresAt: before - 1 });
			const endedAtTheInstant = await givenToken(account.id, { createdAt: 10, expiresAt: before });
			const live = await givenToken(account.id, { createdAt: 10, expiresAt: Number.MAX_SAFE_INTEGER });
			expect(await store().accessTokens.deleteEndedAccessTokens(before)).toBe(2);
			expect(await store().accessTokens.findAccessToken(revokedLongAgo.id)).toBeNull();
			expect(await store().accessTokens.findAccessToken(expiredLongAgo.id)).toBeNull();
			expect(await store().accessTokens.findAccessToken(endedAtTheInstant.id)).not.toBeNull();
			expect(await store().accessTokens.findAccessToken(live.id)).not.toBeNull();
		});

		test("deleting the account deletes its tokens", async () => {
			const account = await givenAccount();
			const token = await givenToken(account.id);
			expect(await store().accounts.deleteAccount(account.id)).toBe(true);
			expect(await store().accessTokens.findAccessToken(token.id)).toBeNull();
		});
	});
}

/** A unique id with a readable prefix. */
function uid(prefix: string): string {
	return `${prefix}-${randomUUID()}`;
}

/** A live token of `accountId` created at T0 for 30 days, never used. */
function accessTokenFixture(accountId: string, overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
	return {
		id: uid("pat"),
		accountId,
		name: "backup script",
		secretHash: (randomUUID() + randomUUID()).replaceAll("-", ""),
		hosts: JSON.stringify(["app.example.test", "*.example.test"]),
		aal: 1,
		createdAt: T0,
		expiresAt: T0 + 30 * DAY_MS,
		lastUsedAt: null,
		lastUsedIp: null,
		revokedAt: null,
		...overrides,
	};
}
