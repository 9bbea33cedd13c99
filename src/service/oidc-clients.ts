/**
 * The OpenID Connect clients (issue 13; docs/oidc.md, "Clients"): the apps that may sign their
 * users in with deadbolt. One registry for every part that needs a client (the provider, through
 * its static list and its adapter; the sign-in decision, consent, Connected apps, back-channel
 * logout), over two sources:
 * - the config file's `oidc.clients` (checked strictly at start by `config/oidc.ts`), first;
 * - the clients added through the admin API or the CLI (`service/oidc-client-admin.ts`), stored in
 *   `oidc_client` with their secret sealed, read from the store at every lookup, so that an added,
 *   rotated or removed client counts at once on every instance, without a restart.
 * A stored client whose id a config client took later is hidden behind it (the config wins).
 */
import { normalizeGroupName } from "../domain/access/group-name.js";
import { clientIdProblem } from "../domain/oidc/client-rules.js";
import type { UnixMillis } from "../platform/clock.js";
import type { OidcClientRecord, Repositories } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { openText } from "./sealed-text.js";

/** A client with every default applied. */
export interface OidcClient {
	/** The `client_id`. */
	readonly id: string;
	/** Shown to users (consent, Connected apps, refusals). */
	readonly name: string;
	/** The secret of a confidential client; null for a public one. Never logged, never in an API answer. */
	readonly secret: string | null;
	readonly redirectUris: readonly string[];
	readonly postLogoutRedirectUris: readonly string[];
	/** OpenID Connect Back-Channel Logout 1.0 §2.2 `backchannel_logout_uri`; null: none. */
	readonly backchannelLogoutUri: string | null;
	/** No secret; PKCE required (RFC 7636, RFC 9700 §2.1.1). */
	readonly public: boolean;
	/** No consent page. */
	readonly firstParty: boolean;
	/** The least authenticator assurance level a sign-in needs (default 2). */
	readonly minimumAal: 1 | 2;
	/** Only members of one of these groups (with `accounts`: or these accounts); null: no limit by group. */
	readonly groups: readonly string[] | null;
	/** Only these accounts, by email address (lower case); null: no limit by account. */
	readonly accounts: readonly string[] | null;
	/** `"config"`: the config file's `oidc.clients`; `"api"`: added through the admin API or the CLI (stored). */
	readonly source: "config" | "api";
	/** When it was added; null for a config client. */
	readonly createdAt: UnixMillis | null;
}

/** The purpose a stored client's secret is sealed for (bound to the client's id). */
export const OIDC_CLIENT_SECRET_PURPOSE = "oidc-client-secret";

const clientLists = new WeakMap<ServiceDeps["config"], readonly OidcClient[]>();

/** The config file's clients, in its order (computed once per config): the provider's static list. */
export function configOidcClients(deps: Pick<ServiceDeps, "config">): readonly OidcClient[] {
	let clients = clientLists.get(deps.config);
	if (clients === undefined) {
		clients = Object.freeze(
			deps.config.oidc.clients.map((client) =>
				Object.freeze({
					id: client.id,
					name: client.name ?? client.id,
					secret: client.public === true ? null : (client.secret ?? null),
					redirectUris: client.redirectUris,
					postLogoutRedirectUris: client.postLogoutRedirectUris ?? [],
					backchannelLogoutUri: client.backchannelLogoutUri ?? null,
					public: client.public === true,
					firstParty: client.firstParty === true,
					minimumAal: client.minimumAal ?? 2,
					// Checked at start (`config/oidc.ts`); stored as account groups are (`Admins` is `admins`).
					groups: client.groups?.map((group) => normalizeGroupName(group) ?? group) ?? null,
					accounts: client.accounts?.map((email) => email.toLowerCase()) ?? null,
					source: "config" as const,
					createdAt: null,
				}),
			),
		);
		clientLists.set(deps.config, clients);
	}
	return clients;
}

/** A JSON array of strings, or null. */
function listOf(text: string | null): readonly string[] | null {
	return text === null ? null : Object.freeze(JSON.parse(text) as string[]);
}

/**
 * A stored client as the registry gives it: its secret opened.
 * @throws Error when the secret does not open (another server key, a tampered row)
 */
export function storedOidcClient(deps: Pick<ServiceDeps, "keys">, record: OidcClientRecord): OidcClient {
	return Object.freeze({
		id: record.id,
		name: record.name,
		secret: record.public || record.sealedSecret === null ? null : openText(deps, OIDC_CLIENT_SECRET_PURPOSE, record.id, record.sealedSecret),
		redirectUris: listOf(record.redirectUris) ?? [],
		postLogoutRedirectUris: listOf(record.postLogoutRedirectUris) ?? [],
		backchannelLogoutUri: record.backchannelLogoutUri,
		public: record.public,
		firstParty: record.firstParty,
		minimumAal: record.minimumAal === 1 ? 1 : 2,
		groups: listOf(record.groups),
		accounts: listOf(record.accounts),
		source: "api",
		createdAt: record.createdAt,
	});
}

/** Whether `id` is a config file client's. */
export function isConfigOidcClient(deps: Pick<ServiceDeps, "config">, id: string): boolean {
	return configOidcClients(deps).some((client) => client.id === id);
}

/**
 * Every client: the config file's, in its order, then the stored ones, oldest first (those hidden behind a config client left out).
 * @param repositories - where to read stored clients (the caller's transaction inside one); default the store
 */
export async function oidcClients(deps: Pick<ServiceDeps, "config" | "store" | "keys">, repositories: Pick<Repositories, "oidcClients"> = deps.store): Promise<readonly OidcClient[]> {
	const fromConfig = configOidcClients(deps);
	const stored = (await repositories.oidcClients.listOidcClients()).filter((record) => !isConfigOidcClient(deps, record.id));
	return [...fromConfig, ...stored.map((record) => storedOidcClient(deps, record))];
}

/** The ids of stored clients hidden behind a config client of the same id (added before the config file took the id): logged at start. */
export async function hiddenStoredOidcClientIds(deps: Pick<ServiceDeps, "config" | "store">): Promise<string[]> {
	return (await deps.store.oidcClients.listOidcClients()).filter((record) => isConfigOidcClient(deps, record.id)).map((record) => record.id);
}

/**
 * The client with this `client_id` (the config file's first, then the store), or null.
 * @param repositories - where to read stored clients: the caller's transaction inside one (on
 *   SQLite a read on the store itself would wait for that transaction's connection); default the store
 * @throws StorageUnavailable when the store cannot be read
 */
export async function oidcClientById(deps: Pick<ServiceDeps, "config" | "store" | "keys">, id: string, repositories: Pick<Repositories, "oidcClients"> = deps.store): Promise<OidcClient | null> {
	const fromConfig = configOidcClients(deps).find((client) => client.id === id);
	if (fromConfig !== undefined) return fromConfig;
	// An id deadbolt never gives (empty, too long, a NUL that PostgreSQL refuses outright) is simply unknown: no query.
	if (clientIdProblem(id) !== null) return null;
	const record = await repositories.oidcClients.findOidcClient(id);
	return record === null ? null : storedOidcClient(deps, record);
}

/**
 * Whether the provider is on: at least one client in the config file, or `oidc.enabled` (for
 * clients added through the admin API or the CLI only). Decided at start: the provider's routes
 * exist or not.
 */
export function oidcEnabled(deps: Pick<ServiceDeps, "config">): boolean {
	return deps.config.oidc.enabled || deps.config.oidc.clients.length > 0;
}

/**
 * The origins the stored clients' redirect and post-logout redirect URIs are on: CSP `form-action`
 * sources the provider's pages need at request time (a form on deadbolt's pages ends, after
 * redirects, on the app: `http/plugins/security-headers.ts`). The config file's are in
 * `service/access.ts` `returnTargetSources`, computed once at start.
 */
export async function storedOidcClientOrigins(deps: Pick<ServiceDeps, "config" | "store">): Promise<string[]> {
	if (!oidcEnabled(deps)) return [];
	const origins = new Set<string>();
	for (const record of await deps.store.oidcClients.listOidcClients()) {
		for (const uri of [...(listOf(record.redirectUris) ?? []), ...(listOf(record.postLogoutRedirectUris) ?? [])]) origins.add(new URL(uri).origin);
	}
	return [...origins];
}
