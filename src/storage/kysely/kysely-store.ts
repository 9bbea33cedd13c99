/**
 * The one {@link Store} implementation, shared by SQLite and PostgreSQL (DESIGN.md §3.6): the
 * repositories of `repositories/` (one file per aggregate, each with its queries and its row
 * <-> record mapping) composed into a store, and the store's transactions. Every query is
 * dialect-neutral; what differs (driver, pragmas, int8 parsing, pool) stays in the openers
 * `../sqlite.ts` and `../postgres.ts`.
 *
 * Concurrency (DESIGN.md rule 7): every single-use or counter operation is ONE conditional
 * write, and its affected-row count (or the row it returns) decides who won. Nothing here
 * reads, decides, then writes. The two operations that need two statements
 * (`confirmTOTPCredential`, the `replace*` pair) run them in one transaction, whose first
 * statement is still the deciding conditional write.
 *
 * Errors: anything the driver throws (SQL errors, lost connections, a closed store) is thrown
 * as `StorageUnavailable` with the driver error as `cause`. Errors thrown by the caller's own
 * `fn` in {@link Store.transaction} are rethrown untouched. Misuse (for example a pending
 * credential that claims to be confirmed) throws `TypeError` before touching the database.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { StorageUnavailable } from "../../errors.js";
import { secondsSince, type DatabaseOperation } from "../../platform/metrics.js";
import type { DurationObserver, Repositories, Store } from "../store.js";
import type { Database } from "./database.js";
import { guardDriverErrors, toStorageUnavailable, type Executor, type Guard } from "./executor.js";
import { createAccessTokenRepository } from "./repositories/access-tokens.js";
import { createAccountDirectoryRepository } from "./repositories/account-directory.js";
import { createAccountRepository } from "./repositories/accounts.js";
import { createAuthFailureRepository } from "./repositories/auth-failures.js";
import { createEmailTokenRepository } from "./repositories/email-tokens.js";
import { createLoginChallengeRepository } from "./repositories/login-challenges.js";
import { createOutboxRepository } from "./repositories/outbox.js";
import { createRecoveryCodeRepository } from "./repositories/recovery-codes.js";
import { createSecurityEventRepository } from "./repositories/security-events.js";
import { createSealedValueRepository } from "./repositories/sealed-values.js";
import { createServerKeyCheckRepository } from "./repositories/server-key-check.js";
import { createSigningKeyRepository } from "./repositories/signing-keys.js";
import { createSessionRepository } from "./repositories/sessions.js";
import { createOidcClientRepository } from "./repositories/oidc-clients.js";
import { createOidcPayloadRepository } from "./repositories/oidc-payloads.js";
import { createSignInLinkRepository } from "./repositories/sign-in-links.js";
import { createTOTPCredentialRepository } from "./repositories/totp-credentials.js";
import { createTrustedDeviceRepository } from "./repositories/trusted-devices.js";
import { createWebhookEndpointRepository } from "./repositories/webhook-endpoints.js";

/** The SQL dialect behind a store, as reported by {@link Store.dialect}. */
export type StoreDialect = Store["dialect"];

/**
 * Builds the store over an opened Kysely instance. The store owns `db`: `close()` destroys it.
 * @param db - a Kysely instance whose schema is migrated to the latest version; on PostgreSQL
 *   its pool must parse int8 (OID 20) to `number` (see `../postgres.ts`).
 * @param dialect - reported as `store.dialect`; of the queries only the row locks of `lockAccount` and of the outbox claim depend on it.
 * @param options.bookkeeping - PostgreSQL: a second instance whose sessions commit asynchronously, for the outbox's claims and settles (`repositories/outbox.ts`); the store destroys it too
 */
export function createKyselyStore(db: Kysely<Database>, dialect: StoreDialect, options: { readonly bookkeeping?: Kysely<Database> } = {}): Store {
	let observer: DurationObserver | null = null;
	// Read at each call: observeDurations() takes effect at once, for the repositories made already too.
	const guard: Guard = (work) => (observer === null ? guardDriverErrors(work) : timed(observer, "query", () => guardDriverErrors(work)));
	const repositories = createRepositories(db, guard, dialect, options.bookkeeping);
	return Object.freeze({
		dialect,
		...repositories,
		transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
			return observer === null ? runUserTransaction(db, dialect, fn, guard) : timed(observer, "transaction", () => runUserTransaction(db, dialect, fn, guard));
		},
		observeDurations(next: DurationObserver | null): void {
			observer = next;
		},
		ping(): Promise<void> {
			return guardDriverErrors(async () => {
				await sql`select 1`.execute(db);
			});
		},
		close(): Promise<void> {
			return guardDriverErrors(async () => {
				await db.destroy();
				await options.bookkeeping?.destroy();
			});
		},
	});
}

/**
 * Runs `fn` with repositories bound to one transaction. The error thrown by `fn` itself is
 * rethrown as it is, after the rollback; a failure of BEGIN or COMMIT is a `StorageUnavailable`.
 *
 * When a repository call inside `fn` failed but `fn` caught the error and resolved anyway,
 * the transaction is rolled back and a `StorageUnavailable` thrown rather than committing.
 * PostgreSQL cannot commit such a transaction anyway (Kysely reports the aborted COMMIT);
 * SQLite would commit the statements that did succeed, half of what `fn` meant.
 */
async function runUserTransaction<T>(db: Executor, dialect: StoreDialect, fn: (tx: Repositories) => Promise<T>, guard: Guard): Promise<T> {
	let failedInFn = false;
	let errorOfFn: unknown;
	try {
		return await db.transaction().execute(async (trx) => {
			const statementFailures: unknown[] = [];
			const guardInTransaction: Guard = async (work) => {
				try {
					return await guard(work);
				} catch (error) {
					statementFailures.push(error);
					throw error;
				}
			};
			let result: T;
			try {
				result = await fn(createRepositories(trx, guardInTransaction, dialect));
			} catch (error) {
				failedInFn = true;
				errorOfFn = error;
				throw error;
			}
			if (statementFailures.length > 0) {
				throw new StorageUnavailable(undefined, { cause: statementFailures[0], reason: "transaction_statement_failed" });
			}
			return result;
		});
	} catch (error) {
		// fn's own error wins, even over a failed ROLLBACK after it (the transaction is gone then).
		if (failedInFn) throw errorOfFn;
		throw toStorageUnavailable(error);
	}
}

/** Runs `work` and reports how long it took to `observer`, whether it resolved or threw. */
async function timed<T>(observer: DurationObserver, operation: DatabaseOperation, work: () => Promise<T>): Promise<T> {
	const startedAt = performance.now();
	try {
		return await work();
	} finally {
		observer(operation, secondsSince(startedAt));
	}
}

/**
 * Every repository, bound to `db` (the store's Kysely instance or a transaction); `guard` runs
 * each database call and turns its failures into `StorageUnavailable`.
 */
function createRepositories(db: Executor, guard: Guard, dialect: StoreDialect, bookkeeping?: Executor): Repositories {
	return Object.freeze({
		accounts: createAccountRepository(db, guard, dialect),
		accountDirectory: createAccountDirectoryRepository(db, guard),
		totpCredentials: createTOTPCredentialRepository(db, guard),
		recoveryCodes: createRecoveryCodeRepository(db, guard),
		sessions: createSessionRepository(db, guard),
		loginChallenges: createLoginChallengeRepository(db, guard),
		authFailures: createAuthFailureRepository(db, guard),
		trustedDevices: createTrustedDeviceRepository(db, guard),
		securityEvents: createSecurityEventRepository(db, guard),
		signInLinks: createSignInLinkRepository(db, guard),
		serverKeyCheck: createServerKeyCheckRepository(db, guard),
		sealedValues: createSealedValueRepository(db, guard),
		signingKeys: createSigningKeyRepository(db, guard),
		oidcPayloads: createOidcPayloadRepository(db, guard),
		oidcClients: createOidcClientRepository(db, guard),
		outbox: createOutboxRepository(db, guard, dialect, bookkeeping),
		webhookEndpoints: createWebhookEndpointRepository(db, guard),
		emailTokens: createEmailTokenRepository(db, guard),
		accessTokens: createAccessTokenRepository(db, guard),
	});
}
