/**
 * From an outbox delivery to a mail: which template, with which facts and link (docs/email.md).
 * The link's token is opened here, just before sending, and goes into the link only.
 */
import type { AlertKind } from "../domain/events/event-types.js";
import type { ServiceDeps } from "../service/deps.js";
import { openDeliverySecret, type AlertMailFacts, type LinkMailKind } from "../service/outbox.js";
import type { DeliveryRecord } from "../storage/store.js";
import { PermanentFailure } from "./delivery-failure.js";
import type { OutgoingMail } from "./mail.js";
import { alertMailContent } from "./templates/alert-mails.js";
import { renderMail, type MailBranding, type MailContent } from "./templates/layout.js";
import { linkMailContent } from "./templates/link-mails.js";

/** Every link mail kind, with how long its link lives (which config key). */
const LINK_MAIL_TTL = {
	"email.verify": "emailVerification",
	"sign_up.verify": "emailVerification",
	"sign_up.exists": "emailVerification",
	"password.reset": "passwordReset",
	"password.reset_unknown": "passwordReset",
	"email.change_confirm": "emailVerification",
} as const satisfies Record<LinkMailKind, "emailVerification" | "passwordReset">;

/** Every alert kind (the compiler checks the list is whole). */
const ALERT_KINDS = {
	new_device_sign_in: true,
	second_factor_failed: true,
	account_locked: true,
	password_changed: true,
	two_factor_changed: true,
	recovery_code_used: true,
	recovery_codes_regenerated: true,
	access_token_created: true,
	email_changed: true,
} as const satisfies Record<AlertKind, true>;

const isLinkMailKind = (kind: string): kind is LinkMailKind => Object.hasOwn(LINK_MAIL_TTL, kind);
const isAlertKind = (kind: string): kind is AlertKind => Object.hasOwn(ALERT_KINDS, kind);

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
		const ttlSeconds = deps.config[LINK_MAIL_TTL[delivery.kind]].ttlSeconds;
		let token: string | null;
		try {
			token = openDeliverySecret(deps, delivery);
		} catch (error) {
			throw new PermanentFailure(error instanceof Error ? error.message : "the link's token does not open");
		}
		try {
			return linkMailContent({ kind: delivery.kind, token, origin: settings.origin, productName, ttlSeconds });
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
