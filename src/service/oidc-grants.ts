/**
 * Grants of the OpenID Connect provider and the deadbolt sessions they live in (issue 13 items 4
 * and 5; DESIGN §3.10: one revocation path).
 *
 * Every grant is made by deadbolt's own interaction (`oidc/interactions.ts`) under a live deadbolt
 * session and bound to it ({@link bindOidcGrant}); `service/oidc-payloads.ts` then refuses the
 * grant and its codes and tokens as soon as that session is not live. When a session ends, its
 * grants are deleted in the transaction that ends it ({@link endOidcGrantsOfSessions}), and each app
 * that asked for it is told through the outbox (back-channel logout). Consent to a client that is
 * not first-party is remembered per account ({@link recordOidcConsent}) until its owner revokes
 * the app in Connected apps.
 */
import type { UnixMillis } from "../platform/clock.js";
import type { OidcPayloadRecord, Repositories } from "../storage/store.js";
import { NotFound } from "../errors.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { oidcClients } from "./oidc-clients.js";
import { enqueueBackchannelLogout } from "./oidc-logout.js";

/** The stored model of a remembered consent (one row per account and client, never expiring, never seen by the library). */
const CONSENT_MODEL = "DeadboltConsent";

/** A grant's use is written at most this often, in milliseconds. */
const GRANT_USE_INTERVAL_MILLIS = 60_000;

/** Ties a grant just saved by the library to the session it was given under. */
export async function bindOidcGrant(deps: ServiceDeps, grantId: string, sessionId: string): Promise<void> {
	if (!(await deps.store.oidcPayloads.bindOidcGrant(grantId, sessionId))) throw new Error(`grant ${grantId} was not stored`);
}

/** Notes that a code or token of the grant was issued (Connected apps' "last used") and the provider session id of the sign-in. */
export async function noteOidcGrantUse(deps: ServiceDeps, grantId: string, sid: string | null): Promise<void> {
	const grant = await deps.store.oidcPayloads.findOidcPayload("Grant", grantId);
	const now = deps.clock.now();
	if (grant === null || (grant.sid === sid && grant.lastUsedAt !== null && now - grant.lastUsedAt < GRANT_USE_INTERVAL_MILLIS)) return;
	await deps.store.oidcPayloads.noteOidcGrantUse(grantId, sid, now);
}

/** A grant ended with its session: who to tell. */
export interface EndedOidcGrant {
	readonly grantId: string;
	readonly clientId: string;
	readonly accountId: string;
	/** The `sid` of the sign-in, for the logout token; null when no token was issued yet. */
	readonly sid: string | null;
}

/** The ended grant as a back-channel logout needs it (null for a row without client or account). */
function endedOf(grant: OidcPayloadRecord): EndedOidcGrant | null {
	if (grant.clientId === null || grant.accountId === null) return null;
	return { grantId: grant.id, clientId: grant.clientId, accountId: grant.accountId, sid: grant.sid };
}

/**
 * Ends the grants given under these sessions, inside the transaction that ends the sessions:
 * deletes each grant with its codes and tokens (refresh tokens included).
 * @param tx - the repositories of that transaction
 * @returns the grants ended (for back-channel logout)
 */
export async function endOidcGrantsOfSessions(deps: ServiceDeps, tx: Repositories, sessionIds: readonly string[]): Promise<EndedOidcGrant[]> {
	if (sessionIds.length === 0) return [];
	return endOidcGrants(deps, tx, await tx.oidcPayloads.listOidcGrantsOfSessions(sessionIds));
}

/**
 * Ends the account's grants, but those of the session `exceptSessionId` (when given), inside the
 * transaction that ends the account's sessions (`service/account-access.ts`).
 * @returns the grants ended
 */
export async function endAccountOidcGrants(deps: ServiceDeps, tx: Repositories, accountId: string, exceptSessionId: string | null): Promise<EndedOidcGrant[]> {
	const grants = (await tx.oidcPayloads.listOidcGrantsOfAccount(accountId)).filter((grant) => exceptSessionId === null || grant.sessionId !== exceptSessionId);
	return endOidcGrants(deps, tx, grants);
}

/**
 * Ends one app's sign-ins of one deadbolt session (RP-initiated logout, "Only this app": OpenID
 * Connect RP-Initiated Logout 1.0 §2): its grants under that session, with their codes and tokens,
 * in one transaction; the app is told as for any ended grant. The session and its other apps live on.
 * @returns how many grants ended
 */
export async function endOidcAppOfSession(deps: ServiceDeps, sessionId: string, clientId: string): Promise<number> {
	const ended = await deps.store.transaction(async (tx) => endOidcGrants(deps, tx, (await tx.oidcPayloads.listOidcGrantsOfSessions([sessionId])).filter((grant) => grant.clientId === clientId)));
	if (ended.length > 0) deps.logger.info({ event: "oidc.app_signed_out", clientId, sessionId, grantsEnded: ended.length }, "an app's sign-in ended (RP-initiated logout of that app only)");
	return ended.length;
}

/** Deletes each grant with its codes and tokens, and tells each app that asked for it (back-channel logout, through the outbox). */
async function endOidcGrants(deps: ServiceDeps, tx: Repositories, grants: readonly OidcPayloadRecord[]): Promise<EndedOidcGrant[]> {
	const ended: EndedOidcGrant[] = [];
	for (const grant of grants) {
		await tx.oidcPayloads.revokeOidcGrant(grant.id);
		const facts = endedOf(grant);
		if (facts === null) continue;
		ended.push(facts);
		await announceEndedGrant(deps, tx, facts);
	}
	return ended;
}

/** Queues the back-channel logout of an ended grant (OpenID Connect Back-Channel Logout 1.0 §2.5), in the same transaction. */
async function announceEndedGrant(deps: ServiceDeps, tx: Repositories, ended: EndedOidcGrant): Promise<void> {
	await enqueueBackchannelLogout(deps, tx, { accountId: ended.accountId, clientId: ended.clientId, sid: ended.sid, eventId: null });
}

/** The most grants one housekeeping run ends (the rest wait for the next run). */
const ENDED_GRANTS_PER_RUN = 500;

/**
 * Housekeeping's sweeper (issue 13: "sessions that expire emit the same end event"): grants whose
 * deadbolt session ended without a transaction that ended them (it expired, or went idle) are
 * ended now, each app told through the outbox, as a sign-out would. Their tokens were refused from
 * the session's end already (`service/oidc-payloads.ts`); this sends the logout that apps see.
 * @returns how many grants were ended
 */
export async function endOidcGrantsOfExpiredSessions(deps: ServiceDeps): Promise<number> {
	const now = deps.clock.now();
	const idleCutoff = now - deps.config.session.idleTtlSeconds * 1000;
	const grants = await deps.store.oidcPayloads.listOidcGrantsOfEndedSessions(now, idleCutoff, ENDED_GRANTS_PER_RUN);
	if (grants.length === 0) return 0;
	return (await deps.store.transaction((tx) => endOidcGrants(deps, tx, grants))).length;
}

/** Whether the account consented to the client (remembered from an earlier sign-in) for every one of `scopes`. */
export async function hasOidcConsent(deps: ServiceDeps, accountId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
	const consent = await deps.store.oidcPayloads.findOidcPayload(CONSENT_MODEL, `${accountId} ${clientId}`);
	if (consent === null) return false;
	const granted = new Set((JSON.parse(consent.payload) as { scopes?: string[] }).scopes ?? []);
	return scopes.every((scope) => granted.has(scope));
}

/** Remembers that the account consented to the client for `scopes` (added to what it consented to before). */
export async function recordOidcConsent(deps: ServiceDeps, accountId: string, clientId: string, scopes: readonly string[]): Promise<void> {
	const id = `${accountId} ${clientId}`;
	const earlier = await deps.store.oidcPayloads.findOidcPayload(CONSENT_MODEL, id);
	const before = earlier === null ? [] : ((JSON.parse(earlier.payload) as { scopes?: string[] }).scopes ?? []);
	const all = [...new Set([...before, ...scopes])].sort();
	await deps.store.oidcPayloads.upsertOidcPayload({ model: CONSENT_MODEL, id, payload: JSON.stringify({ scopes: all }), grantId: null, uid: null, userCode: null, accountId, clientId, sid: null, createdAt: deps.clock.now(), expiresAt: null });
}

/** An app the account signed in to with OpenID Connect, for Connected apps. */
export interface ConnectedOidcApp {
	readonly clientId: string;
	/** The client's name (`oidc.clients[].name`, or a stored client's). */
	readonly name: string;
	/** Sessions of the account signed in to it now. */
	readonly sessions: number;
	/** When it last received a code or token; null: never since its first sign-in. */
	readonly lastUsedAt: UnixMillis | null;
	/** Whether consent is remembered for it. */
	readonly consented: boolean;
}

/** The apps the account signed in to with OpenID Connect (live grants or remembered consent), most recently used first. */
export async function listConnectedOidcApps(deps: ServiceDeps, accountId: string): Promise<ConnectedOidcApp[]> {
	const byClient = new Map<string, { sessions: number; lastUsedAt: UnixMillis | null; consented: boolean }>();
	for (const row of await deps.store.oidcPayloads.listOidcGrantsOfAccount(accountId)) {
		if (row.clientId === null) continue;
		const entry = byClient.get(row.clientId) ?? { sessions: 0, lastUsedAt: null, consented: false };
		entry.sessions += 1;
		const used = row.lastUsedAt ?? row.createdAt;
		if (entry.lastUsedAt === null || used > entry.lastUsedAt) entry.lastUsedAt = used;
		byClient.set(row.clientId, entry);
	}
	const clients = await oidcClients(deps);
	for (const client of clients) {
		if (await deps.store.oidcPayloads.findOidcPayload(CONSENT_MODEL, `${accountId} ${client.id}`)) {
			const entry = byClient.get(client.id) ?? { sessions: 0, lastUsedAt: null, consented: false };
			entry.consented = true;
			byClient.set(client.id, entry);
		}
	}
	return [...byClient.entries()]
		.map(([clientId, entry]) => ({ clientId, name: clients.find((client) => client.id === clientId)?.name ?? clientId, ...entry }))
		.sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0));
}

/**
 * Disconnects an app for its owner (Connected apps): {@link revokeOidcApp} in one transaction, with
 * the activity event `oidc_app.disconnected`.
 * @returns how many grants ended
 * @throws NotFound when the account has neither a grant nor a consent for the client
 */
export async function disconnectOidcApp(deps: ServiceDeps, accountId: string, clientId: string, context: RequestContext = NO_CONTEXT): Promise<number> {
	const ended = await deps.store.transaction(async (tx) => {
		const grants = await revokeOidcApp(deps, tx, accountId, clientId);
		await recordSecurityEvent(deps, tx, accountId, "oidc_app.disconnected", context, { clientId, grantsEnded: grants.length });
		return grants;
	});
	deps.logger.info({ event: "oidc_app.disconnected", accountId, clientId, grantsEnded: ended.length }, "an app was disconnected by its owner");
	return ended.length;
}

/**
 * Revokes an app (Connected apps' button): every grant of the account for the client, with its
 * codes and tokens, and the remembered consent; its next sign-in asks again.
 * @param tx - the repositories of the caller's transaction
 * @returns the grants ended (for back-channel logout)
 * @throws NotFound when the account has neither a grant nor a consent for the client
 */
export async function revokeOidcApp(deps: ServiceDeps, tx: Repositories, accountId: string, clientId: string): Promise<EndedOidcGrant[]> {
	const grants = (await tx.oidcPayloads.listOidcGrantsOfAccount(accountId)).filter((grant) => grant.clientId === clientId);
	const consent = await tx.oidcPayloads.destroyOidcPayload(CONSENT_MODEL, `${accountId} ${clientId}`);
	if (grants.length === 0 && !consent) throw new NotFound("No such connected app.");
	return endOidcGrants(deps, tx, grants);
}
