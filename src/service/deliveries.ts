/**
 * The outbox as operators see it (docs/webhooks.md, "Delivery log"): deliveries with their status,
 * each one's attempts, and manual redelivery of a dead (or delivered) one. A redelivery keeps the
 * delivery's id, which is the message's `webhook-id` (and the mail's Message-ID), so a receiver
 * that deduplicates by it sees one event.
 *
 * Shown: a webhook's payload (safe facts, exactly what the receiver gets); for a mail its kind,
 * recipient and status, never its facts or its sealed link secret.
 */
import { DeliveryNotRetryable, InvalidRequest, NotFound } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { DeliveryAttemptRecord, DeliveryChannel, DeliveryRecord, DeliveryStatus } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { BACKCHANNEL_LOGOUT_KIND, clientIdOfTarget, logoutClientById } from "./oidc-logout.js";
import { isLinkMailKind, LINK_MAIL_KINDS_WITH_TOKEN } from "./outbox.js";
import { findWebhookTarget } from "./webhook-endpoints.js";

/** Deliveries listed when no limit is given. */
export const DELIVERIES_DEFAULT_LIMIT = 50;
/** Most deliveries listed at once. */
export const DELIVERIES_MAX_LIMIT = 500;

/** Link mails whose link carries a single-use secret (erased once sent or dead): they cannot be sent again. */


/** A delivery as operators see it. */
export interface DeliveryView {
	/** The stable message id: `webhook-id` of every attempt, kept by a redelivery. */
	readonly id: string;
	readonly eventId: string | null;
	readonly accountId: string | null;
	readonly channel: DeliveryChannel;
	/** An event type (webhooks, alert mails report one) or a mail kind. */
	readonly kind: string;
	/** The recipient's address (mail) or the endpoint id (webhook: `config:<n>` or a stored id; `oidc:<clientId>` for a back-channel logout). */
	readonly target: string;
	readonly status: DeliveryStatus;
	/** Attempts made so far (a redelivery starts again at 0). */
	readonly attempts: number;
	/** When the next attempt is due; null unless pending. */
	readonly nextAttemptAt: UnixMillis | null;
	readonly lastError: string | null;
	readonly createdAt: UnixMillis;
	readonly deliveredAt: UnixMillis | null;
	/** The webhook message's JSON body, parsed; null for mails (never shown). */
	readonly payload: unknown;
}

/** One attempt of the delivery log. */
export interface DeliveryAttemptView {
	readonly attemptedAt: UnixMillis;
	readonly outcome: "delivered" | "failed";
	/** `"HTTP 204"`, `"250 OK"`, `"ECONNREFUSED"`, `"timeout"`. */
	readonly detail: string;
	readonly durationMillis: number;
}

function view(record: DeliveryRecord): DeliveryView {
	return {
		id: record.id,
		eventId: record.eventId,
		accountId: record.accountId,
		channel: record.channel,
		kind: record.kind,
		target: record.target,
		status: record.status,
		attempts: record.attempts,
		nextAttemptAt: record.status === "pending" ? record.nextAttemptAt : null,
		lastError: record.lastError,
		createdAt: record.createdAt,
		deliveredAt: record.deliveredAt,
		payload: record.channel === "webhook" ? parsePayload(record.payload) : null,
	};
}

function parsePayload(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return null;
	}
}

function attemptView(record: DeliveryAttemptRecord): DeliveryAttemptView {
	return { attemptedAt: record.attemptedAt, outcome: record.outcome, detail: record.detail, durationMillis: record.durationMillis };
}

/**
 * Deliveries, newest first.
 * @param filter.limit - 1 to 500; default 50
 * @throws InvalidRequest for a limit out of range
 */
export async function listDeliveries(deps: ServiceDeps, filter: { readonly status?: DeliveryStatus; readonly channel?: DeliveryChannel; readonly accountId?: string; readonly limit?: number } = {}): Promise<DeliveryView[]> {
	const limit = filter.limit ?? DELIVERIES_DEFAULT_LIMIT;
	if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_MAX_LIMIT) {
		const message = `The limit must be a whole number from 1 to ${DELIVERIES_MAX_LIMIT}.`;
		throw new InvalidRequest(message, [{ field: "limit", rule: "range", message }]);
	}
	const records = await deps.store.outbox.listDeliveries({
		limit,
		...(filter.status === undefined ? {} : { status: filter.status }),
		...(filter.channel === undefined ? {} : { channel: filter.channel }),
		...(filter.accountId === undefined ? {} : { accountId: filter.accountId }),
	});
	return records.map(view);
}

/**
 * One delivery with its attempts, oldest first (the delivery log).
 * @throws NotFound when there is no such delivery (or it was deleted after `outbox.retentionSeconds`)
 */
export async function showDelivery(deps: ServiceDeps, id: string): Promise<{ delivery: DeliveryView; attempts: DeliveryAttemptView[] }> {
	const record = await deps.store.outbox.findDelivery(id);
	if (record === null) throw new NotFound("No delivery has that id.");
	const attempts = await deps.store.outbox.listDeliveryAttempts(id);
	return { delivery: view(record), attempts: attempts.map(attemptView) };
}

/** Why a delivery cannot be sent again, or null when it can. */
async function retryRefusal(deps: ServiceDeps, record: DeliveryRecord): Promise<{ reason: string; message: string } | null> {
	if (record.status === "pending") return { reason: "pending", message: "This delivery is pending already: the dispatcher will try it when it is due." };
	if (record.channel === "email" && isLinkMailKind(record.kind) && LINK_MAIL_KINDS_WITH_TOKEN.has(record.kind) && record.sealedSecret === null) {
		return { reason: "secret_gone", message: "This mail carried a single-use link whose secret was erased once it was sent or given up on. Have the user ask for a new link." };
	}
	if (record.kind === BACKCHANNEL_LOGOUT_KIND) {
		const clientId = clientIdOfTarget(record.target);
		const client = clientId === null ? null : await logoutClientById(deps, clientId);
		if (client !== null && client.backchannelLogoutUri !== null) return null;
		return { reason: "endpoint_gone", message: `The OpenID Connect client ${record.target} of this back-channel logout no longer exists or no longer has a backchannelLogoutUri (oidc.clients). Run this with the same configuration as "deadbolt serve" (--config, DEADBOLT_* variables).` };
	}
	if (record.channel === "webhook" && (await findWebhookTarget(deps, record.target)) === null) {
		const hint = record.target.startsWith("config:")
			? ` It came from the config file's webhooks.endpoints: run this with the same configuration as "deadbolt serve" (--config, DEADBOLT_* variables).`
			: "";
		return { reason: "endpoint_gone", message: `The webhook endpoint ${record.target} of this delivery no longer exists.${hint}` };
	}
	return null;
}

/**
 * Sends a dead (or delivered) delivery again: it becomes pending, due at once, with its attempts
 * at 0 and the same id (`webhook-id`). Earlier attempts stay in the log.
 * @returns the delivery as it is now
 * @throws NotFound when there is no such delivery
 * @throws DeliveryNotRetryable when it is pending already, its link secret is gone, or its endpoint was removed
 */
export async function retryDelivery(deps: ServiceDeps, id: string): Promise<DeliveryView> {
	const record = await deps.store.outbox.findDelivery(id);
	if (record === null) throw new NotFound("No delivery has that id.");
	const refusal = await retryRefusal(deps, record);
	if (refusal !== null) throw new DeliveryNotRetryable(refusal.message, { reason: refusal.reason });
	if (!(await deps.store.outbox.retryDelivery(id, deps.clock.now()))) {
		// Deleted, or made pending by someone else, since it was read.
		const now = await deps.store.outbox.findDelivery(id);
		if (now === null) throw new NotFound("No delivery has that id.");
		throw new DeliveryNotRetryable("This delivery is pending already: the dispatcher will try it when it is due.", { reason: "pending" });
	}
	deps.logger.warn({ event: "delivery.retried", deliveryId: id, channel: record.channel, kind: record.kind, previousStatus: record.status }, "delivery queued again by an operator");
	const after = await deps.store.outbox.findDelivery(id);
	if (after === null) throw new NotFound("No delivery has that id.");
	return view(after);
}

/**
 * Sends every dead delivery again (optionally of one channel), skipping those that cannot be
 * (see {@link retryDelivery}). Works through the newest 500 at a time; a page made only of
 * deliveries that cannot be sent again ends the run.
 * @returns the ids queued again, and those skipped with why
 */
export async function retryDeadDeliveries(deps: ServiceDeps, filter: { readonly channel?: DeliveryChannel } = {}): Promise<{ retried: string[]; skipped: { id: string; reason: string }[] }> {
	const retried: string[] = [];
	const skipped = new Map<string, string>();
	// Pages of the newest dead ones; each pass turns the retryable ones pending, so the next page holds others.
	for (;;) {
		const page = await deps.store.outbox.listDeliveries({ status: "dead", limit: DELIVERIES_MAX_LIMIT, ...(filter.channel === undefined ? {} : { channel: filter.channel }) });
		let progressed = false;
		for (const record of page) {
			if (skipped.has(record.id)) continue;
			const refusal = await retryRefusal(deps, record);
			if (refusal !== null) {
				skipped.set(record.id, refusal.reason);
				continue;
			}
			if (await deps.store.outbox.retryDelivery(record.id, deps.clock.now())) retried.push(record.id);
			progressed = true;
		}
		if (!progressed || page.length < DELIVERIES_MAX_LIMIT) break;
	}
	if (retried.length > 0) deps.logger.warn({ event: "delivery.retried", count: retried.length, ...(filter.channel === undefined ? {} : { channel: filter.channel }) }, "dead deliveries queued again by an operator");
	return { retried, skipped: [...skipped].map(([id, reason]) => ({ id, reason })) };
}
