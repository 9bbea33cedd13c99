/**
 * OpenID Connect Back-Channel Logout 1.0 through the outbox (issue 13, "logout that reaches every
 * app"): when a deadbolt session that signed in to an app ends, the transaction that ends it
 * queues one delivery per app that has a `backchannelLogoutUri`, so the logout reaches the app
 * at least once, with retries and across restarts, exactly as the change that caused it
 * committed (DESIGN.md §3.10). The dispatcher (`delivery/backchannel-logout-sender.ts`) signs a
 * fresh logout token (§2.4, `signing-keys.ts` `issueLogoutToken`) for every attempt and POSTs it
 * (§2.5); the delivery row holds only the account id and the session id, never a token.
 *
 * A delivery is of channel `"webhook"` (an HTTP POST to another app: the only other channel the
 * outbox has besides mail), kind {@link BACKCHANNEL_LOGOUT_KIND}, target `oidc:<clientId>`.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html
 */
import type { DeliveryRecord, Repositories } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { oidcClientById } from "./oidc-clients.js";
import { newDelivery } from "./outbox.js";

/** The outbox kind of a back-channel logout delivery. */
export const BACKCHANNEL_LOGOUT_KIND = "oidc.backchannel_logout";

/** The prefix of a back-channel logout delivery's target: `oidc:<clientId>`. */
const TARGET_PREFIX = "oidc:";

/** An OpenID Connect client as the logout delivery needs it. */
export interface OidcClientTarget {
	/** The client_id. */
	readonly id: string;
	/** Where logout tokens are POSTed (Back-Channel Logout 1.0 §2.2 `backchannel_logout_uri`); null when the client takes none. */
	readonly backchannelLogoutUri: string | null;
	/**
	 * `"config"`: declared in the config file (the operator's own, trusted: no private-network
	 * rule). `"api"`: added through the admin API or the CLI; their POSTs go under
	 * `webhooks.allowedNetworks` as admin-API webhook endpoints do.
	 */
	readonly source: "config" | "api";
}

/** What a back-channel logout delivery's payload holds (safe facts: no token, no secret). */
export interface BackchannelLogoutFacts {
	/** The account id: the logout token's `sub`. */
	readonly sub: string;
	/** The session id the client's ID tokens carried: the logout token's `sid`; null for every session of `sub`. */
	readonly sid: string | null;
}

/**
 * The client of that id as a delivery needs it (`service/oidc-clients.ts` is the one registry).
 * @param repositories - where to read stored clients: the caller's transaction inside one; default the store
 * @returns null when no client has that id (removed from the config, or through the admin API, since the delivery was queued)
 */
export async function logoutClientById(deps: ServiceDeps, id: string, repositories: Pick<Repositories, "oidcClients"> = deps.store): Promise<OidcClientTarget | null> {
	const client = await oidcClientById(deps, id, repositories);
	if (client === null) return null;
	return { id: client.id, backchannelLogoutUri: client.backchannelLogoutUri, source: client.source };
}

/** The target of a back-channel logout delivery to `clientId`: `oidc:<clientId>`. */
export function backchannelLogoutTarget(clientId: string): string {
	return `${TARGET_PREFIX}${clientId}`;
}

/**
 * The client id of a back-channel logout delivery's target.
 * @returns null when `target` is not `oidc:<clientId>`
 */
export function clientIdOfTarget(target: string): string | null {
	return target.startsWith(TARGET_PREFIX) && target.length > TARGET_PREFIX.length ? target.slice(TARGET_PREFIX.length) : null;
}

/**
 * The facts of a back-channel logout delivery.
 * @throws Error when its payload is not `{ sub, sid }` (a tampered row): the attempt fails
 */
export function backchannelLogoutFacts(delivery: Pick<DeliveryRecord, "payload">): BackchannelLogoutFacts {
	const facts = JSON.parse(delivery.payload) as Partial<BackchannelLogoutFacts>;
	if (typeof facts.sub !== "string" || facts.sub === "" || !(facts.sid === null || typeof facts.sid === "string")) throw new Error("back-channel logout payload is not { sub, sid }");
	return { sub: facts.sub, sid: facts.sid };
}

/**
 * Queues the back-channel logout of one session (or every session, `sid` null) of an account at
 * one client, inside the caller's transaction (the one that ends the session), when that client
 * has a `backchannelLogoutUri`; nothing otherwise. Due at once; sent by the dispatcher after the
 * commit. Call it once per client the session signed in to.
 * @param logout.accountId - the account: the logout token's `sub` (as in the client's ID tokens)
 * @param logout.clientId - the client (`oidc.clients[].id`)
 * @param logout.sid - the `sid` the client's ID tokens carried for that session; null: all of the account's sessions at the client
 * @param logout.eventId - the security event that ended the session, or null
 * @returns whether a delivery was queued (false: no such client, or it takes no back-channel logout)
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest (§2.5)
 */
export async function enqueueBackchannelLogout(
	deps: ServiceDeps,
	tx: Repositories,
	logout: { readonly accountId: string; readonly clientId: string; readonly sid: string | null; readonly eventId: string | null },
): Promise<boolean> {
	// Read through the transaction: on SQLite a read on the store itself would wait for this transaction's connection.
	const client = await logoutClientById(deps, logout.clientId, tx);
	if (client === null || client.backchannelLogoutUri === null) return false;
	const facts: BackchannelLogoutFacts = { sub: logout.accountId, sid: logout.sid };
	const delivery = newDelivery(deps, { eventId: logout.eventId, accountId: logout.accountId, channel: "webhook", kind: BACKCHANNEL_LOGOUT_KIND, target: backchannelLogoutTarget(client.id), payload: JSON.stringify(facts) });
	await tx.outbox.insertDeliveries([delivery]);
	return true;
}
