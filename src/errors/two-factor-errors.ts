/**
 * Errors of managing two-factor authentication: enrollment, authenticators, an operator's requirement.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { DeadboltError, type DeadboltErrorOptions } from "./base.js";

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
