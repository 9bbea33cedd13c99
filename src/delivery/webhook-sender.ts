/**
 * Webhook messages out (issue 11 item 7; docs/webhooks.md): one POST per attempt, signed afresh
 * per the Standard Webhooks spec with the `standardwebhooks` library (`webhook-id` = the delivery
 * id, stable on redelivery; `webhook-timestamp` = the attempt's time; `webhook-signature`),
 * within `webhooks.timeoutSeconds`. Redirects are never followed (a 3xx is a failure), and
 * endpoints added through the admin API may reach only public addresses or those in
 * `webhooks.allowedNetworks`, checked on the address actually connected to (`http-post.ts`), so
 * DNS rebinding between the check at add time and the send cannot get around it. The config
 * file's endpoints are the operator's own and trusted.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { Webhook } from "standardwebhooks";
import type { ServiceDeps } from "../service/deps.js";
import { findWebhookTarget } from "../service/webhook-endpoints.js";
import type { DeliveryRecord } from "../storage/store.js";
import { PermanentFailure } from "./delivery-failure.js";
import { postOnce } from "./http-post.js";

/** The `user-agent` of every webhook POST. */
export const WEBHOOK_USER_AGENT = "deadbolt-webhooks/1";

/** What one attempt needs: the URL, the secret, and whether the private-network rule applies. */
export interface WebhookAttempt {
	readonly url: string;
	readonly secret: string;
	/** `webhooks.allowedNetworks` for an admin-API endpoint; null for a config-file endpoint (trusted). */
	readonly allowedNetworks: readonly string[] | null;
	readonly deliveryId: string;
	readonly body: string;
	/** The attempt's time (signed), epoch milliseconds. */
	readonly at: number;
	readonly timeoutMillis: number;
}

/** The headers of one signed message. */
export function signedHeaders(secret: string, deliveryId: string, at: number, body: string): Record<string, string> {
	const timestamp = new Date(Math.floor(at / 1000) * 1000);
	return {
		"content-type": "application/json",
		"user-agent": WEBHOOK_USER_AGENT,
		"webhook-id": deliveryId,
		"webhook-timestamp": String(Math.floor(at / 1000)),
		"webhook-signature": new Webhook(secret).sign(deliveryId, timestamp, body),
	};
}

/**
 * Makes one attempt.
 * @returns `"HTTP <status>"` for a 2xx answer
 * @throws PermanentFailure for HTTP 410 Gone; Error for any other answer (3xx included), a timeout, a refused address or a network error
 */
export async function postWebhook(attempt: WebhookAttempt): Promise<string> {
	const status = await postOnce({
		url: attempt.url,
		headers: signedHeaders(attempt.secret, attempt.deliveryId, attempt.at, attempt.body),
		body: attempt.body,
		allowedNetworks: attempt.allowedNetworks,
		timeoutMillis: attempt.timeoutMillis,
	});
	if (status >= 200 && status < 300) return `HTTP ${status}`;
	if (status === 410) throw new PermanentFailure("HTTP 410 Gone: the receiver asked for no more messages");
	if (status >= 300 && status < 400) throw new Error(`HTTP ${status} (redirects are not followed)`);
	throw new Error(`HTTP ${status}`);
}

/**
 * Sends a webhook delivery once: finds its endpoint (`config:<n>` or a stored one, with its
 * secret), signs, POSTs.
 * @returns the answer in a few words (`"HTTP 204"`)
 * @throws PermanentFailure when the endpoint is gone or answers 410; Error for any other failure
 */
export async function sendWebhookDelivery(deps: ServiceDeps, delivery: DeliveryRecord, timeoutMillis: number): Promise<string> {
	const target = await findWebhookTarget(deps, delivery.target);
	if (target === null) throw new PermanentFailure(`webhook endpoint ${delivery.target} no longer exists`);
	return postWebhook({
		url: target.url,
		secret: target.secret,
		allowedNetworks: target.source === "api" ? deps.config.webhooks.allowedNetworks : null,
		deliveryId: delivery.id,
		body: delivery.payload,
		at: deps.clock.now(),
		timeoutMillis,
	});
}
