/**
 * The composition root (DESIGN.md §3.1): the only module that picks concrete implementations
 * of everything (store, clock, random source, logger, keys) and binds the use cases to them.
 * `http/`, `dashboard/` and `cli/` receive the {@link Deadbolt} object and nothing else.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { loadBrandingAssets, type BrandingAssets } from "./config/branding.js";
import { configuredKeyRing } from "./config/key-rings.js";
import { decodeKey } from "./config/load.js";
import { primaryKey } from "./domain/crypto/key-ring.js";
import { redactConnectionUrl } from "./config/redact.js";
import type { Config } from "./config/schema.js";
import { createDispatcher, type Dispatcher } from "./delivery/dispatcher.js";
import { createMailer, planMailTransport } from "./delivery/mail.js";
import { DEFAULT_ACCENT } from "./delivery/templates/layout.js";
import { wakeOnCommit } from "./delivery/wake-on-commit.js";
import { ConfigInvalid } from "./errors.js";
import { publicOrigin } from "./config/public-origin.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { createKeyedLimiter } from "./platform/limiter.js";
import { loggableError, silentLogger, urlPasswords, type Logger } from "./platform/logger.js";
import { NO_METRICS, type Metrics } from "./platform/metrics.js";
import { nodeRandom, type RandomSource } from "./platform/random.js";
import * as access from "./service/access.js";
import * as accessTokens from "./service/access-tokens.js";
import * as accessCheck from "./service/access-check.js";
import * as introspection from "./service/introspection.js";
import * as accounts from "./service/accounts.js";
import * as forwardAuthSessions from "./service/forward-auth-sessions.js";
import * as groups from "./service/groups.js";
import type { ServerKeys, ServiceDeps } from "./service/deps.js";
import * as compromised from "./service/compromised.js";
import * as deliveries from "./service/deliveries.js";
import * as housekeeping from "./service/housekeeping.js";
import * as login from "./service/login.js";
import * as admin from "./service/admin.js";
import * as adminAccounts from "./service/admin-accounts.js";
import * as adminActions from "./service/admin-actions.js";
import { normalizeRecoveryCode } from "./domain/recovery-codes/recovery-codes.js";
import { hasAccessTokenPrefix } from "./domain/crypto/token.js";
import * as passwordChange from "./service/password-change.js";
import * as reauthentication from "./service/reauthentication.js";
import * as recoveryCodes from "./service/recovery-codes.js";
import * as restoredDatabase from "./service/restored-database.js";
import * as twoFactorMailConfirmation from "./service/two-factor-mail-confirmation.js";
import * as securityEvents from "./service/security-events.js";
import * as trustedDevices from "./service/trusted-devices.js";
import * as sessions from "./service/sessions.js";
import * as signInLinks from "./service/sign-in-links.js";
import { createSigningKeyCache } from "./service/signing-key-cache.js";
import * as signingKeys from "./service/signing-keys.js";
import * as keyRotation from "./service/key-rotation.js";
import { oidcServices, type OidcServices } from "./service/oidc.js";
import * as enrollment from "./service/totp-enrollment.js";
import * as authenticators from "./service/authenticators.js";
import * as requiredTwoFactor from "./service/required-two-factor.js";
import * as webhookEndpoints from "./service/webhook-endpoints.js";
import * as emailChange from "./service/email-change.js";
import * as emailVerification from "./service/email-verification.js";
import * as passwordReset from "./service/password-reset.js";
import * as passwordResetCode from "./service/password-reset-code.js";
import * as signUp from "./service/sign-up.js";
import { createPasswordHasher, type PasswordHasher } from "./service/password-hasher.js";
import { metricsClientMatcher, type MetricsEndpoint } from "./service/metrics-endpoint.js";
import { outboxBacklog } from "./service/outbox-backlog.js";
import { createPrometheusMetrics, type PrometheusMetrics } from "./service/prometheus-metrics.js";
import { verifyServerKeys } from "./service/server-keys.js";
import { openPostgresStore } from "./storage/postgres.js";
import { openSqliteStore } from "./storage/sqlite.js";
import { LATEST_MIGRATION } from "./storage/kysely/migrate.js";
import type { Store } from "./storage/store.js";

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

export { HOUSEKEEPING_INTERVAL_MS } from "./service/housekeeping.js";

/** The SQLite database's file inside the data directory. */
export const SQLITE_FILE = "deadbolt.sqlite";

/** The file of development keys inside the data directory. */
export const DEVELOPMENT_KEYS_FILE = "development-keys.json";

/**
 * Resolves the server keys: the key rings of the config when set (`config/key-rings.ts`: both
 * kinds or neither; a single `keys.encryptionKey` / `keys.hmacKey` is the key `default`),
 * otherwise `<dataDir>/development-keys.json`, created on first use with file mode 0600 and a
 * warning (each key then a ring of one, id `default`).
 * @throws ConfigInvalid when only one kind is configured
 */
export function resolveKeys(config: Config, random: RandomSource, logger: Logger): { keys: ServerKeys; development: boolean } {
	const encryptionRing = configuredKeyRing(config.keys, "encryption", decodeKey);
	const hmacRing = configuredKeyRing(config.keys, "hmac", decodeKey);
	if (encryptionRing !== null && hmacRing !== null) {
		return { keys: { encryptionKey: primaryKey(encryptionRing), hmacKey: primaryKey(hmacRing), encryptionRing, hmacRing }, development: false };
	}
	if (encryptionRing !== null || hmacRing !== null) {
		// loadConfig refuses this already; a config built another way gets the same answer.
		throw new ConfigInvalid(["keys: set both DEADBOLT_ENCRYPTION_KEY and DEADBOLT_HMAC_KEY, or neither (development keys)"]);
	}
	const file = join(config.dataDir, DEVELOPMENT_KEYS_FILE);
	let created = false;
	if (!existsSync(file)) {
		mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
		const make = (): string => {
			const bytes = new Uint8Array(32);
			random.fill(bytes);
			return Buffer.from(bytes).toString("base64");
		};
		writeFileSync(file, `${JSON.stringify({ encryptionKey: make(), hmacKey: make() }, null, 2)}\n`, { mode: 0o600, flag: "wx" });
		created = true;
	}
	chmodSync(file, 0o600);
	const stored = JSON.parse(readFileSync(file, "utf8")) as { encryptionKey?: string; hmacKey?: string };
	const decodedEncryption = decodeKey(stored.encryptionKey ?? "");
	const decodedHmac = decodeKey(stored.hmacKey ?? "");
	if (decodedEncryption === null || decodedHmac === null) {
		throw new ConfigInvalid([`${file}: not a valid development key file (delete it to create a new one; existing 2FA secrets will not open)`]);
	}
	logger.warn(
		{ event: "keys.development", file, created },
		`Using DEVELOPMENT keys from ${file}${created ? " (just created)" : ""}. For production, set DEADBOLT_ENCRYPTION_KEY and DEADBOLT_HMAC_KEY (each: openssl rand -base64 32) and keep them outside the database.`,
	);
	return { keys: { encryptionKey: decodedEncryption, hmacKey: decodedHmac }, development: true };
}

/**
 * Opens the store the config names: PostgreSQL when `storage.databaseUrl` is set, otherwise
 * SQLite at `<dataDir>/deadbolt.sqlite` (or `sqlitePath`). Migrations run to the latest.
 */
export async function openConfiguredStore(config: Config, sqlitePath: string = join(config.dataDir, SQLITE_FILE)): Promise<Store> {
	if (config.storage.databaseUrl !== null) {
		return openPostgresStore({ connectionString: config.storage.databaseUrl, poolSize: config.storage.postgresPoolSize });
	}
	return openSqliteStore({ path: sqlitePath });
}

/** What {@link migrateConfiguredDatabase} did. */
export interface MigrationReport {
	readonly dialect: Store["dialect"];
	/** The migrations this run applied, in order; empty when the database was up to date. */
	readonly applied: readonly string[];
	/** The newest migration, where the database now stands. */
	readonly schema: string;
}

/**
 * Brings the configured database to the latest schema (creating a SQLite file when there is
 * none), closes it, and says which migrations ran (`deadbolt migrate`). Safe while other
 * processes open it: Kysely's migration lock lets one migrate; the others apply nothing.
 * @throws StorageUnavailable when the database cannot be opened or a migration fails
 */
export async function migrateConfiguredDatabase(config: Config): Promise<MigrationReport> {
	let applied: readonly string[] = [];
	const onMigrated = (names: readonly string[]): void => {
		applied = names;
	};
	const store =
		config.storage.databaseUrl === null
			? await openSqliteStore({ path: join(config.dataDir, SQLITE_FILE), onMigrated })
			: await openPostgresStore({ connectionString: config.storage.databaseUrl, poolSize: 1, onMigrated });
	await store.close();
	return { dialect: store.dialect, applied, schema: LATEST_MIGRATION };
}

// The SQLite file operations of `deadbolt backup` and `deadbolt restore` (cli/commands/backup.ts).
export { backupSqliteFile, BackupDestinationExists, inspectSqliteBackup, isSqliteDatabaseInUse, replaceSqliteFile, type SqliteBackupInspection } from "./storage/sqlite-backup.js";

/** How long connecting to the per-IP-limit Redis may take before the attempt counts as failed, in milliseconds. */
export const REDIS_CONNECT_TIMEOUT_MS = 1_000;
/** How long one Redis command (one per-IP count) may take before it counts as failed, in milliseconds. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** The longest pause between two reconnection attempts to Redis, in milliseconds (attempt n waits min(200 n, this)). */
export const REDIS_MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Creates the ioredis client for the per-IP limits named by `rateLimit.redisUrl`, or returns
 * null when that is null. The client connects lazily (`connect()`), so commands that never
 * serve HTTP (`migrate`, `config`, `account unlock`) never reach Redis. It is set up to fail
 * fast instead of queueing (docs/decisions.md, "Per-IP limits across instances"):
 * no offline queue (a command while disconnected fails at once), a command fails after
 * {@link REDIS_COMMAND_TIMEOUT_MS} and a connection attempt after {@link REDIS_CONNECT_TIMEOUT_MS},
 * no command is retried, and reconnection goes on forever in the background with growing pauses
 * (at most {@link REDIS_MAX_RECONNECT_DELAY_MS}). `rediss://` URLs use TLS.
 *
 * Logs once when Redis becomes reachable (info) and once when it stops being reachable (warn),
 * with the URL's password redacted; never once per failed reconnection.
 * @returns the client, not connected; null without a Redis URL
 */
export function openRateLimitRedis(config: Config, logger: Logger): Redis | null {
	const url = config.rateLimit.redisUrl;
	if (url === null) return null;
	const shown = redactConnectionUrl(url);
	const client = new Redis(url, {
		lazyConnect: true,
		enableOfflineQueue: false,
		connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
		commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 0,
		autoResendUnfulfilledCommands: false,
		retryStrategy: (attempt: number) => Math.min(attempt * 200, REDIS_MAX_RECONNECT_DELAY_MS),
		// Closing waits at most this long for the socket; also bounds ioredis's timer when it is
		// closed between two reconnection attempts (redis/ioredis#1247).
		disconnectTimeout: REDIS_COMMAND_TIMEOUT_MS,
		connectionName: "deadbolt-rate-limit",
	});
	let state: "unknown" | "up" | "down" = "unknown";
	client.on("ready", () => {
		if (state !== "up") logger.info({ event: "rate_limit.redis.up", redis: shown }, `per-IP limits are shared through Redis at ${shown}`);
		state = "up";
	});
	// ioredis emits "error" for every failed (re)connection; one line per outage is enough.
	const secrets = urlPasswords(url);
	client.on("error", (error: Error) => {
		if (state !== "down") {
			logger.warn(
				{ event: "rate_limit.redis.down", redis: shown, err: loggableError(error, secrets) },
				`Redis at ${shown} cannot be reached: per-IP limits are kept in this process until it answers again`,
			);
		}
		state = "down";
	});
	return client;
}

/**
 * Builds deadbolt: opens the store (unless given), resolves the keys and checks them against the
 * database's key check (`service/server-keys.ts`), binds the use cases.
 * Reads the branding's logo file (`config/branding.ts`).
 * @throws ConfigInvalid for key problems (also keys other than the ones the database was set up with) and a branding that does not pass (e.g. the logo file is gone); StorageUnavailable when the database cannot be opened
 */
export async function createDeadbolt(config: Config, overrides: DeadboltOverrides = {}): Promise<Deadbolt> {
	const branding = loadBrandingAssets(config);
	const clock = overrides.clock ?? systemClock;
	const random = overrides.random ?? nodeRandom;
	const logger = overrides.logger ?? silentLogger;
	const resolved = overrides.keys === undefined ? resolveKeys(config, random, logger) : { keys: overrides.keys, development: false };
	const openedStore = overrides.store ?? (await openConfiguredStore(config, overrides.sqlitePath));
	const dispatchers: Dispatcher[] = [];
	// A transaction that queued deliveries wakes this process's dispatchers once it commits.
	const store = wakeOnCommit(openedStore, () => {
		for (const dispatcher of dispatchers) dispatcher.wake();
	});
	// Metrics (docs/metrics.md): the outbox gauges read the store through the use case at each scrape.
	let prometheus: PrometheusMetrics | null = null;
	if (config.metrics.enabled) prometheus = createPrometheusMetrics({ outboxBacklog: () => outboxBacklog(deps), logger });
	const metrics: Metrics = prometheus ?? NO_METRICS;
	const passwords = overrides.passwords ?? createPasswordHasher(config.password.argon2, config.password.hashConcurrency, metrics);
	const attemptQueue = createKeyedLimiter(config.lockout.maxFailures);
	const origin = publicOrigin(config);
	const deps: ServiceDeps = Object.freeze({ store, clock, random, config, logger, keys: resolved.keys, passwords, attemptQueue, publicOrigin: origin, signingKeys: createSigningKeyCache(config.keys.signingKeyRefreshSeconds * 1000), metrics });
	try {
		// Keys that differ from the ones this database was set up with stop the start here.
		await verifyServerKeys(deps);
	} catch (error) {
		if (overrides.store === undefined) await openedStore.close();
		throw error;
	}
	const rateLimitRedis = openRateLimitRedis(config, logger);
	if (prometheus !== null) openedStore.observeDurations(prometheus.database);
	const metricsEndpoint: MetricsEndpoint | null = prometheus === null ? null : Object.freeze({ allowsClient: metricsClientMatcher(config.metrics.allowedNetworks), scrape: prometheus.scrape });
	const bind = <A extends unknown[], R>(fn: (d: ServiceDeps, ...args: A) => R) => (...args: A): R => fn(deps, ...args);
	return {
		config,
		logger,
		clock,
		publicOrigin: origin,
		usingDevelopmentKeys: resolved.development,
		metrics,
		metricsEndpoint,
		branding,
		registerAccount: bind(accounts.registerAccount),
		beginLogin: bind(login.beginLogin),
		completeLoginWithTOTP: bind(login.completeLoginWithTOTP),
		completeLoginWithRecoveryCode: bind(login.completeLoginWithRecoveryCode),
		abandonLoginChallenge: bind(login.abandonLoginChallenge),
		logout: bind(sessions.logout),
		validateSession: bind(sessions.validateSession),
		isRecentlyReauthenticated: bind(sessions.isRecentlyReauthenticated),
		beginTOTPEnrollment: bind(enrollment.beginTOTPEnrollment),
		confirmTOTPEnrollment: bind(enrollment.confirmTOTPEnrollment),
		getPendingTOTPEnrollment: bind(enrollment.getPendingTOTPEnrollment),
		isTwoFactorEnabled: bind(enrollment.isTwoFactorEnabled),
		listAuthenticators: bind(authenticators.listAuthenticators),
		renameAuthenticator: bind(authenticators.renameAuthenticator),
		removeAuthenticator: bind(authenticators.removeAuthenticator),
		beginRequiredTOTPSetup: bind(requiredTwoFactor.beginRequiredTOTPSetup),
		confirmRequiredTOTPSetup: bind(requiredTwoFactor.confirmRequiredTOTPSetup),
		twoFactorRequirementOf: bind(requiredTwoFactor.twoFactorRequirementOf),
		maxAuthenticators: authenticators.MAX_AUTHENTICATORS,
		countUnusedRecoveryCodes: bind(recoveryCodes.countUnusedRecoveryCodes),
		purgeExpired: bind(housekeeping.purgeExpired),
		reauthenticate: bind(reauthentication.reauthenticate),
		listSessions: bind(sessions.listSessions),
		revokeSession: bind(sessions.revokeSession),
		revokeOtherSessions: bind(sessions.revokeOtherSessions),
		signOutEverywhere: bind(sessions.signOutEverywhere),
		changePassword: bind(passwordChange.changePassword),
		disableTOTP: bind(enrollment.disableTOTP),
		regenerateRecoveryCodes: bind(recoveryCodes.regenerateRecoveryCodes),
		listSecurityEvents: bind(securityEvents.listSecurityEvents),
		listTrustedDevices: bind(trustedDevices.listTrustedDevices),
		secureCompromisedAccount: bind(compromised.secureCompromisedAccount),
		unlockAccount: bind(adminActions.unlockAccount),
		signOutAccountEverywhere: bind(adminActions.signOutAccountEverywhere),
		disableAccount: bind(adminActions.disableAccount),
		enableAccount: bind(adminActions.enableAccount),
		deleteAccount: bind(adminActions.deleteAccount),
		resetTwoFactor: bind(adminActions.resetTwoFactor),
		listAccounts: bind(adminAccounts.listAccounts),
		showAccount: bind(adminAccounts.showAccount),
		verifyAdminAPIKey: bind(admin.verifyAdminAPIKey),
		secureRestoredDatabase: bind(restoredDatabase.secureRestoredDatabase),
		setAccountGroups: bind(groups.setAccountGroups),
		findAccountGroups: bind(groups.findAccountGroups),
		addWebhookEndpoint: bind(webhookEndpoints.addWebhookEndpoint),
		listWebhookEndpoints: bind(webhookEndpoints.listWebhookEndpoints),
		removeWebhookEndpoint: bind(webhookEndpoints.removeWebhookEndpoint),
		listDeliveries: bind(deliveries.listDeliveries),
		showDelivery: bind(deliveries.showDelivery),
		retryDelivery: bind(deliveries.retryDelivery),
		retryDeadDeliveries: bind(deliveries.retryDeadDeliveries),
		createAccountWithoutPassword: bind(signInLinks.createAccountWithoutPassword),
		issueSignInLink: bind(signInLinks.issueSignInLink),
		describeSignInLink: bind(signInLinks.describeSignInLink),
		redeemSignInLink: bind(signInLinks.redeemSignInLink),
		normalizeRecoveryCode,
		recoveryCodeFingerprint: bind(recoveryCodes.recoveryCodeFingerprint),
		revokeTrustedDevice: bind(trustedDevices.revokeTrustedDevice),
		revokeAllTrustedDevices: bind(trustedDevices.revokeAllTrustedDevices),
		signUp: bind(signUp.signUp),
		describeSignUp: bind(signUp.describeSignUp),
		finishSignUp: bind(signUp.finishSignUp),
		resendVerificationMail: bind(emailVerification.resendVerificationMail),
		describeEmailVerification: bind(emailVerification.describeEmailVerification),
		verifyEmail: bind(emailVerification.verifyEmail),
		requestEmailChange: bind(emailChange.requestEmailChange),
		describeEmailChange: bind(emailChange.describeEmailChange),
		confirmEmailChange: bind(emailChange.confirmEmailChange),
		describeEmailChangeApproval: bind(emailChange.describeEmailChangeApproval),
		approveEmailChange: bind(emailChange.approveEmailChange),
		emailChangeNeedsApproval: emailChange.emailChangeNeedsApproval,
		requestTwoFactorMailConfirmation: bind(twoFactorMailConfirmation.requestTwoFactorMailConfirmation),
		describeTwoFactorMailConfirmation: bind(twoFactorMailConfirmation.describeTwoFactorMailConfirmation),
		confirmTwoFactorByMail: bind(twoFactorMailConfirmation.confirmTwoFactorByMail),
		requestPasswordReset: bind(passwordReset.requestPasswordReset),
		describePasswordReset: bind(passwordReset.describePasswordReset),
		provePasswordResetSecondFactor: bind(passwordResetCode.provePasswordResetSecondFactor),
		resetPassword: bind(passwordReset.resetPassword),
		decideAccess: bind(access.decideAccess),
		isTrustedProxy: bind(access.isTrustedProxy),
		returnTarget: bind(access.returnTarget),
		returnTargetSources: bind(access.returnTargetSources),
		forwardAuthToken: bind(forwardAuthSessions.forwardAuthToken),
		createAccessToken: bind(accessTokens.createAccessToken),
		listAccessTokens: bind(accessTokens.listAccessTokens),
		revokeAccessToken: bind(accessTokens.revokeAccessToken),
		revokeAllAccessTokens: bind(accessTokens.revokeAllAccessTokens),
		validateAccessToken: bind(accessTokens.validateAccessToken),
		hasAccessTokenPrefix,
		originalRequest: access.originalRequest,
		explainAccess: bind(accessCheck.explainAccess),
		verifyIntrospectionKey: bind(introspection.verifyIntrospectionKey),
		introspect: bind(introspection.introspect),
		issueAssertion: bind(signingKeys.issueAssertion),
		publicJWKS: bind(signingKeys.publicJWKS),
		keyStatus: bind(keyRotation.keyStatus),
		keysMissingFromRings: bind(keyRotation.keysMissingFromRings),
		resealUnderPrimary: bind(keyRotation.resealUnderPrimary),
		retireKey: bind(keyRotation.retireKey),
		rotateSigningKey: bind(keyRotation.rotateSigningKey),
		oidc: oidcServices(deps),
		rateLimitRedis,
		createDispatcher: () => {
			const plan = planMailTransport(config);
			const mailer = createMailer(config, plan, { origin, timeoutMillis: Math.min(10_000, config.outbox.leaseSeconds * 500) });
			if (plan.kind === "smtp") {
				const server = redactConnectionUrl(plan.smtpUrl);
				logger.info({ event: "email.transport", transport: "smtp", server }, `mail is sent through SMTP at ${server}`);
			}
			else logger.info({ event: "email.transport", transport: "file", dir: plan.dir }, `no mail server configured: mails are written as .eml files in ${plan.dir} (set email.smtpUrl, DEADBOLT_EMAIL_SMTP_URL, to send them)`);
			const endpoints = config.webhooks.endpoints.length;
			logger.info({ event: "webhooks.endpoints", configured: endpoints }, `${endpoints} webhook endpoint${endpoints === 1 ? "" : "s"} in the configuration (more may be added with the admin API or "deadbolt webhooks add")`);
			const dispatcher = createDispatcher(deps, {
				mailer,
				mail: {
					origin,
					branding: { productName: config.branding.productName, accentColor: branding.palette?.light.primary ?? DEFAULT_ACCENT, footerText: config.branding.footerText, supportUrl: config.branding.supportUrl },
				},
			});
			dispatchers.push(dispatcher);
			return dispatcher;
		},
		ready: () => store.ping(),
		close: async () => {
			await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()));
			if (rateLimitRedis !== null && rateLimitRedis.status !== "end") rateLimitRedis.disconnect();
			if (prometheus !== null) {
				openedStore.observeDurations(null);
				prometheus.close();
			}
			await store.close();
		},
	};
}
