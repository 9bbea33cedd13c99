/**
 * Security events and their delivery: the event log, the outbox of mails and webhooks, webhook endpoints.
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";

/** One entry of an account's security activity (audit trail). */
export interface SecurityEventRecord {
	readonly id: string;
	readonly accountId: string;
	/** A stable word such as `"login.succeeded"`, `"totp.enabled"`, `"password.changed"`. */
	readonly type: string;
	readonly createdAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** Safe facts about the event, JSON-encoded (never a secret, code or token). */
	readonly details: string;
}

/** Where an outbox delivery goes: a mail to a person, or an HTTP POST to another app (a signed webhook message, an OpenID Connect back-channel logout). */
export type DeliveryChannel = "email" | "webhook";

/** A delivery's state: waiting (or retrying), done, or given up on after the last attempt (dead letter). */
export type DeliveryStatus = "pending" | "delivered" | "dead";

/**
 * One message of the transactional outbox, for one recipient. Written in the transaction of the
 * change it reports; delivered at least once by a dispatcher that holds its lease. Its `id` is the
 * stable message id (the Standard Webhooks `webhook-id`, the mail's Message-ID): a redelivery keeps it.
 */
export interface DeliveryRecord {
	readonly id: string;
	/** The security event this reports; null for a message that reports none (a sign-up link before any account exists). */
	readonly eventId: string | null;
	/** The account concerned, or null (a sign-up before the account exists). */
	readonly accountId: string | null;
	readonly channel: DeliveryChannel;
	/** What is said: an event type (`"login.locked"`) or a mail kind (`"email.verify"`). */
	readonly kind: string;
	/** `"email"`: the address; `"webhook"`: the endpoint id (`config:<n>` for the config file's n-th endpoint, else a stored endpoint's id), or `oidc:<clientId>` for an OpenID Connect back-channel logout. */
	readonly target: string;
	/** Safe facts as JSON (never a secret, code or token): what the message is built from. */
	readonly payload: string;
	/** A secret the message must carry (a link's token), sealed by `service/` with the server key; cleared once delivered or dead. */
	readonly sealedSecret: Uint8Array | null;
	readonly status: DeliveryStatus;
	/** Attempts made so far. */
	readonly attempts: number;
	/** Not before this instant (backoff); a pending delivery is due when this has passed. */
	readonly nextAttemptAt: UnixMillis;
	/** Until when a dispatcher holds it (claimed, being sent); 0 when nobody does. */
	readonly leaseExpiresAt: UnixMillis;
	/** The dispatcher holding the lease (a random id per process), or null. */
	readonly leaseOwner: string | null;
	/** The last attempt's failure in a few words (`"HTTP 500"`, `"ECONNREFUSED"`), never a secret; null when none failed. */
	readonly lastError: string | null;
	readonly createdAt: UnixMillis;
	readonly deliveredAt: UnixMillis | null;
}

/** Undelivered deliveries of one channel and status ({@link OutboxRepository.summarizeBacklog}). */
export interface DeliveryBacklogRecord {
	readonly channel: DeliveryChannel;
	readonly status: "pending" | "dead";
	/** How many (at least 1). */
	readonly count: number;
	/** When the oldest of them was queued. */
	readonly oldestCreatedAt: UnixMillis;
}

/** One attempt at a delivery, for the delivery log. */
export interface DeliveryAttemptRecord {
	readonly id: string;
	readonly deliveryId: string;
	readonly attemptedAt: UnixMillis;
	/** `"delivered"` or `"failed"`. */
	readonly outcome: "delivered" | "failed";
	/** The answer in a few words: `"HTTP 204"`, `"250 OK"`, `"ECONNREFUSED"`, `"timeout"`. Never a secret. */
	readonly detail: string;
	/** How long the attempt took, in milliseconds. */
	readonly durationMillis: number;
}

/** A webhook endpoint added through the admin API (the config file's endpoints are not stored). */
export interface WebhookEndpointRecord {
	readonly id: string;
	readonly url: string;
	/** JSON array of event types, or `["*"]` for every one. */
	readonly events: string;
	/** The Standard Webhooks signing secret (`whsec_...`), sealed by `service/` with the server key. */
	readonly sealedSecret: Uint8Array;
	readonly createdAt: UnixMillis;
	/** A short text the operator gave, or null. */
	readonly description: string | null;
}

/** What {@link SecurityEventRepository.listRecentEventDevices} reads of an event. */
export interface SecurityEventDevice {
	readonly type: string;
	readonly userAgent: string | null;
	readonly createdAt: UnixMillis;
}

/** Security activity. */
export interface SecurityEventRepository {
	insertSecurityEvent(record: SecurityEventRecord): Promise<void>;
	/**
	 * The account's events, newest first (ties broken by id, descending).
	 * @param limit - at most this many (1 to 500)
	 * @param before - only events created strictly before this instant (paging); undefined for the newest
	 */
	listSecurityEvents(accountId: string, limit: number, before?: UnixMillis): Promise<SecurityEventRecord[]>;
	/**
	 * The account's latest `limit` events of the two `types` (newest first, ties by id), each one's
	 * type, User-Agent and instant, nothing else (the new-device check of a sign-in, which looks at
	 * sign-ins only: `service/new-device.ts`).
	 * @param limit - at most this many (1 to 500)
	 */
	listRecentEventDevices(accountId: string, types: readonly [string, string], limit: number): Promise<SecurityEventDevice[]>;
	/**
	 * Housekeeping (retention): deletes up to `limit` events created before `before`, oldest first,
	 * in one statement (`DELETE ... WHERE id IN (SELECT id ... ORDER BY created_at LIMIT :limit)`,
	 * over the `created_at` index). Deliveries that report them are not touched (`delivery.event_id`
	 * is no foreign key).
	 * @param limit - 1 to 100,000 rows
	 * @returns how many were deleted (fewer than `limit`: none older is left)
	 */
	deleteSecurityEventsBefore(before: UnixMillis, limit: number): Promise<number>;
}

/** The transactional outbox (DESIGN.md §3.10): deliveries and their attempt log. */
export interface OutboxRepository {
	/** Inserts deliveries (inside the transaction of the change they report). */
	insertDeliveries(records: readonly DeliveryRecord[]): Promise<void>;
	/**
	 * Detaches the account's pending webhook-channel deliveries (webhook messages, back-channel
	 * logouts) from it (`account_id` set to null), so that deleting the account (whose deliveries
	 * cascade) leaves them to be sent. Mails are not detached: they go with the account.
	 * @returns how many were detached
	 */
	detachPendingWebhookDeliveries(accountId: string): Promise<number>;
	/**
	 * Claims up to `limit` due deliveries for `owner` until `leaseExpiresAt`: pending ones whose
	 * `nextAttemptAt` has passed and whose lease is free or expired (a process killed mid-delivery
	 * leaves an expired lease). One conditional write per row decides (PostgreSQL `FOR UPDATE SKIP
	 * LOCKED`): of several dispatchers, each row goes to one. Oldest first.
	 * @returns the claimed deliveries, with the new lease
	 */
	claimDueDeliveries(owner: string, now: UnixMillis, leaseExpiresAt: UnixMillis, limit: number): Promise<DeliveryRecord[]>;
	/**
	 * Records an attempt and the delivery's new state, only while `owner` still holds the lease
	 * (`UPDATE ... WHERE id = ? AND lease_owner = :owner`), freeing the lease. Delivered or dead
	 * clears `sealedSecret`. The attempt is logged either way.
	 * @returns false when the lease was lost (another dispatcher took over; nothing changed but the log)
	 */
	settleDelivery(id: string, owner: string, outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: UnixMillis; readonly lastError: string | null; readonly deliveredAt: UnixMillis | null }, attempt: DeliveryAttemptRecord): Promise<boolean>;
	findDelivery(id: string): Promise<DeliveryRecord | null>;
	/** Deliveries newest first, optionally of one status, channel or account. @param limit - 1 to 500 */
	listDeliveries(filter: { readonly status?: DeliveryStatus; readonly channel?: DeliveryChannel; readonly accountId?: string; readonly limit: number }): Promise<DeliveryRecord[]>;
	/** A delivery's attempts, oldest first. */
	listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]>;
	/**
	 * Manual redelivery: a dead (or delivered) delivery becomes pending again, due at `now`, with its
	 * attempts set to 0; its id stays. A delivered one has lost its sealed secret: the caller refuses those that need it.
	 * @returns false when there is no such delivery or it is pending already
	 */
	retryDelivery(id: string, now: UnixMillis): Promise<boolean>;
	/** How many deliveries of this account and kind were created at or after `since` (alert rate limits). */
	countRecentDeliveries(accountId: string, kind: string, since: UnixMillis): Promise<number>;
	/**
	 * Housekeeping: deletes up to `limit` delivered and dead deliveries (and their attempts) created
	 * before `before`, in no set order, in one statement (over the `(status, created_at)` index).
	 * Pending ones, retrying or not, are never deleted, however old.
	 * @param limit - 1 to 100,000 rows
	 * @returns how many (fewer than `limit`: none older is left)
	 */
	deleteSettledDeliveries(before: UnixMillis, limit: number): Promise<number>;
	/** Deliveries by status, for the backlog: `{ pending, delivered, dead }`. */
	countDeliveriesByStatus(): Promise<Readonly<Record<DeliveryStatus, number>>>;
	/**
	 * The undelivered deliveries for `/metrics`, in one grouped read: a row per channel and status
	 * (`pending`, `dead`) that has any, with how many and the oldest one's `createdAt`. A channel
	 * and status without deliveries has no row.
	 */
	summarizeBacklog(): Promise<DeliveryBacklogRecord[]>;
}

/** Webhook endpoints added through the admin API. */
export interface WebhookEndpointRepository {
	insertWebhookEndpoint(record: WebhookEndpointRecord): Promise<void>;
	findWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
	/** Every stored endpoint, oldest first. */
	listWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
	/** @returns false when there was none */
	deleteWebhookEndpoint(id: string): Promise<boolean>;
}
