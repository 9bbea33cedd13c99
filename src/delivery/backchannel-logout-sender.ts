/**
 * Back-channel logout requests out (OpenID Connect Back-Channel Logout 1.0 §2.5; queued by
 * `service/oidc-logout.ts`): per attempt, a logout token signed afresh (§2.4, new `iat`, `exp`
 * and `jti`), POSTed as `application/x-www-form-urlencoded` `logout_token=<JWT>` to the client's
 * `backchannelLogoutUri`, the way webhooks are sent (`http-post.ts`: a fresh connection, no
 * redirect followed, within `webhooks.timeoutSeconds`).
 *
 * The answer (§2.8): any 2xx is delivered (200 OK is the spec's, 204 No Content the one some
 * frameworks make of it). Anything else fails the attempt and the outbox tries again with its
 * backoff, up to `outbox.maxAttempts`: a 5xx, no answer or a network error (the app is down), a
 * 3xx, and a 4xx too (§2.8: 400 says the app could not process the logout; a logout sent twice
 * does no harm, and an app being redeployed may answer 4xx for a while). A client removed from
 * the config, or left without a `backchannelLogoutUri`, ends the delivery at once (dead). The
 * token is never stored nor logged: the delivery row holds `{ sub, sid }` only, and a failure's
 * detail is the status or the network error's code.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import type { ServiceDeps } from "../service/deps.js";
import { backchannelLogoutFacts, clientIdOfTarget, logoutClientById } from "../service/oidc-logout.js";
import { issueLogoutToken } from "../service/signing-keys.js";
import type { DeliveryRecord } from "../storage/store.js";
import { PermanentFailure } from "./delivery-failure.js";
import { postOnce } from "./http-post.js";

/** The `user-agent` of every back-channel logout request. */
export const BACKCHANNEL_LOGOUT_USER_AGENT = "deadbolt-backchannel-logout/1";

/**
 * Sends a back-channel logout delivery once: finds its client, signs a logout token, POSTs it.
 * @param timeoutMillis - the longest the POST may take (`webhooks.timeoutSeconds`, within the attempt's deadline)
 * @returns the answer in a few words (`"HTTP 200"`)
 * @throws PermanentFailure when the client is gone or no longer takes back-channel logout; Error
 *   for any answer but a 2xx, a timeout, a network error, or a payload that is not `{ sub, sid }`
 */
export async function sendBackchannelLogout(deps: ServiceDeps, delivery: DeliveryRecord, timeoutMillis: number): Promise<string> {
	const clientId = clientIdOfTarget(delivery.target);
	const client = clientId === null ? null : await logoutClientById(deps, clientId);
	if (clientId === null || client === null) throw new PermanentFailure(`OpenID Connect client ${delivery.target} no longer exists`);
	if (client.backchannelLogoutUri === null) throw new PermanentFailure(`OpenID Connect client ${delivery.target} no longer has a backchannelLogoutUri`);
	const facts = backchannelLogoutFacts(delivery);
	const token = await issueLogoutToken(deps, { clientId, subject: facts.sub, sid: facts.sid });
	const status = await postOnce({
		url: client.backchannelLogoutUri,
		headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": BACKCHANNEL_LOGOUT_USER_AGENT },
		body: new URLSearchParams({ logout_token: token }).toString(),
		allowedNetworks: client.source === "api" ? deps.config.webhooks.allowedNetworks : null,
		timeoutMillis,
	});
	if (status >= 200 && status < 300) return `HTTP ${status}`;
	if (status >= 300 && status < 400) throw new Error(`HTTP ${status} (redirects are not followed)`);
	throw new Error(`HTTP ${status}`);
}
