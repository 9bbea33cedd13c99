/**
 * Errors about the request itself or what it names: invalid content, not found, an email taken, sign-up closed.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { DeadboltError, type DeadboltErrorOptions, type Violation } from "./base.js";

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
