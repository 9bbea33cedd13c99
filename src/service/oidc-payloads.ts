/**
 * What the OpenID Connect provider stores (issue 13; `oidc/adapter.ts` is the library's side):
 * sessions, interactions, grants, codes and tokens of `oidc-provider`, in deadbolt's own store
 * (SQLite or PostgreSQL, one table), so every instance sees the same state and a restart loses none.
 *
 * Two rules are deadbolt's, not the library's:
 * - **A grant lives only while the deadbolt session it was given under does** (`service/oidc-grants.ts`
 *   binds them): a grant, code or token whose session ended (signed out, revoked, expired, idle,
 *   account gone) is not found, so it fails on the very next use, whatever the provider cached.
 * - **Use once is a conditional write** ({@link consumeOidcPayload}): of parallel uses of one code
 *   or refresh token, one wins.
 */
import type { UnixMillis } from "../platform/clock.js";
import type { OidcPayloadRecord } from "../storage/store.js";
import { Unauthenticated } from "../errors.js";
import type { ServiceDeps } from "./deps.js";
import { oidcClientById } from "./oidc-clients.js";
import { clientAllows } from "./oidc-sign-in.js";
import { checkLiveSession } from "./sessions.js";

/** The library's payload of one model: JSON-safe members. */
export type OidcPayload = Record<string, unknown>;

/** Models that belong to a grant and live only while it does. */
const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set(["AuthorizationCode", "AccessToken", "RefreshToken", "DeviceCode", "BackchannelAuthenticationRequest"]);

/**
 * Whether an id (or uid, user code) can be one the library stored: PostgreSQL's text holds no NUL
 * character, and a lookup with one fails the whole query (a 500 for any `client_id=%00`, token or
 * `request_uri` a stranger sends). None of the library's ids has one: such an id is simply unknown.
 */
function storableId(id: string): boolean {
	return !id.includes("\u0000");
}

/** A text member of a payload, or null. */
function textOf(payload: OidcPayload, key: string): string | null {
	const value = payload[key];
	return typeof value === "string" && value !== "" ? value : null;
}

/**
 * Stores a model (insert or replace).
 * @param expiresInSeconds - the library's lifetime of it, in seconds (undefined: none)
 */
export async function upsertOidcPayload(deps: ServiceDeps, model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
	const now = deps.clock.now();
	await deps.store.oidcPayloads.upsertOidcPayload({
		model,
		id,
		payload: JSON.stringify(payload),
		grantId: textOf(payload, "grantId"),
		uid: textOf(payload, "uid"),
		userCode: textOf(payload, "userCode"),
		accountId: textOf(payload, "accountId"),
		clientId: textOf(payload, "clientId"),
		sid: textOf(payload, "sid"),
		createdAt: now,
		expiresAt: expiresInSeconds === undefined ? null : now + expiresInSeconds * 1000,
	});
}

/**
 * Whether the deadbolt session a grant was given under is live (not revoked, expired or idle; its
 * account there), and the client still declared and for that account (its `groups` and `accounts`,
 * read now: an account taken out of the client's groups loses the app's tokens at once).
 */
export async function isGrantLive(deps: ServiceDeps, grant: OidcPayloadRecord | null): Promise<boolean> {
	if (grant === null || grant.sessionId === null) return false;
	if (grant.expiresAt !== null && grant.expiresAt <= deps.clock.now()) return false;
	const client = grant.clientId === null ? null : await oidcClientById(deps, grant.clientId);
	if (client === null) return false;
	try {
		const auth = await checkLiveSession(deps, await deps.store.sessions.findSessionWithAccount(grant.sessionId));
		return auth.account.id === grant.accountId && clientAllows(client, auth);
	} catch (error) {
		if (error instanceof Unauthenticated) return false;
		throw error;
	}
}

/** The payload of a record as the library reads it back: `consumed` (epoch seconds) when it was used. */
function payloadOf(record: OidcPayloadRecord): OidcPayload {
	const payload = JSON.parse(record.payload) as OidcPayload;
	return record.consumedAt === null ? payload : { ...payload, consumed: Math.floor(record.consumedAt / 1000) };
}

/** Whether a record may still be handed to the library: not expired, and (grants and what belongs to one) its deadbolt session live. */
async function usable(deps: ServiceDeps, record: OidcPayloadRecord | null): Promise<boolean> {
	if (record === null) return false;
	if (record.expiresAt !== null && record.expiresAt <= deps.clock.now()) return false;
	if (record.model === "Grant") return isGrantLive(deps, record);
	if (GRANT_BOUND_MODELS.has(record.model)) {
		if (record.grantId === null) return false;
		return isGrantLive(deps, await deps.store.oidcPayloads.findOidcPayload("Grant", record.grantId));
	}
	return true;
}

/** A stored model by id; undefined when unknown, expired, or (grant-bound) its deadbolt session ended. */
export async function findOidcPayload(deps: ServiceDeps, model: string, id: string): Promise<OidcPayload | undefined> {
	if (!storableId(id)) return undefined;
	const record = await deps.store.oidcPayloads.findOidcPayload(model, id);
	return record !== null && (await usable(deps, record)) ? payloadOf(record) : undefined;
}

/** A stored model by its `uid` (sessions). */
export async function findOidcPayloadByUid(deps: ServiceDeps, model: string, uid: string): Promise<OidcPayload | undefined> {
	if (!storableId(uid)) return undefined;
	const record = await deps.store.oidcPayloads.findOidcPayloadByUid(model, uid);
	return record !== null && (await usable(deps, record)) ? payloadOf(record) : undefined;
}

/** A stored model by its `userCode` (device flow; not enabled, kept for the library's interface). */
export async function findOidcPayloadByUserCode(deps: ServiceDeps, model: string, userCode: string): Promise<OidcPayload | undefined> {
	if (!storableId(userCode)) return undefined;
	const record = await deps.store.oidcPayloads.findOidcPayloadByUserCode(model, userCode);
	return record !== null && (await usable(deps, record)) ? payloadOf(record) : undefined;
}

/**
 * Marks a code or refresh token used, if nobody did: a conditional write (`consumed_at IS NULL`).
 * @returns true when this call consumed it; false when another use won (the caller revokes the grant: RFC 9700 §4.14.2)
 */
export async function consumeOidcPayload(deps: ServiceDeps, model: string, id: string): Promise<boolean> {
	if (!storableId(id)) return false;
	return deps.store.oidcPayloads.consumeOidcPayload(model, id, deps.clock.now());
}

/** Deletes a stored model. */
export async function destroyOidcPayload(deps: ServiceDeps, model: string, id: string): Promise<void> {
	if (!storableId(id)) return;
	await deps.store.oidcPayloads.destroyOidcPayload(model, id);
}

/** Deletes a grant and every code and token of it. @returns how many rows */
export async function revokeOidcGrant(deps: ServiceDeps, grantId: string): Promise<number> {
	if (!storableId(grantId)) return 0;
	return deps.store.oidcPayloads.revokeOidcGrant(grantId);
}

/** Housekeeping: deletes what expired before `now`. @returns how many rows */
export function deleteExpiredOidcPayloads(deps: ServiceDeps, now: UnixMillis): Promise<number> {
	return deps.store.oidcPayloads.deleteExpiredOidcPayloads(now);
}

/**
 * {@link consumeOidcPayload}, and when another use won: revokes the grant of the code or token
 * (its every token: a code or refresh token used twice means one copy is in other hands, RFC 9700
 * §4.14.2, RFC 6749 §4.1.2).
 * @returns true when this call consumed it
 */
export async function consumeOidcPayloadOrRevokeGrant(deps: ServiceDeps, model: string, id: string): Promise<boolean> {
	if (await consumeOidcPayload(deps, model, id)) return true;
	const record = await deps.store.oidcPayloads.findOidcPayload(model, id);
	if (record?.grantId != null) {
		const rows = await revokeOidcGrant(deps, record.grantId);
		deps.logger.warn({ event: "oidc.reuse_detected", model, grantId: record.grantId, clientId: record.clientId, accountId: record.accountId, rowsRevoked: rows }, "a code or refresh token was used twice: its grant is revoked");
	}
	return false;
}
