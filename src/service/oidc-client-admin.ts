/**
 * OpenID Connect clients added by an operator through the admin API or the CLI (issue 13 item 2;
 * docs/oidc.md, "Clients added through the admin API or the CLI"): add, list, show, remove,
 * rotate the secret. Checked with the same rules as the config file's clients
 * (`domain/oidc/client-rules.ts`), at once; an id may not be one a config client or another stored
 * client has. A confidential client's secret is generated here (32 random bytes, base64url),
 * returned once, kept only sealed with the server key (`sealed-text.ts`, bound to the id) and
 * never logged. The provider sees a change at once on every instance (`service/oidc-clients.ts`
 * reads the store at every lookup; `oidc/adapter.ts` answers the library's `Client` model).
 *
 * Removing a client ends, in one transaction, every grant of it with its codes and tokens
 * (refresh tokens included) and every remembered consent: its tokens stop working at their next
 * use, whatever the library cached.
 */
import { normalizeGroupNames, GROUPS_PER_ACCOUNT_MAX } from "../domain/access/group-name.js";
import { clientIdProblem, clientNameProblem, clientUriProblem, CLIENT_URIS_MAX } from "../domain/oidc/client-rules.js";
import { InvalidRequest, NotFound, OidcClientExists, OidcClientReadOnly, OidcDisabled, type Violation } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import { randomBytes } from "../platform/random.js";
import type { OidcClientRecord } from "../storage/store.js";
import { normalizeEmail } from "./accounts.js";
import type { ServiceDeps } from "./deps.js";
import { isWebhookAddressAllowed } from "./network-policy.js";
import { isConfigOidcClient, oidcClients, oidcEnabled, OIDC_CLIENT_SECRET_PURPOSE, storedOidcClient, type OidcClient } from "./oidc-clients.js";
import { sealText } from "./sealed-text.js";

/** Bytes of a generated client secret (43 characters of base64url: above the 32 the rules ask). */
export const OIDC_CLIENT_SECRET_BYTES = 32;

/** Most clients stored at once (each adds its origins to the pages' CSP `form-action`). */
export const OIDC_CLIENTS_MAX = 100;

/** Most accounts one client may be limited to. */
export const OIDC_CLIENT_ACCOUNTS_MAX = 1_000;

/** What an operator gives to add a client (the config file's keys, without a secret: deadbolt makes it). */
export interface OidcClientRequest {
	/** The client_id: 1 to 64 of `A-Z a-z 0-9 . _ -`. */
	readonly id: string;
	/** Shown to users; default: the id. */
	readonly name?: string | null | undefined;
	/** Exact redirect URIs: 1 to 20, https (plain http only to a loopback host), no fragment. */
	readonly redirectUris: readonly string[];
	readonly postLogoutRedirectUris?: readonly string[] | undefined;
	readonly backchannelLogoutUri?: string | null | undefined;
	/** No secret, PKCE required (default false: a secret is generated). */
	readonly public?: boolean | undefined;
	/** No consent page (default false). */
	readonly firstParty?: boolean | undefined;
	/** Default 2. */
	readonly minimumAal?: 1 | 2 | undefined;
	/** Only members of one of these groups; absent or empty: no limit by group. */
	readonly groups?: readonly string[] | undefined;
	/** Only these accounts (email addresses); absent or empty: no limit by account. */
	readonly accounts?: readonly string[] | undefined;
}

/** A client as operators see it: everything but its secret. */
export type OidcClientView = Omit<OidcClient, "secret">;

/** A client and its new secret: the only answers that carry one. */
export interface OidcClientWithSecret {
	readonly client: OidcClientView;
	/** The client secret, shown this once (it cannot be read back); null for a public client. */
	readonly secret: string | null;
}

const refuse = (field: string, rule: string, message: string): InvalidRequest => new InvalidRequest(message, [{ field, rule, message } satisfies Violation]);

/** The operator's view of a client (every field but the secret). */
export function oidcClientView(client: OidcClient): OidcClientView {
	return {
		id: client.id,
		name: client.name,
		source: client.source,
		redirectUris: [...client.redirectUris],
		postLogoutRedirectUris: [...client.postLogoutRedirectUris],
		backchannelLogoutUri: client.backchannelLogoutUri,
		public: client.public,
		firstParty: client.firstParty,
		minimumAal: client.minimumAal,
		groups: client.groups === null ? null : [...client.groups],
		accounts: client.accounts === null ? null : [...client.accounts],
		createdAt: client.createdAt,
	};
}

/** A list of URIs, checked and deduplicated (order kept). */
function checkUris(field: string, uris: readonly string[], least: number): string[] {
	const unique = [...new Set(uris.map((uri) => uri.trim()))];
	if (unique.length < least) throw refuse(field, "required", "Give at least one redirect URI: where deadbolt sends the user back with the code.");
	if (unique.length > CLIENT_URIS_MAX) throw refuse(field, "too_many", `At most ${CLIENT_URIS_MAX} URIs.`);
	for (const uri of unique) {
		const problem = clientUriProblem(uri);
		if (problem !== null) throw refuse(field, "invalid_uri", `"${uri.slice(0, 200)}" ${problem}.`);
	}
	return unique;
}

/**
 * The back-channel logout URI, checked: the URI rules, and, because deadbolt itself POSTs there, a
 * host given as an address (or `localhost`) must be public or in `webhooks.allowedNetworks`, as
 * for webhook endpoints added through the admin API (the sender checks every resolved address
 * again when it connects: `delivery/http-post.ts`).
 */
function checkBackchannelLogoutUri(deps: ServiceDeps, text: string | null | undefined): string | null {
	if (text === undefined || text === null || text.trim() === "") return null;
	const [uri] = checkUris("backchannelLogoutUri", [text], 1) as [string];
	const hostname = new URL(uri).hostname;
	const literal = hostname === "localhost" ? "127.0.0.1" : hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
	if (/^[0-9.]+$/.test(literal) || literal.includes(":")) {
		if (!isWebhookAddressAllowed(literal, deps.config.webhooks.allowedNetworks)) {
			throw refuse("backchannelLogoutUri", "private_network", `deadbolt POSTs logout tokens to this URI, and ${hostname} is not on the public internet: list its network in webhooks.allowedNetworks first.`);
		}
	}
	return uri;
}

/** The record a request makes (everything checked); `sealedSecret` sealed for the id. */
function recordOf(deps: ServiceDeps, request: OidcClientRequest, secret: string | null): OidcClientRecord {
	const id = request.id.trim();
	const idProblem = clientIdProblem(id);
	if (idProblem !== null) throw refuse("id", "invalid_id", `The client id ${idProblem}.`);
	const name = request.name?.trim() || id;
	const nameProblem = clientNameProblem(name);
	if (nameProblem !== null) throw refuse("name", "invalid_name", `The name ${nameProblem}.`);
	const redirectUris = checkUris("redirectUris", request.redirectUris, 1);
	const postLogoutRedirectUris = checkUris("postLogoutRedirectUris", request.postLogoutRedirectUris ?? [], 0);
	const backchannelLogoutUri = checkBackchannelLogoutUri(deps, request.backchannelLogoutUri);
	const minimumAal = request.minimumAal ?? 2;
	if (minimumAal !== 1 && minimumAal !== 2) throw refuse("minimumAal", "invalid", "minimumAal is 1 (password) or 2 (password and second factor).");
	const { groups, invalid } = normalizeGroupNames(request.groups ?? []);
	if (invalid.length > 0) throw refuse("groups", "not_a_group", `Not a group name: ${invalid.slice(0, 5).map((name) => JSON.stringify(name)).join(", ")}. A group name is 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit.`);
	if (groups.length > GROUPS_PER_ACCOUNT_MAX) throw refuse("groups", "too_many", `At most ${GROUPS_PER_ACCOUNT_MAX} groups.`);
	const accounts: string[] = [];
	for (const typed of request.accounts ?? []) {
		const email = normalizeEmail(typed);
		if (email === null) throw refuse("accounts", "invalid_email", `"${typed.slice(0, 100)}" is not an email address.`);
		if (!accounts.includes(email)) accounts.push(email);
	}
	if (accounts.length > OIDC_CLIENT_ACCOUNTS_MAX) throw refuse("accounts", "too_many", `At most ${OIDC_CLIENT_ACCOUNTS_MAX} accounts.`);
	const isPublic = request.public === true;
	return {
		id,
		name,
		sealedSecret: isPublic || secret === null ? null : sealText(deps, OIDC_CLIENT_SECRET_PURPOSE, id, secret),
		redirectUris: JSON.stringify(redirectUris),
		postLogoutRedirectUris: JSON.stringify(postLogoutRedirectUris),
		backchannelLogoutUri,
		public: isPublic,
		firstParty: request.firstParty === true,
		minimumAal,
		groups: groups.length === 0 ? null : JSON.stringify(groups),
		accounts: accounts.length === 0 ? null : JSON.stringify(accounts),
		createdAt: deps.clock.now(),
	};
}

/** A new client secret: 32 random bytes, base64url (43 characters). */
function newClientSecret(deps: ServiceDeps): string {
	return Buffer.from(randomBytes(deps.random, OIDC_CLIENT_SECRET_BYTES)).toString("base64url");
}

/**
 * Adds a client; a confidential one gets a generated secret.
 * @returns the client and its secret (shown this once; null for a public client)
 * @throws OidcDisabled when the provider is off (no config client and `oidc.enabled` false)
 * @throws InvalidRequest (with a violation naming the field and rule) for metadata the rules refuse, or too many clients
 * @throws OidcClientExists when a config client or a stored client has the id
 */
export async function addOidcClient(deps: ServiceDeps, request: OidcClientRequest): Promise<OidcClientWithSecret> {
	if (!oidcEnabled(deps)) throw new OidcDisabled();
	const secret = request.public === true ? null : newClientSecret(deps);
	const record = recordOf(deps, request, secret);
	if (isConfigOidcClient(deps, record.id)) throw new OidcClientExists(`The client id "${record.id}" is declared in the config file (oidc.clients); choose another.`);
	if ((await deps.store.oidcClients.listOidcClients()).length >= OIDC_CLIENTS_MAX) throw refuse("id", "too_many", `At most ${OIDC_CLIENTS_MAX} clients can be added; remove one first.`);
	if (!(await deps.store.oidcClients.insertOidcClient(record))) throw new OidcClientExists(`A client with the id "${record.id}" exists already.`);
	deps.logger.warn(
		{ event: "oidc.client_added", clientId: record.id, public: record.public, firstParty: record.firstParty, minimumAal: record.minimumAal, redirectOrigins: [...new Set((JSON.parse(record.redirectUris) as string[]).map((uri) => new URL(uri).origin))] },
		"OpenID Connect client added",
	);
	return { client: oidcClientView(storedOidcClient(deps, record)), secret };
}

/** Every client, the config file's first, then the stored ones oldest first. Never a secret. */
export async function listOidcClientViews(deps: ServiceDeps): Promise<OidcClientView[]> {
	return (await oidcClients(deps)).map(oidcClientView);
}

/**
 * One client (either source).
 * @throws NotFound when no client has that id
 */
export async function showOidcClient(deps: ServiceDeps, id: string): Promise<OidcClientView> {
	const client = (await oidcClients(deps)).find((candidate) => candidate.id === id);
	if (client === undefined) throw new NotFound("No OpenID Connect client has that id.");
	return oidcClientView(client);
}

/**
 * Removes a stored client and, in the same transaction, every grant of it with its codes and
 * tokens, and every remembered consent: its refresh and access tokens fail at their next use. No
 * back-channel logout is sent (the app is gone from deadbolt; its sessions end with its tokens).
 * A stored client hidden behind a config client of the same id is deleted alone (the grants of
 * that id are the config client's).
 * @returns how many grants ended
 * @throws OidcClientReadOnly for a config file client (with no hidden stored one)
 * @throws NotFound when no stored client has that id
 */
export async function removeOidcClient(deps: ServiceDeps, id: string): Promise<{ readonly grantsEnded: number }> {
	if (isConfigOidcClient(deps, id)) {
		if (!(await deps.store.oidcClients.deleteOidcClient(id))) throw new OidcClientReadOnly();
		deps.logger.warn({ event: "oidc.client_removed", clientId: id, grantsEnded: 0, hidden: true }, "OpenID Connect client removed (it was hidden behind the config file's client of the same id)");
		return { grantsEnded: 0 };
	}
	const grantsEnded = await deps.store.transaction(async (tx) => {
		if (!(await tx.oidcClients.deleteOidcClient(id))) throw new NotFound("No OpenID Connect client has that id.");
		const grants = await tx.oidcPayloads.listOidcGrantsOfClient(id);
		for (const grant of grants) await tx.oidcPayloads.revokeOidcGrant(grant.id);
		await tx.oidcPayloads.deleteOidcPayloadsOfClient(id);
		return grants.length;
	});
	deps.logger.warn({ event: "oidc.client_removed", clientId: id, grantsEnded }, "OpenID Connect client removed; its grants and tokens ended");
	return { grantsEnded };
}

/**
 * Gives a stored confidential client a new secret; the old one stops working at once (its grants
 * and tokens stay: the app refreshes with the new secret).
 * @returns the client and its new secret (shown this once)
 * @throws OidcClientReadOnly for a config file client
 * @throws NotFound when no stored client has that id
 * @throws InvalidRequest (`rule: "public_client"`) for a public client, which has no secret
 */
export async function rotateOidcClientSecret(deps: ServiceDeps, id: string): Promise<OidcClientWithSecret & { readonly secret: string }> {
	if (isConfigOidcClient(deps, id)) throw new OidcClientReadOnly("This client is declared in the config file (oidc.clients): change its secret there.");
	const record = await deps.store.oidcClients.findOidcClient(id);
	if (record === null) throw new NotFound("No OpenID Connect client has that id.");
	if (record.public) throw refuse("id", "public_client", "A public client has no secret: it proves itself with PKCE.");
	const secret = newClientSecret(deps);
	const sealedSecret = sealText(deps, OIDC_CLIENT_SECRET_PURPOSE, id, secret);
	if (!(await deps.store.oidcClients.replaceOidcClientSecret(id, sealedSecret))) throw new NotFound("No OpenID Connect client has that id.");
	deps.logger.warn({ event: "oidc.client_secret_rotated", clientId: id }, "OpenID Connect client secret replaced");
	return { client: oidcClientView(storedOidcClient(deps, { ...record, sealedSecret })), secret };
}
