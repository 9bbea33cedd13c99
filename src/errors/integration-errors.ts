/**
 * Errors of the integrations: webhooks and deliveries, OpenID Connect clients, mail limits.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { DeadboltError, type DeadboltErrorOptions } from "./base.js";
import { describeSeconds } from "./describe-seconds.js";

/**
 * A webhook endpoint whose host is (or resolves to) a private, loopback, link-local or other
 * non-public address that `webhooks.allowedNetworks` does not list (docs/webhooks.md, "Private
 * networks"). `reason` names the range in the log. HTTP 400.
 */
export class WebhookTargetRefused extends DeadboltError {
	static override code = "ERR_WEBHOOK_TARGET_REFUSED" as const;
	readonly code = "ERR_WEBHOOK_TARGET_REFUSED" as const;
	constructor(message = "Webhook endpoints may not target private, loopback or link-local networks unless webhooks.allowedNetworks lists them.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * A manual redelivery that cannot be done: the delivery is pending already, its link's single-use
 * secret is gone (erased once sent or given up on), or its webhook endpoint was removed. HTTP 409.
 */
export class DeliveryNotRetryable extends DeadboltError {
	static override code = "ERR_DELIVERY_NOT_RETRYABLE" as const;
	readonly code = "ERR_DELIVERY_NOT_RETRYABLE" as const;
	constructor(message = "This delivery cannot be sent again.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * An OpenID Connect client cannot be added: the provider is off (no client in the config file and
 * `oidc.enabled` false), so no app could use it. Nothing was stored. HTTP 409.
 */
export class OidcDisabled extends DeadboltError {
	static override code = "ERR_OIDC_DISABLED" as const;
	readonly code = "ERR_OIDC_DISABLED" as const;
	constructor(message = "The OpenID Connect provider is off: set oidc.enabled to true (and http.publicUrl) and restart, then add the client.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * An OpenID Connect client cannot be added with this id: a client of the config file or another
 * added client has it. Nothing was stored. HTTP 409.
 */
export class OidcClientExists extends DeadboltError {
	static override code = "ERR_OIDC_CLIENT_EXISTS" as const;
	readonly code = "ERR_OIDC_CLIENT_EXISTS" as const;
	constructor(message = "A client with this id exists already.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * The OpenID Connect client is declared in the config file (`oidc.clients`): it cannot be removed,
 * nor its secret replaced, through the admin API or the CLI. Nothing was changed. HTTP 409.
 */
export class OidcClientReadOnly extends DeadboltError {
	static override code = "ERR_OIDC_CLIENT_READ_ONLY" as const;
	readonly code = "ERR_OIDC_CLIENT_READ_ONLY" as const;
	constructor(message = "This client is declared in the config file (oidc.clients): remove or change it there.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * Too many mails of one kind were asked for (verification resends for this account, reset links
 * from this network); nothing was sent. HTTP 429 with `Retry-After`. Never depends on whether an
 * address has an account.
 */
export class MailLimitReached extends DeadboltError {
	static override code = "ERR_MAIL_LIMIT" as const;
	readonly code = "ERR_MAIL_LIMIT" as const;
	/** Whole seconds until another mail may be asked for, >= 1. */
	readonly retryAfterSeconds: number;
	constructor(retryAfterSeconds = 3_600, message?: string, options?: DeadboltErrorOptions) {
		const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
		super(message ?? `Too many emails were asked for. Try again in ${describeSeconds(seconds)}.`, options);
		this.retryAfterSeconds = seconds;
	}
}
