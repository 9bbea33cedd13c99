/**
 * A deadbolt client as `oidc-provider` registers it (OpenID Connect Dynamic Client Registration
 * 1.0 §2 metadata; the library's `ClientMetadata`): one shape for the config file's clients (the
 * provider's static `clients`) and for those added through the admin API or the CLI (answered by
 * the adapter's `find` on model `Client`, `oidc/adapter.ts`), so both behave alike.
 */
import type { ClientMetadata } from "oidc-provider";
import type { OidcClient } from "../service/oidc-clients.js";

/**
 * The library's metadata of `client`: code flow only, with refresh tokens; ES256 ID tokens;
 * `client_secret_basic` for a confidential client (`none` and PKCE for a public one, enforced by
 * the provider's `pkce.required`); exact redirect and post-logout redirect URIs; a back-channel
 * logout URI with `sid` required in ID tokens (Back-Channel Logout 1.0 §2.2, §2.4).
 */
export function clientMetadataOf(client: OidcClient): ClientMetadata {
	return {
		client_id: client.id,
		client_name: client.name,
		...(client.public ? { token_endpoint_auth_method: "none" } : { client_secret: client.secret ?? "", token_endpoint_auth_method: "client_secret_basic" }),
		redirect_uris: [...client.redirectUris],
		post_logout_redirect_uris: [...client.postLogoutRedirectUris],
		grant_types: ["authorization_code", "refresh_token"],
		response_types: ["code"],
		id_token_signed_response_alg: "ES256",
		// The library sends no logout token itself (`provider.ts`); the `sid` claim is in ID tokens so
		// that deadbolt's logout tokens name the very session (Back-Channel Logout 1.0 §2.4).
		...(client.backchannelLogoutUri === null ? {} : { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }),
	};
}
