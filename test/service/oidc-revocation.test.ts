/**
 * One revocation model (issue 13 item 5), on SQLite and PostgreSQL, with TWO deadbolt instances on
 * one database: for every way a deadbolt session ends (the table of test/helpers/session-ends.ts,
 * shared with the forward-auth revocation test), the OpenID Connect grant given under it is ended:
 * - its refresh token is not found on either instance at once (`service/oidc-payloads.ts`: a grant
 *   lives only while its session does), whatever ended the session, expiry included;
 * - a back-channel logout is queued for the app, with the sign-in's `sid` (in the transaction that
 *   ended the session; for expiry, by housekeeping's sweeper) and the grant's rows are gone;
 * and the grant of a session that goes on (a rotated token, the session that made the change) lives.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryRecord, Store } from "../../src/storage/store.js";
import { testBackends } from "../helpers/backends.js";
import type { TestDeadbolt } from "../helpers/deadbolt.js";
import { OVERRIDES, openScene, SESSION_ENDS, sessionIdOf } from "../helpers/session-ends.js";

const CLIENT_ID = "wiki";
const OIDC_OVERRIDES = {
	...OVERRIDES,
	oidc: { clients: [{ id: CLIENT_ID, secret: "a-client-secret-of-at-least-32-chars!!", redirectUris: ["https://wiki.example.test/callback"], backchannelLogoutUri: "https://wiki.example.test/backchannel-logout", firstParty: true }] },
};

/** A use of the session by the provider: an authorization sees it live (it records activity). */
async function use(t: TestDeadbolt, sessionToken: string): Promise<void> {
	await t.deadbolt.validateSession(sessionToken);
}

/** What the provider stored for one sign-in of the app: a grant bound to the session, a refresh token of it. */
interface SignedInApp {
	readonly sessionId: string;
	readonly grantId: string;
	readonly refreshTokenId: string;
	readonly sid: string;
}

let grants = 0;

/** The rows the provider writes when a session signs in to the app (through the same service calls as `oidc/adapter.ts` and `oidc/interactions.ts`). */
async function signInToApp(t: TestDeadbolt, sessionToken: string): Promise<SignedInApp> {
	const auth = await t.deadbolt.validateSession(sessionToken);
	const n = ++grants;
	const grantId = `grant-${n}-${Math.random().toString(36).slice(2, 10)}`;
	const refreshTokenId = `rt-${n}-${Math.random().toString(36).slice(2, 10)}`;
	const sid = `sid-${n}`;
	await t.deadbolt.oidc.payloads.upsert("Grant", grantId, { kind: "Grant", jti: grantId, accountId: auth.account.id, clientId: CLIENT_ID, openid: { scope: "openid" } }, 86_400);
	await t.deadbolt.oidc.bindGrant(grantId, auth);
	await t.deadbolt.oidc.payloads.upsert("RefreshToken", refreshTokenId, { kind: "RefreshToken", jti: refreshTokenId, grantId, accountId: auth.account.id, clientId: CLIENT_ID, sid }, 86_400);
	await t.deadbolt.oidc.noteGrantUse(grantId, sid);
	return { sessionId: auth.session.id, grantId, refreshTokenId, sid };
}

async function logoutsOf(store: Store, accountId: string): Promise<DeliveryRecord[]> {
	return (await store.outbox.listDeliveries({ channel: "webhook", limit: 500 })).filter((delivery) => delivery.kind === "oidc.backchannel_logout" && delivery.accountId === accountId);
}

for (const backend of await testBackends()) {
	describe(`OpenID Connect revocation on ${backend.name}, two instances on one database`, () => {
		const instances: TestDeadbolt[] = [];
		afterEach(async () => {
			for (const t of instances.splice(0)) await t.deadbolt.close();
		});

		it.each(SESSION_ENDS.map((row) => [row.way, row] as const))("%s: the app's grant ends with the session, the app is told", async (_way, row) => {
			const s = await openScene(backend, row.start, `oidc-${row.start}`, instances, use, OIDC_OVERRIDES);
			const { one, two } = s;
			const apps = [{ ...(await signInToApp(one, s.a)), token: s.a }, { ...(await signInToApp(two, s.b)), token: s.b }];
			for (const app of apps) expect(await two.deadbolt.oidc.payloads.find("RefreshToken", app.refreshTokenId)).toBeDefined();
			const { refused, allowed, oidcGrantsEnded = {} } = await row.end(s);
			expect(Object.keys(refused).length).toBeGreaterThan(0);
			// A session goes on when a token the row keeps is of it, or its first token still passes (a row that ends the other one only, or idles it).
			const going = new Set(Object.values(allowed).map(sessionIdOf));
			const ended = new Set<string>(Object.values(oidcGrantsEnded).map(sessionIdOf));
			for (const app of apps) {
				if (ended.has(app.sessionId)) continue;
				if (going.has(app.sessionId)) continue;
				const stillLive = await one.deadbolt.validateSession(app.token).then(() => true, () => false);
				if (!stillLive) ended.add(app.sessionId);
			}
			// The very next use of the refresh token, on either instance: refused when its session ended.
			for (const app of apps) {
				for (const [name, t] of [["instance 2", two], ["instance 1", one]] as const) {
					const found = await t.deadbolt.oidc.payloads.find("RefreshToken", app.refreshTokenId);
					if (ended.has(app.sessionId)) expect(found, `${row.way}: ${app.sid} on ${name}`).toBeUndefined();
					else expect(found, `${row.way}: ${app.sid} (its session goes on) on ${name}`).toBeDefined();
				}
			}
			// A session ended by a change (revoked, not expired): its app was told in the change's own transaction, before any sweeper.
			const queued = await logoutsOf(one.store, s.account.id);
			for (const app of apps) {
				const session = await one.store.sessions.findSession(app.sessionId);
				const endedByChange = session?.revokedAt != null || Object.values(oidcGrantsEnded).map(sessionIdOf).includes(app.sessionId);
				if (!ended.has(app.sessionId) || !endedByChange) continue;
				expect(queued.filter((delivery) => delivery.payload.includes(`"${app.sid}"`)).length, `${row.way}: ${app.sid} told with the change`).toBe(1);
			}
			// The sweeper (housekeeping) tells the apps of sessions that ended without a transaction (expiry).
			await one.deadbolt.purgeExpired();
			const logouts = await logoutsOf(one.store, s.account.id);
			for (const app of apps) {
				const told = logouts.filter((delivery) => (JSON.parse(delivery.payload) as { sid: string | null }).sid === app.sid);
				if (ended.has(app.sessionId)) {
					expect(told.length, `${row.way}: one logout for ${app.sid}`).toBe(1);
					expect(told[0]!.target).toBe(`oidc:${CLIENT_ID}`);
					expect(await one.store.oidcPayloads.findOidcPayload("Grant", app.grantId)).toBeNull();
				} else {
					expect(told, `${row.way}: no logout for ${app.sid}`).toEqual([]);
				}
			}
			// A second run tells nobody twice.
			await two.deadbolt.purgeExpired();
			expect((await logoutsOf(one.store, s.account.id)).length).toBe(logouts.length);
		});
	});
}
