/**
 * Account groups (service/groups.ts), on SQLite and PostgreSQL: names normalized, deduplicated and
 * sorted; a bad name changes nothing; a change is one `account.groups_changed` event (before, after,
 * via) with its webhook messages; forward-auth's group rules follow the change at the next request.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GroupNameInvalid, NotFound } from "../../src/errors.js";
import type { RequestContext } from "../../src/service/deps.js";
import type { GroupsActor } from "../../src/service/groups.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { signUp } from "../helpers/flows.js";

const SECRET = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
const ADMIN_API: GroupsActor = { via: "admin_api", context: { ipAddress: "198.51.100.7", userAgent: "backend/1.0" } satisfies RequestContext };
const CLI: GroupsActor = { via: "cli" };
let counter = 0;

for (const backend of await testBackends()) {
	describe(`account groups on ${backend.name}`, () => {
		let t: TestDeadbolt;
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async (extra: Record<string, unknown> = {}) => {
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: extra });
		};
		const groupEvents = async (accountId: string) => (await t.deadbolt.listSecurityEvents(accountId)).filter((event) => event.type === "account.groups_changed");

		it("a new account has no group; names are stored normalized, each once, sorted", async () => {
			await start();
			const { account, email } = await signUp(t, `groups${++counter}@example.com`);
			expect(account.groups).toEqual([]);
			const set = await t.deadbolt.setAccountGroups(account.id, ["ops", " Admins", "admins", "b-team"], ADMIN_API);
			expect(set).toEqual({ accountId: account.id, email, groups: ["admins", "b-team", "ops"] });
			expect((await t.store.accounts.findAccountById(account.id))?.groups).toEqual(["admins", "b-team", "ops"]);
			expect(await t.deadbolt.findAccountGroups(email.toUpperCase())).toEqual(set);
		});

		it("a change is recorded once with before, after and via; setting the same groups again records nothing", async () => {
			await start();
			const { account } = await signUp(t, `groups${++counter}@example.com`);
			await t.deadbolt.setAccountGroups(account.id, ["ops"], CLI);
			await t.deadbolt.setAccountGroups(account.id, ["OPS"], CLI);
			await t.deadbolt.setAccountGroups(account.id, ["admins", "ops"], ADMIN_API);
			await t.deadbolt.setAccountGroups(account.id, [], ADMIN_API);
			const events = await groupEvents(account.id);
			expect(events.map((event) => event.details)).toEqual([
				{ before: ["admins", "ops"], after: [], via: "admin_api" },
				{ before: ["ops"], after: ["admins", "ops"], via: "admin_api" },
				{ before: [], after: ["ops"], via: "cli" },
			]);
			expect(events[1]!.ipAddress).toBe("198.51.100.7");
			expect(events[2]!.ipAddress).toBeNull();
		});

		it("a name that is not a group name is refused with every bad name quoted, and nothing changes", async () => {
			await start();
			const { account } = await signUp(t, `groups${++counter}@example.com`);
			await t.deadbolt.setAccountGroups(account.id, ["ops"], CLI);
			for (const bad of [["admins", "no way"], ["a,b"], [""], ["-x"], ["x".repeat(65)], ["\u212Aeys"]]) {
				const refused = t.deadbolt.setAccountGroups(account.id, bad, ADMIN_API);
				await expect(refused, JSON.stringify(bad)).rejects.toBeInstanceOf(GroupNameInvalid);
			}
			await expect(t.deadbolt.setAccountGroups(account.id, ["admins", "no way", "a,b"], ADMIN_API)).rejects.toThrow('Not a group name: "no way", "a,b".');
			await expect(t.deadbolt.setAccountGroups(account.id, Array.from({ length: 101 }, (_, i) => `g${i}`), ADMIN_API)).rejects.toBeInstanceOf(GroupNameInvalid);
			expect((await t.store.accounts.findAccountById(account.id))?.groups).toEqual(["ops"]);
			expect(await groupEvents(account.id)).toHaveLength(1);
		});

		it("an unknown account or email is NotFound", async () => {
			await start();
			await expect(t.deadbolt.setAccountGroups("no-such-account", ["ops"], ADMIN_API)).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.findAccountGroups(`nobody${++counter}@example.com`)).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.findAccountGroups("not an email")).rejects.toBeInstanceOf(NotFound);
		});

		it("concurrent changes of one account each record the list they replaced", async () => {
			await start();
			const { account } = await signUp(t, `groups${++counter}@example.com`);
			const lists = [["a"], ["b"], ["c"], ["d"], ["e"]];
			await Promise.all(lists.map((list) => t.deadbolt.setAccountGroups(account.id, list, CLI)));
			const events = (await groupEvents(account.id)).reverse();
			expect(events).toHaveLength(lists.length);
			// A chain: each change's `before` is the previous change's `after`, from [] to what is stored.
			let previous: unknown = [];
			for (const event of events) {
				expect(event.details["before"]).toEqual(previous);
				previous = event.details["after"];
			}
			expect((await t.store.accounts.findAccountById(account.id))?.groups).toEqual(previous);
		});

		it("a change queues a webhook message for endpoints subscribed to account.groups_changed", async () => {
			await start({
				webhooks: {
					endpoints: [
						{ url: "https://groups.example.test/hook", events: ["account.groups_changed"], secret: SECRET },
						{ url: "https://locks.example.test/hook", events: ["login.locked"], secret: SECRET },
					],
					allowedNetworks: [],
					timeoutSeconds: 10,
				},
			});
			const { account, email } = await signUp(t, `groups${++counter}@example.com`);
			await t.deadbolt.setAccountGroups(account.id, ["admins"], ADMIN_API);
			const webhooks = (await t.store.outbox.listDeliveries({ channel: "webhook", accountId: account.id, limit: 500 })).filter((delivery) => delivery.kind === "account.groups_changed");
			expect(webhooks.map((delivery) => delivery.target)).toEqual(["config:0"]);
			const payload = JSON.parse(webhooks[0]!.payload) as { type: string; data: Record<string, unknown> };
			expect(payload).toMatchObject({ type: "account.groups_changed", data: { accountId: account.id, email, details: { before: [], after: ["admins"], via: "admin_api" } } });
		});

		it("a group rule lets a member through from the next request on, and stops when the group is taken away", async () => {
			await start({
				accessControl: {
					defaultPolicy: "deny",
					rules: [{ domains: ["admin.example.test"], groups: ["admins"], policy: "one_factor" }],
				},
			});
			const { account, session } = await signUp(t, `groups${++counter}@example.com`);
			await t.store.accounts.markEmailVerified(account.id, t.clock.now());
			const cookie = t.deadbolt.forwardAuthToken(session.token)!;
			const ask = () => t.deadbolt.decideAccess({ host: "admin.example.test", pathAndQuery: "/", method: "GET", clientAddress: "203.0.113.9" }, { kind: "forward_auth_cookie", token: cookie });
			expect((await ask()).kind).toBe("deny");
			await t.deadbolt.setAccountGroups(account.id, ["Admins"], ADMIN_API);
			const allowed = await ask();
			expect(allowed.kind).toBe("allow");
			expect(allowed.kind === "allow" && allowed.identity?.groups).toEqual(["admins"]);
			await t.deadbolt.setAccountGroups(account.id, ["ops"], ADMIN_API);
			expect((await ask()).kind).toBe("deny");
		});
	});
}
