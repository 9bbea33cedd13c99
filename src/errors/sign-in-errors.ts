/**
 * Errors of signing in and proving who one is: credentials, codes, login challenges, links, sessions, re-authentication, CSRF, throttling, disabled accounts.
 * Re-exported by `errors.ts` (the one place the rest of deadbolt imports errors from).
 */
import { describeSeconds } from "./describe-seconds.js";
import { DeadboltError, type DeadboltErrorOptions } from "./base.js";

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

