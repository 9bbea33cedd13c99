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
import type { AccountDirectoryRepository, AccountRepository } from "./account-records.js";
import type { OutboxRepository, SecurityEventRepository, WebhookEndpointRepository } from "./delivery-records.js";
import type { SealedValueRepository, ServerKeyCheckRepository, SigningKeyRepository } from "./key-records.js";
import type { RecoveryCodeRepository, TOTPCredentialRepository } from "./second-factor-records.js";
import type { LoginChallengeRepository, SessionRepository, SignInLinkRepository, TrustedDeviceRepository } from "./session-records.js";
import type { AuthFailureRepository } from "./throttle-records.js";
import type { AccessTokenRepository, EmailTokenRepository } from "./token-records.js";
export type * from "./account-records.js";
export type * from "./second-factor-records.js";
export type * from "./session-records.js";
export type * from "./key-records.js";
export type * from "./throttle-records.js";
export type * from "./delivery-records.js";
export type * from "./token-records.js";

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
