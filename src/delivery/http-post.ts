/**
 * One HTTP POST to another app, as every outbox message over HTTP is sent (webhooks,
 * `webhook-sender.ts`; back-channel logout, `backchannel-logout-sender.ts`): a fresh connection,
 * no redirect followed, the answer's status read and its body never, within a time limit. For an
 * endpoint added through the admin API, every address connected to must be public or inside
 * `webhooks.allowedNetworks`, checked on the address actually connected to (a custom `lookup`),
 * so DNS rebinding between the check at add time and the send cannot get around it; the config
 * file's endpoints are the operator's own and trusted.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isWebhookAddressAllowed } from "../service/network-policy.js";

/** One POST. */
export interface HttpPost {
	readonly url: string;
	/** Request headers (lower-case names); `content-length` is added. */
	readonly headers: Readonly<Record<string, string>>;
	readonly body: string;
	/** `webhooks.allowedNetworks` for an endpoint added through the admin API; null for a config-file endpoint (trusted). */
	readonly allowedNetworks: readonly string[] | null;
	/** The longest the attempt may take until the answer's status line, in milliseconds. */
	readonly timeoutMillis: number;
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
 * Makes one POST and returns the answer's status, whatever it is (the caller decides what it
 * means; a 3xx is returned, never followed). The connection is closed once the status is in.
 * @returns the HTTP status code
 * @throws Error with `code` `ETIMEDOUT` (no answer within `timeoutMillis`), `EADDRNOTALLOWED`
 *   (an address refused by the private-network rule), or a network error's (`ECONNREFUSED`, ...).
 *   Messages never hold the URL's path or query, nor the body.
 */
export function postOnce(post: HttpPost): Promise<number> {
	const url = new URL(post.url);
	const host = url.hostname.replace(/^\[|\]$/g, "");
	if (post.allowedNetworks !== null && isIP(host) !== 0 && !isWebhookAddressAllowed(host, post.allowedNetworks)) {
		return Promise.reject(refusedAddress(host, host));
	}
	const send = url.protocol === "https:" ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const request = send(url, {
			method: "POST",
			headers: { ...post.headers, "content-length": String(Buffer.byteLength(post.body)) },
			// A fresh connection per attempt: its address is checked, never one kept from before.
			agent: false,
			...(post.allowedNetworks === null ? {} : { lookup: guardedLookup(post.allowedNetworks) }),
		});
		const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no answer within ${post.timeoutMillis} ms`), { code: "ETIMEDOUT" })), post.timeoutMillis);
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
				resolve(status);
			});
		});
		request.end(post.body);
	});
}
