/**
 * deadbolt's OpenID Connect provider: panva's `oidc-provider` (OpenID Certified), configured so
 * that none of its development defaults survives (docs/decisions.md, "OpenID Connect provider"):
 * - no development login (`devInteractions` off): the login is deadbolt's own pages;
 * - storage on deadbolt's store (`oidc/adapter.ts`), never in memory; the clients of the config
 *   file in its static list, those added through the admin API or the CLI found by the adapter;
 * - signing keys = deadbolt's JWK Set (ES256, the same keys as forward-auth assertions), cookie
 *   keys derived from the HMAC key: equal on every instance, kept across restarts;
 * - its session bound to deadbolt's (`oidc/policy.ts`), grants bound to deadbolt sessions;
 * - back-channel logout sent by deadbolt's outbox for every end of a session, never by the
 *   library's end-session endpoint alone.
 * The issuer is `http.publicUrl` (the origin); the provider's routes sit under `/oidc`
 * ({@link OIDC_ROUTES}), discovery at `/.well-known/openid-configuration`.
 */
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import type { Deadbolt } from "../deadbolt.js";
import { adapterFor } from "./adapter.js";
import { loadGrantFor } from "./first-party-grant.js";
import { clientMetadataOf } from "./client-metadata.js";
import { renderProviderError, renderLogoutConfirmation, renderLogoutDone } from "./pages.js";
import { deadboltInteractionPolicy } from "./policy.js";

/** Where each of the provider's endpoints is (under `/oidc`; discovery stays at the origin's `/.well-known/openid-configuration`). */
export const OIDC_ROUTES = Object.freeze({
	authorization: "/oidc/auth",
	token: "/oidc/token",
	userinfo: "/oidc/userinfo",
	jwks: "/oidc/jwks",
	revocation: "/oidc/token/revocation",
	introspection: "/oidc/token/introspection",
	end_session: "/oidc/session/end",
	pushed_authorization_request: "/oidc/request",
	code_verification: "/oidc/device",
	device_authorization: "/oidc/device/auth",
	backchannel_authentication: "/oidc/backchannel",
	challenge: "/oidc/challenge",
} as const);

/** deadbolt's interaction for an authorization: its path, under `/oidc/interaction/`. */
export function interactionPath(uid: string): string {
	return `/oidc/interaction/${uid}`;
}

/** The scopes deadbolt knows, and the claims each gives (OpenID Connect Core §5.4; `groups`: the account's groups). */
const CLAIMS = Object.freeze({
	// acr, amr and auth_time (OpenID Connect Core §2: how and when the session was proven) with `openid`: in every ID token, asked or not.
	acr: null,
	amr: null,
	auth_time: null,
	sid: null,
	iss: null,
	openid: ["sub", "acr", "amr", "auth_time"],
	email: ["email", "email_verified"],
	groups: ["groups"],
});

/** How long an interaction (the sign-in of one authorization) may take, in seconds. */
const INTERACTION_TTL_SECONDS = 15 * 60;

/**
 * How long the provider keeps a session without an account, in seconds: the one that carries the
 * "Sign out?" form of RP-initiated logout for a browser not signed in through it. Anyone can make
 * one with a GET of `/oidc/session/end`: it must not be kept for the life of a signed-in session.
 */
const ACCOUNTLESS_SESSION_TTL_SECONDS = 10 * 60;

/** How long an authorization code lives, in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes). */
const AUTHORIZATION_CODE_TTL_SECONDS = 60;

/**
 * Builds the provider of `deadbolt` (only when the provider is on: `oidc.clients` not empty, or `oidc.enabled`).
 * @throws Error when the signing keys cannot be loaded (another encryption key, a tampered row)
 */
export async function createOidcProvider(deadbolt: Deadbolt): Promise<Provider> {
	const { config } = deadbolt;
	const secure = config.http.publicUrl?.startsWith("https://") ?? false;
	const configuration: Configuration = {
		adapter: adapterFor(deadbolt),
		// The config file's clients; those added through the admin API or the CLI come from the adapter (model `Client`), at every use.
		clients: deadbolt.oidc.configClients().map(clientMetadataOf),
		jwks: (await deadbolt.oidc.signingJWKS()) as Configuration["jwks"],
		cookies: {
			keys: deadbolt.oidc.cookieKeys(),
			names: { session: "deadbolt_oidc_session", interaction: "deadbolt_oidc_interaction", resume: "deadbolt_oidc_resume" },
			long: { signed: true, httpOnly: true, sameSite: "lax", secure },
			short: { signed: true, httpOnly: true, sameSite: "lax", secure },
		},
		claims: CLAIMS as unknown as Configuration["claims"],
		scopes: ["openid", "email", "groups", "offline_access"],
		acrValues: ["urn:deadbolt:aal1", "urn:deadbolt:aal2"],
		responseTypes: ["code"],
		// What clients use at the token endpoint: the secret in the Authorization header or in the form, or none (public clients, with PKCE). Discovery says exactly this.
		clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
		routes: OIDC_ROUTES,
		pkce: { required: (_ctx, client) => client.clientAuthMethod === "none" },
		allowOmittingSingleRegisteredRedirectUri: false,
		clientDefaults: { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], id_token_signed_response_alg: "ES256" },
		features: {
			devInteractions: { enabled: false },
			// A client introspects and revokes its own tokens only (RFC 7662 §4: the library's default
			// lets any confidential client introspect every client's tokens, and says so on stdout).
			revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
			introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
			userinfo: { enabled: true },
			backchannelLogout: { enabled: true },
			rpInitiatedLogout: { enabled: true, logoutSource: renderLogoutConfirmation(deadbolt), postLogoutSuccessSource: renderLogoutDone(deadbolt) },
			claimsParameter: { enabled: false },
		},
		interactions: {
			url: (_ctx: KoaContextWithOIDC, interaction) => interactionPath(interaction.uid),
			policy: deadboltInteractionPolicy(deadbolt),
		},
		ttl: {
			AccessToken: config.oidc.accessTokenTtlSeconds,
			IdToken: config.oidc.idTokenTtlSeconds,
			RefreshToken: config.oidc.refreshTokenTtlSeconds,
			AuthorizationCode: AUTHORIZATION_CODE_TTL_SECONDS,
			Interaction: INTERACTION_TTL_SECONDS,
			Session: (_ctx, session) => (session.accountId === undefined ? ACCOUNTLESS_SESSION_TTL_SECONDS : config.session.absoluteTtlSeconds),
			Grant: Math.max(config.session.absoluteTtlSeconds, config.oidc.refreshTokenTtlSeconds),
		},
		// Every refresh rotates; a used one presented again revokes the grant (RFC 9700 §4.14.2).
		rotateRefreshToken: true,
		issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
		// Tokens live with the deadbolt session behind their grant (`service/oidc-payloads.ts`), not with the library's session.
		expiresWithSession: async () => false,
		loadExistingGrant: loadGrantFor(deadbolt),
		findAccount: async (_ctx, sub) => {
			const claims = await deadbolt.oidc.accountClaims(sub);
			if (claims === null) return undefined;
			return {
				accountId: sub,
				claims: async () => ({ sub, email: claims.email, email_verified: claims.emailVerified, groups: [...claims.groups] }),
			};
		},
		renderError: renderProviderError(deadbolt),
		// Only apps whose redirect URIs are on that origin may call the token and userinfo endpoints from a browser.
		clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri: string) => new URL(uri).origin === origin) ?? false,
		enabledJWA: { idTokenSigningAlgValues: ["ES256"], userinfoSigningAlgValues: ["ES256"], introspectionSigningAlgValues: ["ES256"], authorizationSigningAlgValues: ["ES256"] },
	};
	const hidden = await deadbolt.oidc.hiddenClientIds();
	if (hidden.length > 0) {
		deadbolt.logger.warn({ event: "oidc.clients_hidden", clientIds: hidden }, `OpenID Connect client${hidden.length === 1 ? "" : "s"} ${hidden.join(", ")} added through the admin API ${hidden.length === 1 ? "is" : "are"} hidden behind the config file's client of the same id (the config file's is used); "deadbolt oidc clients remove <id>" deletes the hidden one`);
	}
	const provider = new Provider(deadbolt.publicOrigin, configuration);
	// The provider reads the scheme, host and client address from X-Forwarded-*, which `oidc/routes.ts`
	// sets on every request it hands over: http.publicUrl's, and the address resolved under http.trustedProxies.
	provider.proxy = true;
	// Logout tokens go through deadbolt's outbox (retries, survives restarts, every end of a session):
	// the library's own, sent only from its end-session endpoint and never retried, would be a second copy.
	provider.Client.prototype.backchannelLogout = async function backchannelLogoutThroughOutbox(): Promise<void> {};
	// The library answers an unexpected error (a database down, a bug) with a 500 `server_error` and
	// tells only its listeners: deadbolt's log says which route failed and why (the error's name and
	// message: no request parameter, no token, no secret).
	provider.on("server_error", (ctx: KoaContextWithOIDC, error: unknown) => {
		const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
		deadbolt.logger.error({ event: "oidc.server_error", route: ctx.oidc?.route ?? null, error: name, message }, "the OpenID Connect provider failed to answer a request");
	});
	return provider;
}
