/**
 * Operators' reads (issue 14 item 1: `service/admin-accounts.ts`), on SQLite and PostgreSQL: the
 * account list in email order with search, prefix, filters and cursor paging (every account once,
 * none skipped), and one account in full, never with a token's value or hash.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GroupNameInvalid, InvalidRequest, NotFound } from "../../src/errors.js";
import type { AccountListRequest } from "../../src/service/admin-accounts.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { signUp, signUpWith2FA } from "../helpers/flows.js";

for (const backend of await testBackends()) {
	describe(`operators' account list and details on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async () => {
			t = await createTestDeadbolt({ store: await (backend as Backend).open() });
		};
		/** Every page of a query, followed by its cursors. */
		const allPages = async (request: AccountListRequest) => {
			const emails: string[] = [];
			let cursor: string | undefined;
			for (let pages = 0; pages < 50; pages++) {
				const page = await t.deadbolt.listAccounts({ ...request, ...(cursor === undefined ? {} : { cursor }) });
				emails.push(...page.accounts.map((a) => a.email));
				if (page.nextCursor === null) return emails;
				cursor = page.nextCursor;
			}
			throw new Error("paging did not end");
		};

		it("pages every matching account once, in email order; search, prefix and each filter select; a group name's _ is no wildcard", async () => {
			await start();
			const tag = `l${Math.random().toString(36).slice(2, 8)}`;
			const plain = await signUp(t, `${tag}-a-plain@example.com`);
			const twoFactor = await signUpWith2FA(t, `${tag}-b-2fa@example.com`);
			const locked = await signUp(t, `${tag}-c-locked@example.com`);
			const disabled = await signUp(t, `${tag}-d-disabled@example.org`);
			const grouped = await signUp(t, `${tag}-e_grouped@example.com`);
			const others = await Promise.all([1, 2, 3].map((n) => signUp(t, `${tag}-f${n}@example.com`)));
			await t.store.authFailures.lockAuthFailures(locked.account.id, "second_factor", t.clock.now() + 60_000, t.clock.now());
			await t.deadbolt.disableAccount({ accountId: disabled.account.id }, { via: "cli" });
			await t.deadbolt.setAccountGroups(grouped.account.id, ["ops_team"], { via: "cli" });
			await t.deadbolt.setAccountGroups(others[0]!.account.id, ["opsxteam"], { via: "cli" });
			const all = [plain, twoFactor, locked, disabled, grouped, ...others].map((u) => u.email).sort();
			for (const limit of [1, 3, 8, 500]) expect(await allPages({ search: tag, limit }), `limit ${limit}`).toEqual(all);
			expect(await allPages({ prefix: tag.toUpperCase(), limit: 2 })).toEqual(all);
			expect(await allPages({ search: `${tag}-e_` })).toEqual([grouped.email]);
			expect(await allPages({ search: `${tag}-%` })).toEqual([]);
			expect(await allPages({ search: tag, twoFactor: true })).toEqual([twoFactor.email]);
			expect(await allPages({ search: tag, twoFactor: false })).toEqual(all.filter((e) => e !== twoFactor.email));
			expect(await allPages({ search: tag, locked: true })).toEqual([locked.email]);
			expect(await allPages({ search: tag, disabled: true })).toEqual([disabled.email]);
			expect((await allPages({ search: tag, disabled: false })).length).toBe(all.length - 1);
			expect(await allPages({ search: tag, group: "OPS_team" })).toEqual([grouped.email]);
			expect(await allPages({ search: `${tag}-d-disabled@example.org`, disabled: true, twoFactor: false, locked: false })).toEqual([disabled.email]);
			// What each row says.
			const rows = (await t.deadbolt.listAccounts({ search: tag, limit: 100 })).accounts;
			const row = (email: string) => rows.find((r) => r.email === email)!;
			expect(row(twoFactor.email)).toMatchObject({ twoFactorEnabled: true, locked: false, disabled: false, hasPassword: true, lastSignInAt: t.clock.now() });
			expect(row(locked.email)).toMatchObject({ locked: true, lockedUntil: t.clock.now() + 60_000 });
			expect(row(disabled.email)).toMatchObject({ disabled: true, disabledAt: t.clock.now() });
			expect(row(grouped.email).groups).toEqual(["ops_team"]);
			// The lock ends with time.
			t.clock.advance(61_000);
			expect(await allPages({ search: tag, locked: true })).toEqual([]);
		});

		it("with a twoFactorPolicy, each account says who has not complied: the deadline to come, then overdue; none once set up or outside the policy", async () => {
			const DAY_MS = 86_400_000;
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: { twoFactorPolicy: { enforce: "groups", groups: ["staff"], enforcedSince: new Date(0).toISOString(), gracePeriodDays: 7 } } });
			const staff = await signUp(t, "staff@example.com");
			await t.deadbolt.setAccountGroups(staff.account.id, ["staff"], { via: "cli" });
			const enrolled = await signUpWith2FA(t, "enrolled@example.com");
			await t.deadbolt.setAccountGroups(enrolled.account.id, ["staff"], { via: "cli" });
			await signUp(t, "outside@example.com");
			const summaries = async () => Object.fromEntries((await t.deadbolt.listAccounts({ limit: 500 })).accounts.filter((a) => ["staff@example.com", "enrolled@example.com", "outside@example.com"].includes(a.email)).map((a) => [a.email, { deadline: a.twoFactorDeadline, overdue: a.twoFactorOverdue }]));
			const deadline = staff.account.createdAt + 7 * DAY_MS;
			expect(await summaries()).toEqual({ "enrolled@example.com": { deadline: null, overdue: false }, "outside@example.com": { deadline: null, overdue: false }, "staff@example.com": { deadline, overdue: false } });
			t.clock.advance(7 * DAY_MS);
			expect((await summaries())["staff@example.com"]).toEqual({ deadline, overdue: true });
			expect((await t.deadbolt.showAccount({ accountId: staff.account.id })).account).toMatchObject({ twoFactorDeadline: deadline, twoFactorOverdue: true });
		});

		it("refuses a cursor it did not make, a limit out of range and a bad group name", async () => {
			await start();
			await expect(t.deadbolt.listAccounts({ cursor: "not a cursor" })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.listAccounts({ cursor: Buffer.from("x").toString("base64") + "=" })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.listAccounts({ limit: 0 })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.listAccounts({ limit: 501 })).rejects.toBeInstanceOf(InvalidRequest);
			await expect(t.deadbolt.listAccounts({ group: "no spaces" })).rejects.toBeInstanceOf(GroupNameInvalid);
		});

		it("shows one account with its sessions, devices, tokens (never a value or hash) and activity; by email or id", async () => {
			await start();
			const user = await signUp(t, `show-${Math.random().toString(36).slice(2, 8)}@example.com`);
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			const auth = await t.deadbolt.validateSession(user.session.token);
			const token = await t.deadbolt.createAccessToken(auth, { name: "backup script", hosts: ["app.example.test"], expiresInDays: 30 });
			const shown = await t.deadbolt.showAccount({ email: user.email.toUpperCase() });
			expect(shown.account).toMatchObject({ id: user.account.id, email: user.email, emailVerified: true, twoFactorEnabled: false });
			expect(shown.sessions.map((s) => s.id)).toEqual([auth.session.id]);
			expect(shown.accessTokens.map((a) => a.name)).toEqual(["backup script"]);
			expect(shown.activity.map((e) => e.type)).toContain("access_token.created");
			const stored = (await t.store.accessTokens.listAccountAccessTokens(user.account.id))[0]!;
			const text = JSON.stringify(shown);
			for (const secret of [token.token, stored.secretHash, auth.session.secretHash, user.session.token]) expect(text).not.toContain(secret);
			expect((await t.deadbolt.showAccount({ accountId: user.account.id })).account.email).toBe(user.email);
			await expect(t.deadbolt.showAccount({ accountId: "AAAAAAAAAAAAAAAA" })).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.showAccount({ email: "nobody@example.com" })).rejects.toBeInstanceOf(NotFound);
		});
	});
}
