/**
 * The OpenID Connect provider's use cases, bound to the service dependencies once
 * ({@link oidcServices}): what `oidc/` (the provider's room) and the dashboard's Connected apps
 * call, as one member of the {@link Deadbolt} facade. Each function's home is named beside it.
 */
import { createHmac } from "node:crypto";
import type { JWK } from "jose";
import { hmacRing, type RequestContext, type ServiceDeps } from "./deps.js";
import * as clientAdmin from "./oidc-client-admin.js";
import * as clients from "./oidc-clients.js";
import * as grants from "./oidc-grants.js";
import * as payloads from "./oidc-payloads.js";
import * as signIn from "./oidc-sign-in.js";
import { privateSigningJWKS } from "./signing-keys.js";
import type { AuthenticatedSession } from "./sessions.js";

/** What the provider puts in ID tokens and userinfo about an account (by scope: `email`, `groups`). */
export interface OidcAccountClaims {
	readonly email: string;
	readonly emailVerified: boolean;
	readonly groups: readonly string[];
}

/** The bound use cases. */
export interface OidcServices {
	/** Whether the provider is on (a client in `oidc.clients`, or `oidc.enabled`): else no provider route exists. */
	readonly enabled: boolean;
	/** The config file's clients: the provider's static list (`service/oidc-clients.ts`). */
	readonly configClients: () => readonly clients.OidcClient[];
	/** Every client, the config file's first, then the stored ones (read from the store at each call). */
	readonly clients: () => Promise<readonly clients.OidcClient[]>;
	/** The client of a `client_id`, from either source, or null (read from the store at each call: a removed client is gone at once). */
	readonly clientById: (id: string) => Promise<clients.OidcClient | null>;
	/** Stored clients hidden behind a config client of the same id (logged at start). */
	readonly hiddenClientIds: () => Promise<string[]>;
	/** The origins of the stored clients' redirect URIs: CSP `form-action` sources, at request time. */
	readonly storedClientOrigins: () => Promise<string[]>;
	/** `service/oidc-client-admin.ts`: clients added through the admin API and the CLI. */
	readonly addClient: (request: clientAdmin.OidcClientRequest) => Promise<clientAdmin.OidcClientWithSecret>;
	readonly listClients: () => Promise<clientAdmin.OidcClientView[]>;
	readonly showClient: (id: string) => Promise<clientAdmin.OidcClientView>;
	readonly removeClient: (id: string) => Promise<{ readonly grantsEnded: number }>;
	readonly rotateClientSecret: (id: string) => Promise<clientAdmin.OidcClientWithSecret & { readonly secret: string }>;
	/**
	 * `service/oidc-sign-in.ts`: may the session finish an authorization with these parameters
	 * (`acr_values`, `max_age`), begun at `startedAtSeconds` (the interaction's `iat`; null: the request itself)?
	 */
	readonly decideSignIn: (auth: AuthenticatedSession, client: clients.OidcClient, params: Readonly<Record<string, unknown>>, startedAtSeconds: number | null) => Promise<signIn.OidcSignInOutcome>;
	readonly authTimeSecondsOf: typeof signIn.authTimeSecondsOf;
	/** The library's storage (`service/oidc-payloads.ts`). */
	readonly payloads: {
		readonly upsert: (model: string, id: string, payload: payloads.OidcPayload, expiresInSeconds: number | undefined) => Promise<void>;
		readonly find: (model: string, id: string) => Promise<payloads.OidcPayload | undefined>;
		readonly findByUid: (model: string, uid: string) => Promise<payloads.OidcPayload | undefined>;
		readonly findByUserCode: (model: string, userCode: string) => Promise<payloads.OidcPayload | undefined>;
		readonly consume: (model: string, id: string) => Promise<boolean>;
		readonly destroy: (model: string, id: string) => Promise<void>;
		readonly revokeByGrantId: (grantId: string) => Promise<number>;
	};
	/** `service/oidc-grants.ts`. */
	readonly bindGrant: (grantId: string, auth: AuthenticatedSession) => Promise<void>;
	readonly noteGrantUse: (grantId: string, sid: string | null) => Promise<void>;
	readonly hasConsent: (accountId: string, clientId: string, scopes: readonly string[]) => Promise<boolean>;
	readonly recordConsent: (accountId: string, clientId: string, scopes: readonly string[]) => Promise<void>;
	readonly listConnectedApps: (accountId: string) => Promise<grants.ConnectedOidcApp[]>;
	/** `service/oidc-grants.ts` `endOidcAppOfSession`: ends the client's grants of this session (RP-initiated logout, "Only this app"). @returns how many */
	readonly endAppSignIn: (auth: AuthenticatedSession, clientId: string) => Promise<number>;
	/** Ends every grant and the remembered consent of the account for a client, in one transaction, telling the app. @throws NotFound */
	readonly revokeApp: (auth: AuthenticatedSession, clientId: string, context?: RequestContext) => Promise<number>;
	/** The name of the app an interaction (`/oidc/interaction/<uid>`) signs in to, for the dashboard's pages; null when unknown. */
	readonly appNameOfInteraction: (uid: string) => Promise<string | null>;
	/** The claims of an account; null when it is gone. */
	readonly accountClaims: (accountId: string) => Promise<OidcAccountClaims | null>;
	/** The private signing keys (the JWK Set's), key in use first. */
	readonly signingJWKS: () => Promise<{ keys: JWK[] }>;
	/** The keys of the provider's signed cookies: derived from the HMAC key, so equal on every instance. */
	readonly cookieKeys: () => string[];
}

/** Binds the provider's use cases to `deps`. */
export function oidcServices(deps: ServiceDeps): OidcServices {
	return Object.freeze({
		enabled: clients.oidcEnabled(deps),
		configClients: () => clients.configOidcClients(deps),
		clients: () => clients.oidcClients(deps),
		clientById: (id: string) => clients.oidcClientById(deps, id),
		storedClientOrigins: () => clients.storedOidcClientOrigins(deps),
		hiddenClientIds: () => clients.hiddenStoredOidcClientIds(deps),
		addClient: (request: clientAdmin.OidcClientRequest) => clientAdmin.addOidcClient(deps, request),
		listClients: () => clientAdmin.listOidcClientViews(deps),
		showClient: (id: string) => clientAdmin.showOidcClient(deps, id),
		removeClient: (id: string) => clientAdmin.removeOidcClient(deps, id),
		rotateClientSecret: (id: string) => clientAdmin.rotateOidcClientSecret(deps, id),
		decideSignIn: (auth: AuthenticatedSession, client: clients.OidcClient, params: Readonly<Record<string, unknown>>, startedAtSeconds: number | null) => signIn.decideOidcSignIn(deps, auth, client, signIn.signInRequestOf(params, startedAtSeconds)),
		authTimeSecondsOf: signIn.authTimeSecondsOf,
		payloads: Object.freeze({
			upsert: (model: string, id: string, payload: payloads.OidcPayload, expiresInSeconds: number | undefined) => payloads.upsertOidcPayload(deps, model, id, payload, expiresInSeconds),
			find: (model: string, id: string) => payloads.findOidcPayload(deps, model, id),
			findByUid: (model: string, uid: string) => payloads.findOidcPayloadByUid(deps, model, uid),
			findByUserCode: (model: string, userCode: string) => payloads.findOidcPayloadByUserCode(deps, model, userCode),
			consume: (model: string, id: string) => payloads.consumeOidcPayloadOrRevokeGrant(deps, model, id),
			destroy: (model: string, id: string) => payloads.destroyOidcPayload(deps, model, id),
			revokeByGrantId: (grantId: string) => payloads.revokeOidcGrant(deps, grantId),
		}),
		bindGrant: (grantId: string, auth: AuthenticatedSession) => grants.bindOidcGrant(deps, grantId, auth.session.id),
		noteGrantUse: (grantId: string, sid: string | null) => grants.noteOidcGrantUse(deps, grantId, sid),
		hasConsent: (accountId: string, clientId: string, scopes: readonly string[]) => grants.hasOidcConsent(deps, accountId, clientId, scopes),
		recordConsent: (accountId: string, clientId: string, scopes: readonly string[]) => grants.recordOidcConsent(deps, accountId, clientId, scopes),
		listConnectedApps: (accountId: string) => grants.listConnectedOidcApps(deps, accountId),
		endAppSignIn: (auth: AuthenticatedSession, clientId: string) => grants.endOidcAppOfSession(deps, auth.session.id, clientId),
		revokeApp: (auth: AuthenticatedSession, clientId: string, context?: RequestContext) => grants.disconnectOidcApp(deps, auth.account.id, clientId, context),
		appNameOfInteraction: async (uid: string) => {
			const interaction = await payloads.findOidcPayload(deps, "Interaction", uid);
			const clientId = (interaction?.["params"] as { client_id?: unknown } | undefined)?.client_id;
			return typeof clientId === "string" ? ((await clients.oidcClientById(deps, clientId))?.name ?? null) : null;
		},
		accountClaims: async (accountId: string) => {
			const account = await deps.store.accounts.findAccountById(accountId);
			return account === null ? null : { email: account.email, emailVerified: account.emailVerifiedAt !== null, groups: account.groups };
		},
		signingJWKS: () => privateSigningJWKS(deps),
		// Signed with the first (the primary HMAC key's), accepted under every key of the ring.
		cookieKeys: () => {
			const ring = hmacRing(deps.keys);
			return [ring.primaryId, ...[...ring.keys.keys()].filter((id) => id !== ring.primaryId)].map((id) => createHmac("sha256", ring.keys.get(id) as Uint8Array).update("deadbolt oidc-provider cookie key 1", "utf8").digest("base64url"));
		},
	});
}
