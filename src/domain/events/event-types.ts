/**
 * Every security event deadbolt records, what its owner is mailed about it, and the shape of a
 * webhook message (DESIGN.md §3.10: event types and payload shapes). Pure data: the service
 * decides when to record and whom to tell; `docs/webhooks.md` lists each type (test-enforced).
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (payload structure: `type`, `timestamp`, `data`)
 */

/** Every kind of security event, as stable words `<subject>.<verb>`. */
export const SECURITY_EVENT_TYPES = [
	"account.created",
	"account.secured",
	"account.unlocked",
	"account.groups_changed",
	"account.disabled",
	"account.enabled",
	"account.deleted",
	"backup.restored",
	"email.verified",
	"email.change_requested",
	"email.changed",
	"login.succeeded",
	"login.password_failed",
	"login.second_factor_failed",
	"login.locked",
	"recovery_code.used",
	"totp.enabled",
	"totp.disabled",
	"totp.replaced",
	"totp.authenticator_added",
	"totp.authenticator_removed",
	"totp.mail_confirmed",
	"totp.reset",
	"recovery_codes.regenerated",
	"password.changed",
	"password.set",
	"password.reset_requested",
	"password.reset",
	"sign_in_link.issued",
	"reauthenticated",
	"session.revoked",
	"sessions.revoked",
	"device.trusted",
	"device.revoked",
	"access_token.created",
	"access_token.revoked",
	"oidc_app.disconnected",
] as const;

/** One kind of security event. */
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** Whether `value` names a security event type. */
export function isSecurityEventType(value: string): value is SecurityEventType {
	return (SECURITY_EVENT_TYPES as readonly string[]).includes(value);
}

/** Safe facts attached to an event (numbers, short words). */
export type SecurityEventDetails = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/**
 * The alert mails an account's owner gets, each with a "This wasn't me" link. An event type maps
 * to one, or to none (`alertKindOf` returns null); `login.succeeded` alerts only from a new device.
 */
export const ALERT_KINDS = [
	"new_device_sign_in",
	"second_factor_failed",
	"account_locked",
	"password_changed",
	"two_factor_changed",
	"recovery_code_used",
	"recovery_codes_regenerated",
	"access_token_created",
	"email_changed",
	"two_factor_reset",
	"backup_restored",
] as const;

/** One alert kind. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Whether `kind` names an alert mail. */
export function isAlertKind(kind: string): kind is AlertKind {
	return (ALERT_KINDS as readonly string[]).includes(kind);
}

const ALERTS: Partial<Record<SecurityEventType, AlertKind>> = {
	"login.second_factor_failed": "second_factor_failed",
	"login.locked": "account_locked",
	"password.changed": "password_changed",
	"password.set": "password_changed",
	"password.reset": "password_changed",
	"totp.enabled": "two_factor_changed",
	"totp.disabled": "two_factor_changed",
	"totp.replaced": "two_factor_changed",
	"totp.authenticator_added": "two_factor_changed",
	"totp.authenticator_removed": "two_factor_changed",
	"recovery_code.used": "recovery_code_used",
	"recovery_codes.regenerated": "recovery_codes_regenerated",
	"access_token.created": "access_token_created",
	"email.changed": "email_changed",
	"totp.reset": "two_factor_reset",
};

/**
 * The alert mail an event calls for, or null for none.
 * @param details - the event's details; `login.succeeded` alerts only when `newDevice` is true,
 *   `login.second_factor_failed` not when `during` is `"reauthentication"`
 */
export function alertKindOf(type: SecurityEventType, details: SecurityEventDetails): AlertKind | null {
	if (type === "login.succeeded") return details["newDevice"] === true ? "new_device_sign_in" : null;
	// A wrong code while re-authenticating comes from someone already signed in: no alert.
	if (type === "login.second_factor_failed" && details["during"] === "reauthentication") return null;
	// After a restore, only the owners of recovery codes are mailed: codes used or replaced since the backup may work again.
	if (type === "backup.restored") return typeof details["recoveryCodesLeft"] === "number" && details["recoveryCodesLeft"] > 0 ? "backup_restored" : null;
	return ALERTS[type] ?? null;
}

/**
 * Whether a webhook endpoint subscribed to `events` wants events of `type`.
 * @param events - event types, or `["*"]` for every one
 */
export function webhookWants(events: readonly string[], type: string): boolean {
	return events.includes("*") || events.includes(type);
}

/**
 * The JSON body of a webhook message (Standard Webhooks "payload structure"). Never a secret,
 * code or token: the same safe facts as the activity log.
 */
export interface WebhookEventPayload {
	/** The event type, e.g. `"login.succeeded"`. */
	readonly type: SecurityEventType;
	/** When the event happened, ISO-8601 UTC. */
	readonly timestamp: string;
	readonly data: {
		/** The security event's id (the same in the account's activity). */
		readonly eventId: string;
		readonly accountId: string;
		/** The account's address when the event was recorded. */
		readonly email: string;
		readonly ipAddress: string | null;
		readonly userAgent: string | null;
		readonly details: SecurityEventDetails;
	};
}
