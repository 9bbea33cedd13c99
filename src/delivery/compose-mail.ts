/**
 * From an outbox delivery to a mail: which template, with which facts and link (docs/email.md).
 * The link's token is opened here, just before sending, and goes into the link only.
 */
import { isAlertKind } from "../domain/events/event-types.js";
import type { ServiceDeps } from "../service/deps.js";
import { isLinkMailKind, openDeliverySecret, type AlertMailFacts, type LinkMailFacts } from "../service/outbox.js";
import type { DeliveryRecord } from "../storage/store.js";
import { PermanentFailure } from "./delivery-failure.js";
import type { OutgoingMail } from "./mail.js";
import { alertMailContent } from "./templates/alert-mails.js";
import { renderMail, type MailBranding, type MailContent } from "./templates/layout.js";
import { linkMailContent } from "./templates/link-mails.js";

/** How mails look and where their links point. */
export interface MailSettings {
	readonly branding: MailBranding;
	/** The origin links are built on (`http.publicUrl`, or `http://host:port`). */
	readonly origin: string;
}

/** The content of a delivery's mail, without sending anything. */
export function mailContentOf(deps: ServiceDeps, delivery: DeliveryRecord, settings: MailSettings): MailContent {
	const productName = settings.branding.productName;
	if (isLinkMailKind(delivery.kind)) {
		const { ttlSeconds } = JSON.parse(delivery.payload) as Partial<LinkMailFacts>;
		let token: string | null;
		try {
			token = openDeliverySecret(deps, delivery);
		} catch (error) {
			throw new PermanentFailure(error instanceof Error ? error.message : "the link's token does not open");
		}
		try {
			return linkMailContent({ kind: delivery.kind, token, origin: settings.origin, productName, ttlSeconds: ttlSeconds ?? null });
		} catch (error) {
			throw new PermanentFailure(error instanceof Error ? error.message : String(error));
		}
	}
	if (isAlertKind(delivery.kind)) {
		const facts = JSON.parse(delivery.payload) as AlertMailFacts;
		return alertMailContent({ kind: delivery.kind, facts, to: delivery.target, origin: settings.origin, productName });
	}
	throw new PermanentFailure(`no mail template for kind ${JSON.stringify(delivery.kind)}`);
}

/**
 * Builds the mail of an email delivery. (A deleted account's deliveries are deleted with it: the
 * `delivery` rows reference the account ON DELETE CASCADE, so no lookup is needed here.)
 * @throws PermanentFailure when its kind has no template, or its link's token is gone
 */
export async function composeMail(deps: ServiceDeps, delivery: DeliveryRecord, settings: MailSettings): Promise<OutgoingMail> {
	const rendered = renderMail(mailContentOf(deps, delivery, settings), settings.branding);
	return { deliveryId: delivery.id, createdAt: delivery.createdAt, to: delivery.target, ...rendered };
}
