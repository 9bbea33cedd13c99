/**
 * The composition root (DESIGN.md §3.1): the only module that picks concrete implementations
 * of everything (store, clock, random source, logger, keys) and binds the use cases to them.
 * `http/`, `dashboard/` and `cli/` receive the {@link Deadbolt} object and nothing else.
 */
import { join } from "node:path";
import { loadBrandingAssets } from "./config/branding.js";
import { redactConnectionUrl } from "./config/redact.js";
import type { Config } from "./config/schema.js";
import { createDispatcher, type Dispatcher } from "./delivery/dispatcher.js";
import { createMailer, planMailTransport } from "./delivery/mail.js";
import { DEFAULT_ACCENT } from "./delivery/templates/layout.js";
import { wakeOnCommit } from "./delivery/wake-on-commit.js";
import { publicOrigin } from "./config/public-origin.js";
import { systemClock } from "./platform/clock.js";
import { createKeyedLimiter } from "./platform/limiter.js";
import { silentLogger } from "./platform/logger.js";
import { NO_METRICS, type Metrics } from "./platform/metrics.js";
import { nodeRandom } from "./platform/random.js";
import * as access from "./service/access.js";
import * as accessTokens from "./service/access-tokens.js";
import * as accessCheck from "./service/access-check.js";
import * as introspection from "./service/introspection.js";
import * as accounts from "./service/accounts.js";
import * as forwardAuthSessions from "./service/forward-auth-sessions.js";
import * as groups from "./service/groups.js";
import type { ServiceDeps } from "./service/deps.js";
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
import { oidcServices } from "./service/oidc.js";
import * as enrollment from "./service/totp-enrollment.js";
import * as authenticators from "./service/authenticators.js";
import * as requiredTwoFactor from "./service/required-two-factor.js";
import * as webhookEndpoints from "./service/webhook-endpoints.js";
import * as emailChange from "./service/email-change.js";
import * as emailVerification from "./service/email-verification.js";
import * as passwordReset from "./service/password-reset.js";
import * as passwordResetCode from "./service/password-reset-code.js";
import * as signUp from "./service/sign-up.js";
import { createPasswordHasher } from "./service/password-hasher.js";
import { metricsClientMatcher, type MetricsEndpoint } from "./service/metrics-endpoint.js";
import { outboxBacklog } from "./service/outbox-backlog.js";
import type { PrometheusMetrics } from "./service/prometheus-metrics.js";
import { verifyServerKeys } from "./service/server-keys.js";
import { openSqliteStore } from "./storage/sqlite.js";
import { LATEST_MIGRATION } from "./storage/kysely/migrate.js";
import type { Store } from "./storage/store.js";
import type { Deadbolt, DeadboltOverrides } from "./deadbolt/use-cases.js";
import { resolveKeys } from "./deadbolt/keys.js";

export type { Deadbolt, DeadboltOverrides } from "./deadbolt/use-cases.js";
export { DEVELOPMENT_KEYS_FILE, resolveKeys } from "./deadbolt/keys.js";
export { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, REDIS_MAX_RECONNECT_DELAY_MS } from "./deadbolt/redis-timeouts.js";

export { HOUSEKEEPING_INTERVAL_MS } from "./service/housekeeping.js";

/** The SQLite database's file inside the data directory. */
export const SQLITE_FILE = "deadbolt.sqlite";

/**
 * Opens the store the config names: PostgreSQL when `storage.databaseUrl` is set, otherwise
 * SQLite at `<dataDir>/deadbolt.sqlite` (or `sqlitePath`). Migrations run to the latest.
 */
export async function openConfiguredStore(config: Config, sqlitePath: string = join(config.dataDir, SQLITE_FILE)): Promise<Store> {
	if (config.storage.databaseUrl !== null) {
		// pg, Kysely's PostgreSQL dialect: loaded only for PostgreSQL (issue 15).
		const { openPostgresStore } = await import("./storage/postgres.js");
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
			: await (await import("./storage/postgres.js")).openPostgresStore({ connectionString: config.storage.databaseUrl, poolSize: 1, onMigrated });
	await store.close();
	return { dialect: store.dialect, applied, schema: LATEST_MIGRATION };
}

// The SQLite file operations of `deadbolt backup` and `deadbolt restore` (cli/commands/backup.ts).
export { backupSqliteFile, BackupDestinationExists, inspectSqliteBackup, isSqliteDatabaseInUse, replaceSqliteFile, type SqliteBackupInspection } from "./storage/sqlite-backup.js";

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
	// prom-client is loaded only when metrics are on (issue 15).
	if (config.metrics.enabled) prometheus = (await import("./service/prometheus-metrics.js")).createPrometheusMetrics({ outboxBacklog: () => outboxBacklog(deps), logger });
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
	// ioredis is loaded only when a Redis is configured (issue 15).
	const rateLimitRedis = config.rateLimit.redisUrl === null ? null : (await import("./deadbolt/rate-limit-redis.js")).openRateLimitRedis(config, logger);
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
