/**
 * The OpenID Connect clients (issue 13; docs/oidc.md, "Clients"): the apps that may sign their
 * users in with deadbolt, as declared in `oidc.clients` (checked strictly at start by
 * `config/oidc.ts`). One lookup for every part that needs a client: the provider's registry, the
 * sign-in decision, consent, Connected apps and back-channel logout.
 */
import type { ServiceDeps } from "./deps.js";

/** A client with every default applied. */
export interface OidcClient {
	/** The `client_id`. */
	readonly id: string;
	/** Shown to users (consent, Connected apps, refusals). */
	readonly name: string;
	/** The secret of a confidential client; null for a public one. */
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
}

const clientLists = new WeakMap<ServiceDeps["config"], readonly OidcClient[]>();

/** Every client, in the config's order (computed once per config). */
export function oidcClients(deps: Pick<ServiceDeps, "config">): readonly OidcClient[] {
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
					groups: client.groups ?? null,
					accounts: client.accounts?.map((email) => email.toLowerCase()) ?? null,
				}),
			),
		);
		clientLists.set(deps.config, clients);
	}
	return clients;
}

/** The client with this `client_id`, or null. */
export function oidcClientById(deps: Pick<ServiceDeps, "config">, id: string): OidcClient | null {
	return oidcClients(deps).find((client) => client.id === id) ?? null;
}

/** Whether the provider is on: at least one client is declared. */
export function oidcEnabled(deps: Pick<ServiceDeps, "config">): boolean {
	return deps.config.oidc.clients.length > 0;
}
