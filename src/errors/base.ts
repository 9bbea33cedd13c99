/**
 * The base of every deadbolt error: the stable codes, the options, the base class and the shape of one problem in a request.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
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
