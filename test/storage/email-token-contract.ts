/**
 * The storage contract of mailed links and of the account's address (issue 11): email tokens,
 * `markEmailVerified` and `changeEmail`, run by {@link describeStoreContract} on every backend.
 * The store is shared with the rest of the suite: each test uses its own accounts, addresses and
 * IPs; the housekeeping case uses instants no other test uses.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { AccountRecord, EmailTokenRecord, Store } from "../../src/storage/store.js";

const T0 = 1_700_000_000_000;
const MINUTE_MS = 60_000;
const RACERS = 20;

/**
 * Registers the email token and account address cases.
 * @param store - the suite's store (opened in its `beforeAll`)
 * @param givenAccount - inserts a fresh account
 */
export function describeEmailTokenContract(store: () => Store, givenAccount: (overrides?: Partial<AccountRecord>) => Promise<AccountRecord>): void {
	async function givenToken(accountId: string | null, overrides: Partial<EmailTokenRecord> = {}): Promise<EmailTokenRecord> {
		const token = emailTokenFixture(accountId, overrides);
		await store().emailTokens.insertEmailToken(token);
		return token;
	}

	describe("email tokens", () => {
		test("a token round-trips with every field, and a sign-up token without an account with its password hash", async () => {
			const account = await givenAccount();
			const full = await givenToken(account.id, { consumedAt: T0 + 1, secondFactorVerifiedAt: T0 + 2, attempts: 3, expiresAt: 2 ** 41 });
			const signUp = await givenToken(null, { purpose: "sign_up", passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", ipAddress: null });
			expect(await store().emailTokens.findEmailToken(full.id)).toEqual(full);
			expect(await store().emailTokens.findEmailToken(signUp.id)).toEqual(signUp);
			expect(await store().emailTokens.findEmailToken(uid("missing"))).toBeNull();
		});

		test("a token is consumed once, not after it expires, and an unknown id never", async () => {
			const account = await givenAccount();
			const token = await givenToken(account.id);
			expect(await store().emailTokens.consumeEmailToken(token.id, T0 + 1)).toBe(true);
			expect(await store().emailTokens.consumeEmailToken(token.id, T0 + 2)).toBe(false);
			expect((await store().emailTokens.findEmailToken(token.id))?.consumedAt).toBe(T0 + 1);
			const expiring = await givenToken(account.id);
			expect(await store().emailTokens.consumeEmailToken(expiring.id, expiring.expiresAt)).toBe(false);
			expect((await store().emailTokens.findEmailToken(expiring.id))?.consumedAt).toBeNull();
			expect(await store().emailTokens.consumeEmailToken(uid("missing"), T0)).toBe(false);
		});

		test(`${RACERS} concurrent consumes of the same token: exactly one wins`, async () => {
			const token = await givenToken((await givenAccount()).id);
			const results = await Promise.all(times(RACERS, () => store().emailTokens.consumeEmailToken(token.id, T0 + 1)));
			expect(results.filter(Boolean)).toHaveLength(1);
		});

		test("code attempts: exactly maxAttempts are reserved, none on a consumed or expired token", async () => {
			const account = await givenAccount();
			const token = await givenToken(account.id);
			const reserved = [];
			for (let i = 0; i < 5; i++) reserved.push(await store().emailTokens.reserveEmailTokenAttempt(token.id, T0 + 1, 3));
			expect(reserved).toEqual([true, true, true, false, false]);
			expect((await store().emailTokens.findEmailToken(token.id))?.attempts).toBe(3);
			const consumed = await givenToken(account.id);
			await store().emailTokens.consumeEmailToken(consumed.id, T0 + 1);
			expect(await store().emailTokens.reserveEmailTokenAttempt(consumed.id, T0 + 2, 3)).toBe(false);
			const expired = await givenToken(account.id);
			expect(await store().emailTokens.reserveEmailTokenAttempt(expired.id, expired.expiresAt, 3)).toBe(false);
			expect((await store().emailTokens.findEmailToken(expired.id))?.attempts).toBe(0);
		});

		test(`${RACERS} concurrent attempt reservations cannot exceed a budget of 5`, async () => {
			const token = await givenToken((await givenAccount()).id);
			const results = await Promise.all(times(RACERS, () => store().emailTokens.reserveEmailTokenAttempt(token.id, T0 + 1, 5)));
			expect(results.filter(Boolean)).toHaveLength(5);
			expect((await store().emailTokens.findEmailToken(token.id))?.attempts).toBe(5);
		});

		test("the second factor is recorded once, on an open token only", async () => {
			const account = await givenAccount();
			const token = await givenToken(account.id, { purpose: "reset_password" });
			const results = await Promise.all(times(RACERS, (i) => store().emailTokens.markEmailTokenSecondFactorVerified(token.id, T0 + 1 + i)));
			expect(results.filter(Boolean)).toHaveLength(1);
			const winner = T0 + 1 + results.indexOf(true);
			expect((await store().emailTokens.findEmailToken(token.id))?.secondFactorVerifiedAt).toBe(winner);
			expect(await store().emailTokens.markEmailTokenSecondFactorVerified(token.id, T0 + 100)).toBe(false);
			const consumed = await givenToken(account.id, { purpose: "reset_password" });
			await store().emailTokens.consumeEmailToken(consumed.id, T0 + 1);
			expect(await store().emailTokens.markEmailTokenSecondFactorVerified(consumed.id, T0 + 2)).toBe(false);
			const expired = await givenToken(account.id, { purpose: "reset_password" });
			expect(await store().emailTokens.markEmailTokenSecondFactorVerified(expired.id, expired.expiresAt)).toBe(false);
			expect(await store().emailTokens.markEmailTokenSecondFactorVerified(uid("missing"), T0)).toBe(false);
		});

		test("consumeAccountEmailTokens ends the account's open tokens of one purpose, or of all, and counts them", async () => {
			const account = await givenAccount();
			const other = await givenAccount();
			const resets = [await givenToken(account.id, { purpose: "reset_password" }), await givenToken(account.id, { purpose: "reset_password" })];
			const verify = await givenToken(account.id, { purpose: "verify_email" });
			const change = await givenToken(account.id, { purpose: "change_email" });
			const expired = await givenToken(account.id, { purpose: "reset_password", expiresAt: T0 + 1 });
			const used = await givenToken(account.id, { purpose: "reset_password", consumedAt: T0 });
			const otherReset = await givenToken(other.id, { purpose: "reset_password" });
			const now = T0 + 2;
			expect(await store().emailTokens.consumeAccountEmailTokens(account.id, now, "reset_password")).toBe(2);
			for (const token of resets) expect((await store().emailTokens.findEmailToken(token.id))?.consumedAt).toBe(now);
			expect(await store().emailTokens.findEmailToken(verify.id)).toEqual(verify);
			expect(await store().emailTokens.findEmailToken(expired.id)).toEqual(expired);
			expect(await store().emailTokens.findEmailToken(used.id)).toEqual(used);
			expect(await store().emailTokens.findEmailToken(otherReset.id)).toEqual(otherReset);
			expect(await store().emailTokens.consumeAccountEmailTokens(account.id, now + 1)).toBe(2);
			expect((await store().emailTokens.findEmailToken(verify.id))?.consumedAt).toBe(now + 1);
			expect((await store().emailTokens.findEmailToken(change.id))?.consumedAt).toBe(now + 1);
			expect(await store().emailTokens.consumeAccountEmailTokens(account.id, now + 2)).toBe(0);
			expect(await store().emailTokens.findEmailToken(otherReset.id)).toEqual(otherReset);
		});

		test("consumeEmailTokensForAddress ends the open tokens of one purpose mailed to one address, and counts them", async () => {
			const email = `${uid("signup")}@example.com`;
			const open = [await givenToken(null, { purpose: "sign_up", email }), await givenToken(null, { purpose: "sign_up", email })];
			const expired = await givenToken(null, { purpose: "sign_up", email, expiresAt: T0 + 1 });
			const used = await givenToken(null, { purpose: "sign_up", email, consumedAt: T0 });
			const otherPurpose = await givenToken((await givenAccount()).id, { purpose: "verify_email", email });
			const otherAddress = await givenToken(null, { purpose: "sign_up", email: `${uid("other")}@example.com` });
			const now = T0 + 2;
			expect(await store().emailTokens.consumeEmailTokensForAddress("sign_up", email, now)).toBe(2);
			for (const token of open) expect((await store().emailTokens.findEmailToken(token.id))?.consumedAt).toBe(now);
			for (const token of [expired, used, otherPurpose, otherAddress]) expect(await store().emailTokens.findEmailToken(token.id)).toEqual(token);
			expect(await store().emailTokens.consumeEmailTokensForAddress("sign_up", email, now + 1)).toBe(0);
		});

		test("countRecentEmailTokens counts by account, by address or by IP, one purpose, created at or after since", async () => {
			const account = await givenAccount();
			const email = `${uid("to")}@example.com`;
			const ipAddress = `2001:db8::${randomUUID().slice(0, 4)}`;
			await givenToken(account.id, { purpose: "reset_password", email, ipAddress, createdAt: T0 });
			await givenToken(account.id, { purpose: "reset_password", email, ipAddress, createdAt: T0 + 1 });
			await givenToken(account.id, { purpose: "reset_password", email, ipAddress, createdAt: T0 - 1 });
			await givenToken(account.id, { purpose: "verify_email", email, ipAddress, createdAt: T0 });
			await givenToken(null, { purpose: "reset_password", email, ipAddress: null, createdAt: T0 });
			await givenToken((await givenAccount()).id, { purpose: "reset_password", ipAddress, createdAt: T0 });
			const count = (key: Parameters<Store["emailTokens"]["countRecentEmailTokens"]>[1], since = T0) => store().emailTokens.countRecentEmailTokens("reset_password", key, since);
			expect(await count({ accountId: account.id })).toBe(2);
			expect(await count({ accountId: account.id }, T0 - 1)).toBe(3);
			expect(await count({ email })).toBe(3);
			expect(await count({ ipAddress })).toBe(3);
			expect(await store().emailTokens.countRecentEmailTokens("verify_email", { accountId: account.id }, T0)).toBe(1);
			expect(await store().emailTokens.countRecentEmailTokens("change_email", { email }, 0)).toBe(0);
		});

		test("deleteExpiredEmailTokens deletes the tokens that expired before now and keeps the rest", async () => {
			// Instants no other test uses: the count is exact in the shared store.
			const account = await givenAccount();
			const gone = [await givenToken(account.id, { createdAt: 1_000, expiresAt: 2_000 }), await givenToken(null, { purpose: "sign_up", createdAt: 1_000, expiresAt: 4_999 })];
			const kept = await givenToken(account.id, { createdAt: 1_000, expiresAt: 5_000 });
			expect(await store().emailTokens.deleteExpiredEmailTokens(5_000)).toBe(2);
			for (const token of gone) expect(await store().emailTokens.findEmailToken(token.id)).toBeNull();
			expect(await store().emailTokens.findEmailToken(kept.id)).toEqual(kept);
		});

		test("a token for an unknown account is refused; deleting an account deletes its tokens", async () => {
			await expect(store().emailTokens.insertEmailToken(emailTokenFixture(uid("no-such-account")))).rejects.toMatchObject({ code: "ERR_STORAGE_UNAVAILABLE" });
			const account = await givenAccount();
			const token = await givenToken(account.id);
			const signUp = await givenToken(null, { purpose: "sign_up", email: account.email });
			expect(await store().accounts.deleteAccount(account.id)).toBe(true);
			expect(await store().emailTokens.findEmailToken(token.id)).toBeNull();
			expect(await store().emailTokens.findEmailToken(signUp.id)).toEqual(signUp);
		});
	});

	describe("account address", () => {
		test("a new account is unverified; markEmailVerified verifies it once and keeps the first instant", async () => {
			const account = await givenAccount();
			expect((await store().accounts.findAccountById(account.id))?.emailVerifiedAt).toBeNull();
			const results = await Promise.all(times(RACERS, (i) => store().accounts.markEmailVerified(account.id, T0 + 1 + i)));
			expect(results.filter(Boolean)).toHaveLength(1);
			const at = T0 + 1 + results.indexOf(true);
			expect(await store().accounts.findAccountById(account.id)).toEqual({ ...account, emailVerifiedAt: at, updatedAt: at });
			expect(await store().accounts.markEmailVerified(account.id, T0 + 100)).toBe(false);
			expect(await store().accounts.markEmailVerified(uid("missing"), T0)).toBe(false);
			const verified = await givenAccount({ emailVerifiedAt: T0 - 5 });
			expect(await store().accounts.findAccountByEmail(verified.email)).toEqual(verified);
			expect(await store().accounts.markEmailVerified(verified.id, T0)).toBe(false);
		});

		test("changeEmail replaces the address and marks it verified; the old address is free again", async () => {
			const account = await givenAccount();
			const next = `${uid("new")}@example.com`;
			expect(await store().accounts.changeEmail(account.id, next, T0 + 1)).toBe(true);
			expect(await store().accounts.findAccountById(account.id)).toEqual({ ...account, email: next, emailVerifiedAt: T0 + 1, updatedAt: T0 + 1 });
			expect(await store().accounts.findAccountByEmail(account.email)).toBeNull();
			expect(await store().accounts.insertAccount(accountLike(account.email))).toBe(true);
			expect(await store().accounts.changeEmail(uid("missing"), `${uid("x")}@example.com`, T0)).toBe(false);
		});

		test("changeEmail to an address another account has returns false and writes nothing", async () => {
			const account = await givenAccount();
			const holder = await givenAccount();
			expect(await store().accounts.changeEmail(account.id, holder.email, T0 + 1)).toBe(false);
			expect(await store().accounts.findAccountById(account.id)).toEqual(account);
			expect(await store().accounts.findAccountById(holder.id)).toEqual(holder);
		});

		test("inside a transaction, a refused changeEmail returns false and the transaction goes on and commits", async () => {
			const account = await givenAccount();
			const holder = await givenAccount();
			const result = await store().transaction(async (tx) => {
				const refused = await tx.accounts.changeEmail(account.id, holder.email, T0 + 1);
				const verified = await tx.accounts.markEmailVerified(account.id, T0 + 2);
				return { refused, verified };
			});
			expect(result).toEqual({ refused: false, verified: true });
			expect(await store().accounts.findAccountById(account.id)).toEqual({ ...account, emailVerifiedAt: T0 + 2, updatedAt: T0 + 2 });
		});

		test(`${RACERS} accounts changing to the same new address at once: exactly one gets it, none throws`, async () => {
			const accounts = await Promise.all(times(RACERS, () => givenAccount()));
			const target = `${uid("contested")}@example.com`;
			const results = await Promise.all(accounts.map((account) => store().accounts.changeEmail(account.id, target, T0 + 1)));
			expect(results.filter(Boolean)).toHaveLength(1);
			expect((await store().accounts.findAccountByEmail(target))?.id).toBe(accounts[results.indexOf(true)]!.id);
		});

		test(`${RACERS} concurrent changes inside transactions to the same new address: exactly one commits it, the others commit their other writes`, async () => {
			const accounts = await Promise.all(times(RACERS, () => givenAccount()));
			const target = `${uid("contested")}@example.com`;
			const results = await Promise.all(
				accounts.map((account) =>
					store().transaction(async (tx) => {
						const changed = await tx.accounts.changeEmail(account.id, target, T0 + 1);
						await tx.accounts.updatePasswordHash(account.id, "after", T0 + 3);
						return changed;
					}),
				),
			);
			expect(results.filter(Boolean)).toHaveLength(1);
			for (const account of accounts) expect((await store().accounts.findAccountById(account.id))?.passwordHash).toBe("after");
		});
	});
}

function uid(prefix: string): string {
	return `${prefix}-${randomUUID()}`;
}

function times<T>(count: number, make: (index: number) => T): T[] {
	return Array.from({ length: count }, (_, index) => make(index));
}

function accountLike(email: string): AccountRecord {
	return { id: uid("acct"), email, passwordHash: null, createdAt: T0, updatedAt: T0, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null };
}

function emailTokenFixture(accountId: string | null, overrides: Partial<EmailTokenRecord> = {}): EmailTokenRecord {
	return {
		id: uid("etok"),
		purpose: "verify_email",
		accountId,
		email: `${uid("user")}@example.com`,
		secretHash: (randomUUID() + randomUUID()).replaceAll("-", ""),
		passwordHash: null,
		createdAt: T0,
		expiresAt: T0 + 30 * MINUTE_MS,
		consumedAt: null,
		secondFactorVerifiedAt: null,
		attempts: 0,
		ipAddress: "192.0.2.7",
		...overrides,
	};
}
