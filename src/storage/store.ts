/**
 * The storage contract: every backend (SQLite, PostgreSQL) implements {@link Store} and passes
 * the one suite in `test/storage/store-contract.ts` (DESIGN.md §3.6). No driver or Kysely type
 * appears here. Backends store opaque strings and bytes: encryption and hashing happen in
 * `service/`. Every single-use or counter operation is ONE conditional write whose affected-row
 * count decides the winner, and returns `boolean` ("did this call win?").
 *
 * All instants are epoch milliseconds (`UnixMillis`). A driver failure is thrown as
 * `StorageUnavailable` (from `errors.ts`), with the driver error as `cause`.
 */
import type { OidcClientRepository, OidcPayloadRepository } from "./oidc-records.js";
export type { OidcClientRecord, OidcClientRepository, OidcPayloadRecord, OidcPayloadRepository, OidcPayloadWrite } from "./oidc-records.js";
import type { UnixMillis } from "../platform/clock.js";
import type { DatabaseOperation } from "../platform/metrics.js";

/** An account. `email` is stored normalized (trimmed, lower case). */
export interface AccountRecord {
	readonly id: string;
	readonly email: string;
	/** argon2id PHC string, or null for an account without a password (created by an operator). */
	readonly passwordHash: string | null;
	readonly createdAt: UnixMillis;
	readonly updatedAt: UnixMillis;
	/** When the owner proved they receive mail at `email` (a verification link); null while unverified. */
	readonly emailVerifiedAt: UnixMillis | null;
	/**
	 * The groups the account belongs to (for access rules' `groups`, `Remote-Groups`): group names
	 * as `service/groups.ts` writes them (normalized, deduplicated, sorted); empty for none.
	 */
	readonly groups: readonly string[];
	/**
	 * When a link mailed to the (verified) address confirmed the account's second factor, as
	 * forward-auth `two_factor` rules require (a stolen password alone must not enroll its own
	 * authenticator and pass them: `service/two-factor-mail-confirmation.ts`); null: not confirmed,
	 * or 2FA is off. Kept when the authenticator is replaced (that needs both factors).
	 */
	readonly secondFactorMailConfirmedAt: UnixMillis | null;
	/**
	 * When an operator disabled the account (`service/admin-actions.ts`); null while it may sign in.
	 * A disabled account signs in nowhere (password, sign-in link, password reset, sessions, tokens)
	 * until an operator enables it.
	 */
	readonly disabledAt: UnixMillis | null;
}

/** A TOTP credential: pending (confirmedAt null, expiresAt set) or confirmed (confirmedAt set). */
export interface TOTPCredentialRecord {
	readonly id: string;
	readonly accountId: string;
	/** The key, sealed by `service/` (AES-256-GCM, bound to this row's id). */
	readonly secretCiphertext: Uint8Array;
	/** `"SHA1"`, `"SHA256"` or `"SHA512"`. */
	readonly algorithm: string;
	readonly digits: number;
	readonly periodSeconds: number;
	readonly createdAt: UnixMillis;
	readonly confirmedAt: UnixMillis | null;
	/** When a pending enrollment lapses; null once confirmed. */
	readonly expiresAt: UnixMillis | null;
	/**
	 * The last time step (RFC 6238 T) accepted from this authenticator; -1 when none. Informative:
	 * the replay check is the account's one record ({@link TOTPCredentialRepository.advanceTOTPStep}).
	 */
	readonly lastUsedStep: number;
	/** The session that started this enrollment (it alone may see and confirm it); null when unknown. */
	readonly enrollmentSessionId: string | null;
	/** The name its owner gave the authenticator ("Work phone"); null when none. */
	readonly name: string | null;
	/** When a code of it was last accepted; null when never. */
	readonly lastUsedAt: UnixMillis | null;
	/**
	 * What confirming this pending credential does with the account's other authenticators:
	 * `"add"` keeps them, `"replace"` removes them (a new phone); null: a first setup (or, for an
	 * account with 2FA on, `"replace"`). Null once confirmed.
	 */
	readonly purpose: TOTPEnrollmentPurpose | null;
}

/** What a pending authenticator is for, when the account has 2FA on already. */
export type TOTPEnrollmentPurpose = "add" | "replace";

/** One recovery code, stored only as a hash. */
export interface RecoveryCodeRecord {
	readonly id: string;
	readonly accountId: string;
	/**
	 * A code with a `lookupPrefix`: an argon2id PHC string (salted, with its costs). A code issued
	 * before migration 0008 (no prefix): HMAC-SHA-256 of the normalized code under the server key,
	 * lower-case hex. The service computes both; the store compares nothing but strings.
	 */
	readonly codeHash: string;
	/**
	 * The code's first characters, in clear, unique among the account's codes: what finds the one
	 * row to verify. null for codes issued before migration 0008 (found by `codeHash`).
	 */
	readonly lookupPrefix: string | null;
	readonly createdAt: UnixMillis;
	readonly usedAt: UnixMillis | null;
	/** The id of the HMAC key whose pepper (or hash) the code was made with (migration 0019); null or absent: `default`. */
	readonly hmacKeyId?: string | null;
}

/** A session. Only a hash of its secret is kept. */
export interface SessionRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** Authenticator assurance level reached: 1 password only, 2 password + second factor. */
	readonly aal: number;
	readonly createdAt: UnixMillis;
	readonly lastActiveAt: UnixMillis;
	/** Absolute end, whatever the activity. */
	readonly expiresAt: UnixMillis;
	/** Last time the user proved a factor in this session (sign-in counts). */
	readonly reauthenticatedAt: UnixMillis;
	readonly revokedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** The last time a TOTP or recovery code was typed in this session (sign-in or re-authentication); null: never (a remembered device stood in, or no 2FA). */
	readonly secondFactorAt: UnixMillis | null;
	/** How the session's holder proved who they are: authentication method values, space-separated (`"pwd otp mfa"`; `domain/access/authentication-methods.ts`). */
	readonly amr: string;
}

/** The state between a correct password and the second factor; grants nothing else. */
export interface LoginChallengeRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the challenge token secret, lower-case hex. */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	/** Code attempts made so far (reserved before each verification). */
	readonly attempts: number;
	readonly maxAttempts: number;
	readonly consumedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** What the holder proved before the code step: `"password"` or `"sign_in_link"`. */
	readonly firstFactor: string;
	/**
	 * `"sign_in"`: the code step follows. `"set_up_two_factor"`: the account must set up 2FA first
	 * (enforced, past its deadline); its token is only mailed or handed over by an operator, and it is
	 * never a sign-in challenge.
	 */
	readonly purpose: LoginChallengePurpose;
}

/** What a login challenge is for. */
export type LoginChallengePurpose = "sign_in" | "set_up_two_factor";

/** A one-time sign-in link: stands in for the password step once. Only a hash of its secret is kept. */
export interface SignInLinkRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the link token's secret, lower-case hex. */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly consumedAt: UnixMillis | null;
}

/** Proof of one key of a key ring (`server_key`, migration 0019): which key an id names. */
export interface ServerKeyRecord {
	readonly kind: "encryption" | "hmac";
	/** The key id (`keys.encryptionKeys[].id`, `keys.hmacKeys[].id`). */
	readonly keyId: string;
	/** hmac: HMAC-SHA-256 of a fixed text under the key, hex; encryption: a fixed text sealed under the key, base64. */
	readonly checkValue: string;
	readonly createdAt: UnixMillis;
	/** When `deadbolt keys retire` retired it; null while in use. */
	readonly retiredAt: UnixMillis | null;
}

/** A table holding sealed values that key rotation re-seals (`service/key-rotation.ts`). */
export type SealedValueSource = "totp_credential" | "oidc_client" | "signing_key" | "webhook_endpoint" | "delivery";

/** One sealed value of a {@link SealedValueSource}. */
export interface SealedValueRecord {
	/** The row's id (`signing_key`: its `kid`). */
	readonly id: string;
	/** `totp_credential` only: the account (part of the TOTP key's binding); null elsewhere. */
	readonly accountId: string | null;
	readonly sealed: Uint8Array;
}

/** How many unused recovery codes, of how many accounts, depend on one HMAC key. */
export interface RecoveryCodeKeyUse {
	/** The HMAC key id; null: codes made before migration 0019 (the key `default`). */
	readonly hmacKeyId: string | null;
	/** Codes made before migration 0008 (HMAC-SHA-256 hashes) or argon2id ones with a pepper. */
	readonly scheme: "hmac-sha256" | "argon2id";
	readonly codes: number;
	readonly accounts: number;
}

/** Proof of the server keys the database was set up with (one per database). */
export interface ServerKeyCheckRecord {
	/** HMAC-SHA-256 of a fixed text under the HMAC key, lower-case hex. */
	readonly hmacCheck: string;
	/** A fixed text sealed under the encryption key. */
	readonly sealedCheck: Uint8Array;
	readonly createdAt: UnixMillis;
}

/**
 * A key deadbolt signs assertions with (`service/signing-keys.ts`), shared by every instance.
 * The key of the highest generation is the one in use.
 */
export interface SigningKeyRecord {
	/** The key id (`kid`): the RFC 7638 SHA-256 thumbprint of the public key, base64url. */
	readonly kid: string;
	/** 1 for the first key, one more for each later one; at most one key per generation. */
	readonly generation: number;
	/** The JWS algorithm (RFC 7518 §3.1), e.g. `ES256`. */
	readonly algorithm: string;
	/** The private key as a JWK, sealed by `service/` (the store never sees it in clear). */
	readonly sealedPrivateJwk: Uint8Array;
	/** The public key as a JWK, JSON text. */
	readonly publicJwk: string;
	readonly createdAt: UnixMillis;
	/** When it starts signing (migration 0019): it is published in the JWKS before. null or absent: since `createdAt`. */
	readonly activatesAt?: UnixMillis | null;
	/** When it left the JWKS; null or absent while published. */
	readonly retiredAt?: UnixMillis | null;
}

/** Which counter of failures: the password step's, or the second factor's. Kept apart (STANDARDS §9.3). */
export type AuthFailureKind = "password" | "second_factor";

/** The failure counter of one account and kind. */
export interface AuthFailureRecord {
	readonly accountId: string;
	readonly kind: AuthFailureKind;
	/** Consecutive failures: attempts whose check failed (or that never settled: see `attemptsInFlight`). */
	readonly failureCount: number;
	readonly lastFailureAt: UnixMillis;
	/** Until when attempts are refused; null when not locked. */
	readonly lockedUntil: UnixMillis | null;
	/** How many times in a row this counter has locked (each lock counts one; a success resets it). */
	readonly lockoutCount: number;
	/**
	 * Attempts reserved before their check and not yet settled (checks in flight). They count
	 * against the limit like failures until they settle; 0 once `inFlightExpiresAt` has passed
	 * (what a process killed mid-check left reserved).
	 */
	readonly attemptsInFlight: number;
	/** The lease of `attemptsInFlight`, extended by each reservation; 0 when none was made. */
	readonly inFlightExpiresAt: UnixMillis;
}

/** How a reserved attempt ended: its check failed, succeeded, or never ran (`released`). */
export type AttemptOutcome = "failed" | "succeeded" | "released";

/** The arguments of {@link AuthFailureRepository.reserveAuthAttempt}. */
export interface AttemptReservationRequest {
	readonly now: UnixMillis;
	/** Failures last counted before this instant no longer count (the window, or the end of the last lock). */
	readonly windowStartsAt: UnixMillis;
	/** At most this many failures plus attempts in flight at once (`lockout.maxFailures`). */
	readonly maxAttempts: number;
	/** Until when the attempts in flight are held (the lease, renewed by this reservation). */
	readonly leaseExpiresAt: UnixMillis;
}

/** A "remember this device" token's row: only a hash of its secret is kept. */
export interface TrustedDeviceRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the current token secret, lower-case hex; it changes at every use (rotation). */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly lastUsedAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly revokedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
}

/** One entry of an account's security activity (audit trail). */
export interface SecurityEventRecord {
	readonly id: string;
	readonly accountId: string;
	/** A stable word such as `"login.succeeded"`, `"totp.enabled"`, `"password.changed"`. */
	readonly type: string;
	readonly createdAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** Safe facts about the event, JSON-encoded (never a secret, code or token). */
	readonly details: string;
}

/** Where an outbox delivery goes: a mail to a person, or an HTTP POST to another app (a signed webhook message, an OpenID Connect back-channel logout). */
export type DeliveryChannel = "email" | "webhook";

/** A delivery's state: waiting (or retrying), done, or given up on after the last attempt (dead letter). */
export type DeliveryStatus = "pending" | "delivered" | "dead";

/**
 * One message of the transactional outbox, for one recipient. Written in the transaction of the
 * change it reports; delivered at least once by a dispatcher that holds its lease. Its `id` is the
 * stable message id (the Standard Webhooks `webhook-id`, the mail's Message-ID): a redelivery keeps it.
 */
export interface DeliveryRecord {
	readonly id: string;
	/** The security event this reports; null for a message that reports none (a sign-up link before any account exists). */
	readonly eventId: string | null;
	/** The account concerned, or null (a sign-up before the account exists). */
	readonly accountId: string | null;
	readonly channel: DeliveryChannel;
	/** What is said: an event type (`"login.locked"`) or a mail kind (`"email.verify"`). */
	readonly kind: string;
	/** `"email"`: the address; `"webhook"`: the endpoint id (`config:<n>` for the config file's n-th endpoint, else a stored endpoint's id), or `oidc:<clientId>` for an OpenID Connect back-channel logout. */
	readonly target: string;
	/** Safe facts as JSON (never a secret, code or token): what the message is built from. */
	readonly payload: string;
	/** A secret the message must carry (a link's token), sealed by `service/` with the server key; cleared once delivered or dead. */
	readonly sealedSecret: Uint8Array | null;
	readonly status: DeliveryStatus;
	/** Attempts made so far. */
	readonly attempts: number;
	/** Not before this instant (backoff); a pending delivery is due when this has passed. */
	readonly nextAttemptAt: UnixMillis;
	/** Until when a dispatcher holds it (claimed, being sent); 0 when nobody does. */
	readonly leaseExpiresAt: UnixMillis;
	/** The dispatcher holding the lease (a random id per process), or null. */
	readonly leaseOwner: string | null;
	/** The last attempt's failure in a few words (`"HTTP 500"`, `"ECONNREFUSED"`), never a secret; null when none failed. */
	readonly lastError: string | null;
	readonly createdAt: UnixMillis;
	readonly deliveredAt: UnixMillis | null;
}

/** Undelivered deliveries of one channel and status ({@link OutboxRepository.summarizeBacklog}). */
export interface DeliveryBacklogRecord {
	readonly channel: DeliveryChannel;
	readonly status: "pending" | "dead";
	/** How many (at least 1). */
	readonly count: number;
	/** When the oldest of them was queued. */
	readonly oldestCreatedAt: UnixMillis;
}

/** One attempt at a delivery, for the delivery log. */
export interface DeliveryAttemptRecord {
	readonly id: string;
	readonly deliveryId: string;
	readonly attemptedAt: UnixMillis;
	/** `"delivered"` or `"failed"`. */
	readonly outcome: "delivered" | "failed";
	/** The answer in a few words: `"HTTP 204"`, `"250 OK"`, `"ECONNREFUSED"`, `"timeout"`. Never a secret. */
	readonly detail: string;
	/** How long the attempt took, in milliseconds. */
	readonly durationMillis: number;
}

/** A webhook endpoint added through the admin API (the config file's endpoints are not stored). */
export interface WebhookEndpointRecord {
	readonly id: string;
	readonly url: string;
	/** JSON array of event types, or `["*"]` for every one. */
	readonly events: string;
	/** The Standard Webhooks signing secret (`whsec_...`), sealed by `service/` with the server key. */
	readonly sealedSecret: Uint8Array;
	readonly createdAt: UnixMillis;
	/** A short text the operator gave, or null. */
	readonly description: string | null;
}

/**
 * A personal access token (issue 12): a credential for programs behind the forward-auth proxy,
 * accepted only at the authz and introspection endpoints. Only a hash of its secret is kept.
 * State is `revokedAt` (and `expiresAt`); a revoked or expired row is kept until housekeeping.
 */
export interface AccessTokenRecord {
	readonly id: string;
	readonly accountId: string;
	/** What its owner called it (shown in the list). */
	readonly name: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** The hosts it may reach: a JSON array of normalized patterns (`"app.example.test"`, `"*.example.test"`). */
	readonly hosts: string;
	/** The assurance level of the session that created it (1 or 2): what a `two_factor` rule checks. */
	readonly aal: number;
	readonly createdAt: UnixMillis;
	/** Its end; every token has one. */
	readonly expiresAt: UnixMillis;
	/** The last accepted request (written at most once a minute); null: never used. */
	readonly lastUsedAt: UnixMillis | null;
	/** The client address of that request, as the proxy reported it; null when unknown or never used. */
	readonly lastUsedIp: string | null;
	readonly revokedAt: UnixMillis | null;
}

/** What an email token proves when its link is opened. */
export type EmailTokenPurpose = "verify_email" | "reset_password" | "change_email" | "sign_up" | "confirm_two_factor" | "approve_email_change";

/**
 * A single-use link sent by mail (verify the address, reset the password, confirm a new address,
 * finish a sign-up). Only a SHA-256 hash of its secret is kept.
 */
export interface EmailTokenRecord {
	readonly id: string;
	readonly purpose: EmailTokenPurpose;
	/** The account; null for `"sign_up"` in `signUp.mode` `verified` (no account until the link is opened). */
	readonly accountId: string | null;
	/** The address the link was sent to (normalized): the new address for `"change_email"`. */
	readonly email: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** `"sign_up"` only: the argon2id hash of the password chosen at sign-up; otherwise null. */
	readonly passwordHash: string | null;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly consumedAt: UnixMillis | null;
	/** `"reset_password"` for an account with 2FA: when the holder proved the second factor (before anything changes); null until then. */
	readonly secondFactorVerifiedAt: UnixMillis | null;
	/** Code attempts made with this link (reserved before each check). */
	readonly attempts: number;
	readonly ipAddress: string | null;
}

/** Accounts. */
export interface AccountRepository {
	/** Inserts an account. @returns false when the email is already taken (nothing written). */
	insertAccount(record: AccountRecord): Promise<boolean>;
	findAccountById(id: string): Promise<AccountRecord | null>;
	/**
	 * Account ids in ascending order, after `afterId` (exclusive; null: from the first): pages
	 * through every account (the step after a restore, `service/restored-database.ts`).
	 * @param limit - at most this many
	 */
	listAccountIdsAfter(afterId: string | null, limit: number): Promise<string[]>;
	/** @param email - already normalized */
	findAccountByEmail(email: string): Promise<AccountRecord | null>;
	/** Sets (or clears, with null) the password hash. @returns false when there is no such account. */
	updatePasswordHash(id: string, passwordHash: string | null, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the hash of the same password with one of higher cost (a rehash at sign-in), only
	 * while the stored hash is still `oldHash` (`UPDATE ... WHERE id = ? AND password_hash = :old`),
	 * and without touching `updated_at`: a rehash is not a password change, and a late one never
	 * undoes a change that landed first.
	 * @returns true when this call replaced it
	 */
	rehashPassword(id: string, oldHash: string, newHash: string): Promise<boolean>;
	/**
	 * Inside `Store.transaction`: holds the account's row lock until the transaction ends, so
	 * that use cases that must not interleave for one account (a password-only sign-in and turning
	 * 2FA on) run one after the other (PostgreSQL `SELECT ... FOR NO KEY UPDATE`; SQLite transactions are
	 * serialized already). Outside a transaction it only checks that the account exists.
	 * @returns false when there is no such account
	 */
	lockAccount(id: string): Promise<boolean>;
	/** Deletes the account and everything that belongs to it. @returns false when there was none. */
	deleteAccount(id: string): Promise<boolean>;
	/** Sets `email_verified_at` unless already set. @returns true when this call verified it */
	markEmailVerified(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the address (normalized) and marks it verified at `now` (it was confirmed by a link).
	 * @returns false when the address belongs to another account, or there is no such account (nothing written)
	 */
	changeEmail(id: string, email: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the account's groups with `groups` (stored as given, in that order) and sets
	 * `updated_at` to `now`.
	 * @returns false when there is no such account (nothing written)
	 */
	setAccountGroups(id: string, groups: readonly string[], now: UnixMillis): Promise<boolean>;
	/**
	 * Sets (an instant) or clears (null) when a mailed link confirmed the account's second factor.
	 * @returns false when there is no such account
	 */
	setSecondFactorMailConfirmedAt(id: string, confirmedAt: UnixMillis | null, now: UnixMillis): Promise<boolean>;
	/**
	 * Disables the account at `disabledAt` (only while it is enabled), or enables it (null; only
	 * while it is disabled), and sets `updated_at` to `now`. One conditional write.
	 * @returns true when this call changed the state (false: already so, or no such account)
	 */
	setAccountDisabled(id: string, disabledAt: UnixMillis | null, now: UnixMillis): Promise<boolean>;
}

/**
 * The operators' list of accounts (`service/admin-accounts.ts`): which accounts, in email order,
 * paged by a cursor (the last email of the previous page).
 */
export interface AccountListQuery {
	/** Only emails containing this text (already lower case); null for every account. */
	readonly search: string | null;
	/** Only emails starting with this text (already lower case); null for every account. */
	readonly prefix: string | null;
	/** true: only accounts with a confirmed authenticator; false: only those without; null: both. */
	readonly twoFactor: boolean | null;
	/** true: only accounts whose password or second factor is locked at `now`; false: only others. */
	readonly locked: boolean | null;
	/** true: only disabled accounts; false: only enabled ones. */
	readonly disabled: boolean | null;
	/** Only accounts in this group (a normalized group name); null for any. */
	readonly group: string | null;
	/** Only the account with exactly this email (one account's facts); absent or null for any. */
	readonly exactEmail?: string | null;
	/** Only emails after this one (the cursor); null from the start. */
	readonly afterEmail: string | null;
	/** At most this many (1 to 1000). */
	readonly limit: number;
	/** The instant locks are judged at. */
	readonly now: UnixMillis;
}

/** One account of the list, with the facts read with it in the same statement. */
export interface AccountListEntry {
	readonly account: AccountRecord;
	/** Whether it has a confirmed authenticator. */
	readonly twoFactorEnabled: boolean;
	/** The latest lock end of its password and second factor; null when never locked. */
	readonly lockedUntil: UnixMillis | null;
	/** When its newest session (kept or ended) began; null when none is kept. */
	readonly lastSignInAt: UnixMillis | null;
}

/** What is kept of an account an operator deleted (`deleted_account`). */
export interface DeletedAccountRecord {
	readonly accountId: string;
	readonly deletedAt: UnixMillis;
	/** When the account had been created. */
	readonly createdAt: UnixMillis;
	/** `"cli"` or `"admin_api"`. */
	readonly via: string;
	/** The operator's OS user (the CLI); null through the admin API. */
	readonly operator: string | null;
	readonly reason: string;
}

/** The operators' reads over every account, and the record of deleted ones. */
export interface AccountDirectoryRepository {
	/** A page of accounts, by email ascending (one statement, whatever the page's size). */
	listAccounts(query: AccountListQuery): Promise<AccountListEntry[]>;
	/** Records a deletion (inside the transaction that deletes the account). */
	insertDeletedAccount(record: DeletedAccountRecord): Promise<void>;
	findDeletedAccount(accountId: string): Promise<DeletedAccountRecord | null>;
}

/**
 * TOTP credentials: the account's authenticators (any number confirmed, issue 14) and at most one
 * pending enrollment. The account's replay record (`account.totp_replay_until_ms`) is shared by all
 * of them.
 */
export interface TOTPCredentialRepository {
	/** The account's most recently confirmed authenticator; null when 2FA is off. */
	findConfirmedTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null>;
	/** Every confirmed authenticator of the account, oldest confirmation first. */
	listConfirmedTOTPCredentials(accountId: string): Promise<readonly TOTPCredentialRecord[]>;
	/** The pending enrollment, whatever its expiry (the caller checks `expiresAt`). */
	findPendingTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null>;
	/** Deletes any pending credential of the account, then inserts `record` (confirmedAt null). */
	replacePendingTOTPCredential(record: TOTPCredentialRecord): Promise<void>;
	/**
	 * Confirms a pending credential that has not expired at `now` and records `step` as its last
	 * used step (and raises the account's replay record to the end of that step if it is earlier); with
	 * `replaceOthers`, deletes the account's other confirmed credentials (a new phone). One
	 * conditional write decides.
	 * @returns false when the credential is not pending, expired or gone.
	 */
	confirmTOTPCredential(id: string, step: number, now: UnixMillis, options: { readonly replaceOthers: boolean }): Promise<boolean>;
	/**
	 * The account's replay check (RFC 6238 §5.2), one compare-and-set shared by all its
	 * authenticators, as instants (authenticators may have steps of different lengths): `UPDATE
	 * account SET totp_replay_until_ms = <end of the step> WHERE id = ? AND totp_replay_until_ms <=
	 * <start of the step>`; the winner also records the step and `now` on the credential
	 * that matched (its "last used").
	 * @returns true for the one caller that advanced it; false when the step (or a later one) was
	 *   already accepted from any authenticator of the account
	 */
	advanceTOTPStep(credential: Pick<TOTPCredentialRecord, "id" | "accountId" | "periodSeconds">, step: number, now: UnixMillis): Promise<boolean>;
	/** Renames (null: unnames) a confirmed authenticator of the account. @returns false when there is no such one. */
	renameTOTPCredential(accountId: string, id: string, name: string | null): Promise<boolean>;
	/**
	 * Deletes one confirmed authenticator of the account, unless it is the last one (that is
	 * turning 2FA off, {@link deleteTOTPCredentials}). One conditional write decides; the caller holds
	 * the account's lock (`AccountRepository.lockAccount`), so two removals cannot both see the other.
	 * @returns `"deleted"`, `"last"` (not deleted) or `"none"` (no such authenticator)
	 */
	deleteTOTPCredential(accountId: string, id: string): Promise<"deleted" | "last" | "none">;
	/** Deletes every TOTP credential of the account, pending and confirmed. @returns how many. */
	deleteTOTPCredentials(accountId: string): Promise<number>;
}

/** Recovery codes: one row per code. */
export interface RecoveryCodeRepository {
	/**
	 * Deletes the account's codes and inserts `records` (the old set stops working). Lookup
	 * prefixes must be distinct within `records` (a unique index refuses a repeat).
	 */
	replaceRecoveryCodes(accountId: string, records: readonly RecoveryCodeRecord[]): Promise<void>;
	/**
	 * The account's unused code with this lookup prefix, or null (none, or used). Never a code of
	 * another account.
	 */
	findUnusedRecoveryCode(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null>;
	/**
	 * Marks the account's code `id` as used: `UPDATE ... WHERE id AND account_id AND used_at IS
	 * NULL` (a set replaced meanwhile has other ids).
	 * @returns true for the one caller that consumed it.
	 */
	consumeRecoveryCodeById(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Marks the unused code without a lookup prefix (issued before migration 0008) with this
	 * keyed hash as used: `UPDATE ... WHERE code_hash AND lookup_prefix IS NULL AND used_at IS NULL`.
	 * @returns true for the one caller that consumed it.
	 */
	consumeRecoveryCode(accountId: string, codeHash: string, now: UnixMillis): Promise<boolean>;
	/**
	 * The account's code with this hash, used or not: tells a code used up from one that is not
	 * the account's (re-authentication says which; sign-in never does).
	 * @returns null when the account has no code with this hash
	 */
	findRecoveryCodeByHash(accountId: string, codeHash: string): Promise<RecoveryCodeRecord | null>;
	/**
	 * The account's code with this lookup prefix, used or not (prefixes are unique within a set):
	 * tells a code used up from one that is not the account's, at re-authentication only.
	 * @returns null when the account has no code with this prefix
	 */
	findRecoveryCodeByPrefix(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null>;
	countUnusedRecoveryCodes(accountId: string): Promise<number>;
	/** Unused codes and their accounts per HMAC key and scheme, every account (`deadbolt keys status`). */
	countRecoveryCodesByHmacKey(): Promise<RecoveryCodeKeyUse[]>;
	/** @returns how many were deleted */
	deleteRecoveryCodes(accountId: string): Promise<number>;
}

/** Sessions. */
export interface SessionRepository {
	insertSession(record: SessionRecord): Promise<void>;
	findSession(id: string): Promise<SessionRecord | null>;
	/**
	 * The session and its account in one statement (`session LEFT JOIN account`): what every
	 * request that presents a session token reads (the forward-auth check, introspection, the
	 * dashboard and the API), one read instead of two (one round trip on PostgreSQL).
	 * @returns null when there is no such session; `account` null when its account is gone
	 */
	findSessionWithAccount(id: string): Promise<SessionWithAccountRecord | null>;
	/** Records activity. @returns false when the session is revoked or gone. */
	touchSession(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Records a fresh factor proof (re-authentication). With `secondFactor` (a TOTP or recovery code
	 * was typed now), the session is at AAL2 from then on, its `secondFactorAt` is `now` and its
	 * `amr` becomes `secondFactor.amr`.
	 * @returns false when revoked or gone.
	 */
	markSessionReauthenticated(id: string, now: UnixMillis, secondFactor?: { readonly amr: string }): Promise<boolean>;
	/**
	 * The account lost its second factor (2FA turned off in this session): the session is at AAL1
	 * from then on, its `secondFactorAt` null and its `amr` `amr`. @returns false when revoked or gone.
	 */
	lowerSessionToOneFactor(id: string, amr: string): Promise<boolean>;
	/**
	 * Replaces the secret of a live session, once (`UPDATE ... SET secret_hash = :new WHERE id = ?
	 * AND secret_hash = :old AND revoked_at IS NULL`): the old token stops working at once, the id
	 * stays. Of two rotations of the same token, one wins.
	 * @returns false when the session is unknown, revoked, or no longer has `oldSecretHash`
	 */
	replaceSessionSecret(id: string, oldSecretHash: string, newSecretHash: string): Promise<boolean>;
	/** @returns true when this call revoked it (it was active). */
	revokeSession(id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every active session of the account except `exceptId`. @returns how many. */
	revokeAccountSessions(accountId: string, now: UnixMillis, exceptId?: string): Promise<number>;
	/** Unrevoked sessions whose absolute expiry is after `now`, newest first. */
	listActiveSessions(accountId: string, now: UnixMillis): Promise<SessionRecord[]>;
	/**
	 * Records that the session reached `host` through the forward-auth proxy at `now`: inserts the
	 * row, or moves its `last_used_at` to `now` only when that is at least `minIntervalMillis` later
	 * (one write a minute per session and host, whatever the instances).
	 * @returns true when a row was written
	 */
	recordSessionApp(sessionId: string, host: string, now: UnixMillis, minIntervalMillis: number): Promise<boolean>;
	/** The hosts the sessions reached, newest first per session. */
	listSessionApps(sessionIds: readonly string[]): Promise<SessionAppRecord[]>;
}

/** A session as {@link SessionRepository.findSessionWithAccount} reads it, with its account. */
export interface SessionWithAccountRecord {
	readonly session: SessionRecord;
	/** null when the account is gone (a foreign key with ON DELETE CASCADE makes it rare: a race). */
	readonly account: AccountRecord | null;
}

/** A host behind the forward-auth proxy that a session reached (`session_app`). */
export interface SessionAppRecord {
	readonly sessionId: string;
	/** Normalized host (lower case, no port). */
	readonly host: string;
	readonly lastUsedAt: UnixMillis;
}

/** Login challenges. */
export interface LoginChallengeRepository {
	insertLoginChallenge(record: LoginChallengeRecord): Promise<void>;
	findLoginChallenge(id: string): Promise<LoginChallengeRecord | null>;
	/**
	 * Takes one attempt from the challenge's budget: `UPDATE ... SET attempts = attempts + 1
	 * WHERE id = ? AND consumed_at IS NULL AND expires_at > now AND attempts < max_attempts`.
	 * @returns false when it is consumed, expired or out of attempts.
	 */
	reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean>;
	/** Single use: `UPDATE ... SET consumed_at WHERE consumed_at IS NULL AND expires_at > now`. @returns true for the winner. */
	consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Ends every open challenge of the account (`UPDATE ... SET consumed_at = now WHERE account_id
	 * = ? AND consumed_at IS NULL`): after a password change, 2FA off, "sign out everywhere".
	 * @returns how many were open
	 */
	consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes challenges that expired before `now`. @returns how many. */
	deleteExpiredLoginChallenges(now: UnixMillis): Promise<number>;
}

/** One-time sign-in links. */
export interface SignInLinkRepository {
	insertSignInLink(record: SignInLinkRecord): Promise<void>;
	findSignInLink(id: string): Promise<SignInLinkRecord | null>;
	/** Single use: `UPDATE ... SET consumed_at WHERE consumed_at IS NULL AND expires_at > now`. @returns true for the winner. */
	consumeSignInLink(id: string, now: UnixMillis): Promise<boolean>;
	/** Ends every unused link of the account (a password change, "secure account"). @returns how many were open */
	consumeAccountSignInLinks(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes links that expired before `now`. @returns how many. */
	deleteExpiredSignInLinks(now: UnixMillis): Promise<number>;
}

/** The server-key check: written once, by the first instance that starts on the database. */
export interface ServerKeyCheckRepository {
	findServerKeyCheck(): Promise<ServerKeyCheckRecord | null>;
	/** Inserts the check unless one exists. @returns false when one already existed (nothing written). */
	insertServerKeyCheck(record: ServerKeyCheckRecord): Promise<boolean>;
	/** Every key proof of the key rings (retired ones too), by kind and id. */
	listServerKeys(): Promise<ServerKeyRecord[]>;
	/** Inserts a key proof unless one exists for its kind and id. @returns false when one existed (nothing written) */
	insertServerKey(record: ServerKeyRecord): Promise<boolean>;
	/**
	 * Marks a key retired (`UPDATE ... WHERE retired_at IS NULL`), inserting its proof first when
	 * `record` is given and there is none. @returns true when this call retired it
	 */
	retireServerKey(kind: ServerKeyRecord["kind"], keyId: string, now: UnixMillis): Promise<boolean>;
}

/** The sealed values of every table that holds some, for key rotation (`service/key-rotation.ts`). */
export interface SealedValueRepository {
	/** Up to `limit` rows of `source` with an id after `afterId` (`""`: from the first), in id order; rows without a sealed value are skipped. */
	listSealedValues(source: SealedValueSource, afterId: string, limit: number): Promise<SealedValueRecord[]>;
	/**
	 * Replaces a row's sealed value when it is still `previous` (one conditional update), so a
	 * concurrent change of the row (a new secret, a deletion) wins over the re-sealing.
	 * @returns true when the row was updated
	 */
	replaceSealedValue(source: SealedValueSource, id: string, previous: Uint8Array, next: Uint8Array): Promise<boolean>;
}

/** The signing keys of assertions: written by the first instance that needs one, read by all. */
export interface SigningKeyRepository {
	/**
	 * The key in use: the one of the highest generation that is active at `now` (no `activatesAt`,
	 * or one at or before `now`) and not retired; null when there is none yet.
	 * @param now - omitted: every key counts as active
	 */
	findCurrentSigningKey(now?: UnixMillis): Promise<SigningKeyRecord | null>;
	/** The key of the highest generation, active or not yet, retired or not; null when none. */
	findNewestSigningKey(): Promise<SigningKeyRecord | null>;
	/** Every key not retired, newest generation first (what the JWKS publishes). */
	listSigningKeys(): Promise<SigningKeyRecord[]>;
	/** Retires the keys (not retired yet) of generations below `generation`. @returns how many */
	retireSigningKeysBelow(generation: number, now: UnixMillis): Promise<number>;
	/**
	 * Inserts `record` unless a key of its generation (or its kid) exists: of instances racing to
	 * create the same generation, exactly one wins. @returns false when nothing was written
	 */
	insertSigningKey(record: SigningKeyRecord): Promise<boolean>;
}

/** Per-account failure counters (STANDARDS H-06, N-20): server-side, atomic. */
export interface AuthFailureRepository {
	findAuthFailure(accountId: string, kind: AuthFailureKind): Promise<AuthFailureRecord | null>;
	/**
	 * Reserves one attempt before its check, with one conditional upsert: only while no lock runs
	 * at `now` and the failures since `windowStartsAt` plus the live attempts in flight stay under
	 * `maxAttempts`. Of parallel callers, at most that many hold a reservation at once.
	 * @returns true when reserved; false when locked or full (the caller reads the row to tell which)
	 */
	reserveAuthAttempt(accountId: string, kind: AuthFailureKind, request: AttemptReservationRequest): Promise<boolean>;
	/**
	 * Settles a reserved attempt (an upsert), giving its reservation back. `"failed"` adds one
	 * failure, restarting the count at 1 when the last failure is older than `windowStartsAt`;
	 * `"succeeded"` forgets the failures, the lock and the locks in a row (the row goes when
	 * nothing else is in flight); `"released"` only gives the place back (the attempt was never
	 * checked). Settling with nothing reserved just counts (or forgets).
	 * @returns the failures counted after this call (0 after a success; unchanged after a release)
	 */
	settleAuthAttempt(accountId: string, kind: AuthFailureKind, outcome: AttemptOutcome, now: UnixMillis, windowStartsAt: UnixMillis): Promise<number>;
	/**
	 * Locks until `lockedUntil` and adds one to `lockoutCount`, unless a lock is still running at
	 * `now` (an upsert whose update is conditional: of parallel callers, one locks). The count is
	 * kept (failures before the lock's end stop counting because the caller passes
	 * `windowStartsAt >= lockedUntil` afterwards).
	 * @returns true when this call locked; false when a lock was already running
	 */
	lockAuthFailures(accountId: string, kind: AuthFailureKind, lockedUntil: UnixMillis, now: UnixMillis): Promise<boolean>;
	/** Forgets the counter (after a success). */
	clearAuthFailures(accountId: string, kind: AuthFailureKind): Promise<void>;
}

/** Trusted devices ("remember this device"). */
export interface TrustedDeviceRepository {
	insertTrustedDevice(record: TrustedDeviceRecord): Promise<void>;
	findTrustedDevice(id: string): Promise<TrustedDeviceRecord | null>;
	/**
	 * Single use of the current secret: `UPDATE ... SET secret_hash = :new, last_used_at = :now,
	 * expires_at = :expiresAt WHERE id = ? AND secret_hash = :old AND revoked_at IS NULL AND
	 * expires_at > :now`.
	 * @returns true for the one caller that rotated it
	 */
	rotateTrustedDevice(id: string, oldSecretHash: string, newSecretHash: string, now: UnixMillis, expiresAt: UnixMillis): Promise<boolean>;
	/** Unrevoked, unexpired devices of the account, most recently used first. */
	listActiveTrustedDevices(accountId: string, now: UnixMillis): Promise<TrustedDeviceRecord[]>;
	/** Revokes one device of this account. @returns false when it is not this account's, or already revoked */
	revokeTrustedDevice(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every active device of the account. @returns how many */
	revokeAccountTrustedDevices(accountId: string, now: UnixMillis): Promise<number>;
}

/** Security activity. */
export interface SecurityEventRepository {
	insertSecurityEvent(record: SecurityEventRecord): Promise<void>;
	/**
	 * The account's events, newest first (ties broken by id, descending).
	 * @param limit - at most this many (1 to 500)
	 * @param before - only events created strictly before this instant (paging); undefined for the newest
	 */
	listSecurityEvents(accountId: string, limit: number, before?: UnixMillis): Promise<SecurityEventRecord[]>;
}

/** The transactional outbox (DESIGN.md §3.10): deliveries and their attempt log. */
export interface OutboxRepository {
	/** Inserts deliveries (inside the transaction of the change they report). */
	insertDeliveries(records: readonly DeliveryRecord[]): Promise<void>;
	/**
	 * Detaches the account's pending webhook-channel deliveries (webhook messages, back-channel
	 * logouts) from it (`account_id` set to null), so that deleting the account (whose deliveries
	 * cascade) leaves them to be sent. Mails are not detached: they go with the account.
	 * @returns how many were detached
	 */
	detachPendingWebhookDeliveries(accountId: string): Promise<number>;
	/**
	 * Claims up to `limit` due deliveries for `owner` until `leaseExpiresAt`: pending ones whose
	 * `nextAttemptAt` has passed and whose lease is free or expired (a process killed mid-delivery
	 * leaves an expired lease). One conditional write per row decides (PostgreSQL `FOR UPDATE SKIP
	 * LOCKED`): of several dispatchers, each row goes to one. Oldest first.
	 * @returns the claimed deliveries, with the new lease
	 */
	claimDueDeliveries(owner: string, now: UnixMillis, leaseExpiresAt: UnixMillis, limit: number): Promise<DeliveryRecord[]>;
	/**
	 * Records an attempt and the delivery's new state, only while `owner` still holds the lease
	 * (`UPDATE ... WHERE id = ? AND lease_owner = :owner`), freeing the lease. Delivered or dead
	 * clears `sealedSecret`. The attempt is logged either way.
	 * @returns false when the lease was lost (another dispatcher took over; nothing changed but the log)
	 */
	settleDelivery(id: string, owner: string, outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: UnixMillis; readonly lastError: string | null; readonly deliveredAt: UnixMillis | null }, attempt: DeliveryAttemptRecord): Promise<boolean>;
	findDelivery(id: string): Promise<DeliveryRecord | null>;
	/** Deliveries newest first, optionally of one status, channel or account. @param limit - 1 to 500 */
	listDeliveries(filter: { readonly status?: DeliveryStatus; readonly channel?: DeliveryChannel; readonly accountId?: string; readonly limit: number }): Promise<DeliveryRecord[]>;
	/** A delivery's attempts, oldest first. */
	listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]>;
	/**
	 * Manual redelivery: a dead (or delivered) delivery becomes pending again, due at `now`, with its
	 * attempts set to 0; its id stays. A delivered one has lost its sealed secret: the caller refuses those that need it.
	 * @returns false when there is no such delivery or it is pending already
	 */
	retryDelivery(id: string, now: UnixMillis): Promise<boolean>;
	/** How many deliveries of this account and kind were created at or after `since` (alert rate limits). */
	countRecentDeliveries(accountId: string, kind: string, since: UnixMillis): Promise<number>;
	/** Housekeeping: deletes delivered and dead deliveries (and their attempts) created before `before`. @returns how many */
	deleteSettledDeliveries(before: UnixMillis): Promise<number>;
	/** Deliveries by status, for the backlog: `{ pending, delivered, dead }`. */
	countDeliveriesByStatus(): Promise<Readonly<Record<DeliveryStatus, number>>>;
	/**
	 * The undelivered deliveries for `/metrics`, in one grouped read: a row per channel and status
	 * (`pending`, `dead`) that has any, with how many and the oldest one's `createdAt`. A channel
	 * and status without deliveries has no row.
	 */
	summarizeBacklog(): Promise<DeliveryBacklogRecord[]>;
}

/** Webhook endpoints added through the admin API. */
export interface WebhookEndpointRepository {
	insertWebhookEndpoint(record: WebhookEndpointRecord): Promise<void>;
	findWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
	/** Every stored endpoint, oldest first. */
	listWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
	/** @returns false when there was none */
	deleteWebhookEndpoint(id: string): Promise<boolean>;
}

/** Single-use mailed links (verification, password reset, address change, sign-up). */
export interface EmailTokenRepository {
	insertEmailToken(record: EmailTokenRecord): Promise<void>;
	findEmailToken(id: string): Promise<EmailTokenRecord | null>;
	/** Single use: `UPDATE ... SET consumed_at WHERE id = ? AND consumed_at IS NULL AND expires_at > now`. @returns true for the winner */
	consumeEmailToken(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Takes one code attempt from the link's budget: `UPDATE ... SET attempts = attempts + 1 WHERE id = ?
	 * AND consumed_at IS NULL AND expires_at > now AND attempts < :maxAttempts`. @returns false when used, expired or out of attempts
	 */
	reserveEmailTokenAttempt(id: string, now: UnixMillis, maxAttempts: number): Promise<boolean>;
	/** Records that the holder proved the second factor (once). @returns true when this call set it */
	markEmailTokenSecondFactorVerified(id: string, now: UnixMillis): Promise<boolean>;
	/** Ends every open token of the account with this purpose (all purposes when omitted). @returns how many were open */
	consumeAccountEmailTokens(accountId: string, now: UnixMillis, purpose?: EmailTokenPurpose): Promise<number>;
	/** Ends every open token of this purpose mailed to this (normalized) address, whatever its account (a newer sign-up ends the older links). @returns how many were open */
	consumeEmailTokensForAddress(purpose: EmailTokenPurpose, email: string, now: UnixMillis): Promise<number>;
	/** How many tokens of this purpose were created at or after `since` for this account, this address, or this client IP (per-account and per-IP limits). */
	countRecentEmailTokens(purpose: EmailTokenPurpose, key: { readonly accountId: string } | { readonly email: string } | { readonly ipAddress: string }, since: UnixMillis): Promise<number>;
	/** Housekeeping: deletes tokens that expired before `now`. @returns how many */
	deleteExpiredEmailTokens(now: UnixMillis): Promise<number>;
}

/** Personal access tokens. */
export interface AccessTokenRepository {
	insertAccessToken(record: AccessTokenRecord): Promise<void>;
	findAccessToken(id: string): Promise<AccessTokenRecord | null>;
	/** The account's tokens that are not revoked (expired ones too, until housekeeping deletes them), newest first. */
	listAccountAccessTokens(accountId: string): Promise<AccessTokenRecord[]>;
	/**
	 * Records a use: `UPDATE ... SET last_used_at = :now, last_used_ip = :ipAddress WHERE id = ? AND
	 * revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at <= :unlessUsedAfter)`, so that of
	 * many requests (on many instances) within one interval, one writes.
	 * @returns true when this call wrote
	 */
	touchAccessToken(id: string, use: { readonly now: UnixMillis; readonly ipAddress: string | null; readonly unlessUsedAfter: UnixMillis }): Promise<boolean>;
	/** Revokes one token of this account (`account_id` in the condition). @returns false when it is not this account's, or already revoked */
	revokeAccessToken(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every token of the account not revoked yet (expired ones too). @returns how many */
	revokeAccountAccessTokens(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes tokens revoked, or expired, before `before`. @returns how many */
	deleteEndedAccessTokens(before: UnixMillis): Promise<number>;
}

/** Every repository, as one object. */
export interface Repositories {
	readonly accounts: AccountRepository;
	readonly accountDirectory: AccountDirectoryRepository;
	readonly totpCredentials: TOTPCredentialRepository;
	readonly recoveryCodes: RecoveryCodeRepository;
	readonly sessions: SessionRepository;
	readonly loginChallenges: LoginChallengeRepository;
	readonly authFailures: AuthFailureRepository;
	readonly trustedDevices: TrustedDeviceRepository;
	readonly securityEvents: SecurityEventRepository;
	readonly signInLinks: SignInLinkRepository;
	readonly serverKeyCheck: ServerKeyCheckRepository;
	readonly sealedValues: SealedValueRepository;
	readonly signingKeys: SigningKeyRepository;
	readonly outbox: OutboxRepository;
	readonly webhookEndpoints: WebhookEndpointRepository;
	readonly emailTokens: EmailTokenRepository;
	readonly accessTokens: AccessTokenRepository;
	readonly oidcPayloads: OidcPayloadRepository;
	readonly oidcClients: OidcClientRepository;
}

/** The store: repositories plus transactions. */
export interface Store extends Repositories {
	/** `"sqlite"` or `"postgres"`. */
	readonly dialect: "sqlite" | "postgres";
	/**
	 * Runs `fn` in one database transaction: it commits when `fn` resolves and rolls back
	 * (and rethrows) when it throws. Use only the repositories passed to `fn` inside it.
	 */
	transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
	/** Checks that the database answers (for `/readyz`). Throws `StorageUnavailable` when not. */
	ping(): Promise<void>;
	/** Closes the connections. */
	close(): Promise<void>;
	/**
	 * From now on, tells `observer` how long each repository call (normally one SQL statement; also
	 * those inside transactions) and each transaction (BEGIN to COMMIT or ROLLBACK) took; null
	 * stops it. For `/metrics` (`metrics.enabled`); without an observer a call costs one
	 * comparison more. One observer at a time: the last one set wins.
	 */
	observeDurations(observer: DurationObserver | null): void;
}

/** Told how long a database operation took, in seconds ({@link Store.observeDurations}). */
export type DurationObserver = (operation: DatabaseOperation, durationSeconds: number) => void;
