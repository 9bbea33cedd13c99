/**
 * deadbolt's errors: one base class, one subclass per stable code (DESIGN.md §3.4, after
 * panva/jose `src/util/errors.ts`). Messages are safe to show to a user; internal detail goes
 * to `cause` and to `reason`, which are logged and never sent to the client. HTTP statuses
 * live in `http/plugins/status-codes.ts`, not here. Every code is documented in
 * `docs/errors.md` (kept in sync by `test/docs.test.ts`).
 */
import { AccessDenied, EmailNotVerified, ForwardedRequestInvalid, GroupNameInvalid, ProxyNotTrusted, SecondFactorRequired } from "./errors/access-errors.js";
import { DeliveryNotRetryable, MailLimitReached, OidcClientExists, OidcClientReadOnly, OidcDisabled, WebhookTargetRefused } from "./errors/integration-errors.js";
import { ConfigInvalid, KeyInUse, KeyUnavailable, StorageUnavailable } from "./errors/operation-errors.js";
import { EmailTaken, InvalidRequest, NotFound, SignUpClosed } from "./errors/request-errors.js";
import { AccountDisabled, CSRFRejected, ChallengeInvalid, EmailLinkInvalid, InvalidCode, InvalidCredentials, ReauthenticationRequired, SignInLinkInvalid, TooManyAttempts, Unauthenticated } from "./errors/sign-in-errors.js";
import { EnrollmentInvalid, LastAuthenticator, TOTPAlreadyEnabled, TOTPNotEnabled, TwoFactorRequired } from "./errors/two-factor-errors.js";
export * from "./errors/base.js";
export * from "./errors/request-errors.js";
export * from "./errors/sign-in-errors.js";
export * from "./errors/two-factor-errors.js";
export * from "./errors/access-errors.js";
export * from "./errors/integration-errors.js";
export * from "./errors/operation-errors.js";

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
	| AccountDisabled
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
