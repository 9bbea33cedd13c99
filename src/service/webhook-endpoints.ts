/**
 * Webhook endpoints (docs/webhooks.md): the config file's (`webhooks.endpoints`, read-only, id
 * `config:<n>`) and those an operator adds through the admin API or the CLI (stored, with a
 * signing secret generated here, shown once, and kept sealed with the server key).
 *
 * An endpoint added here must be `https`, carry no credentials in its URL, and resolve only to
 * public addresses, unless `webhooks.allowedNetworks` lists them (then `http` is accepted too:
 * a receiver inside a network the operator trusts, e.g. a sidecar). The sender checks the address
 * again when it connects (DNS rebinding), with the same rule (`network-policy.ts`).
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md ("Symmetric signatures": `whsec_` + base64 of 24 to 64 bytes)
 */
import { lookup } from "node:dns/promises";
import { generateId } from "../domain/crypto/token.js";
import { isSecurityEventType, SECURITY_EVENT_TYPES } from "../domain/events/event-types.js";
import { InvalidRequest, NotFound, WebhookTargetRefused, type Violation } from "../errors.js";
import { randomBytes } from "../platform/random.js";
import type { UnixMillis } from "../platform/clock.js";
import type { WebhookEndpointRecord } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { isInAllowedNetworks, isWebhookAddressAllowed, specialRangeOf } from "./network-policy.js";
import { configWebhookTarget } from "./outbox.js";
import { openText, sealText } from "./sealed-text.js";

/** Bytes of a generated signing secret (Standard Webhooks allows 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32;
/** Longest endpoint URL accepted, in characters. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;
/** Most endpoints stored at once: every event is queued once per endpoint. */
export const WEBHOOK_ENDPOINTS_MAX = 50;
/** How long resolving an endpoint's host may take at add time, in milliseconds. */
export const WEBHOOK_RESOLVE_TIMEOUT_MS = 5_000;

/** An endpoint as operators see it: never its secret. */
export interface WebhookEndpointView {
	/** `config:<n>` for the config file's n-th endpoint (0-based), else the stored id. */
	readonly id: string;
	readonly url: string;
	/** Event types, or `["*"]` for every one. */
	readonly events: readonly string[];
	readonly description: string | null;
	/** Where it is set: the config file (read-only here) or the admin API / CLI. */
	readonly source: "config" | "api";
	/** When it was added; null for the config file's. */
	readonly createdAt: UnixMillis | null;
}

/** Where a webhook message goes, for the sender. */
export interface WebhookTarget {
	readonly id: string;
	readonly url: string;
	/** The Standard Webhooks signing secret, `whsec_...`. */
	readonly secret: string;
	/** `"api"` endpoints are held to the private-network rule at connect time; the config file's are the operator's own. */
	readonly source: "config" | "api";
}

/** Resolves a host name to every address it has (the `lookup` of `node:dns/promises`, `all: true`). */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

const systemResolve: ResolveHost = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

const refuse = (field: string, rule: string, message: string): InvalidRequest => new InvalidRequest(message, [{ field, rule, message } satisfies Violation]);

/** The endpoint's URL, checked (scheme, credentials, length) and normalized (WHATWG URL). */
function parseEndpointURL(text: string): URL {
	if (text.length > WEBHOOK_URL_MAX_LENGTH) throw refuse("url", "too_long", `The URL may have at most ${WEBHOOK_URL_MAX_LENGTH} characters.`);
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw refuse("url", "invalid_url", "Enter an absolute URL such as https://hooks.example.com/deadbolt.");
	}
	if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("url", "scheme", "The URL must start with https:// (or http:// for a network listed in webhooks.allowedNetworks).");
	if (url.username !== "" || url.password !== "") throw refuse("url", "credentials", "The URL may not carry a user name or password: messages are signed with the endpoint's secret instead.");
	if (url.hash !== "") throw refuse("url", "fragment", "The URL may not have a fragment (#...): it is never sent.");
	if (url.hostname === "") throw refuse("url", "invalid_url", "The URL must name a host.");
	return url;
}

/** Event types, checked: known types, or exactly `["*"]`; duplicates dropped. */
function checkEvents(events: readonly string[]): string[] {
	if (events.length === 0) throw refuse("events", "required", 'Name at least one event type, or ["*"] for every one.');
	const unique = [...new Set(events)];
	if (unique.includes("*")) {
		if (unique.length > 1) throw refuse("events", "wildcard_alone", '"*" (every event) cannot be combined with event types.');
		return unique;
	}
	const unknown = unique.filter((type) => !isSecurityEventType(type));
	if (unknown.length > 0) throw refuse("events", "unknown_event", `Unknown event type${unknown.length === 1 ? "" : "s"}: ${unknown.slice(0, 5).join(", ")}. Known types: ${SECURITY_EVENT_TYPES.join(", ")}.`);
	return unique;
}

/** A host name as DNS knows it, or an IP literal without brackets. */
function hostOf(url: URL): string {
	return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Every address of the URL's host, checked against the private-network rule; `http` only when
 * each one lies in `webhooks.allowedNetworks`.
 * @throws InvalidRequest `unresolvable` when the host has no address; `https_required` for http elsewhere
 * @throws WebhookTargetRefused when an address is not public and not listed
 */
async function checkTarget(deps: ServiceDeps, url: URL, resolveHost: ResolveHost): Promise<void> {
	const host = hostOf(url);
	let addresses: readonly string[];
	try {
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error("timeout")), WEBHOOK_RESOLVE_TIMEOUT_MS);
		});
		addresses = await Promise.race([resolveHost(host), timeout]).finally(() => clearTimeout(timer));
	} catch (error) {
		throw refuse("url", "unresolvable", `The host ${host} could not be resolved to an address.`);
	}
	if (addresses.length === 0) throw refuse("url", "unresolvable", `The host ${host} could not be resolved to an address.`);
	const allowed = deps.config.webhooks.allowedNetworks;
	for (const address of addresses) {
		if (!isWebhookAddressAllowed(address, allowed)) {
			const range = specialRangeOf(address) ?? "reserved";
			throw new WebhookTargetRefused(
				`The host ${host} resolves to ${address}, a ${range.replace("_", "-")} address. Webhook endpoints may target private, loopback or link-local networks only when webhooks.allowedNetworks lists them.`,
				{ reason: range },
			);
		}
	}
	if (url.protocol === "http:" && !addresses.every((address) => isInAllowedNetworks(address, allowed))) {
		throw refuse("url", "https_required", "Use https://: http:// is accepted only for a receiver inside webhooks.allowedNetworks.");
	}
}

/**
 * Adds a webhook endpoint and generates its signing secret.
 * @param request.url - https (http only inside `webhooks.allowedNetworks`), no credentials, no fragment
 * @param request.events - event types of `SECURITY_EVENT_TYPES`, or `["*"]`
 * @param request.description - a short note for operators (up to 200 characters), or null
 * @param resolveHost - how the host is resolved (default: the system resolver, every address)
 * @returns the endpoint and its secret `whsec_...` (shown this once; it is stored sealed)
 * @throws InvalidRequest for a bad URL, events or description, or too many endpoints
 * @throws WebhookTargetRefused when the host is or resolves to a non-public address not listed in `webhooks.allowedNetworks`
 */
export async function addWebhookEndpoint(
	deps: ServiceDeps,
	request: { readonly url: string; readonly events: readonly string[]; readonly description?: string | null },
	resolveHost: ResolveHost = systemResolve,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
	const url = parseEndpointURL(request.url.trim());
	const events = checkEvents(request.events);
	const description = request.description?.trim() || null;
	if (description !== null && (description.length > 200 || /\p{Cc}/u.test(description))) throw refuse("description", "invalid", "The description may have at most 200 characters, without control characters.");
	if ((await deps.store.webhookEndpoints.listWebhookEndpoints()).length >= WEBHOOK_ENDPOINTS_MAX) {
		throw refuse("url", "too_many", `At most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints can be added; remove one first.`);
	}
	await checkTarget(deps, url, resolveHost);
	const id = generateId(deps.random);
	const secret = `whsec_${Buffer.from(randomBytes(deps.random, WEBHOOK_SECRET_BYTES)).toString("base64")}`;
	const record: WebhookEndpointRecord = {
		id,
		url: url.href,
		events: JSON.stringify(events),
		sealedSecret: sealText(deps, "webhook-secret", id, secret),
		createdAt: deps.clock.now(),
		description,
	};
	await deps.store.webhookEndpoints.insertWebhookEndpoint(record);
	deps.logger.warn({ event: "webhook.added", endpointId: id, host: url.host, events }, "webhook endpoint added");
	return { endpoint: storedView(record), secret };
}

function storedView(record: WebhookEndpointRecord): WebhookEndpointView {
	return { id: record.id, url: record.url, events: JSON.parse(record.events) as string[], description: record.description, source: "api", createdAt: record.createdAt };
}

/** Every endpoint, the config file's first (`config:0`, ...), then the stored ones oldest first. Never a secret. */
export async function listWebhookEndpoints(deps: ServiceDeps): Promise<WebhookEndpointView[]> {
	const fromConfig = deps.config.webhooks.endpoints.map((endpoint, index): WebhookEndpointView => ({ id: configWebhookTarget(index), url: endpoint.url, events: [...endpoint.events], description: null, source: "config", createdAt: null }));
	const stored = (await deps.store.webhookEndpoints.listWebhookEndpoints()).map(storedView);
	return [...fromConfig, ...stored];
}

/**
 * Removes a stored endpoint. Its deliveries stay in the log; pending ones end as dead (no endpoint).
 * @throws InvalidRequest for a config file endpoint (`config:<n>`: edit the file)
 * @throws NotFound when there is no such endpoint
 */
export async function removeWebhookEndpoint(deps: ServiceDeps, id: string): Promise<void> {
	if (id.startsWith("config:")) throw refuse("id", "read_only", "This endpoint is set in the config file (webhooks.endpoints); remove it there.");
	if (!(await deps.store.webhookEndpoints.deleteWebhookEndpoint(id))) throw new NotFound("No webhook endpoint has that id.");
	deps.logger.warn({ event: "webhook.removed", endpointId: id }, "webhook endpoint removed");
}

/**
 * Opens a stored endpoint's signing secret, for the sender.
 * @returns the secret, `whsec_...`
 * @throws Error when it does not open (wrong server key or a tampered row)
 */
export function openWebhookSecret(deps: ServiceDeps, record: WebhookEndpointRecord): string {
	return openText(deps, "webhook-secret", record.id, record.sealedSecret);
}

/**
 * The endpoint a webhook delivery's `target` names, with its secret: `config:<n>` from the
 * config file, else a stored endpoint.
 * @returns null when there is none (removed from the API, or from the config file since)
 * @throws Error when a stored secret does not open
 */
export async function findWebhookTarget(deps: ServiceDeps, target: string): Promise<WebhookTarget | null> {
	const configIndex = /^config:(\d{1,4})$/.exec(target);
	if (configIndex !== null) {
		const endpoint = deps.config.webhooks.endpoints[Number(configIndex[1])];
		return endpoint === undefined ? null : { id: target, url: endpoint.url, secret: endpoint.secret, source: "config" };
	}
	const record = await deps.store.webhookEndpoints.findWebhookEndpoint(target);
	return record === null ? null : { id: record.id, url: record.url, secret: openWebhookSecret(deps, record), source: "api" };
}
