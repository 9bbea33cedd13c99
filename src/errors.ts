/**
 * deadbolt's errors: one base class, one subclass per stable code (DESIGN.md §3.4, after
 * panva/jose `src/util/errors.ts`). Messages are safe to show to a user; internal detail goes
 * to `cause` and to `reason`, which are logged and never sent to the client. HTTP statuses
 * live in `http/plugins/status-codes.ts`, not here. Every code is documented in
 * `docs/errors.md` (kept in sync by `test/docs.test.ts`).
 */

/** Every stable error code deadbolt can answer with. */
export type DeadboltErrorCode =
	| "ERR_INVALID_REQUEST"
	| "ERR_INVALID_CREDENTIALS"
	| "ERR_INVALID_CODE"
	| "ERR_CHALLENGE_INVALID"
	| "ERR_SIGN_IN_LINK_INVALID"
	| "ERR_EMAIL_LINK_INVALID"
	| "ERR_UNAUTHENTICATED"
	| "ERR_REAUTH_REQUIRED"
	| "ERR_CSRF_REJECTED"
	| "ERR_NOT_FOUND"
	| "ERR_EMAIL_TAKEN"
	| "ERR_SIGN_UP_CLOSED"
	| "ERR_PROXY_NOT_TRUSTED"
	| "ERR_FORWARDED_REQUEST_INVALID"
	| "ERR_ACCESS_DENIED"
	| "ERR_SECOND_FACTOR_REQUIRED"
	| "ERR_EMAIL_NOT_VERIFIED"
	| "ERR_TOTP_ALREADY_ENABLED"
	| "ERR_LAST_AUTHENTICATOR"
	| "ERR_TWO_FACTOR_REQUIRED"
	| "ERR_TOTP_NOT_ENABLED"
	| "ERR_ENROLLMENT_INVALID"
	| "ERR_TOO_MANY_ATTEMPTS"
	| "ERR_WEBHOOK_TARGET_REFUSED"
	| "ERR_DELIVERY_NOT_RETRYABLE"
	| "ERR_GROUP_NAME_INVALID"
	| "ERR_OIDC_DISABLED"
	| "ERR_OIDC_CLIENT_EXISTS"
	| "ERR_OIDC_CLIENT_READ_ONLY"
	| "ERR_MAIL_LIMIT"
	| "ERR_KEY_UNAVAILABLE"
	| "ERR_KEY_IN_USE"
	| "ERR_ACCOUNT_DISABLED"
	| "ERR_STORAGE_UNAVAILABLE"
	| "ERR_CONFIG_INVALID";

/** Options every deadbolt error takes. */
export interface DeadboltErrorOptions {
	/** The underlying error (driver failure, ...): logged, never sent. */
	cause?: unknown;
	/** A precise, machine-readable reason for the log (`"mismatch"`, `"reused"`, ...); never sent. */
	reason?: string;
}

/** Base class of every error deadbolt throws on purpose. Branch on `code` or `instanceof`. */
export abstract class DeadboltError extends Error {
	/** The stable code of this class. */
	static code: DeadboltErrorCode;
	/** The stable code; also on the class as `static code`. */
	abstract readonly code: DeadboltErrorCode;
	/** Logged-only detail. */
	readonly reason: string | undefined;

	constructor(message: string, options: DeadboltErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = new.target.name;
		this.reason = options.reason;
	}
}

/** One problem in a request, as shown to the client (for example a password-policy rule). */
export interface Violation {
	/** The request field it concerns, e.g. `"password"`. */
	field: string;
	/** A stable machine word, e.g. `"too_short"`. */
	rule: string;
	/** A sentence the user understands. */
	message: string;
}

/** The request is well-formed JSON but its content is not acceptable. HTTP 400. */
export class InvalidRequest extends DeadboltError {
	static override code = "ERR_INVALID_REQUEST" as const;
	readonly code = "ERR_INVALID_REQUEST" as const;
	/** What is wrong, field by field (may be empty). */
	readonly violations: readonly Violation[];
	constructor(message = "The request is not valid.", violations: readonly Violation[] = [], options?: DeadboltErrorOptions) {
		super(message, options);
		this.violations = violations;
	}
}

/** Unknown email or wrong password; the two are never told apart. HTTP 401. */
export class InvalidCredentials extends DeadboltError {
	static override code = "ERR_INVALID_CREDENTIALS" as const;
	readonly code = "ERR_INVALID_CREDENTIALS" as const;
	constructor(message = "The email or password is incorrect.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** A TOTP setting of the key URI (`totp.algorithm`, `totp.digits`, `totp.periodSeconds`). */
export type TOTPSettingName = "algorithm" | "digits" | "periodSeconds";

/**
 * Why a code was refused, told to a user who holds the key: at setup (the key was just shown) and
 * at re-authentication (the password was just proved). Never at sign-in, where wrong and reused
 * codes answer alike (DESIGN §4 rule 6). Sent as the JSON error's `reason`.
 * - `expired`: the code of a time step that just ended (a step or two beyond the drift window)
 * - `already_used`: the code of a time step already used (the replay guard, RFC 6238 §5.2)
 * - `wrong`: right for no nearby time step of this key (another account's entry, a stale scan)
 * - `clock_skew`: right for a time minutes away: the device's clock is off (`clockSkewSeconds`)
 * - `app_ignores_settings`: what an app ignoring the setup's settings shows (`ignoredSettings`)
 * - `malformed`: neither a code of the right number of digits nor (at re-authentication) a recovery code
 * - `recovery_code_used`: one of the account's recovery codes, already used
 * - `recovery_code_wrong`: not one of the account's recovery codes (an older set, a typo)
 */
export type CodeRefusalReason = "expired" | "already_used" | "wrong" | "clock_skew" | "app_ignores_settings" | "malformed" | "recovery_code_used" | "recovery_code_wrong";

/** Every {@link CodeRefusalReason}, in the order documented. */
export const CODE_REFUSAL_REASONS: readonly CodeRefusalReason[] = Object.freeze(["expired", "already_used", "wrong", "clock_skew", "app_ignores_settings", "malformed", "recovery_code_used", "recovery_code_wrong"]);

/** A wrong, reused or malformed TOTP or recovery code; `reason` says which, in the log only. HTTP 401. */
export class InvalidCode extends DeadboltError {
	static override code = "ERR_INVALID_CODE" as const;
	readonly code = "ERR_INVALID_CODE" as const;
	/**
	 * When the refused code is the right code for a time a few minutes away: how far the device's
	 * clock seems off, in seconds (negative: behind). Such a code is never accepted.
	 */
	readonly clockSkewSeconds: number | null;
	/**
	 * At setup, when the refused code is what an authenticator app shows if it ignores these
	 * settings (shows them at SHA1, 6 digits, 30 s): which ones. Such a code is never accepted.
	 */
	readonly ignoredSettings: readonly TOTPSettingName[] | null;
	/**
	 * Where the user holds the key (setup, re-authentication): why the code was refused, also said
	 * by the message. Null at sign-in, where every refusal answers alike.
	 */
	readonly refusal: CodeRefusalReason | null;
	constructor(message = "That code is not valid or was already used. Wait for the next code in your authenticator app and try again.", options?: DeadboltErrorOptions & { clockSkewSeconds?: number; ignoredSettings?: readonly TOTPSettingName[]; refusal?: CodeRefusalReason }) {
		super(message, options);
		this.clockSkewSeconds = options?.clockSkewSeconds ?? null;
		this.ignoredSettings = options?.ignoredSettings === undefined ? null : Object.freeze([...options.ignoredSettings]);
		this.refusal = options?.refusal ?? null;
	}
}

/** The login challenge is unknown, expired, already used or out of attempts. HTTP 401. */
export class ChallengeInvalid extends DeadboltError {
	static override code = "ERR_CHALLENGE_INVALID" as const;
	readonly code = "ERR_CHALLENGE_INVALID" as const;
	/** Why the sign-in attempt cannot go on (each with its own message, {@link CHALLENGE_END_MESSAGES}). */
	readonly ended: ChallengeEnd;
	constructor(ended: ChallengeEnd = "expired", options?: DeadboltErrorOptions) {
		super(CHALLENGE_END_MESSAGES[ended], options);
		this.ended = ended;
	}
}

/**
 * Why a login challenge cannot go on: `expired` (its 10 minutes passed), `too_many_codes` (its
 * code attempts are spent), `ended` (it already signed in, or was ended by a sign-out, a lock
 * or a security change),
 * `security_changed` (the password, the authenticator or 2FA changed, or every session was ended,
 * after the password was entered), `unknown` (no such sign-in attempt).
 */
export type ChallengeEnd = "expired" | "too_many_codes" | "ended" | "security_changed" | "unknown";

/** The message of each {@link ChallengeEnd}: what happened, and what to do next (docs/errors.md). */
export const CHALLENGE_END_MESSAGES: Readonly<Record<ChallengeEnd, string>> = Object.freeze({
	expired: "This sign-in attempt expired before a code was entered. Sign in again.",
	too_many_codes: "Too many wrong codes for this sign-in attempt. For your security, sign in again with your password to get new tries.",
	ended: "This sign-in attempt has ended: it was already used, or cancelled by a sign-out, a lock after too many wrong codes, or a change to the account's security. Sign in again.",
	security_changed: "This account's security settings changed after the password was entered (a new password, a new authenticator, or two-factor authentication turned off). Sign in again.",
	unknown: "This sign-in attempt is not valid (it may have ended). Sign in again.",
});

/** The sign-in link is unknown, expired or already used. HTTP 401. */
export class SignInLinkInvalid extends DeadboltError {
	static override code = "ERR_SIGN_IN_LINK_INVALID" as const;
	readonly code = "ERR_SIGN_IN_LINK_INVALID" as const;
	constructor(message = "This sign-in link has expired or was already used. Ask for a new one.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * A mailed link (verify an address, finish a sign-up, reset a password, confirm a new address) is
 * unknown, expired, already used, or out of code attempts. HTTP 401.
 */
export class EmailLinkInvalid extends DeadboltError {
	static override code = "ERR_EMAIL_LINK_INVALID" as const;
	readonly code = "ERR_EMAIL_LINK_INVALID" as const;
	constructor(message = "This link has expired or was already used. Ask for a new one.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** No session, or an expired or revoked one. HTTP 401. */
export class Unauthenticated extends DeadboltError {
	static override code = "ERR_UNAUTHENTICATED" as const;
	readonly code = "ERR_UNAUTHENTICATED" as const;
	constructor(message = "You are not signed in.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** A sensitive action needs a recent password (and code) confirmation. HTTP 403. */
export class ReauthenticationRequired extends DeadboltError {
	static override code = "ERR_REAUTH_REQUIRED" as const;
	readonly code = "ERR_REAUTH_REQUIRED" as const;
	constructor(message = "Please confirm it's you to continue: your password, and a code from your authenticator app if two-factor authentication is on.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** A cookie-authenticated unsafe request failed the cross-site request forgery check. HTTP 403. */
export class CSRFRejected extends DeadboltError {
	static override code = "ERR_CSRF_REJECTED" as const;
	readonly code = "ERR_CSRF_REJECTED" as const;
	constructor(message = "This request did not come from this site. Reload the page and try again.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** No such thing, or it belongs to someone else. HTTP 404. */
export class NotFound extends DeadboltError {
	static override code = "ERR_NOT_FOUND" as const;
	readonly code = "ERR_NOT_FOUND" as const;
	constructor(message = "Not found.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Registration with an email that already has an account. HTTP 409. */
export class EmailTaken extends DeadboltError {
	static override code = "ERR_EMAIL_TAKEN" as const;
	readonly code = "ERR_EMAIL_TAKEN" as const;
	constructor(message = "An account with this email already exists. Sign in instead.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Sign-up while `signUp.mode` is `closed`: accounts are created by operators. HTTP 403. */
export class SignUpClosed extends DeadboltError {
	static override code = "ERR_SIGN_UP_CLOSED" as const;
	readonly code = "ERR_SIGN_UP_CLOSED" as const;
	constructor(message = "Sign-up is closed: accounts are created by the operators of this service. Ask them for an account.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * A forward-auth endpoint was called by a client that is not in `http.trustedProxies`, with the
 * original request's headers: they are not believed (anyone could claim any URL). HTTP 400.
 */
export class ProxyNotTrusted extends DeadboltError {
	static override code = "ERR_PROXY_NOT_TRUSTED" as const;
	readonly code = "ERR_PROXY_NOT_TRUSTED" as const;
	constructor(message = "This endpoint answers only proxies listed in http.trustedProxies; the request came from another address. Add the proxy's address to http.trustedProxies.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** A forward-auth request without the original request's headers, or with malformed ones. HTTP 400. */
export class ForwardedRequestInvalid extends DeadboltError {
	static override code = "ERR_FORWARDED_REQUEST_INVALID" as const;
	readonly code = "ERR_FORWARDED_REQUEST_INVALID" as const;
	constructor(message = "The proxy did not say which request it asks about.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** An access rule (or the default policy) denies the request, or a token is not for this host. HTTP 403. */
export class AccessDenied extends DeadboltError {
	static override code = "ERR_ACCESS_DENIED" as const;
	readonly code = "ERR_ACCESS_DENIED" as const;
	constructor(message = "You do not have access to this page.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Signed in, but this app asks for a (more recent) second factor, or for 2FA to be set up first. HTTP 401. */
export class SecondFactorRequired extends DeadboltError {
	static override code = "ERR_SECOND_FACTOR_REQUIRED" as const;
	readonly code = "ERR_SECOND_FACTOR_REQUIRED" as const;
	constructor(message = "This app asks for a code from your authenticator app: confirm it's you to continue.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Signed in with an address that is not verified yet: only `bypass` rules let it through. HTTP 401. */
export class EmailNotVerified extends DeadboltError {
	static override code = "ERR_EMAIL_NOT_VERIFIED" as const;
	readonly code = "ERR_EMAIL_NOT_VERIFIED" as const;
	constructor(message = "Verify your email address first: open the link we mailed you.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Enrollment asked for while two-factor authentication is already on. HTTP 409. */
export class TOTPAlreadyEnabled extends DeadboltError {
	static override code = "ERR_TOTP_ALREADY_ENABLED" as const;
	readonly code = "ERR_TOTP_ALREADY_ENABLED" as const;
	constructor(message = "Two-factor authentication is already on.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * Removing the account's only authenticator: that is turning two-factor authentication off, which
 * asks for the password and a code (`disableTOTP`). HTTP 409.
 */
export class LastAuthenticator extends DeadboltError {
	static override code = "ERR_LAST_AUTHENTICATOR" as const;
	readonly code = "ERR_LAST_AUTHENTICATOR" as const;
	constructor(message = "This is your only authenticator app. Add another one first, or turn two-factor authentication off instead.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * Turning two-factor authentication off while the operator's policy (`twoFactorPolicy`) requires it
 * of the account. HTTP 409.
 */
export class TwoFactorRequired extends DeadboltError {
	static override code = "ERR_TWO_FACTOR_REQUIRED" as const;
	readonly code = "ERR_TWO_FACTOR_REQUIRED" as const;
	constructor(message = "Your administrator requires two-factor authentication for your account, so it cannot be turned off. To change phones, add the new one, then remove the old one.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** An action that needs two-factor authentication on, while it is off. HTTP 409. */
export class TOTPNotEnabled extends DeadboltError {
	static override code = "ERR_TOTP_NOT_ENABLED" as const;
	readonly code = "ERR_TOTP_NOT_ENABLED" as const;
	constructor(message = "Two-factor authentication is not on.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Confirmation without a pending enrollment, or after it expired. HTTP 409. */
export class EnrollmentInvalid extends DeadboltError {
	static override code = "ERR_ENROLLMENT_INVALID" as const;
	readonly code = "ERR_ENROLLMENT_INVALID" as const;
	constructor(message = "This setup has expired. Start setting up two-factor authentication again.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** Too many failed attempts; try again after `retryAfterSeconds`. HTTP 429 with `Retry-After`. */
export class TooManyAttempts extends DeadboltError {
	static override code = "ERR_TOO_MANY_ATTEMPTS" as const;
	readonly code = "ERR_TOO_MANY_ATTEMPTS" as const;
	/** Whole seconds until another attempt may succeed, >= 1. */
	readonly retryAfterSeconds: number;
	constructor(retryAfterSeconds: number, message?: string, options?: DeadboltErrorOptions) {
		const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
		super(message ?? `Too many failed attempts. Try again in ${describeSeconds(seconds)}.`, options);
		this.retryAfterSeconds = seconds;
	}
}

/**
 * Too many checks of this account's password or code are running at this moment (a burst of
 * parallel sign-ins), and this attempt waited for them in vain; nothing was checked or counted.
 * The same code and status as {@link TooManyAttempts} (429 with `Retry-After`), with a message
 * that says what happened; never answered as a wrong password.
 */
export class AttemptsInFlight extends TooManyAttempts {
	constructor(retryAfterSeconds: number, options?: DeadboltErrorOptions) {
		super(retryAfterSeconds, `Many sign-in attempts for this account are being checked at this moment, so yours was not checked. Try again in ${describeSeconds(Math.max(1, Math.ceil(retryAfterSeconds)))}.`, { reason: "attempts_in_flight", ...options });
	}
}

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
 * A group name given to the admin API or `deadbolt account groups --set` is not one (1 to 64 of
 * `a-z 0-9 . _ -`, starting with a letter or digit, after trimming and lowering ASCII letters:
 * `domain/access/group-name.ts`), or an account would get more groups than it may have. Nothing
 * was changed. HTTP 400.
 */
export class GroupNameInvalid extends DeadboltError {
	static override code = "ERR_GROUP_NAME_INVALID" as const;
	readonly code = "ERR_GROUP_NAME_INVALID" as const;
	constructor(message = "A group name is not valid: use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/**
 * The account is disabled by an operator (`service/admin-actions.ts`). Said only to someone who
 * proved the first factor (the right password, a live sign-in or reset link): a wrong password
 * still gets `InvalidCredentials`, so the answer tells a guesser nothing a wrong password does not.
 * HTTP 403.
 */
export class AccountDisabled extends DeadboltError {
	static override code = "ERR_ACCOUNT_DISABLED" as const;
	readonly code = "ERR_ACCOUNT_DISABLED" as const;
	constructor(message = "This account is disabled. Contact the site's support to have it enabled again.", options?: DeadboltErrorOptions) {
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

/**
 * A secret at rest names a key (by id) that this instance's key ring does not hold: a rolling
 * rotation made another key primary before every instance had it (docs/operations.md, "Key
 * rotation"). Never a guess with another key. Nothing was changed. HTTP 503; logged with the id.
 */
export class KeyUnavailable extends DeadboltError {
	static override code = "ERR_KEY_UNAVAILABLE" as const;
	readonly code = "ERR_KEY_UNAVAILABLE" as const;
	/** The id of the missing key (an id, never key material). */
	readonly keyId: string;
	constructor(keyId: string, message = "The service is temporarily unavailable. Try again shortly.", options?: DeadboltErrorOptions) {
		super(message, options);
		this.keyId = keyId;
	}
}

/**
 * A key cannot be retired (`deadbolt keys retire <id>`): it is a primary key of this instance,
 * or secrets or recovery codes still depend on it. Nothing was changed. HTTP 409 (CLI: exit 1).
 */
export class KeyInUse extends DeadboltError {
	static override code = "ERR_KEY_IN_USE" as const;
	readonly code = "ERR_KEY_IN_USE" as const;
	constructor(message: string, options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** The database cannot be reached; nothing was changed. HTTP 503. */
export class StorageUnavailable extends DeadboltError {
	static override code = "ERR_STORAGE_UNAVAILABLE" as const;
	readonly code = "ERR_STORAGE_UNAVAILABLE" as const;
	constructor(message = "The service is temporarily unavailable. Try again shortly.", options?: DeadboltErrorOptions) {
		super(message, options);
	}
}

/** The configuration is invalid; thrown at startup only, listing every problem. */
export class ConfigInvalid extends DeadboltError {
	static override code = "ERR_CONFIG_INVALID" as const;
	readonly code = "ERR_CONFIG_INVALID" as const;
	/** Every problem found, one sentence each. */
	readonly issues: readonly string[];
	constructor(issues: readonly string[], options?: DeadboltErrorOptions) {
		super(`Invalid configuration:\n- ${issues.join("\n- ")}`, options);
		this.issues = issues;
	}
}

/** Every concrete deadbolt error; `switch (error.code)` narrows it. */
export type AnyDeadboltError =
	| TwoFactorRequired
	| LastAuthenticator
	| InvalidRequest
	| InvalidCredentials
	| InvalidCode
	| ChallengeInvalid
	| SignInLinkInvalid
	| EmailLinkInvalid
	| Unauthenticated
	| ReauthenticationRequired
	| CSRFRejected
	| NotFound
	| EmailTaken
	| SignUpClosed
	| ProxyNotTrusted
	| ForwardedRequestInvalid
	| AccessDenied
	| SecondFactorRequired
	| EmailNotVerified
	| TOTPAlreadyEnabled
	| TOTPNotEnabled
	| EnrollmentInvalid
	| TooManyAttempts
	| WebhookTargetRefused
	| DeliveryNotRetryable
	| GroupNameInvalid
	| OidcDisabled
	| OidcClientExists
	| OidcClientReadOnly
	| MailLimitReached
	| KeyUnavailable
	| KeyInUse
	| StorageUnavailable
	| ConfigInvalid;

/** Every error class, in code order (used by docs tests and the status table). */
export const ERROR_CLASSES = Object.freeze([
	TwoFactorRequired,
	LastAuthenticator,
	InvalidRequest,
	InvalidCredentials,
	InvalidCode,
	ChallengeInvalid,
	SignInLinkInvalid,
	EmailLinkInvalid,
	Unauthenticated,
	ReauthenticationRequired,
	CSRFRejected,
	NotFound,
	EmailTaken,
	SignUpClosed,
	ProxyNotTrusted,
	ForwardedRequestInvalid,
	AccessDenied,
	SecondFactorRequired,
	EmailNotVerified,
	TOTPAlreadyEnabled,
	TOTPNotEnabled,
	EnrollmentInvalid,
	TooManyAttempts,
	WebhookTargetRefused,
	DeliveryNotRetryable,
	GroupNameInvalid,
	OidcDisabled,
	OidcClientExists,
	OidcClientReadOnly,
	MailLimitReached,
	KeyUnavailable,
	KeyInUse,
	AccountDisabled,
	StorageUnavailable,
	ConfigInvalid,
]);

function describeSeconds(seconds: number): string {
	if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
	const minutes = Math.ceil(seconds / 60);
	return `${minutes} minutes`;
}
