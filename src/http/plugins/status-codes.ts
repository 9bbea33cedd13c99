/**
 * The one table from error code to HTTP status (DESIGN.md §3.4). `satisfies` makes it
 * exhaustive: a new code does not compile until it is mapped here.
 */
import type { DeadboltErrorCode } from "../../errors.js";

/** HTTP status of every deadbolt error code. */
export const STATUS_BY_CODE = Object.freeze({
	ERR_INVALID_REQUEST: 400,
	ERR_INVALID_CREDENTIALS: 401,
	ERR_INVALID_CODE: 401,
	ERR_CHALLENGE_INVALID: 401,
	ERR_SIGN_IN_LINK_INVALID: 401,
	ERR_EMAIL_LINK_INVALID: 401,
	ERR_UNAUTHENTICATED: 401,
	ERR_REAUTH_REQUIRED: 403,
	ERR_CSRF_REJECTED: 403,
	ERR_NOT_FOUND: 404,
	ERR_EMAIL_TAKEN: 409,
	ERR_SIGN_UP_CLOSED: 403,
	ERR_TOTP_ALREADY_ENABLED: 409,
	ERR_TOTP_NOT_ENABLED: 409,
	ERR_ENROLLMENT_INVALID: 409,
	ERR_TOO_MANY_ATTEMPTS: 429,
	ERR_WEBHOOK_TARGET_REFUSED: 400,
	ERR_DELIVERY_NOT_RETRYABLE: 409,
	ERR_MAIL_LIMIT: 429,
	ERR_STORAGE_UNAVAILABLE: 503,
	ERR_CONFIG_INVALID: 500,
} as const) satisfies Record<DeadboltErrorCode, number>;
