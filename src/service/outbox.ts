/**
 * The transactional outbox, writing side (DESIGN.md §3.10): every message to the outside (alert
 * and link mails, webhook events) is a delivery row inserted in the transaction of the change it
 * reports, so a change and its messages commit or vanish together, and a process killed at any
 * moment loses none. The dispatcher (`delivery/dispatcher.ts`) sends them after the commit, at
 * least once, under a lease; nothing here waits for a mail server or a receiver.
 *
 * Secrets a message must carry (a link's token) are sealed with the server's encryption key
 * (AES-256-GCM bound to the delivery id) and cleared once delivered; payloads hold safe facts only.
 */
import { generateId } from "../domain/crypto/token.js";
import { alertKindOf, webhookWants, type AlertKind, type SecurityEventDetails, type SecurityEventType, type WebhookEventPayload } from "../domain/events/event-types.js";
import type { DeliveryRecord, Repositories, SecurityEventRecord } from "../storage/store.js";
import { toISO, type ServiceDeps } from "./deps.js";
import { hourAgo } from "./email-tokens.js";
import { openText, sealText } from "./sealed-text.js";

/**
 * The mails the account flows send (verify an address, finish a sign-up, reset a password, confirm
 * a new address, confirm a second factor for apps behind forward-auth, finish a setup of two-factor
 * authentication the operator requires (past its deadline), and the two notes without a link: an address that has an account already, one
 * that has none).
 */
export const LINK_MAIL_KINDS = ["email.verify", "sign_up.verify", "sign_up.exists", "password.reset", "password.reset_unknown", "email.change_confirm", "email.change_approve", "two_factor.confirm", "two_factor.setup_required"] as const;

/** One of {@link LINK_MAIL_KINDS}. */
export type LinkMailKind = (typeof LINK_MAIL_KINDS)[number];

/** Whether `kind` names a link mail. */
export function isLinkMailKind(kind: string): kind is LinkMailKind {
	return (LINK_MAIL_KINDS as readonly string[]).includes(kind);
}

/** The link mails whose link carries a single-use token (sealed in the delivery, erased once sent: such a mail cannot be sent again). */
export const LINK_MAIL_KINDS_WITH_TOKEN: ReadonlySet<LinkMailKind> = new Set(["email.verify", "sign_up.verify", "password.reset", "email.change_confirm", "email.change_approve", "two_factor.confirm", "two_factor.setup_required"]);

/** The facts of a link mail's delivery (never the token). */
export interface LinkMailFacts {
	/** How long the link's token works, in seconds, as it was issued; null for a mail without a link. */
	readonly ttlSeconds: number | null;
}

/** Every kind of mail: a link mail or an alert. */
export type MailKind = LinkMailKind | AlertKind;

/** The facts an alert mail is built from (the event, as its owner sees it in the activity). */
export interface AlertMailFacts {
	readonly eventId: string;
	readonly type: SecurityEventType;
	/** When it happened, epoch milliseconds. */
	readonly createdAt: number;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	readonly details: SecurityEventDetails;
}

/** The webhook id of an endpoint from the config file: `config:<index>`. */
export function configWebhookTarget(index: number): string {
	return `config:${index}`;
}

/**
 * A new pending delivery, due at once, with a fresh id (the message id).
 * @param secret - a secret the message must carry (a link's token), sealed for the delivery's id; null for none
 */
export function newDelivery(deps: ServiceDeps, fields: Pick<DeliveryRecord, "eventId" | "accountId" | "channel" | "kind" | "target" | "payload">, secret: string | null = null): DeliveryRecord {
	const id = generateId(deps.random);
	const now = deps.clock.now();
	return {
		id,
		...fields,
		sealedSecret: secret === null ? null : sealText(deps, "delivery-secret", id, secret),
		status: "pending",
		attempts: 0,
		nextAttemptAt: now,
		leaseExpiresAt: 0,
		leaseOwner: null,
		lastError: null,
		createdAt: now,
		deliveredAt: null,
	};
}

/**
 * Queues a link mail (inside the caller's transaction). The link's token travels sealed.
 * @param request.to - the normalized address
 * @param request.link - the token the link carries and how long it works (seconds); null for a mail without a link
 */
export async function enqueueLinkMail(
	deps: ServiceDeps,
	tx: Repositories,
	request: { readonly accountId: string | null; readonly to: string; readonly kind: LinkMailKind; readonly link: { readonly token: string; readonly ttlSeconds: number } | null },
): Promise<void> {
	const facts: LinkMailFacts = { ttlSeconds: request.link?.ttlSeconds ?? null };
	const delivery = newDelivery(deps, { eventId: null, accountId: request.accountId, channel: "email", kind: request.kind, target: request.to, payload: JSON.stringify(facts) }, request.link?.token ?? null);
	await tx.outbox.insertDeliveries([delivery]);
}

/**
 * Queues what a security event calls for, inside the transaction that records it: an alert mail
 * to the account's verified address (the address-changed notice to the old address, verified or
 * not; at most `email.alertsPerKindPerHour` of a kind per account;
 * the activity keeps every event), and one message per webhook endpoint subscribed to its type.
 * Reads the account only when something is queued.
 */
export async function enqueueEventDeliveries(deps: ServiceDeps, tx: Repositories, event: SecurityEventRecord, details: SecurityEventDetails): Promise<void> {
	const type = event.type as SecurityEventType;
	const alert = alertKindOf(type, details);
	const configTargets = deps.config.webhooks.endpoints.flatMap((endpoint, index) => (webhookWants(endpoint.events, type) ? [configWebhookTarget(index)] : []));
	const storedTargets = (await tx.webhookEndpoints.listWebhookEndpoints()).filter((endpoint) => webhookWants(JSON.parse(endpoint.events) as string[], type)).map((endpoint) => endpoint.id);
	const webhookTargets = [...configTargets, ...storedTargets];
	if (alert === null && webhookTargets.length === 0) return;
	const account = await tx.accounts.findAccountById(event.accountId);
	if (account === null) return;
	const deliveries: DeliveryRecord[] = [];
	// Alerts go to a verified address only (an unverified one may be a stranger's typo), except the
	// notice that the address changed (the old address is told whatever its state) and an operator's
	// 2FA reset (never silent: the only address the account has is told).
	if (alert !== null && (account.emailVerifiedAt !== null || alert === "email_changed" || alert === "two_factor_reset")) {
		if (alert === "two_factor_reset" || (await tx.outbox.countRecentDeliveries(account.id, alert, hourAgo(deps))) < deps.config.email.alertsPerKindPerHour) {
			const facts: AlertMailFacts = { eventId: event.id, type, createdAt: event.createdAt, ipAddress: event.ipAddress, userAgent: event.userAgent, details };
			deliveries.push(newDelivery(deps, { eventId: event.id, accountId: account.id, channel: "email", kind: alert, target: account.email, payload: JSON.stringify(facts) }));
		}
	}
	if (webhookTargets.length > 0) {
		const payload: WebhookEventPayload = {
			type,
			timestamp: toISO(event.createdAt),
			data: { eventId: event.id, accountId: account.id, email: account.email, ipAddress: event.ipAddress, userAgent: event.userAgent, details },
		};
		const body = JSON.stringify(payload);
		for (const target of webhookTargets) deliveries.push(newDelivery(deps, { eventId: event.id, accountId: account.id, channel: "webhook", kind: type, target, payload: body }));
	}
	if (deliveries.length > 0) await tx.outbox.insertDeliveries(deliveries);
}

/**
 * Opens a delivery's sealed secret (the link token), for the dispatcher.
 * @returns the token, or null when the delivery carries none (or it was cleared after delivery)
 * @throws Error when it does not open (wrong server key or a tampered row)
 */
export function openDeliverySecret(deps: ServiceDeps, delivery: DeliveryRecord): string | null {
	return delivery.sealedSecret === null ? null : openText(deps, "delivery-secret", delivery.id, delivery.sealedSecret);
}
