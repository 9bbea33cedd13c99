/**
 * The shape of deadbolt as the ways in see it: {@link Deadbolt}, every use case bound to one
 * store, clock, random source, logger and key set, and the replacements tests and embedders may
 * give ({@link DeadboltOverrides}). Built by `createDeadbolt` (`deadbolt.ts`, the composition root).
 */
import type { Redis } from "ioredis";
import type { BrandingAssets } from "../config/branding.js";
import type { Config } from "../config/schema.js";
import type { createDispatcher, Dispatcher } from "../delivery/dispatcher.js";
import type { publicOrigin } from "../config/public-origin.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/logger.js";
import type { Metrics } from "../platform/metrics.js";
import type { RandomSource } from "../platform/random.js";
import type * as access from "../service/access.js";
import type * as accessTokens from "../service/access-tokens.js";
import type * as accessCheck from "../service/access-check.js";
import type * as introspection from "../service/introspection.js";
import type * as accounts from "../service/accounts.js";
import type * as forwardAuthSessions from "../service/forward-auth-sessions.js";
import type * as groups from "../service/groups.js";
import type { ServerKeys, ServiceDeps } from "../service/deps.js";
import type * as compromised from "../service/compromised.js";
import type * as deliveries from "../service/deliveries.js";
import type * as housekeeping from "../service/housekeeping.js";
import type * as login from "../service/login.js";
import type * as admin from "../service/admin.js";
import type * as adminAccounts from "../service/admin-accounts.js";
import type * as adminActions from "../service/admin-actions.js";
import type { normalizeRecoveryCode } from "../domain/recovery-codes/recovery-codes.js";
import type { hasAccessTokenPrefix } from "../domain/crypto/token.js";
import type * as passwordChange from "../service/password-change.js";
import type * as reauthentication from "../service/reauthentication.js";
import type * as recoveryCodes from "../service/recovery-codes.js";
import type * as restoredDatabase from "../service/restored-database.js";
import type * as twoFactorMailConfirmation from "../service/two-factor-mail-confirmation.js";
import type * as securityEvents from "../service/security-events.js";
import type * as trustedDevices from "../service/trusted-devices.js";
import type * as sessions from "../service/sessions.js";
import type * as signInLinks from "../service/sign-in-links.js";
import type * as signingKeys from "../service/signing-keys.js";
import type * as keyRotation from "../service/key-rotation.js";
import type { OidcServices } from "../service/oidc.js";
import type * as enrollment from "../service/totp-enrollment.js";
import type * as authenticators from "../service/authenticators.js";
import type * as requiredTwoFactor from "../service/required-two-factor.js";
import type * as webhookEndpoints from "../service/webhook-endpoints.js";
import type * as emailChange from "../service/email-change.js";
import type * as emailVerification from "../service/email-verification.js";
import type * as passwordReset from "../service/password-reset.js";
import type * as passwordResetCode from "../service/password-reset-code.js";
import type * as signUp from "../service/sign-up.js";
import type { PasswordHasher } from "../service/password-hasher.js";
import type { MetricsEndpoint } from "../service/metrics-endpoint.js";
import type { Store } from "../storage/store.js";

/** Replacements for tests and embedding; each defaults to the production choice. */
export interface DeadboltOverrides {
	store?: Store;
	clock?: Clock;
	random?: RandomSource;
	logger?: Logger;
	keys?: ServerKeys;
	/** The argon2id hasher (passwords and recovery codes); tests wrap the real one to count its runs. */
	passwords?: PasswordHasher;
	/** The SQLite file to open instead of `<dataDir>/deadbolt.sqlite` (`deadbolt restore` prepares a staged copy); ignored with PostgreSQL or `store`. */
	sqlitePath?: string;
}

type Bound<F> = F extends (deps: ServiceDeps, ...args: infer A) => infer R ? (...args: A) => R : never;

/** deadbolt's use cases, bound to one store, clock, random source, logger and key set. */
export interface Deadbolt {
	readonly config: Config;
	readonly logger: Logger;
	readonly clock: Clock;
	/** The origin users reach deadbolt at (`http.publicUrl`, or `http://host:port`): the base of every link it gives out. */
	readonly publicOrigin: string;
	/** Whether development keys (generated in the data directory) are in use. */
	readonly usingDevelopmentKeys: boolean;
	/** What deadbolt measures (`platform/metrics.ts`): Prometheus when `metrics.enabled`, else a no-op. */
	readonly metrics: Metrics;
	/** The `/metrics` endpoint (who may read it, and the text): null unless `metrics.enabled`, and then the route does not exist. */
	readonly metricsEndpoint: MetricsEndpoint | null;
	/** What the dashboard serves from `branding.*`: the accent palette and the logo, read and checked once at start. */
	readonly branding: BrandingAssets;
	registerAccount: Bound<typeof accounts.registerAccount>;
	beginLogin: Bound<typeof login.beginLogin>;
	completeLoginWithTOTP: Bound<typeof login.completeLoginWithTOTP>;
	completeLoginWithRecoveryCode: Bound<typeof login.completeLoginWithRecoveryCode>;
	abandonLoginChallenge: Bound<typeof login.abandonLoginChallenge>;
	logout: Bound<typeof sessions.logout>;
	validateSession: Bound<typeof sessions.validateSession>;
	/** Whether the session proved its factors within the re-authentication window (sudo mode), as every sensitive action decides it. */
	isRecentlyReauthenticated: Bound<typeof sessions.isRecentlyReauthenticated>;
	beginTOTPEnrollment: Bound<typeof enrollment.beginTOTPEnrollment>;
	confirmTOTPEnrollment: Bound<typeof enrollment.confirmTOTPEnrollment>;
	getPendingTOTPEnrollment: Bound<typeof enrollment.getPendingTOTPEnrollment>;
	isTwoFactorEnabled: Bound<typeof enrollment.isTwoFactorEnabled>;
	listAuthenticators: Bound<typeof authenticators.listAuthenticators>;
	renameAuthenticator: Bound<typeof authenticators.renameAuthenticator>;
	removeAuthenticator: Bound<typeof authenticators.removeAuthenticator>;
	beginRequiredTOTPSetup: Bound<typeof requiredTwoFactor.beginRequiredTOTPSetup>;
	confirmRequiredTOTPSetup: Bound<typeof requiredTwoFactor.confirmRequiredTOTPSetup>;
	twoFactorRequirementOf: Bound<typeof requiredTwoFactor.twoFactorRequirementOf>;
	/** The most authenticators an account may have (`MAX_AUTHENTICATORS`). */
	readonly maxAuthenticators: number;
	countUnusedRecoveryCodes: Bound<typeof recoveryCodes.countUnusedRecoveryCodes>;
	purgeExpired: Bound<typeof housekeeping.purgeExpired>;
	reauthenticate: Bound<typeof reauthentication.reauthenticate>;
	listSessions: Bound<typeof sessions.listSessions>;
	revokeSession: Bound<typeof sessions.revokeSession>;
	revokeOtherSessions: Bound<typeof sessions.revokeOtherSessions>;
	signOutEverywhere: Bound<typeof sessions.signOutEverywhere>;
	changePassword: Bound<typeof passwordChange.changePassword>;
	disableTOTP: Bound<typeof enrollment.disableTOTP>;
	regenerateRecoveryCodes: Bound<typeof recoveryCodes.regenerateRecoveryCodes>;
	listSecurityEvents: Bound<typeof securityEvents.listSecurityEvents>;
	listTrustedDevices: Bound<typeof trustedDevices.listTrustedDevices>;
	secureCompromisedAccount: Bound<typeof compromised.secureCompromisedAccount>;
	/** Operators' actions (admin API, CLI: `service/admin*.ts`), each audited with its `via`. */
	unlockAccount: Bound<typeof adminActions.unlockAccount>;
	signOutAccountEverywhere: Bound<typeof adminActions.signOutAccountEverywhere>;
	disableAccount: Bound<typeof adminActions.disableAccount>;
	enableAccount: Bound<typeof adminActions.enableAccount>;
	deleteAccount: Bound<typeof adminActions.deleteAccount>;
	resetTwoFactor: Bound<typeof adminActions.resetTwoFactor>;
	listAccounts: Bound<typeof adminAccounts.listAccounts>;
	showAccount: Bound<typeof adminAccounts.showAccount>;
	verifyAdminAPIKey: Bound<typeof admin.verifyAdminAPIKey>;
	/** After a restore: ends every session, device, link and token of every account and tells owners of recovery codes (`service/restored-database.ts`). */
	secureRestoredDatabase: Bound<typeof restoredDatabase.secureRestoredDatabase>;
	/** Replaces an account's groups (admin API, CLI), recorded as `account.groups_changed` (`service/groups.ts`). */
	setAccountGroups: Bound<typeof groups.setAccountGroups>;
	/** The groups of the account with an email (the CLI). */
	findAccountGroups: Bound<typeof groups.findAccountGroups>;
	addWebhookEndpoint: Bound<typeof webhookEndpoints.addWebhookEndpoint>;
	listWebhookEndpoints: Bound<typeof webhookEndpoints.listWebhookEndpoints>;
	removeWebhookEndpoint: Bound<typeof webhookEndpoints.removeWebhookEndpoint>;
	listDeliveries: Bound<typeof deliveries.listDeliveries>;
	showDelivery: Bound<typeof deliveries.showDelivery>;
	retryDelivery: Bound<typeof deliveries.retryDelivery>;
	retryDeadDeliveries: Bound<typeof deliveries.retryDeadDeliveries>;
	createAccountWithoutPassword: Bound<typeof signInLinks.createAccountWithoutPassword>;
	issueSignInLink: Bound<typeof signInLinks.issueSignInLink>;
	describeSignInLink: Bound<typeof signInLinks.describeSignInLink>;
	redeemSignInLink: Bound<typeof signInLinks.redeemSignInLink>;
	/** A typed recovery code in its canonical form (either format), or null when it cannot be one. */
	normalizeRecoveryCode: typeof normalizeRecoveryCode;
	/**
	 * A keyed fingerprint (HMAC-SHA-256 under the server key) of a typed recovery code, or null when
	 * it cannot be one: for UIs that check a code the user typed back against codes they showed,
	 * without putting a fast hash of a code in a page (see `dashboard/recovery-code-check.ts`).
	 */
	recoveryCodeFingerprint: Bound<typeof recoveryCodes.recoveryCodeFingerprint>;
	revokeTrustedDevice: Bound<typeof trustedDevices.revokeTrustedDevice>;
	revokeAllTrustedDevices: Bound<typeof trustedDevices.revokeAllTrustedDevices>;
	/** Sign-up as `signUp.mode` says (open: signed in, unverified; verified: a link mailed; closed: refused). */
	signUp: Bound<typeof signUp.signUp>;
	describeSignUp: Bound<typeof signUp.describeSignUp>;
	finishSignUp: Bound<typeof signUp.finishSignUp>;
	resendVerificationMail: Bound<typeof emailVerification.resendVerificationMail>;
	describeEmailVerification: Bound<typeof emailVerification.describeEmailVerification>;
	verifyEmail: Bound<typeof emailVerification.verifyEmail>;
	requestEmailChange: Bound<typeof emailChange.requestEmailChange>;
	describeEmailChange: Bound<typeof emailChange.describeEmailChange>;
	confirmEmailChange: Bound<typeof emailChange.confirmEmailChange>;
	describeEmailChangeApproval: Bound<typeof emailChange.describeEmailChangeApproval>;
	approveEmailChange: Bound<typeof emailChange.approveEmailChange>;
	emailChangeNeedsApproval: typeof emailChange.emailChangeNeedsApproval;
	requestTwoFactorMailConfirmation: Bound<typeof twoFactorMailConfirmation.requestTwoFactorMailConfirmation>;
	describeTwoFactorMailConfirmation: Bound<typeof twoFactorMailConfirmation.describeTwoFactorMailConfirmation>;
	confirmTwoFactorByMail: Bound<typeof twoFactorMailConfirmation.confirmTwoFactorByMail>;
	requestPasswordReset: Bound<typeof passwordReset.requestPasswordReset>;
	describePasswordReset: Bound<typeof passwordReset.describePasswordReset>;
	provePasswordResetSecondFactor: Bound<typeof passwordResetCode.provePasswordResetSecondFactor>;
	resetPassword: Bound<typeof passwordReset.resetPassword>;
	/** A forward-auth request's outcome: allow (and who), sign in, step up, set up 2FA, verify the address, deny (`service/access.ts`). */
	decideAccess: Bound<typeof access.decideAccess>;
	/** Whether a TCP peer is in `http.trustedProxies` (only such a proxy is believed about the original request). */
	isTrustedProxy: Bound<typeof access.isTrustedProxy>;
	/** The `rd` URL when it may be followed (a host of a rule that is not deny, the public URL's scheme), else null. */
	returnTarget: Bound<typeof access.returnTarget>;
	/** The CSP `form-action` sources of the apps a sign-in may return to (`service/access.ts`). */
	returnTargetSources: Bound<typeof access.returnTargetSources>;
	/** The forward-auth cookie's token for a session token (`service/forward-auth-sessions.ts`). */
	forwardAuthToken: Bound<typeof forwardAuthSessions.forwardAuthToken>;
	/** Creates a personal access token (sudo mode, verified address); the token is returned once (`service/access-tokens.ts`). */
	createAccessToken: Bound<typeof accessTokens.createAccessToken>;
	/** The account's personal access tokens (not revoked; expired ones marked). */
	listAccessTokens: Bound<typeof accessTokens.listAccessTokens>;
	revokeAccessToken: Bound<typeof accessTokens.revokeAccessToken>;
	revokeAllAccessTokens: Bound<typeof accessTokens.revokeAllAccessTokens>;
	/** Checks a personal access token for a host (null: no host check, for introspection); records its use. */
	validateAccessToken: Bound<typeof accessTokens.validateAccessToken>;
	/** Whether a presented credential claims to be a personal access token (`dbpat_...`): never a session, whatever else it is. */
	hasAccessTokenPrefix: typeof hasAccessTokenPrefix;
	/** Checks a backend's introspection key (`keys.introspectionKeys`; `service/introspection.ts`). */
	verifyIntrospectionKey: Bound<typeof introspection.verifyIntrospectionKey>;
	/** Whether a session token, forward-auth token or personal access token is live, and whose it is. */
	introspect: Bound<typeof introspection.introspect>;
	/** Which access rule decides a request and what an account needs (`deadbolt access check`; `service/access-check.ts`). */
	explainAccess: Bound<typeof accessCheck.explainAccess>;
	/** The original request a proxy asks about (`service/access.ts`); throws ForwardedRequestInvalid. */
	originalRequest: typeof access.originalRequest;
	/** The `Remote-Assertion` JWT of an allowed request: ES256, audience = the host, valid 60 s (`service/signing-keys.ts`). */
	issueAssertion: Bound<typeof signingKeys.issueAssertion>;
	/** deadbolt's JWK Set (`/.well-known/jwks.json`): the public signing keys assertions verify against. */
	publicJWKS: Bound<typeof signingKeys.publicJWKS>;
	/** What depends on each key id (`deadbolt keys status`; `service/key-rotation.ts`). */
	keyStatus: Bound<typeof keyRotation.keyStatus>;
	/** The key ids sealed values or recovery codes depend on that the configured rings lack (`deadbolt restore` refuses them). */
	keysMissingFromRings: Bound<typeof keyRotation.keysMissingFromRings>;
	/** Re-seals every sealed value under the primary encryption key, in batches, resumable (`deadbolt keys rotate`). */
	resealUnderPrimary: Bound<typeof keyRotation.resealUnderPrimary>;
	/** Retires a key id when nothing depends on it (`deadbolt keys retire`); throws KeyInUse otherwise. */
	retireKey: Bound<typeof keyRotation.retireKey>;
	/** A new signing key published ahead, old ones retired after the longest token life (`deadbolt keys rotate --signing`). */
	rotateSigningKey: Bound<typeof keyRotation.rotateSigningKey>;
	/** The OpenID Connect provider's use cases (`service/oidc.ts`; its room is `oidc/`). */
	readonly oidc: OidcServices;
	/**
	 * The Redis client through which instances share the per-IP limits (`rateLimit.redisUrl`), not
	 * yet connected (the HTTP app connects it when it starts); null when none is configured and each
	 * process counts on its own. See {@link openRateLimitRedis}.
	 */
	readonly rateLimitRedis: Redis | null;
	/**
	 * Creates this process's outbox dispatcher (`delivery/dispatcher.ts`), not started: `serve`
	 * starts it; tests call its `runOnce`. Decides where mails go and logs it once.
	 * Deliveries queued by a committed transaction wake it at once; {@link Deadbolt.close} stops it.
	 * @throws ConfigInvalid for mail settings that are refused at start (`delivery/mail.ts`, `planMailTransport`)
	 */
	createDispatcher(): Dispatcher;
	/** Resolves when the database answers; throws StorageUnavailable when not (for `/readyz`). Redis is not checked. */
	ready(): Promise<void>;
	/** Stops the dispatchers (waiting for the sends under way), closes the store and disconnects the Redis client, if any. */
	close(): Promise<void>;
}
