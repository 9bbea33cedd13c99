/**
 * The one storage contract (DESIGN.md §3.6, rule 10): every backend runs this suite unchanged
 * (kysely's `DIALECTS` loop, better-auth's `createTestSuite`). Test names state the property.
 *
 * The suite opens ONE store for all its tests (a fresh database or schema per backend run),
 * so every test works on its own accounts with random ids and emails and never assumes an
 * empty table. The outbox, webhook endpoint, email token and account address cases (issue 11)
 * live in `outbox-contract.ts` and `email-token-contract.ts`, the personal access tokens (issue 12) in
 * `access-token-contract.ts`, registered here. Instants are fixed numbers, never the wall clock.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { StorageUnavailable } from "../../src/errors.js";
import type { UnixMillis } from "../../src/platform/clock.js";
import type {
	AccountRecord,
	LoginChallengeRecord,
	SignInLinkRecord,
	RecoveryCodeRecord,
	SecurityEventRecord,
	SessionRecord,
	SigningKeyRecord,
	Store,
	TOTPCredentialRecord,
	TrustedDeviceRecord,
} from "../../src/storage/store.js";
import { describeAccessTokenContract } from "./access-token-contract.js";
import { describeEmailTokenContract } from "./email-token-contract.js";
import { describeOutboxContract } from "./outbox-contract.js";

/** A fixed "now" for the suite, in epoch milliseconds (2023-11-14T22:13:20Z). */
const T0 = 1_700_000_000_000;
/** 2^41 ms: an instant in 2039, beyond 32-bit seconds and far beyond 32-bit milliseconds. */
const LARGE_EPOCH_MS = 2 ** 41;
/** A TOTP time step far in the future whose instant in milliseconds is still exact (2^33 steps of 30 s). */
const LARGE_STEP = 2 ** 33;
/** The largest instant a JavaScript number holds exactly. */
const MAX_EPOCH_MS = Number.MAX_SAFE_INTEGER;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How many callers race in each race case. */
const RACERS = 20;

/**
 * Registers the storage contract suite for one backend.
 * @param name - the backend, shown as the suite name (e.g. `"SQLite :memory:"`).
 * @param openStore - opens a migrated store; called once for the suite and once more for the
 *   closed-store case. Stores it returns are closed by the suite.
 */
export function describeStoreContract(name: string, openStore: () => Promise<Store>): void {
	describe(name, () => {
		let store: Store;

		beforeAll(async () => {
			store = await openStore();
		});

		afterAll(async () => {
			await store?.close();
		});

		/** Inserts a fresh account and returns it. */
		async function givenAccount(overrides: Partial<AccountRecord> = {}): Promise<AccountRecord> {
			const account = accountFixture(overrides);
			expect(await store.accounts.insertAccount(account)).toBe(true);
			return account;
		}

		/** Inserts a pending credential, confirms it, and returns it as stored. */
		async function givenConfirmedCredential(accountId: string, step = 100): Promise<TOTPCredentialRecord> {
			const pending = pendingCredentialFixture(accountId);
			await store.totpCredentials.replacePendingTOTPCredential(pending);
			expect(await store.totpCredentials.confirmTOTPCredential(pending.id, step, T0, REPLACE)).toBe(true);
			const confirmed = await store.totpCredentials.findConfirmedTOTPCredential(accountId);
			expect(confirmed?.id).toBe(pending.id);
			return confirmed as TOTPCredentialRecord;
		}

		describe("accounts", () => {
			test("an account round-trips with every field, including large epoch values", async () => {
				const account = accountFixture({ passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", createdAt: LARGE_EPOCH_MS, updatedAt: MAX_EPOCH_MS });
				expect(await store.accounts.insertAccount(account)).toBe(true);
				expect(await store.accounts.findAccountById(account.id)).toEqual(account);
				expect(await store.accounts.findAccountByEmail(account.email)).toEqual(account);
			});

			test("an account without a password round-trips its null password hash", async () => {
				const account = await givenAccount({ passwordHash: null });
				expect(await store.accounts.findAccountById(account.id)).toEqual(account);
			});

			test("lockAccountForCodeStep reads the account, its second factor's lock end and its newest confirmation", async () => {
				const account = await givenAccount();
				expect(await store.accounts.lockAccountForCodeStep(account.id)).toEqual({ account, secondFactorLockedUntil: null, newestTOTPConfirmedAt: null });
				await givenConfirmedCredential(account.id);
				expect(await store.authFailures.lockAuthFailures(account.id, "password", T0 + MINUTE_MS, T0)).toBe(true);
				expect((await store.accounts.lockAccountForCodeStep(account.id))?.secondFactorLockedUntil).toBeNull();
				expect(await store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + 2 * MINUTE_MS, T0)).toBe(true);
				expect(await store.transaction((tx) => tx.accounts.lockAccountForCodeStep(account.id))).toEqual({ account, secondFactorLockedUntil: T0 + 2 * MINUTE_MS, newestTOTPConfirmedAt: T0 });
				expect(await store.accounts.lockAccountForCodeStep(uid("missing"))).toBeNull();
			});

			test("lockAccountForCodeStep waiting for the account's lock reads what its holder committed (a second-factor lock, 2FA off)", async () => {
				// On PostgreSQL one statement reads with the snapshot it started with, however long it
				// waited for the row lock: the facts must be read after the lock is taken.
				const account = await givenAccount();
				await givenConfirmedCredential(account.id);
				let lockTaken!: () => void;
				const taken = new Promise<void>((resolve) => (lockTaken = resolve));
				let release!: () => void;
				const released = new Promise<void>((resolve) => (release = resolve));
				const holder = store.transaction(async (tx) => {
					await tx.accounts.lockAccount(account.id);
					lockTaken();
					await released;
					expect(await tx.authFailures.lockAuthFailures(account.id, "second_factor", T0 + MINUTE_MS, T0)).toBe(true);
					await tx.totpCredentials.deleteTOTPCredentials(account.id);
				});
				await taken;
				const reader = store.transaction((tx) => tx.accounts.lockAccountForCodeStep(account.id));
				// Let the reader's statement reach the lock and wait there (had it not yet, it would only read later).
				await new Promise((resolve) => setTimeout(resolve, 200));
				release();
				await holder;
				expect(await reader).toEqual({ account, secondFactorLockedUntil: T0 + MINUTE_MS, newestTOTPConfirmedAt: null });
			});

			test("looking up an unknown id or email returns null", async () => {
				expect(await store.accounts.findAccountById(uid("missing"))).toBeNull();
				expect(await store.accounts.findAccountByEmail(`${uid("missing")}@example.com`)).toBeNull();
			});

			test("inserting an account with a taken email returns false and writes nothing", async () => {
				const first = await givenAccount();
				const second = accountFixture({ email: first.email, passwordHash: "other" });
				expect(await store.accounts.insertAccount(second)).toBe(false);
				expect(await store.accounts.findAccountById(second.id)).toBeNull();
				expect(await store.accounts.findAccountByEmail(first.email)).toEqual(first);
			});

			test("listAccountIdsAfter pages through every account by id, ascending, after the id given", async () => {
				const made = [await givenAccount(), await givenAccount(), await givenAccount()].map((account) => account.id).sort();
				const seen: string[] = [];
				let after: string | null = null;
				for (;;) {
					const page: string[] = await store.accounts.listAccountIdsAfter(after, 2);
					expect(page.length).toBeLessThanOrEqual(2);
					if (page.length === 0) break;
					seen.push(...page);
					after = page.at(-1) as string;
				}
				// In the database's own order (its collation): no id twice, none left out.
				expect(new Set(seen).size).toBe(seen.length);
				for (const id of made) expect(seen).toContain(id);
				const first = seen[0] as string;
				expect(await store.accounts.listAccountIdsAfter(first, seen.length)).toEqual(seen.slice(1));
			});

			test("updatePasswordHash sets and clears the hash and records updatedAt; false for an unknown account", async () => {
				const account = await givenAccount();
				expect(await store.accounts.updatePasswordHash(account.id, "new-hash", T0 + 1)).toBe(true);
				expect(await store.accounts.findAccountById(account.id)).toEqual({ ...account, passwordHash: "new-hash", updatedAt: T0 + 1 });
				expect(await store.accounts.updatePasswordHash(account.id, null, T0 + 2)).toBe(true);
				expect(await store.accounts.findAccountById(account.id)).toEqual({ ...account, passwordHash: null, updatedAt: T0 + 2 });
				expect(await store.accounts.updatePasswordHash(uid("missing"), "x", T0)).toBe(false);
			});

			test("an account's groups round-trip in order, are replaced by setAccountGroups with updatedAt, and an unknown account is false", async () => {
				const account = await givenAccount({ groups: ["admins", "ops.team", "dev_1-x"] });
				expect(await store.accounts.findAccountById(account.id)).toEqual(account);
				expect(await store.accounts.findAccountByEmail(account.email)).toEqual(account);
				expect(await store.accounts.setAccountGroups(account.id, ["b", "a"], T0 + 1)).toBe(true);
				expect(await store.accounts.findAccountById(account.id)).toEqual({ ...account, groups: ["b", "a"], updatedAt: T0 + 1 });
				expect(await store.accounts.setAccountGroups(account.id, [], T0 + 2)).toBe(true);
				expect(await store.accounts.findAccountById(account.id)).toEqual({ ...account, groups: [], updatedAt: T0 + 2 });
				expect(await store.accounts.setAccountGroups(uid("missing"), ["a"], T0)).toBe(false);
			});

			test("setting one account's groups leaves the others' alone, and a rolled-back transaction writes none", async () => {
				const account = await givenAccount({ groups: ["a"] });
				const other = await givenAccount({ groups: ["a"] });
				await expect(
					store.transaction(async (tx) => {
						expect(await tx.accounts.setAccountGroups(account.id, ["z"], T0 + 1)).toBe(true);
						throw new Error("roll back");
					}),
				).rejects.toThrow("roll back");
				expect((await store.accounts.findAccountById(account.id))?.groups).toEqual(["a"]);
				expect(await store.accounts.setAccountGroups(account.id, ["b"], T0 + 1)).toBe(true);
				expect((await store.accounts.findAccountById(other.id))?.groups).toEqual(["a"]);
			});

			test("a row for an unknown account is refused: foreign keys are enforced", async () => {
				const orphan = sessionFixture(uid("no-such-account"));
				await expect(store.sessions.insertSession(orphan)).rejects.toBeInstanceOf(StorageUnavailable);
				expect(await store.sessions.findSession(orphan.id)).toBeNull();
			});

			test("deleting an account cascades to its credentials, codes, sessions, challenges, failure counters, trusted devices and security events", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				await givenConfirmedCredential(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(pendingCredentialFixture(account.id));
				await store.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(account.id, 3));
				await store.recoveryCodes.replaceRecoveryCodes(other.id, recoveryCodeFixtures(other.id, 2));
				const session = sessionFixture(account.id);
				await store.sessions.insertSession(session);
				const challenge = challengeFixture(account.id);
				await store.loginChallenges.insertLoginChallenge(challenge);
				await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, T0 - MINUTE_MS);
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);
				await store.securityEvents.insertSecurityEvent(securityEventFixture(account.id));
				const otherDevice = trustedDeviceFixture(other.id);
				await store.trustedDevices.insertTrustedDevice(otherDevice);
				const otherEvent = securityEventFixture(other.id);
				await store.securityEvents.insertSecurityEvent(otherEvent);

				expect(await store.accounts.deleteAccount(account.id)).toBe(true);

				expect(await store.accounts.findAccountById(account.id)).toBeNull();
				expect(await store.totpCredentials.findConfirmedTOTPCredential(account.id)).toBeNull();
				expect(await store.totpCredentials.findPendingTOTPCredential(account.id)).toBeNull();
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(0);
				expect(await store.sessions.findSession(session.id)).toBeNull();
				expect(await store.loginChallenges.findLoginChallenge(challenge.id)).toBeNull();
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toBeNull();
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toBeNull();
				expect(await store.securityEvents.listSecurityEvents(account.id, 500)).toEqual([]);
				// Another account is untouched.
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(other.id)).toBe(2);
				expect(await store.trustedDevices.findTrustedDevice(otherDevice.id)).toEqual(otherDevice);
				expect(await store.securityEvents.listSecurityEvents(other.id, 500)).toEqual([otherEvent]);
				// Deleting again finds nothing.
				expect(await store.accounts.deleteAccount(account.id)).toBe(false);
			});
		});

		describe("TOTP credentials", () => {
			test("a pending credential round-trips, its secret bytes (zero bytes included) and large epoch values intact", async () => {
				const account = await givenAccount();
				const pending = pendingCredentialFixture(account.id, {
					secretCiphertext: new Uint8Array([0, 0, 1, 0, 255, 128, 0, 7, 0]),
					createdAt: LARGE_EPOCH_MS,
					expiresAt: MAX_EPOCH_MS,
					algorithm: "SHA512",
					digits: 8,
					periodSeconds: 60,
				});
				await store.totpCredentials.replacePendingTOTPCredential(pending);
				const found = await store.totpCredentials.findPendingTOTPCredential(account.id);
				expect(found?.secretCiphertext).toBeInstanceOf(Uint8Array);
				expect(comparable(found)).toEqual(comparable(pending));
				expect(await store.totpCredentials.findConfirmedTOTPCredential(account.id)).toBeNull();
			});

			test("a confirmed credential round-trips: confirmedAt and the step set, expiresAt cleared", async () => {
				const account = await givenAccount();
				const pending = pendingCredentialFixture(account.id, { secretCiphertext: new Uint8Array(64) });
				await store.totpCredentials.replacePendingTOTPCredential(pending);
				expect(await store.totpCredentials.confirmTOTPCredential(pending.id, 56_666_666, T0, REPLACE)).toBe(true);
				const confirmed = await store.totpCredentials.findConfirmedTOTPCredential(account.id);
				expect(comparable(confirmed)).toEqual(comparable({ ...pending, confirmedAt: T0, expiresAt: null, lastUsedStep: 56_666_666, lastUsedAt: T0 }));
				expect(await store.totpCredentials.findPendingTOTPCredential(account.id)).toBeNull();
			});

			test("replacing the pending credential removes the earlier pending one, which can no longer be confirmed", async () => {
				const account = await givenAccount();
				const first = pendingCredentialFixture(account.id);
				const second = pendingCredentialFixture(account.id, { createdAt: T0 + 1 });
				await store.totpCredentials.replacePendingTOTPCredential(first);
				await store.totpCredentials.replacePendingTOTPCredential(second);
				expect((await store.totpCredentials.findPendingTOTPCredential(account.id))?.id).toBe(second.id);
				expect(await store.totpCredentials.confirmTOTPCredential(first.id, 1, T0, REPLACE)).toBe(false);
				expect(await store.totpCredentials.deleteTOTPCredentials(account.id)).toBe(1);
			});

			test("replacing the pending credential keeps the confirmed one", async () => {
				const account = await givenAccount();
				const confirmed = await givenConfirmedCredential(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(pendingCredentialFixture(account.id));
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.id).toBe(confirmed.id);
			});

			test("a record that is already confirmed is refused as a pending credential", async () => {
				const account = await givenAccount();
				const record = pendingCredentialFixture(account.id, { confirmedAt: T0 });
				await expect(store.totpCredentials.replacePendingTOTPCredential(record)).rejects.toBeInstanceOf(TypeError);
				expect(await store.totpCredentials.findConfirmedTOTPCredential(account.id)).toBeNull();
			});

			test("an expired pending credential cannot be confirmed and stays pending", async () => {
				const account = await givenAccount();
				const pending = pendingCredentialFixture(account.id, { expiresAt: T0 + 10 * MINUTE_MS });
				await store.totpCredentials.replacePendingTOTPCredential(pending);
				expect(await store.totpCredentials.confirmTOTPCredential(pending.id, 1, T0 + 10 * MINUTE_MS, REPLACE)).toBe(false);
				expect(await store.totpCredentials.confirmTOTPCredential(pending.id, 1, T0 + 11 * MINUTE_MS, REPLACE)).toBe(false);
				expect(await store.totpCredentials.findConfirmedTOTPCredential(account.id)).toBeNull();
				expect((await store.totpCredentials.findPendingTOTPCredential(account.id))?.confirmedAt).toBeNull();
			});

			test("a credential is confirmed once; unknown ids are never confirmed", async () => {
				const account = await givenAccount();
				const pending = pendingCredentialFixture(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(pending);
				expect(await store.totpCredentials.confirmTOTPCredential(pending.id, 5, T0, REPLACE)).toBe(true);
				expect(await store.totpCredentials.confirmTOTPCredential(pending.id, 6, T0, REPLACE)).toBe(false);
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.lastUsedStep).toBe(5);
				expect(await store.totpCredentials.confirmTOTPCredential(uid("missing"), 5, T0, REPLACE)).toBe(false);
			});

			test("confirming a new credential deletes the account's old confirmed credential and no one else's", async () => {
				const account = await givenAccount();
				const bystander = await givenAccount();
				const old = await givenConfirmedCredential(account.id);
				const bystanderCredential = await givenConfirmedCredential(bystander.id);
				const replacement = pendingCredentialFixture(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(replacement);
				// The old authenticator still works until the new one is confirmed.
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.id).toBe(old.id);
				expect(await store.totpCredentials.confirmTOTPCredential(replacement.id, 200, T0, REPLACE)).toBe(true);
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.id).toBe(replacement.id);
				expect(await store.totpCredentials.advanceTOTPStep(old, 10_000, T0)).toBe(false); // gone
				expect(await store.totpCredentials.deleteTOTPCredentials(account.id)).toBe(1);
				expect((await store.totpCredentials.findConfirmedTOTPCredential(bystander.id))?.id).toBe(bystanderCredential.id);
			});

			test("advanceTOTPStep is a compare-and-set: a step wins once, an earlier step never", async () => {
				const account = await givenAccount();
				const credential = await givenConfirmedCredential(account.id, 100);
				expect(await store.totpCredentials.advanceTOTPStep(credential, 100, T0)).toBe(false);
				expect(await store.totpCredentials.advanceTOTPStep(credential, 101, T0)).toBe(true);
				expect(await store.totpCredentials.advanceTOTPStep(credential, 101, T0)).toBe(false);
				expect(await store.totpCredentials.advanceTOTPStep(credential, 99, T0)).toBe(false);
				// A step far in the future (year 10,000 and more), still an exact instant in milliseconds.
				expect(await store.totpCredentials.advanceTOTPStep(credential, LARGE_STEP, T0)).toBe(true);
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.lastUsedStep).toBe(LARGE_STEP);
				expect(await store.totpCredentials.advanceTOTPStep({ id: uid("missing"), accountId: account.id, periodSeconds: 30 }, 1, T0)).toBe(false);
			});

			test("the replay record is shared by the account's authenticators as an instant, so steps of different lengths (a changed totp.periodSeconds) compare", async () => {
				const account = await givenAccount();
				const thirty = await givenConfirmedCredential(account.id, 59_000_000);
				const sixtyPending = pendingCredentialFixture(account.id, { periodSeconds: 60, expiresAt: MAX_EPOCH_MS });
				await store.totpCredentials.replacePendingTOTPCredential(sixtyPending);
				// 60 s step 29,500,000 starts at 1,770,000,000,000 ms: before the end of 30 s step 59,000,000 (1,770,000,030,000).
				expect(await store.totpCredentials.confirmTOTPCredential(sixtyPending.id, 29_500_000, T0, { replaceOthers: false })).toBe(true);
				const sixty = { ...sixtyPending, confirmedAt: T0 };
				// The next 60 s step starts after every step used so far: accepted once, from either authenticator.
				expect(await store.totpCredentials.advanceTOTPStep(sixty, 29_500_001, T0)).toBe(true);
				expect(await store.totpCredentials.advanceTOTPStep(thirty, 59_000_002, T0)).toBe(false); // inside that 60 s step
				expect(await store.totpCredentials.advanceTOTPStep(thirty, 59_000_004, T0)).toBe(true); // after it
				expect(await store.totpCredentials.advanceTOTPStep(sixty, 29_500_001, T0)).toBe(false);
			});

			test("deleteTOTPCredentials deletes pending and confirmed credentials and returns how many", async () => {
				const account = await givenAccount();
				await givenConfirmedCredential(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(pendingCredentialFixture(account.id));
				expect(await store.totpCredentials.deleteTOTPCredentials(account.id)).toBe(2);
				expect(await store.totpCredentials.findConfirmedTOTPCredential(account.id)).toBeNull();
				expect(await store.totpCredentials.findPendingTOTPCredential(account.id)).toBeNull();
				expect(await store.totpCredentials.deleteTOTPCredentials(account.id)).toBe(0);
			});
		});

		describe("recovery codes", () => {
			test("replacing the recovery codes makes the old set stop working", async () => {
				const account = await givenAccount();
				const oldSet = recoveryCodeFixtures(account.id, 10);
				const newSet = recoveryCodeFixtures(account.id, 10);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, oldSet);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, newSet);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(10);
				for (const old of oldSet) {
					expect(await store.recoveryCodes.consumeRecoveryCode(account.id, old.codeHash, T0)).toBe(false);
				}
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, newSet[0]!.codeHash, T0)).toBe(true);
			});

			test("a recovery code is consumed once; a wrong hash or another account's code is not consumed", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = recoveryCodeFixtures(account.id, 3);
				const code = codes[1]!;
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				expect(await store.recoveryCodes.consumeRecoveryCode(other.id, code.codeHash, T0)).toBe(false);
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, hexHash(), T0)).toBe(false);
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, code.codeHash, T0)).toBe(true);
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, code.codeHash, T0 + 1)).toBe(false);
			});

			test("findRecoveryCodeByPrefix finds the account's code by its lookup prefix, used or not, and no other account's", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = prefixedRecoveryCodeFixtures(account.id, ["AB", "CD"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				expect(await store.recoveryCodes.findRecoveryCodeByPrefix(account.id, "CD")).toEqual(codes[1]);
				expect(await store.recoveryCodes.findRecoveryCodeByPrefix(other.id, "CD")).toBeNull();
				expect(await store.recoveryCodes.findRecoveryCodeByPrefix(account.id, "ZZ")).toBeNull();
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[1]!.id, T0 + 5)).toBe(true);
				expect(await store.recoveryCodes.findRecoveryCodeByPrefix(account.id, "CD")).toEqual({ ...codes[1], usedAt: T0 + 5 });
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "CD")).toBeNull();
			});

			test("findRecoveryCodeByHash finds the account's code, used or not, and no other account's", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = recoveryCodeFixtures(account.id, 3);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				expect(await store.recoveryCodes.findRecoveryCodeByHash(account.id, codes[1]!.codeHash)).toEqual(codes[1]);
				expect(await store.recoveryCodes.findRecoveryCodeByHash(other.id, codes[1]!.codeHash)).toBeNull();
				expect(await store.recoveryCodes.findRecoveryCodeByHash(account.id, hexHash())).toBeNull();
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, codes[1]!.codeHash, T0 + 5)).toBe(true);
				expect(await store.recoveryCodes.findRecoveryCodeByHash(account.id, codes[1]!.codeHash)).toEqual({ ...codes[1], usedAt: T0 + 5 });
			});

			test("countUnusedRecoveryCodes counts the account's unused codes only", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = recoveryCodeFixtures(account.id, 5);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				await store.recoveryCodes.replaceRecoveryCodes(other.id, recoveryCodeFixtures(other.id, 4));
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(5);
				await store.recoveryCodes.consumeRecoveryCode(account.id, codes[0]!.codeHash, T0);
				await store.recoveryCodes.consumeRecoveryCode(account.id, codes[3]!.codeHash, T0);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(3);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(other.id)).toBe(4);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(uid("missing"))).toBe(0);
			});

			test("a stored code that arrives already used (usedAt set) is not consumable and not counted", async () => {
				const account = await givenAccount();
				const used = recoveryCodeFixtures(account.id, 1, { usedAt: LARGE_EPOCH_MS });
				await store.recoveryCodes.replaceRecoveryCodes(account.id, used);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(0);
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, used[0]!.codeHash, T0)).toBe(false);
			});

			test("replacing with an empty set and deleteRecoveryCodes both remove the codes", async () => {
				const account = await givenAccount();
				await store.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(account.id, 3));
				await store.recoveryCodes.replaceRecoveryCodes(account.id, []);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(0);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(account.id, 4));
				expect(await store.recoveryCodes.deleteRecoveryCodes(account.id)).toBe(4);
				expect(await store.recoveryCodes.deleteRecoveryCodes(account.id)).toBe(0);
			});

			test("codes of another account are refused by replaceRecoveryCodes", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				await expect(
					store.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(other.id, 1)),
				).rejects.toBeInstanceOf(TypeError);
			});

			test("a code with a lookup prefix round-trips, and is found by (account, prefix) while unused only", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = prefixedRecoveryCodeFixtures(account.id, ["AB", "CD", "EF"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				await store.recoveryCodes.replaceRecoveryCodes(other.id, prefixedRecoveryCodeFixtures(other.id, ["GH"]));
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "CD")).toEqual(codes[1]);
				// Another account's prefix, an unknown prefix, and a prefix in another case find nothing.
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "GH")).toBeNull();
				expect(await store.recoveryCodes.findUnusedRecoveryCode(other.id, "CD")).toBeNull();
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "ZZ")).toBeNull();
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "cd")).toBeNull();
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[1]!.id, T0)).toBe(true);
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "CD")).toBeNull();
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(2);
			});

			test("consumeRecoveryCodeById consumes once, only for its own account, and not after the set is replaced", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const codes = prefixedRecoveryCodeFixtures(account.id, ["AB", "CD"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				expect(await store.recoveryCodes.consumeRecoveryCodeById(other.id, codes[0]!.id, T0)).toBe(false);
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, uid("rc"), T0)).toBe(false);
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[0]!.id, T0)).toBe(true);
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[0]!.id, T0 + 1)).toBe(false);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, prefixedRecoveryCodeFixtures(account.id, ["AB", "CD"]));
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[1]!.id, T0)).toBe(false);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(2);
			});

			test("lookup prefixes are unique per account: a set repeating one is refused whole and the old set stays; another account may use the same prefix", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const kept = prefixedRecoveryCodeFixtures(account.id, ["AB", "CD"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, kept);
				await expect(store.recoveryCodes.replaceRecoveryCodes(account.id, prefixedRecoveryCodeFixtures(account.id, ["XY", "XY"]))).rejects.toThrow();
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "AB")).toEqual(kept[0]);
				expect(await store.recoveryCodes.findUnusedRecoveryCode(account.id, "XY")).toBeNull();
				await store.recoveryCodes.replaceRecoveryCodes(other.id, prefixedRecoveryCodeFixtures(other.id, ["AB"]));
				expect((await store.recoveryCodes.findUnusedRecoveryCode(other.id, "AB"))?.accountId).toBe(other.id);
				expect((await store.recoveryCodes.findUnusedRecoveryCode(account.id, "AB"))?.id).toBe(kept[0]!.id);
			});

			test("codes without a prefix (issued before 0008) sit beside prefixed ones: consumeRecoveryCode finds only those, by hash", async () => {
				const account = await givenAccount();
				const legacy = recoveryCodeFixtures(account.id, 2);
				const prefixed = prefixedRecoveryCodeFixtures(account.id, ["AB"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, [...legacy, ...prefixed]);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(3);
				// The hash of a prefixed code is never looked up as a legacy hash.
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, prefixed[0]!.codeHash, T0)).toBe(false);
				expect(await store.recoveryCodes.consumeRecoveryCode(account.id, legacy[1]!.codeHash, T0)).toBe(true);
				expect(await store.recoveryCodes.consumeRecoveryCodeById(account.id, legacy[0]!.id, T0)).toBe(true);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(1);
			});
		});

		describe("sessions", () => {
			test("a session round-trips with every field, including large epoch values", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id, {
					aal: 2,
					createdAt: LARGE_EPOCH_MS,
					lastActiveAt: LARGE_EPOCH_MS + 1,
					expiresAt: MAX_EPOCH_MS,
					reauthenticatedAt: LARGE_EPOCH_MS + 2,
					secondFactorAt: LARGE_EPOCH_MS + 3,
					amr: "pwd otp mfa",
					ipAddress: "2001:db8::1",
					userAgent: "Mozilla/5.0 (X11; Linux x86_64) \u00e9\u4e2d",
				});
				await store.sessions.insertSession(session);
				expect(await store.sessions.findSession(session.id)).toEqual(session);
			});

			test("findSessionWithAccount reads a session and its account in one, as findSession and findAccountById do; null for an unknown session", async () => {
				const account = await givenAccount({ createdAt: LARGE_EPOCH_MS, updatedAt: LARGE_EPOCH_MS + 1, emailVerifiedAt: MAX_EPOCH_MS, groups: ["ops", "admins"], passwordHash: null });
				const session = sessionFixture(account.id, { aal: 2, lastActiveAt: LARGE_EPOCH_MS, secondFactorAt: LARGE_EPOCH_MS + 3, amr: "pwd otp mfa", ipAddress: null, userAgent: null });
				await store.sessions.insertSession(session);
				const found = await store.sessions.findSessionWithAccount(session.id);
				expect(found).toEqual({ session, account, twoFactorEnabled: false });
				expect(found).toEqual({ session: await store.sessions.findSession(session.id), account: await store.accounts.findAccountById(account.id), twoFactorEnabled: false });
				expect(await store.sessions.findSessionWithAccount(uid("missing"))).toBeNull();
				// An unverified account without groups: the nulls and the empty list read back as such.
				const plain = await givenAccount();
				const other = sessionFixture(plain.id);
				await store.sessions.insertSession(other);
				expect(await store.sessions.findSessionWithAccount(other.id)).toEqual({ session: other, account: plain, twoFactorEnabled: false });
				// 2FA on (a confirmed authenticator; a pending one is not), read in the same statement.
				await store.totpCredentials.replacePendingTOTPCredential(pendingCredentialFixture(plain.id));
				expect((await store.sessions.findSessionWithAccount(other.id))?.twoFactorEnabled).toBe(false);
				await givenConfirmedCredential(plain.id);
				expect((await store.sessions.findSessionWithAccount(other.id))?.twoFactorEnabled).toBe(true);
			});

			test("findSessionWithAccount reads the rows as they are now: a revocation, new groups or address, and a deleted account show on the next read", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id);
				await store.sessions.insertSession(session);
				expect(await store.sessions.findSessionWithAccount(session.id)).toEqual({ session, account, twoFactorEnabled: false });
				expect(await store.accounts.setAccountGroups(account.id, ["admins"], T0 + 1)).toBe(true);
				expect(await store.accounts.markEmailVerified(account.id, T0 + 2)).toBe(true);
				expect(await store.accounts.setSecondFactorMailConfirmedAt(account.id, T0 + 3, T0 + 3)).toBe(true);
				expect(await store.sessions.revokeSession(session.id, T0 + 4)).toBe(true);
				expect(await store.sessions.findSessionWithAccount(session.id)).toEqual({
					session: { ...session, revokedAt: T0 + 4 },
					account: { ...account, groups: ["admins"], emailVerifiedAt: T0 + 2, secondFactorMailConfirmedAt: T0 + 3, updatedAt: T0 + 3 },
					twoFactorEnabled: false,
				});
				expect(await store.accounts.setSecondFactorMailConfirmedAt(account.id, null, T0 + 5)).toBe(true);
				expect((await store.sessions.findSessionWithAccount(session.id))?.account?.secondFactorMailConfirmedAt).toBeNull();
				expect(await store.accounts.setSecondFactorMailConfirmedAt(uid("missing"), T0, T0)).toBe(false);
				// The account's sessions go with it (ON DELETE CASCADE).
				expect(await store.accounts.deleteAccount(account.id)).toBe(true);
				expect(await store.sessions.findSessionWithAccount(session.id)).toBeNull();
			});

			test("connected apps: one row per session and host, moved forward at most once per interval, listed newest first", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id);
				const other = sessionFixture(account.id);
				await store.sessions.insertSession(session);
				await store.sessions.insertSession(other);
				expect(await store.sessions.recordSessionApp(session.id, "app.example.test", T0, 60_000)).toBe(true);
				// Within the interval: nothing written, the first time stays.
				expect(await store.sessions.recordSessionApp(session.id, "app.example.test", T0 + 59_999, 60_000)).toBe(false);
				expect(await store.sessions.recordSessionApp(session.id, "admin.example.test", T0 + 10, 60_000)).toBe(true);
				expect(await store.sessions.recordSessionApp(other.id, "app.example.test", T0 + 20, 60_000)).toBe(true);
				expect(await store.sessions.listSessionApps([session.id])).toEqual([
					{ sessionId: session.id, host: "admin.example.test", lastUsedAt: T0 + 10 },
					{ sessionId: session.id, host: "app.example.test", lastUsedAt: T0 },
				]);
				expect(await store.sessions.recordSessionApp(session.id, "app.example.test", T0 + 60_000, 60_000)).toBe(true);
				expect((await store.sessions.listSessionApps([session.id, other.id])).map((app) => [app.sessionId === session.id, app.host, app.lastUsedAt])).toEqual([
					[true, "app.example.test", T0 + 60_000],
					[false, "app.example.test", T0 + 20],
					[true, "admin.example.test", T0 + 10],
				]);
				expect(await store.sessions.listSessionApps([])).toEqual([]);
			});

			test("a session with null revokedAt, ipAddress and userAgent round-trips the nulls", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id, { ipAddress: null, userAgent: null, revokedAt: null });
				await store.sessions.insertSession(session);
				expect(await store.sessions.findSession(session.id)).toEqual(session);
				expect(await store.sessions.findSession(uid("missing"))).toBeNull();
			});

			test("touching and re-authenticating update an active session; a revoked or unknown session returns false", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id);
				await store.sessions.insertSession(session);
				expect(await store.sessions.touchSession(session.id, T0 + 5)).toBe(true);
				expect(await store.sessions.markSessionReauthenticated(session.id, T0 + 6)).toBe(true);
				expect(await store.sessions.findSession(session.id)).toEqual({ ...session, lastActiveAt: T0 + 5, reauthenticatedAt: T0 + 6 });
				expect(await store.sessions.revokeSession(session.id, T0 + 7)).toBe(true);
				expect(await store.sessions.touchSession(session.id, T0 + 8)).toBe(false);
				expect(await store.sessions.markSessionReauthenticated(session.id, T0 + 8)).toBe(false);
				expect(await store.sessions.findSession(session.id)).toEqual({ ...session, lastActiveAt: T0 + 5, reauthenticatedAt: T0 + 6, revokedAt: T0 + 7 });
				expect(await store.sessions.touchSession(uid("missing"), T0)).toBe(false);
				expect(await store.sessions.markSessionReauthenticated(uid("missing"), T0)).toBe(false);
			});

			test("re-authenticating with a second factor raises the session to aal 2 and records when and how; without one, neither changes", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id, { aal: 1 });
				await store.sessions.insertSession(session);
				expect(await store.sessions.markSessionReauthenticated(session.id, T0 + 1, { amr: "pwd otp mfa" })).toBe(true);
				expect(await store.sessions.findSession(session.id)).toMatchObject({ aal: 2, reauthenticatedAt: T0 + 1, secondFactorAt: T0 + 1, amr: "pwd otp mfa" });
				expect(await store.sessions.markSessionReauthenticated(session.id, T0 + 2)).toBe(true);
				expect(await store.sessions.findSession(session.id)).toMatchObject({ aal: 2, reauthenticatedAt: T0 + 2, secondFactorAt: T0 + 1, amr: "pwd otp mfa" });
			});

			test("lowering a session to one factor sets aal 1, clears secondFactorAt and sets amr; a revoked or unknown session returns false", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id, { aal: 2, secondFactorAt: T0, amr: "pwd otp mfa" });
				await store.sessions.insertSession(session);
				expect(await store.sessions.lowerSessionToOneFactor(session.id, "pwd")).toBe(true);
				expect(await store.sessions.findSession(session.id)).toEqual({ ...session, aal: 1, secondFactorAt: null, amr: "pwd" });
				expect(await store.sessions.revokeSession(session.id, T0 + 1)).toBe(true);
				expect(await store.sessions.lowerSessionToOneFactor(session.id, "")).toBe(false);
				expect((await store.sessions.findSession(session.id))?.amr).toBe("pwd");
				expect(await store.sessions.lowerSessionToOneFactor(uid("missing"), "pwd")).toBe(false);
			});

			test("a session is revoked once: the second revoke returns false and keeps the first revokedAt", async () => {
				const account = await givenAccount();
				const session = sessionFixture(account.id);
				await store.sessions.insertSession(session);
				expect(await store.sessions.revokeSession(session.id, T0 + 1)).toBe(true);
				expect(await store.sessions.revokeSession(session.id, T0 + 2)).toBe(false);
				expect((await store.sessions.findSession(session.id))?.revokedAt).toBe(T0 + 1);
				expect(await store.sessions.revokeSession(uid("missing"), T0)).toBe(false);
			});

			test("revokeAccountSessions revokes the account's other active sessions, keeps the excepted one, and counts", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const current = sessionFixture(account.id);
				const second = sessionFixture(account.id);
				const third = sessionFixture(account.id);
				const alreadyRevoked = sessionFixture(account.id, { revokedAt: T0 - 1 });
				const bystander = sessionFixture(other.id);
				for (const session of [current, second, third, alreadyRevoked, bystander]) await store.sessions.insertSession(session);

				expect(await store.sessions.revokeAccountSessions(account.id, T0 + 1, current.id)).toBe(2);
				expect((await store.sessions.findSession(current.id))?.revokedAt).toBeNull();
				expect((await store.sessions.findSession(second.id))?.revokedAt).toBe(T0 + 1);
				expect((await store.sessions.findSession(third.id))?.revokedAt).toBe(T0 + 1);
				expect((await store.sessions.findSession(alreadyRevoked.id))?.revokedAt).toBe(T0 - 1);
				expect((await store.sessions.findSession(bystander.id))?.revokedAt).toBeNull();

				expect(await store.sessions.revokeAccountSessions(account.id, T0 + 2)).toBe(1);
				expect((await store.sessions.findSession(current.id))?.revokedAt).toBe(T0 + 2);
				expect(await store.sessions.revokeAccountSessions(account.id, T0 + 3)).toBe(0);
			});

			test("listActiveSessions lists newest first and leaves out revoked, expired and other accounts' sessions", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const now = T0 + DAY_MS;
				const oldest = sessionFixture(account.id, { createdAt: T0 - 3 * DAY_MS });
				const middle = sessionFixture(account.id, { createdAt: T0 - 2 * DAY_MS });
				const newest = sessionFixture(account.id, { createdAt: T0 - DAY_MS });
				const revoked = sessionFixture(account.id, { createdAt: T0, revokedAt: T0 });
				const expired = sessionFixture(account.id, { createdAt: T0, expiresAt: now });
				const foreign = sessionFixture(other.id, { createdAt: T0 });
				for (const session of [middle, revoked, oldest, foreign, newest, expired]) await store.sessions.insertSession(session);

				const listed = await store.sessions.listActiveSessions(account.id, now);
				expect(listed.map((session) => session.id)).toEqual([newest.id, middle.id, oldest.id]);
				expect(listed[0]).toEqual(newest);
				expect(await store.sessions.listActiveSessions(uid("missing"), now)).toEqual([]);
			});
		});

		describe("login challenges", () => {
			test("consuming the account's challenges ends every open one of that account only", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const mine = [challengeFixture(account.id), challengeFixture(account.id)];
				const theirs = challengeFixture(other.id);
				for (const c of [...mine, theirs]) await store.loginChallenges.insertLoginChallenge(c);
				expect(await store.loginChallenges.consumeAccountLoginChallenges(account.id, T0)).toBe(2);
				for (const c of mine) expect(await store.loginChallenges.consumeLoginChallenge(c.id, T0)).toBe(false);
				expect(await store.loginChallenges.consumeLoginChallenge(theirs.id, T0)).toBe(true);
				expect(await store.loginChallenges.consumeAccountLoginChallenges(account.id, T0)).toBe(0);
			});

			test("a login challenge round-trips with every field, including large epoch values", async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id, {
					createdAt: LARGE_EPOCH_MS,
					expiresAt: MAX_EPOCH_MS,
					attempts: 2,
					maxAttempts: 7,
					ipAddress: "203.0.113.9",
					userAgent: "curl/8",
					firstFactor: "sign_in_link",
				});
				await store.loginChallenges.insertLoginChallenge(challenge);
				expect(await store.loginChallenges.findLoginChallenge(challenge.id)).toEqual(challenge);
				const withNulls = challengeFixture(account.id, { ipAddress: null, userAgent: null, consumedAt: null });
				await store.loginChallenges.insertLoginChallenge(withNulls);
				expect(await store.loginChallenges.findLoginChallenge(withNulls.id)).toEqual(withNulls);
				expect(await store.loginChallenges.findLoginChallenge(uid("missing"))).toBeNull();
			});

			test("reserving attempts succeeds exactly maxAttempts times, then the budget is spent", async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id, { maxAttempts: 3 });
				await store.loginChallenges.insertLoginChallenge(challenge);
				const results: boolean[] = [];
				for (let i = 0; i < 5; i++) results.push(await store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, T0));
				expect(results).toEqual([true, true, true, false, false]);
				expect((await store.loginChallenges.findLoginChallenge(challenge.id))?.attempts).toBe(3);
				expect(await store.loginChallenges.reserveLoginChallengeAttempt(uid("missing"), T0)).toBe(false);
			});

			test("a challenge is consumed once, and a consumed challenge grants no more attempts", async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id);
				await store.loginChallenges.insertLoginChallenge(challenge);
				expect(await store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + 1)).toBe(true);
				expect(await store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + 2)).toBe(false);
				expect((await store.loginChallenges.findLoginChallenge(challenge.id))?.consumedAt).toBe(T0 + 1);
				expect(await store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, T0 + 3)).toBe(false);
				expect(await store.loginChallenges.consumeLoginChallenge(uid("missing"), T0)).toBe(false);
			});

			test("an expired challenge can be neither reserved nor consumed", async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id, { expiresAt: T0 + 5 * MINUTE_MS });
				await store.loginChallenges.insertLoginChallenge(challenge);
				expect(await store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, T0 + 5 * MINUTE_MS)).toBe(false);
				expect(await store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + 5 * MINUTE_MS)).toBe(false);
				expect(await store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + 6 * MINUTE_MS)).toBe(false);
				// Just before expiry it still works.
				expect(await store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, T0 + 5 * MINUTE_MS - 1)).toBe(true);
				expect(await store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + 5 * MINUTE_MS - 1)).toBe(true);
			});

			test("deleteExpiredLoginChallenges deletes the challenges that expired before now and keeps the rest", async () => {
				const account = await givenAccount();
				// Instants far below every other test's, so the count is this test's alone.
				const expired = challengeFixture(account.id, { createdAt: 0, expiresAt: 1_000 });
				const live = challengeFixture(account.id, { createdAt: 0, expiresAt: 2_000 });
				await store.loginChallenges.insertLoginChallenge(expired);
				await store.loginChallenges.insertLoginChallenge(live);
				expect(await store.loginChallenges.deleteExpiredLoginChallenges(1_500)).toBe(1);
				expect(await store.loginChallenges.findLoginChallenge(expired.id)).toBeNull();
				expect(await store.loginChallenges.findLoginChallenge(live.id)).toEqual(live);
				expect(await store.loginChallenges.deleteExpiredLoginChallenges(1_500)).toBe(0);
			});
		});

		describe("sign-in links", () => {
			test("a sign-in link round-trips, is consumed once, and not after it expires", async () => {
				const account = await givenAccount({ passwordHash: null });
				const link = signInLinkFixture(account.id, { createdAt: LARGE_EPOCH_MS, expiresAt: MAX_EPOCH_MS });
				await store.signInLinks.insertSignInLink(link);
				expect(await store.signInLinks.findSignInLink(link.id)).toEqual(link);
				expect(await store.signInLinks.findSignInLink(uid("missing"))).toBeNull();
				expect(await store.signInLinks.consumeSignInLink(link.id, T0)).toBe(true);
				expect(await store.signInLinks.consumeSignInLink(link.id, T0 + 1)).toBe(false);
				expect((await store.signInLinks.findSignInLink(link.id))?.consumedAt).toBe(T0);
				const expiring = signInLinkFixture(account.id, { expiresAt: T0 + MINUTE_MS });
				await store.signInLinks.insertSignInLink(expiring);
				expect(await store.signInLinks.consumeSignInLink(expiring.id, T0 + MINUTE_MS)).toBe(false);
				expect(await store.signInLinks.consumeSignInLink(expiring.id, T0 + MINUTE_MS - 1)).toBe(true);
				expect(await store.signInLinks.consumeSignInLink(uid("missing"), T0)).toBe(false);
			});

			test("consuming the account's links ends its open ones only; expired links are deleted by housekeeping", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const mine = [signInLinkFixture(account.id), signInLinkFixture(account.id)];
				const theirs = signInLinkFixture(other.id);
				for (const link of [...mine, theirs]) await store.signInLinks.insertSignInLink(link);
				expect(await store.signInLinks.consumeAccountSignInLinks(account.id, T0)).toBe(2);
				for (const link of mine) expect(await store.signInLinks.consumeSignInLink(link.id, T0)).toBe(false);
				expect(await store.signInLinks.consumeSignInLink(theirs.id, T0)).toBe(true);
				const expired = signInLinkFixture(account.id, { createdAt: 0, expiresAt: 1_000 });
				const live = signInLinkFixture(account.id, { createdAt: 0, expiresAt: 2_000 });
				await store.signInLinks.insertSignInLink(expired);
				await store.signInLinks.insertSignInLink(live);
				expect(await store.signInLinks.deleteExpiredSignInLinks(1_500)).toBe(1);
				expect(await store.signInLinks.findSignInLink(expired.id)).toBeNull();
				expect(await store.signInLinks.findSignInLink(live.id)).toEqual(live);
			});
		});

		describe("server key check", () => {
			test("is written once: a second insert changes nothing and says so", async () => {
				const first = { hmacCheck: hexHash(), sealedCheck: new Uint8Array([1, 2, 3, 250]), createdAt: LARGE_EPOCH_MS };
				const existing = await store.serverKeyCheck.findServerKeyCheck();
				// (Another test of this store may have written it; then that one stays.)
				if (existing === null) expect(await store.serverKeyCheck.insertServerKeyCheck(first)).toBe(true);
				const stored = await store.serverKeyCheck.findServerKeyCheck();
				expect(await store.serverKeyCheck.insertServerKeyCheck({ hmacCheck: hexHash(), sealedCheck: new Uint8Array([9]), createdAt: T0 })).toBe(false);
				expect(await store.serverKeyCheck.findServerKeyCheck()).toEqual(stored);
				if (existing === null) expect({ ...stored, sealedCheck: Array.from(stored!.sealedCheck) }).toEqual({ ...first, sealedCheck: [1, 2, 3, 250] });
			});
		});

		describe("signing keys", () => {
			/** A key record of `generation` with a random kid (the store keeps it as given). */
			const signingKeyFixture = (generation: number, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
				kid: `kid-${randomUUID()}`,
				generation,
				algorithm: "ES256",
				sealedPrivateJwk: new Uint8Array([0, 1, 2, 255, generation % 256]),
				publicJwk: JSON.stringify({ kty: "EC", crv: "P-256", x: randomUUID(), y: randomUUID() }),
				createdAt: LARGE_EPOCH_MS,
				...overrides,
			});
			/** The generation after the newest stored one (other tests of this store may have written keys). */
			const nextGeneration = async (): Promise<number> => ((await store.signingKeys.findCurrentSigningKey())?.generation ?? 0) + 1;

			test("a key round-trips with every field; the current key is the one of the highest generation; the list is newest first", async () => {
				const generation = await nextGeneration();
				const older = signingKeyFixture(generation);
				const newer = signingKeyFixture(generation + 1, { createdAt: MAX_EPOCH_MS });
				expect(await store.signingKeys.insertSigningKey(older)).toBe(true);
				expect(await store.signingKeys.findCurrentSigningKey()).toEqual(older);
				expect(await store.signingKeys.insertSigningKey(newer)).toBe(true);
				expect(await store.signingKeys.findCurrentSigningKey()).toEqual(newer);
				const listed = await store.signingKeys.listSigningKeys();
				expect(listed.slice(0, 2)).toEqual([newer, older]);
				expect(listed.map((key) => key.generation)).toEqual([...listed.map((key) => key.generation)].sort((a, b) => b - a));
				expect(Array.from(listed[0]!.sealedPrivateJwk)).toEqual([0, 1, 2, 255, (generation + 1) % 256]);
			});

			test("a second key of the same generation, or with the same kid, is not written and says so", async () => {
				const generation = await nextGeneration();
				const first = signingKeyFixture(generation);
				expect(await store.signingKeys.insertSigningKey(first)).toBe(true);
				expect(await store.signingKeys.insertSigningKey(signingKeyFixture(generation))).toBe(false);
				expect(await store.signingKeys.insertSigningKey(signingKeyFixture(generation + 1, { kid: first.kid }))).toBe(false);
				expect(await store.signingKeys.findCurrentSigningKey()).toEqual(first);
			});

			test(`of ${RACERS} parallel inserts of the same generation exactly one is written`, async () => {
				const generation = await nextGeneration();
				const racers = Array.from({ length: RACERS }, () => signingKeyFixture(generation));
				const results = await Promise.all(racers.map((key) => store.signingKeys.insertSigningKey(key)));
				expect(results.filter(Boolean)).toHaveLength(1);
				expect(await store.signingKeys.findCurrentSigningKey()).toEqual(racers[results.indexOf(true)]);
				expect((await store.signingKeys.listSigningKeys()).filter((key) => key.generation === generation)).toHaveLength(1);
			});
		});

		describe("auth failures", () => {
			test("failures count up from 1 and the counter round-trips", async () => {
				const account = await givenAccount();
				const windowStartsAt = T0 - 15 * MINUTE_MS;
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toBeNull();
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, windowStartsAt)).toBe(1);
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0 + 1, windowStartsAt)).toBe(2);
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", LARGE_EPOCH_MS, windowStartsAt)).toBe(3);
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toEqual({
					accountId: account.id,
					kind: "password",
					failureCount: 3,
					lastFailureAt: LARGE_EPOCH_MS,
					lockedUntil: null,
					lockoutCount: 0,
					attemptsInFlight: 0,
					inFlightExpiresAt: 0,
				});
			});

			test("a failure after the window restarts the count at 1", async () => {
				const account = await givenAccount();
				const windowMs = 15 * MINUTE_MS;
				await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", T0, T0 - windowMs);
				await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", T0 + 1, T0 + 1 - windowMs);
				const later = T0 + 1 + windowMs + 1;
				expect(await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", later, later - windowMs)).toBe(1);
				expect((await store.authFailures.findAuthFailure(account.id, "second_factor"))?.lastFailureAt).toBe(later);
				// A failure exactly at the window's start still counts within it.
				expect(await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", later + windowMs, later)).toBe(2);
			});

			test("locking sets lockedUntil and keeps the count; a failure before lockedUntil goes on counting, and the lock stays", async () => {
				const account = await givenAccount();
				const windowStartsAt = T0 - 15 * MINUTE_MS;
				for (let i = 0; i < 4; i++) await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, windowStartsAt);
				expect(await store.authFailures.lockAuthFailures(account.id, "password", MAX_EPOCH_MS, T0)).toBe(true);
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toEqual({
					accountId: account.id,
					kind: "password",
					failureCount: 4,
					lastFailureAt: T0,
					lockedUntil: MAX_EPOCH_MS,
					lockoutCount: 1,
					attemptsInFlight: 0,
					inFlightExpiresAt: 0,
				});
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0 + 1, windowStartsAt)).toBe(5);
				expect((await store.authFailures.findAuthFailure(account.id, "password"))?.lockedUntil).toBe(MAX_EPOCH_MS);
			});

			test("each lock adds one to lockoutCount, but not while a lock runs; clearing forgets it", async () => {
				const account = await givenAccount();
				expect(await store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + MINUTE_MS, T0)).toBe(true);
				// Still locked at T0 + 1: refused, nothing changes.
				expect(await store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + 5 * MINUTE_MS, T0 + 1)).toBe(false);
				expect(await store.authFailures.findAuthFailure(account.id, "second_factor")).toMatchObject({ lockedUntil: T0 + MINUTE_MS, lockoutCount: 1 });
				// The lock has ended at T0 + MINUTE_MS: the next one counts.
				expect(await store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + 2 * MINUTE_MS, T0 + MINUTE_MS)).toBe(true);
				expect((await store.authFailures.findAuthFailure(account.id, "second_factor"))?.lockoutCount).toBe(2);
				await store.authFailures.clearAuthFailures(account.id, "second_factor");
				expect(await store.authFailures.findAuthFailure(account.id, "second_factor")).toBeNull();
			});

			test("reservations: failures plus attempts in flight stay under maxAttempts; a success gives its reservation back", async () => {
				const account = await givenAccount();
				const reserve = (now: number) => store.authFailures.reserveAuthAttempt(account.id, "password", { now, windowStartsAt: now - MINUTE_MS, maxAttempts: 3, leaseExpiresAt: now + MINUTE_MS });
				expect(await reserve(T0)).toBe(true);
				expect(await reserve(T0)).toBe(true);
				expect(await reserve(T0)).toBe(true);
				expect(await reserve(T0)).toBe(false); // three in flight: full
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toMatchObject({ failureCount: 0, attemptsInFlight: 3, inFlightExpiresAt: T0 + MINUTE_MS });
				// One fails: still full (one failure + two in flight).
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, T0 - MINUTE_MS)).toBe(1);
				expect(await reserve(T0)).toBe(false);
				// One succeeds: the failures are forgotten, one is still in flight, the row stays.
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "succeeded", T0, T0 - MINUTE_MS)).toBe(0);
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toMatchObject({ failureCount: 0, attemptsInFlight: 1, lockedUntil: null, lockoutCount: 0 });
				expect(await reserve(T0)).toBe(true);
				expect(await reserve(T0)).toBe(true);
				expect(await reserve(T0)).toBe(false);
				// The last successes remove the row.
				for (let i = 0; i < 3; i++) await store.authFailures.settleAuthAttempt(account.id, "password", "succeeded", T0, T0 - MINUTE_MS);
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toBeNull();
			});

			test("reservations: none while a lock runs; failures out of the window and attempts whose lease passed count 0", async () => {
				const account = await givenAccount();
				const request = (now: number, windowStartsAt = now - MINUTE_MS) => ({ now, windowStartsAt, maxAttempts: 2, leaseExpiresAt: now + MINUTE_MS });
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0))).toBe(true);
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0))).toBe(true);
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0 + MINUTE_MS - 1))).toBe(false);
				// Both leases passed (a process killed mid-check): the budget is free again.
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0 + MINUTE_MS))).toBe(true);
				expect((await store.authFailures.findAuthFailure(account.id, "second_factor"))?.attemptsInFlight).toBe(1);
				await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", T0 + MINUTE_MS, 0);
				expect(await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", T0 + MINUTE_MS, 0)).toBe(2);
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0 + MINUTE_MS, 0))).toBe(false);
				// The same failures out of the window do not count.
				expect(await store.authFailures.reserveAuthAttempt(account.id, "second_factor", request(T0 + MINUTE_MS, T0 + MINUTE_MS + 1))).toBe(true);
				expect(await store.authFailures.lockAuthFailures(account.id, "password", T0 + 2 * MINUTE_MS, T0)).toBe(true);
				expect(await store.authFailures.reserveAuthAttempt(account.id, "password", request(T0 + 2 * MINUTE_MS - 1))).toBe(false);
				expect(await store.authFailures.reserveAuthAttempt(account.id, "password", request(T0 + 2 * MINUTE_MS))).toBe(true);
			});

			test("parallel successes settling the last reservations leave no counter row behind", async () => {
				for (let round = 0; round < 10; round++) {
					const account = await givenAccount();
					const request = { now: T0, windowStartsAt: 0, maxAttempts: 10, leaseExpiresAt: T0 + MINUTE_MS };
					for (let i = 0; i < 4; i++) await store.authFailures.reserveAuthAttempt(account.id, "password", request);
					await Promise.all(Array.from({ length: 4 }, () => store.authFailures.settleAuthAttempt(account.id, "password", "succeeded", T0, 0)));
					expect(await store.authFailures.findAuthFailure(account.id, "password")).toBeNull();
				}
			});

			test("20 parallel reservations: exactly maxAttempts succeed", async () => {
				const account = await givenAccount();
				const results = await Promise.all(Array.from({ length: 20 }, () => store.authFailures.reserveAuthAttempt(account.id, "password", { now: T0, windowStartsAt: 0, maxAttempts: 7, leaseExpiresAt: T0 + MINUTE_MS })));
				expect(results.filter(Boolean)).toHaveLength(7);
				expect((await store.authFailures.findAuthFailure(account.id, "password"))?.attemptsInFlight).toBe(7);
			});

			test("an account can be locked without an earlier failure", async () => {
				const account = await givenAccount();
				expect(await store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + MINUTE_MS, T0)).toBe(true);
				const record = await store.authFailures.findAuthFailure(account.id, "second_factor");
				expect(record?.lockedUntil).toBe(T0 + MINUTE_MS);
				expect(record?.failureCount).toBe(0);
			});

			test("the two kinds are counted apart, and clearing one forgets only that counter", async () => {
				const account = await givenAccount();
				const windowStartsAt = T0 - MINUTE_MS;
				await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, windowStartsAt);
				await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, windowStartsAt);
				expect(await store.authFailures.settleAuthAttempt(account.id, "second_factor", "failed", T0, windowStartsAt)).toBe(1);
				await store.authFailures.clearAuthFailures(account.id, "password");
				expect(await store.authFailures.findAuthFailure(account.id, "password")).toBeNull();
				expect((await store.authFailures.findAuthFailure(account.id, "second_factor"))?.failureCount).toBe(1);
				expect(await store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, windowStartsAt)).toBe(1);
				await store.authFailures.clearAuthFailures(uid("missing"), "password"); // no-op, no error
			});
		});

		describe("trusted devices", () => {
			test("a trusted device round-trips with every field, including large epoch values", async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id, {
					createdAt: LARGE_EPOCH_MS,
					lastUsedAt: LARGE_EPOCH_MS + 1,
					expiresAt: MAX_EPOCH_MS,
					revokedAt: LARGE_EPOCH_MS + 2,
					ipAddress: "2001:db8::2",
					userAgent: "Mozilla/5.0 (Macintosh) \u00e9\u4e2d",
				});
				await store.trustedDevices.insertTrustedDevice(device);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual(device);
			});

			test("a trusted device with null revokedAt, ipAddress and userAgent round-trips the nulls; an unknown id is null", async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id, { revokedAt: null, ipAddress: null, userAgent: null });
				await store.trustedDevices.insertTrustedDevice(device);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual(device);
				expect(await store.trustedDevices.findTrustedDevice(uid("missing"))).toBeNull();
			});

			test("a trusted device for an unknown account is refused", async () => {
				const orphan = trustedDeviceFixture(uid("no-such-account"));
				await expect(store.trustedDevices.insertTrustedDevice(orphan)).rejects.toBeInstanceOf(StorageUnavailable);
				expect(await store.trustedDevices.findTrustedDevice(orphan.id)).toBeNull();
			});

			test("rotation replaces the secret hash, records the use and the new expiry; the old hash then no longer rotates", async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);
				const second = hexHash();
				const now = T0 + DAY_MS;
				expect(await store.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, second, now, LARGE_EPOCH_MS)).toBe(true);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual({
					...device,
					secretHash: second,
					lastUsedAt: now,
					expiresAt: LARGE_EPOCH_MS,
				});
				// Single use: the old secret is spent, the new one works once in turn.
				expect(await store.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, hexHash(), now + 1, LARGE_EPOCH_MS)).toBe(false);
				const third = hexHash();
				expect(await store.trustedDevices.rotateTrustedDevice(device.id, second, third, now + 2, MAX_EPOCH_MS)).toBe(true);
				expect(await store.trustedDevices.rotateTrustedDevice(device.id, second, hexHash(), now + 3, MAX_EPOCH_MS)).toBe(false);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual({
					...device,
					secretHash: third,
					lastUsedAt: now + 2,
					expiresAt: MAX_EPOCH_MS,
				});
			});

			test("rotation is refused for a wrong old hash, another device's hash, an unknown id, a revoked or an expired device, and changes nothing", async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id, { expiresAt: T0 + DAY_MS });
				const sibling = trustedDeviceFixture(account.id);
				const revoked = trustedDeviceFixture(account.id, { revokedAt: T0 });
				for (const record of [device, sibling, revoked]) await store.trustedDevices.insertTrustedDevice(record);
				const rotate = (id: string, oldHash: string, now: UnixMillis): Promise<boolean> =>
					store.trustedDevices.rotateTrustedDevice(id, oldHash, hexHash(), now, MAX_EPOCH_MS);

				expect(await rotate(device.id, hexHash(), T0 + 1)).toBe(false);
				expect(await rotate(device.id, sibling.secretHash, T0 + 1)).toBe(false);
				expect(await rotate(uid("missing"), device.secretHash, T0 + 1)).toBe(false);
				expect(await rotate(revoked.id, revoked.secretHash, T0 + 1)).toBe(false);
				// Expired: at its expiry instant and after it.
				expect(await rotate(device.id, device.secretHash, T0 + DAY_MS)).toBe(false);
				expect(await rotate(device.id, device.secretHash, T0 + 2 * DAY_MS)).toBe(false);
				for (const record of [device, sibling, revoked]) {
					expect(await store.trustedDevices.findTrustedDevice(record.id)).toEqual(record);
				}
				// Just before its expiry it still rotates.
				expect(await rotate(device.id, device.secretHash, T0 + DAY_MS - 1)).toBe(true);
			});

			test("revokeTrustedDevice revokes the account's own unrevoked device once; another account's id or an unknown id revokes nothing", async () => {
				const account = await givenAccount();
				const intruder = await givenAccount();
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);

				expect(await store.trustedDevices.revokeTrustedDevice(intruder.id, device.id, T0 + 1)).toBe(false);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual(device);
				expect(await store.trustedDevices.revokeTrustedDevice(account.id, uid("missing"), T0 + 1)).toBe(false);

				expect(await store.trustedDevices.revokeTrustedDevice(account.id, device.id, T0 + 2)).toBe(true);
				expect(await store.trustedDevices.revokeTrustedDevice(account.id, device.id, T0 + 3)).toBe(false);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual({ ...device, revokedAt: T0 + 2 });
				// A revoked device's secret no longer rotates.
				expect(await store.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, hexHash(), T0 + 4, MAX_EPOCH_MS)).toBe(false);
			});

			test("revokeAccountTrustedDevices revokes and counts the account's active devices only", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const now = T0 + DAY_MS;
				const first = trustedDeviceFixture(account.id);
				const second = trustedDeviceFixture(account.id);
				const alreadyRevoked = trustedDeviceFixture(account.id, { revokedAt: T0 });
				const expired = trustedDeviceFixture(account.id, { expiresAt: now });
				const bystander = trustedDeviceFixture(other.id);
				for (const device of [first, second, alreadyRevoked, expired, bystander]) await store.trustedDevices.insertTrustedDevice(device);

				expect(await store.trustedDevices.revokeAccountTrustedDevices(account.id, now)).toBe(2);
				expect((await store.trustedDevices.findTrustedDevice(first.id))?.revokedAt).toBe(now);
				expect((await store.trustedDevices.findTrustedDevice(second.id))?.revokedAt).toBe(now);
				expect((await store.trustedDevices.findTrustedDevice(alreadyRevoked.id))?.revokedAt).toBe(T0);
				expect((await store.trustedDevices.findTrustedDevice(expired.id))?.revokedAt).toBeNull();
				expect(await store.trustedDevices.findTrustedDevice(bystander.id)).toEqual(bystander);
				expect(await store.trustedDevices.listActiveTrustedDevices(account.id, now)).toEqual([]);
				expect(await store.trustedDevices.rotateTrustedDevice(first.id, first.secretHash, hexHash(), now, MAX_EPOCH_MS)).toBe(false);

				expect(await store.trustedDevices.revokeAccountTrustedDevices(account.id, now + 1)).toBe(0);
				expect(await store.trustedDevices.revokeAccountTrustedDevices(uid("missing"), now)).toBe(0);
			});

			test("listActiveTrustedDevices lists most recently used first (ties by id, descending) and leaves out revoked, expired and other accounts' devices", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const now = T0 + DAY_MS;
				// Ids that differ in their last letter only sort the same under every collation.
				const base = uid("dev");
				const oldest = trustedDeviceFixture(account.id, { id: `${base}-a`, lastUsedAt: T0 - 3 * DAY_MS });
				const tieLow = trustedDeviceFixture(account.id, { id: `${base}-b`, lastUsedAt: T0 - DAY_MS });
				const tieHigh = trustedDeviceFixture(account.id, { id: `${base}-c`, lastUsedAt: T0 - DAY_MS });
				const newest = trustedDeviceFixture(account.id, { id: `${base}-d`, lastUsedAt: T0, expiresAt: MAX_EPOCH_MS });
				const revoked = trustedDeviceFixture(account.id, { lastUsedAt: T0, revokedAt: T0 });
				const expired = trustedDeviceFixture(account.id, { lastUsedAt: T0, expiresAt: now });
				const foreign = trustedDeviceFixture(other.id, { lastUsedAt: T0 });
				for (const device of [tieLow, revoked, oldest, foreign, newest, expired, tieHigh]) {
					await store.trustedDevices.insertTrustedDevice(device);
				}

				const listed = await store.trustedDevices.listActiveTrustedDevices(account.id, now);
				expect(listed.map((device) => device.id)).toEqual([newest.id, tieHigh.id, tieLow.id, oldest.id]);
				expect(listed[0]).toEqual(newest);

				// Using a device moves it to the front.
				expect(await store.trustedDevices.rotateTrustedDevice(oldest.id, oldest.secretHash, hexHash(), now, T0 + 30 * DAY_MS)).toBe(true);
				const relisted = await store.trustedDevices.listActiveTrustedDevices(account.id, now);
				expect(relisted.map((device) => device.id)).toEqual([oldest.id, newest.id, tieHigh.id, tieLow.id]);
				expect(await store.trustedDevices.listActiveTrustedDevices(uid("missing"), now)).toEqual([]);
			});
		});

		describe("security events", () => {
			test("a security event round-trips with every field, including large epoch values, JSON details and nulls", async () => {
				const account = await givenAccount();
				const full = securityEventFixture(account.id, {
					type: "totp.enabled",
					createdAt: MAX_EPOCH_MS,
					ipAddress: "2001:db8::3",
					userAgent: "Mozilla/5.0 \u00e9\u4e2d",
					details: JSON.stringify({ method: "totp", note: "caf\u00e9 \u4e2d \"quoted\" \\ back" }),
				});
				const bare = securityEventFixture(account.id, { createdAt: LARGE_EPOCH_MS, ipAddress: null, userAgent: null, details: "{}" });
				await store.securityEvents.insertSecurityEvent(bare);
				await store.securityEvents.insertSecurityEvent(full);
				expect(await store.securityEvents.listSecurityEvents(account.id, 10)).toEqual([full, bare]);
			});

			test("a security event for an unknown account is refused", async () => {
				const missing = uid("no-such-account");
				await expect(store.securityEvents.insertSecurityEvent(securityEventFixture(missing))).rejects.toBeInstanceOf(StorageUnavailable);
				expect(await store.securityEvents.listSecurityEvents(missing, 10)).toEqual([]);
			});

			test("events are listed newest first (ties by id, descending), at most limit of them, and only the account's own", async () => {
				const account = await givenAccount();
				const other = await givenAccount();
				const base = uid("evt");
				const e1 = securityEventFixture(account.id, { id: `${base}-a`, createdAt: T0 + 1 });
				const e2 = securityEventFixture(account.id, { id: `${base}-b`, createdAt: T0 + 2 });
				const e3a = securityEventFixture(account.id, { id: `${base}-c`, createdAt: T0 + 3 });
				const e3b = securityEventFixture(account.id, { id: `${base}-d`, createdAt: T0 + 3 });
				const e4 = securityEventFixture(account.id, { id: `${base}-e`, createdAt: T0 + 4 });
				const foreign = securityEventFixture(other.id, { createdAt: T0 + 3 });
				for (const event of [e3a, e1, foreign, e4, e3b, e2]) await store.securityEvents.insertSecurityEvent(event);

				expect(await store.securityEvents.listSecurityEvents(account.id, 500)).toEqual([e4, e3b, e3a, e2, e1]);
				expect(await store.securityEvents.listSecurityEvents(account.id, 2)).toEqual([e4, e3b]);
				expect(await store.securityEvents.listSecurityEvents(account.id, 1)).toEqual([e4]);
				expect(await store.securityEvents.listSecurityEvents(other.id, 500)).toEqual([foreign]);
				expect(await store.securityEvents.listSecurityEvents(uid("missing"), 500)).toEqual([]);
				const device = (event: typeof e1) => ({ type: event.type, userAgent: event.userAgent, createdAt: event.createdAt });
				const types = [e1.type, "account.created"] as const;
				expect(await store.securityEvents.listRecentEventDevices(account.id, types, 500)).toEqual([e4, e3b, e3a, e2, e1].map(device));
				expect(await store.securityEvents.listRecentEventDevices(account.id, types, 2)).toEqual([e4, e3b].map(device));
				expect(await store.securityEvents.listRecentEventDevices(other.id, types, 500)).toEqual([device(foreign)]);
				// Only the two types are read: newer events of other types never push them out of the limit.
				for (let i = 0; i < 3; i++) await store.securityEvents.insertSecurityEvent(securityEventFixture(account.id, { type: "login.password_failed", createdAt: T0 + 10 + i }));
				expect(await store.securityEvents.listRecentEventDevices(account.id, types, 2)).toEqual([e4, e3b].map(device));
			});

			test("before pages backwards and is exclusive", async () => {
				const account = await givenAccount();
				const events = times(7, (i) => securityEventFixture(account.id, { createdAt: T0 + i * MINUTE_MS }));
				for (const event of events) await store.securityEvents.insertSecurityEvent(event);
				const newestFirst = [...events].reverse();

				const pages: SecurityEventRecord[][] = [];
				let before: UnixMillis | undefined;
				// Bounded: a backend whose `before` were inclusive would return the same page forever.
				for (let i = 0; i < events.length + 1; i++) {
					const page = await store.securityEvents.listSecurityEvents(account.id, 3, before);
					if (page.length === 0) break;
					pages.push(page);
					before = page[page.length - 1]!.createdAt;
				}
				expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
				expect(pages.flat()).toEqual(newestFirst);

				// An event created exactly at `before` is left out; one a millisecond earlier is in.
				expect(await store.securityEvents.listSecurityEvents(account.id, 500, events[3]!.createdAt)).toEqual(newestFirst.slice(4));
				expect(await store.securityEvents.listSecurityEvents(account.id, 500, events[3]!.createdAt + 1)).toEqual(newestFirst.slice(3));
				expect(await store.securityEvents.listSecurityEvents(account.id, 500, events[0]!.createdAt)).toEqual([]);
				expect(await store.securityEvents.listSecurityEvents(account.id, 500, MAX_EPOCH_MS)).toEqual(newestFirst);
			});

			test("a limit outside 1..500 or not an integer is refused with TypeError; 1 and 500 are accepted", async () => {
				const account = await givenAccount();
				await store.securityEvents.insertSecurityEvent(securityEventFixture(account.id));
				for (const limit of [0, -1, 501, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
					await expect(store.securityEvents.listSecurityEvents(account.id, limit)).rejects.toBeInstanceOf(TypeError);
				}
				expect(await store.securityEvents.listSecurityEvents(account.id, 1)).toHaveLength(1);
				expect(await store.securityEvents.listSecurityEvents(account.id, 500)).toHaveLength(1);
			});
		});

		describe("durations (/metrics)", () => {
			test("observeDurations reports each repository call and each transaction (its calls too), committed or rolled back, until it is set to null", async () => {
				const seen: [string, number][] = [];
				store.observeDurations((operation, durationSeconds) => seen.push([operation, durationSeconds]));
				try {
					const account = await givenAccount();
					expect(seen.filter(([operation]) => operation === "query")).toHaveLength(1);
					await store.transaction(async (tx) => {
						await tx.accounts.findAccountById(account.id);
						await tx.sessions.insertSession(sessionFixture(account.id));
					});
					await expect(store.transaction(async (tx) => {
						await tx.accounts.findAccountById(account.id);
						throw new Error("roll back");
					})).rejects.toThrow("roll back");
					expect(seen.map(([operation]) => operation)).toEqual(["query", "query", "query", "transaction", "query", "transaction"]);
					for (const [, seconds] of seen) expect(seconds).toBeGreaterThanOrEqual(0);
				} finally {
					store.observeDurations(null);
				}
				const count = seen.length;
				await store.accounts.findAccountById("nobody");
				await store.transaction(async (tx) => tx.accounts.findAccountById("nobody"));
				expect(seen).toHaveLength(count);
			});
		});

		describe("transactions", () => {
			test("a transaction commits every write when fn resolves, and returns fn's value", async () => {
				const account = accountFixture();
				const session = sessionFixture(account.id);
				const result = await store.transaction(async (tx) => {
					expect(await tx.accounts.insertAccount(account)).toBe(true);
					await tx.sessions.insertSession(session);
					return "done";
				});
				expect(result).toBe("done");
				expect(await store.accounts.findAccountById(account.id)).toEqual(account);
				expect(await store.sessions.findSession(session.id)).toEqual(session);
			});

			test("a transaction whose fn throws writes nothing and rethrows the very same error", async () => {
				const existing = await givenAccount();
				const account = accountFixture();
				const failure = new Error("fn failed on purpose");
				const thrown = await store
					.transaction(async (tx) => {
						await tx.accounts.insertAccount(account);
						await tx.sessions.insertSession(sessionFixture(account.id));
						await tx.accounts.updatePasswordHash(existing.id, "changed", T0 + 1);
						await tx.recoveryCodes.replaceRecoveryCodes(existing.id, recoveryCodeFixtures(existing.id, 2));
						throw failure;
					})
					.catch((error: unknown) => error);
				expect(thrown).toBe(failure);
				expect(await store.accounts.findAccountById(account.id)).toBeNull();
				expect(await store.accounts.findAccountById(existing.id)).toEqual(existing);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(existing.id)).toBe(0);
			});

			test("a transaction whose fn swallows a failed repository call is rolled back and rejects with StorageUnavailable", async () => {
				const account = accountFixture();
				const outcome = await store
					.transaction(async (tx) => {
						await tx.accounts.insertAccount(account);
						// A foreign-key violation, caught and ignored by fn.
						await tx.sessions.insertSession(sessionFixture(uid("no-such-account"))).catch(() => undefined);
						return "swallowed";
					})
					.catch((error: unknown) => error);
				expect(outcome).toBeInstanceOf(StorageUnavailable);
				expect(await store.accounts.findAccountById(account.id)).toBeNull();
			});

			test("the two-statement operations run inside a transaction and roll back with it", async () => {
				const account = await givenAccount();
				const old = await givenConfirmedCredential(account.id);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(account.id, 3));
				const replacement = pendingCredentialFixture(account.id);

				await expect(
					store.transaction(async (tx) => {
						await tx.totpCredentials.replacePendingTOTPCredential(replacement);
						expect(await tx.totpCredentials.confirmTOTPCredential(replacement.id, 300, T0, REPLACE)).toBe(true);
						await tx.recoveryCodes.replaceRecoveryCodes(account.id, recoveryCodeFixtures(account.id, 8));
						expect(await tx.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(8);
						throw new Error("roll back");
					}),
				).rejects.toThrow("roll back");

				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.id).toBe(old.id);
				expect(await store.totpCredentials.findPendingTOTPCredential(account.id)).toBeNull();
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(3);

				await store.transaction(async (tx) => {
					await tx.totpCredentials.replacePendingTOTPCredential(replacement);
					expect(await tx.totpCredentials.confirmTOTPCredential(replacement.id, 300, T0, REPLACE)).toBe(true);
				});
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.id).toBe(replacement.id);
			});

			test("a trusted-device rotation and a security event written in a rolled-back transaction leave no trace", async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);

				await expect(
					store.transaction(async (tx) => {
						expect(await tx.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, hexHash(), T0 + 1, MAX_EPOCH_MS)).toBe(true);
						await tx.securityEvents.insertSecurityEvent(securityEventFixture(account.id));
						throw new Error("roll back");
					}),
				).rejects.toThrow("roll back");

				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual(device);
				expect(await store.securityEvents.listSecurityEvents(account.id, 500)).toEqual([]);
			});
		});

		describe("races", () => {
			test(`${RACERS} concurrent consumes of the same recovery code: exactly one wins`, async () => {
				const account = await givenAccount();
				const codes = recoveryCodeFixtures(account.id, 2);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				const results = await Promise.all(
					times(RACERS, () => store.recoveryCodes.consumeRecoveryCode(account.id, codes[0]!.codeHash, T0)),
				);
				expect(results.filter(Boolean)).toHaveLength(1);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(1);
			});

			test(`${RACERS} concurrent consumes of the same prefixed recovery code by id: exactly one wins`, async () => {
				const account = await givenAccount();
				const codes = prefixedRecoveryCodeFixtures(account.id, ["AB", "CD"]);
				await store.recoveryCodes.replaceRecoveryCodes(account.id, codes);
				const results = await Promise.all(times(RACERS, (i) => store.recoveryCodes.consumeRecoveryCodeById(account.id, codes[1]!.id, T0 + i)));
				expect(results.filter(Boolean)).toHaveLength(1);
				expect(await store.recoveryCodes.countUnusedRecoveryCodes(account.id)).toBe(1);
			});

			test(`${RACERS} concurrent advances to the same TOTP step: exactly one wins`, async () => {
				const account = await givenAccount();
				const credential = await givenConfirmedCredential(account.id, 100);
				const results = await Promise.all(times(RACERS, () => store.totpCredentials.advanceTOTPStep(credential, 101, T0)));
				expect(results.filter(Boolean)).toHaveLength(1);
				expect((await store.totpCredentials.findConfirmedTOTPCredential(account.id))?.lastUsedStep).toBe(101);
			});

			test(`${RACERS} concurrent consumes of the same login challenge: exactly one wins`, async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id);
				await store.loginChallenges.insertLoginChallenge(challenge);
				const results = await Promise.all(times(RACERS, (i) => store.loginChallenges.consumeLoginChallenge(challenge.id, T0 + i)));
				expect(results.filter(Boolean)).toHaveLength(1);
			});

			test(`${RACERS} concurrent locks of one counter: exactly one locks and counts`, async () => {
				const account = await givenAccount();
				const results = await Promise.all(times(RACERS, (i) => store.authFailures.lockAuthFailures(account.id, "second_factor", T0 + MINUTE_MS + i, T0)));
				expect(results.filter(Boolean)).toHaveLength(1);
				expect((await store.authFailures.findAuthFailure(account.id, "second_factor"))?.lockoutCount).toBe(1);
			});

			test(`${RACERS} concurrent consumes of the same sign-in link: exactly one wins`, async () => {
				const account = await givenAccount({ passwordHash: null });
				const link = signInLinkFixture(account.id);
				await store.signInLinks.insertSignInLink(link);
				const results = await Promise.all(times(RACERS, (i) => store.signInLinks.consumeSignInLink(link.id, T0 + i)));
				expect(results.filter(Boolean)).toHaveLength(1);
			});

			test(`a burst of ${RACERS} concurrent attempt reservations cannot exceed a budget of 5`, async () => {
				const account = await givenAccount();
				const challenge = challengeFixture(account.id, { maxAttempts: 5 });
				await store.loginChallenges.insertLoginChallenge(challenge);
				const results = await Promise.all(times(RACERS, () => store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, T0)));
				expect(results.filter(Boolean)).toHaveLength(5);
				expect((await store.loginChallenges.findLoginChallenge(challenge.id))?.attempts).toBe(5);
			});

			test(`${RACERS} concurrent failures are all counted: the counts returned are exactly 1..${RACERS}`, async () => {
				const account = await givenAccount();
				const counts = await Promise.all(
					times(RACERS, () => store.authFailures.settleAuthAttempt(account.id, "password", "failed", T0, T0 - MINUTE_MS)),
				);
				expect([...counts].sort((a, b) => a - b)).toEqual(times(RACERS, (i) => i + 1));
				expect((await store.authFailures.findAuthFailure(account.id, "password"))?.failureCount).toBe(RACERS);
			});

			test(`${RACERS} concurrent sign-ups with the same email: exactly one account is created`, async () => {
				const email = `${uid("race")}@example.com`;
				const accounts = times(RACERS, () => accountFixture({ email }));
				const results = await Promise.all(accounts.map((account) => store.accounts.insertAccount(account)));
				expect(results.filter(Boolean)).toHaveLength(1);
				const winner = accounts[results.indexOf(true)]!;
				expect(await store.accounts.findAccountByEmail(email)).toEqual(winner);
			});

			test(`${RACERS} concurrent rotations of the same trusted-device secret: exactly one wins, and its new hash is stored`, async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);
				const newHashes = times(RACERS, () => hexHash());
				const results = await Promise.all(
					newHashes.map((newHash, i) =>
						store.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, newHash, T0 + 1 + i, MAX_EPOCH_MS),
					),
				);
				expect(results.filter(Boolean)).toHaveLength(1);
				const winner = results.indexOf(true);
				expect(await store.trustedDevices.findTrustedDevice(device.id)).toEqual({
					...device,
					secretHash: newHashes[winner],
					lastUsedAt: T0 + 1 + winner,
					expiresAt: MAX_EPOCH_MS,
				});
			});

			test(`${RACERS} concurrent revocations of the same trusted device: exactly one wins`, async () => {
				const account = await givenAccount();
				const device = trustedDeviceFixture(account.id);
				await store.trustedDevices.insertTrustedDevice(device);
				const results = await Promise.all(times(RACERS, (i) => store.trustedDevices.revokeTrustedDevice(account.id, device.id, T0 + 1 + i)));
				expect(results.filter(Boolean)).toHaveLength(1);
				expect((await store.trustedDevices.findTrustedDevice(device.id))?.revokedAt).toBe(T0 + 1 + results.indexOf(true));
			});

			test(`${RACERS} concurrent confirmations of the same pending credential: exactly one wins`, async () => {
				const account = await givenAccount();
				const pending = pendingCredentialFixture(account.id);
				await store.totpCredentials.replacePendingTOTPCredential(pending);
				const results = await Promise.all(times(RACERS, (i) => store.totpCredentials.confirmTOTPCredential(pending.id, 100 + i, T0, REPLACE)));
				expect(results.filter(Boolean)).toHaveLength(1);
				const confirmed = await store.totpCredentials.findConfirmedTOTPCredential(account.id);
				expect(confirmed?.lastUsedStep).toBe(100 + results.indexOf(true));
			});
		});

		describeOutboxContract(() => store, () => givenAccount());
		describeEmailTokenContract(() => store, givenAccount);
		describeAccessTokenContract(() => store, givenAccount);

		describe("availability", () => {
			test("ping resolves while the database answers", async () => {
				await expect(store.ping()).resolves.toBeUndefined();
			});

			test("a driver failure surfaces as StorageUnavailable with the driver error as cause", async () => {
				const closed = await openStore();
				await closed.close();
				const error = await closed.accounts.findAccountById(uid("any")).catch((caught: unknown) => caught);
				expect(error).toBeInstanceOf(StorageUnavailable);
				expect((error as StorageUnavailable).code).toBe("ERR_STORAGE_UNAVAILABLE");
				expect((error as StorageUnavailable).cause).toBeInstanceOf(Error);
				await expect(closed.ping()).rejects.toBeInstanceOf(StorageUnavailable);
				await expect(closed.transaction(async () => "never")).rejects.toBeInstanceOf(StorageUnavailable);
			});
		});
	});
}

/** A unique id with a readable prefix. */
function uid(prefix: string): string {
	return `${prefix}-${randomUUID()}`;
}

/** 64 lower-case hex characters, as a SHA-256 or HMAC-SHA-256 would give. */
function hexHash(): string {
	return (randomUUID() + randomUUID()).replaceAll("-", "").padEnd(64, "0");
}

/** `[make(0), make(1), ..., make(count - 1)]`. */
function times<T>(count: number, make: (index: number) => T): T[] {
	return Array.from({ length: count }, (_, index) => make(index));
}

/** A credential with its bytes as a plain array, so Buffer and Uint8Array compare equal. */
function comparable(record: TOTPCredentialRecord | null | undefined): unknown {
	if (record === null || record === undefined) return record;
	return { ...record, secretCiphertext: Array.from(record.secretCiphertext) };
}

/** Confirming replaces the account's other authenticators (a new phone). */
const REPLACE = Object.freeze({ replaceOthers: true });

function accountFixture(overrides: Partial<AccountRecord> = {}): AccountRecord {
	return {
		id: uid("acct"),
		email: `${uid("user")}@example.com`,
		passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$placeholder",
		createdAt: T0,
		updatedAt: T0,
		emailVerifiedAt: null,
		groups: [],
		secondFactorMailConfirmedAt: null,
		disabledAt: null,
		...overrides,
	};
}

function pendingCredentialFixture(accountId: string, overrides: Partial<TOTPCredentialRecord> = {}): TOTPCredentialRecord {
	return {
		id: uid("totp"),
		accountId,
		secretCiphertext: new Uint8Array([1, 2, 3, 0, 4, 5]),
		algorithm: "SHA1",
		digits: 6,
		periodSeconds: 30,
		createdAt: T0,
		confirmedAt: null,
		expiresAt: T0 + 10 * MINUTE_MS,
		name: null,
		lastUsedAt: null,
		purpose: null,
		lastUsedStep: -1,
		enrollmentSessionId: uid("session"),
		...overrides,
	};
}

function recoveryCodeFixtures(accountId: string, count: number, overrides: Partial<RecoveryCodeRecord> = {}): RecoveryCodeRecord[] {
	return times(count, () => ({ id: uid("rc"), accountId, codeHash: hexHash(), lookupPrefix: null, createdAt: T0, usedAt: null, ...overrides }));
}

/** Codes of the current format: one per prefix, with a (fake) argon2id PHC string as hash. */
function prefixedRecoveryCodeFixtures(accountId: string, prefixes: readonly string[]): RecoveryCodeRecord[] {
	return prefixes.map((lookupPrefix) => ({ id: uid("rc"), accountId, codeHash: `$argon2id$v=19$m=8192,t=1,p=1$${uid("salt")}$${hexHash()}`, lookupPrefix, createdAt: T0, usedAt: null }));
}

function sessionFixture(accountId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
	return {
		id: uid("sess"),
		accountId,
		secretHash: hexHash(),
		aal: 1,
		createdAt: T0,
		lastActiveAt: T0,
		expiresAt: T0 + 30 * DAY_MS,
		reauthenticatedAt: T0,
		revokedAt: null,
		ipAddress: "127.0.0.1",
		userAgent: "vitest",
		secondFactorAt: null,
		amr: "pwd",
		...overrides,
	};
}

function challengeFixture(accountId: string, overrides: Partial<LoginChallengeRecord> = {}): LoginChallengeRecord {
	return {
		id: uid("chal"),
		accountId,
		secretHash: hexHash(),
		createdAt: T0,
		expiresAt: T0 + 5 * MINUTE_MS,
		attempts: 0,
		maxAttempts: 5,
		consumedAt: null,
		ipAddress: "127.0.0.1",
		userAgent: "vitest",
		purpose: "sign_in",
		firstFactor: "password",
		...overrides,
	};
}

function signInLinkFixture(accountId: string, overrides: Partial<SignInLinkRecord> = {}): SignInLinkRecord {
	return { id: uid("link"), accountId, secretHash: hexHash(), createdAt: T0, expiresAt: T0 + 60 * MINUTE_MS, consumedAt: null, ...overrides };
}

function trustedDeviceFixture(accountId: string, overrides: Partial<TrustedDeviceRecord> = {}): TrustedDeviceRecord {
	return {
		id: uid("dev"),
		accountId,
		secretHash: hexHash(),
		createdAt: T0,
		lastUsedAt: T0,
		expiresAt: T0 + 30 * DAY_MS,
		revokedAt: null,
		ipAddress: "192.0.2.7",
		userAgent: "vitest",
		...overrides,
	};
}

function securityEventFixture(accountId: string, overrides: Partial<SecurityEventRecord> = {}): SecurityEventRecord {
	return {
		id: uid("evt"),
		accountId,
		type: "login.succeeded",
		createdAt: T0,
		ipAddress: "192.0.2.7",
		userAgent: "vitest",
		details: JSON.stringify({ aal: 2 }),
		...overrides,
	};
}
