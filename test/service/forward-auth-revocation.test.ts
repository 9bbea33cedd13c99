/**
 * Instant revocation at the proxies (issue 12 item 7), on SQLite and PostgreSQL, with TWO deadbolt
 * instances on one database: for every way a session ends (or its token rotates), the forward-auth
 * cookie a browser kept is refused by the very next `decideAccess` on BOTH instances, and what the
 * change keeps (the session that made it, under its new token) still passes. Nothing is cached
 * (`service/access.ts`, `service/forward-auth-sessions.ts`): each decision reads the session's row,
 * so each row of the table fails when the revocation it names is removed.
 *
 * The ways: sign out, revoke one session, revoke the others, sign out everywhere, a password change,
 * a first password set, a password reset by mailed link, 2FA turned on, 2FA turned off, a new phone
 * (authenticator replaced), "my account is compromised", a re-authentication (token rotation), idle
 * expiry, absolute expiry. No admin or operator action ends sessions today (`service/operator.ts`:
 * unlock only; the admin API: accounts, groups, sign-in links, webhooks).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AccessOutcome } from "../../src/service/access.js";
import { testBackends } from "../helpers/backends.js";
import type { TestDeadbolt } from "../helpers/deadbolt.js";
import { openScene, REQUEST, SESSION_ENDS, sessionIdOf } from "../helpers/session-ends.js";

/** The decision for the protected app with the forward-auth cookie of `sessionToken`, as the proxy's browser presents it. */
function decide(t: TestDeadbolt, sessionToken: string): Promise<AccessOutcome> {
	const cookie = t.deadbolt.forwardAuthToken(sessionToken);
	if (cookie === null) throw new Error("not a session token");
	return t.deadbolt.decideAccess(REQUEST, { kind: "forward_auth_cookie", token: cookie });
}

/** A request through the proxy: it must be allowed (and it records the session's activity). */
async function use(t: TestDeadbolt, sessionToken: string): Promise<void> {
	expect((await decide(t, sessionToken)).kind).toBe("allow");
}

for (const backend of await testBackends()) {
	describe(`forward-auth revocation on ${backend.name}, two instances on one database`, () => {
		const instances: TestDeadbolt[] = [];
		afterEach(async () => {
			for (const t of instances.splice(0)) await t.deadbolt.close();
		});

		async function expectAllowed(t: TestDeadbolt, which: string, token: string, label: string): Promise<void> {
			const outcome = await decide(t, token);
			expect(outcome.kind, `${label}: ${which}`).toBe("allow");
			if (outcome.kind === "allow") expect(outcome.identity?.sessionId, `${label}: ${which}`).toBe(sessionIdOf(token));
		}

		it.each(SESSION_ENDS.map((row) => [row.way, row] as const))("%s: the very next request is refused on both instances", async (_way, row) => {
			const s = await openScene(backend, row.start, row.start, instances, use);
			const { one, two } = s;
			for (const [which, token] of [["a", s.a], ["b", s.b]] as const) {
				await expectAllowed(one, which, token, "before, instance 1");
				await expectAllowed(two, which, token, "before, instance 2");
			}
			const { refused, allowed } = await row.end(s);
			expect(Object.keys(refused).length).toBeGreaterThan(0);
			for (const [which, token] of Object.entries(refused)) {
				// The very next request of each instance, the other one first.
				for (const [name, t] of [["instance 2", two], ["instance 1", one]] as const) {
					expect(await decide(t, token), `${row.way}: ${which}, ${name}`).toMatchObject({ kind: "sign_in", reason: "refused" });
				}
			}
			for (const [which, token] of Object.entries(allowed)) {
				await expectAllowed(two, which, token, `${row.way}, after, instance 2`);
				await expectAllowed(one, which, token, `${row.way}, after, instance 1`);
			}
		});
	});
}
