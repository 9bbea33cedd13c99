/**
 * Webhook messages out (issue 11 item 7; docs/webhooks.md): one POST per attempt, signed afresh
 * per the Standard Webhooks spec with the `standardwebhooks` library (`webhook-id` = the delivery
 * id, stable on redelivery; `webhook-timestamp` = the attempt's time; `webhook-signature`),
 * within `webhooks.timeoutSeconds`. Redirects are never followed (a 3xx is a failure), and
 * endpoints added through the admin API may reach only public addresses or those in
 * `webhooks.allowedNetworks`, checked on the address actually connected to (a custom `lookup`),
 * so DNS rebinding between the check at add time and the send cannot get around it. The config
 * file's endpoints are the operator's own and trusted.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import type { ServiceDeps } from "../service/deps.js";
import { isWebhookAddressAllowed } from "../service/network-policy.js";
import { findWebhookTarget } from "../service/webhook-endpoints.js";
import type { DeliveryRecord } from "../storage/store.js";
import { PermanentFailure } from "./delivery-failure.js";

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

/** An error whose `code` says the address was refused. */
function refusedAddress(hostname: string, address: string): Error {
	return Object.assign(new Error(`${hostname} is ${address}, not a public address nor in webhooks.allowedNetworks`), { code: "EADDRNOTALLOWED" });
}

/** A `lookup` that refuses a host when any address it resolves to is not allowed. */
function guardedLookup(allowedNetworks: readonly string[]): LookupFunction {
	return (hostname, options, callback) => {
		dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
			if (error !== null) return callback(error, "", 0);
			const refused = addresses.find((entry) => !isWebhookAddressAllowed(entry.address, allowedNetworks));
			if (refused !== undefined) return callback(refusedAddress(hostname, refused.address), "", 0);
			if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
			if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
			const first = addresses[0] as LookupAddress;
			return callback(null, first.address, first.family);
		});
	};
}

/**
 * Makes one attempt.
 * @returns `"HTTP <status>"` for a 2xx answer
 * @throws PermanentFailure for HTTP 410 Gone; Error for any other answer (3xx included), a timeout, a refused address or a network error
 */
export function postWebhook(attempt: WebhookAttempt): Promise<string> {
	const url = new URL(attempt.url);
	const host = url.hostname.replace(/^\[|\]$/g, "");
	if (attempt.allowedNetworks !== null && isIP(host) !== 0 && !isWebhookAddressAllowed(host, attempt.allowedNetworks)) {
		return Promise.reject(refusedAddress(host, host));
	}
	const headers = signedHeaders(attempt.secret, attempt.deliveryId, attempt.at, attempt.body);
	const send = url.protocol === "https:" ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const request = send(url, {
			method: "POST",
			headers: { ...headers, "content-length": String(Buffer.byteLength(attempt.body)) },
			// A fresh connection per attempt: its address is checked, never one kept from before.
			agent: false,
			...(attempt.allowedNetworks === null ? {} : { lookup: guardedLookup(attempt.allowedNetworks) }),
		});
		const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no answer within ${attempt.timeoutMillis} ms`), { code: "ETIMEDOUT" })), attempt.timeoutMillis);
		const settle = (outcome: () => void): void => {
			clearTimeout(timer);
			outcome();
		};
		request.on("error", (error) => settle(() => reject(error)));
		request.on("response", (response: IncomingMessage) => {
			// The status decides; the body is never read (the connection is closed at once).
			const status = response.statusCode ?? 0;
			response.on("error", () => {});
			settle(() => {
				request.destroy();
				if (status >= 200 && status < 300) return resolve(`HTTP ${status}`);
				if (status === 410) return reject(new PermanentFailure("HTTP 410 Gone: the receiver asked for no more messages"));
				if (status >= 300 && status < 400) return reject(new Error(`HTTP ${status} (redirects are not followed)`));
				return reject(new Error(`HTTP ${status}`));
			});
		});
		request.end(attempt.body);
	});
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
