/**
 * The one {@link Store} implementation, shared by SQLite and PostgreSQL (DESIGN.md §3.6). Every
 * query here is dialect-neutral; what differs (driver, pragmas, int8 parsing, pool) stays in the
 * openers `../sqlite.ts` and `../postgres.ts`.
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
import type { Kysely, Selectable } from "kysely";
import { StorageUnavailable } from "../../errors.js";
import type { UnixMillis } from "../../platform/clock.js";
import type {
	AccountRecord,
	AccountRepository,
	AttemptReservationRequest,
	AuthFailureKind,
	AuthFailureRecord,
	AuthFailureRepository,
	LoginChallengeRecord,
	LoginChallengeRepository,
	SignInLinkRecord,
	SignInLinkRepository,
	ServerKeyCheckRecord,
	ServerKeyCheckRepository,
	RecoveryCodeRecord,
	RecoveryCodeRepository,
	Repositories,
	SecurityEventRecord,
	SecurityEventRepository,
	SessionRecord,
	SessionRepository,
	Store,
	TOTPCredentialRecord,
	TOTPCredentialRepository,
	TrustedDeviceRecord,
	TrustedDeviceRepository,
} from "../store.js";
import type {
	AccountTable,
	AuthFailureTable,
	Database,
	LoginChallengeTable,
	SecurityEventTable,
	SessionTable,
	TOTPCredentialTable,
	TrustedDeviceTable,
} from "./database.js";

/** Most security events one {@link SecurityEventRepository.listSecurityEvents} call returns. */
const SECURITY_EVENTS_LIST_MAX = 500;

/** The SQL dialect behind a store, as reported by {@link Store.dialect}. */
export type StoreDialect = Store["dialect"];

/** A Kysely instance or a transaction: repositories are written against either. */
type Executor = Kysely<Database>;

/**
 * Builds the store over an opened Kysely instance. The store owns `db`: `close()` destroys it.
 * @param db - a Kysely instance whose schema is migrated to the latest version; on PostgreSQL
 *   its pool must parse int8 (OID 20) to `number` (see `../postgres.ts`).
 * @param dialect - reported as `store.dialect`; queries do not depend on it.
 */
export function createKyselyStore(db: Kysely<Database>, dialect: StoreDialect): Store {
	const repositories = createRepositories(db, guardDriverErrors, dialect);
	return Object.freeze({
		dialect,
		...repositories,
		transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
			return runUserTransaction(db, dialect, fn);
		},
		ping(): Promise<void> {
			return guardDriverErrors(async () => {
				await sql`select 1`.execute(db);
			});
		},
		close(): Promise<void> {
			return guardDriverErrors(() => db.destroy());
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
async function runUserTransaction<T>(db: Executor, dialect: StoreDialect, fn: (tx: Repositories) => Promise<T>): Promise<T> {
	let failedInFn = false;
	let errorOfFn: unknown;
	try {
		return await db.transaction().execute(async (trx) => {
			const statementFailures: unknown[] = [];
			const guardInTransaction: Guard = async (work) => {
				try {
					return await guardDriverErrors(work);
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

/**
 * Every repository, bound to `db` (the store's Kysely instance or a transaction); `guard` runs
 * each database call and turns its failures into `StorageUnavailable`.
 */
function createRepositories(db: Executor, guard: Guard, dialect: StoreDialect): Repositories {
	return Object.freeze({
		accounts: createAccountRepository(db, guard, dialect),
		totpCredentials: createTOTPCredentialRepository(db, guard),
		recoveryCodes: createRecoveryCodeRepository(db, guard),
		sessions: createSessionRepository(db, guard),
		loginChallenges: createLoginChallengeRepository(db, guard),
		authFailures: createAuthFailureRepository(db, guard),
		trustedDevices: createTrustedDeviceRepository(db, guard),
		securityEvents: createSecurityEventRepository(db, guard),
		signInLinks: createSignInLinkRepository(db, guard),
		serverKeyCheck: createServerKeyCheckRepository(db, guard),
	});
}

/** Accounts; `insertAccount` relies on the unique constraint on `account.email`. */
function createAccountRepository(db: Executor, guard: Guard, dialect: StoreDialect): AccountRepository {
	return Object.freeze({
		insertAccount(record: AccountRecord): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.insertInto("account")
					.values({
						id: record.id,
						email: record.email,
						password_hash: record.passwordHash,
						created_at: record.createdAt,
						updated_at: record.updatedAt,
					})
					.onConflict((oc) => oc.column("email").doNothing())
					.executeTakeFirst();
				return countOf(result.numInsertedOrUpdatedRows ?? 0n) > 0;
			});
		},
		findAccountById(id: string): Promise<AccountRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("account").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : toAccountRecord(row);
			});
		},
		findAccountByEmail(email: string): Promise<AccountRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("account").selectAll().where("email", "=", email).executeTakeFirst();
				return row === undefined ? null : toAccountRecord(row);
			});
		},
		updatePasswordHash(id: string, passwordHash: string | null, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("account")
					.set({ password_hash: passwordHash, updated_at: now })
					.where("id", "=", id)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		lockAccount(id: string): Promise<boolean> {
			return guard(async () => {
				const query = db.selectFrom("account").select("id").where("id", "=", id);
				// The one dialect difference in the store: SQLite has no row locks (and needs none:
				// its transactions are serialized by BEGIN IMMEDIATE).
				// FOR NO KEY UPDATE: serializes with other lockers but not with foreign-key checks of
				// inserts referencing the account (FOR UPDATE would deadlock with those).
				const row = await (dialect === "postgres" ? query.forNoKeyUpdate() : query).executeTakeFirst();
				return row !== undefined;
			});
		},
		deleteAccount(id: string): Promise<boolean> {
			return guard(async () => {
				// Children go with it: every foreign key to account is ON DELETE CASCADE.
				const result = await db.deleteFrom("account").where("id", "=", id).executeTakeFirst();
				return countOf(result.numDeletedRows) > 0;
			});
		},
	});
}

/** TOTP credentials: pending rows have `confirmed_at` null and an `expires_at`. */
function createTOTPCredentialRepository(db: Executor, guard: Guard): TOTPCredentialRepository {
	return Object.freeze({
		findConfirmedTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null> {
			return guard(async () => {
				const row = await db
					.selectFrom("totp_credential")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("confirmed_at", "is not", null)
					.orderBy("confirmed_at", "desc")
					.orderBy("id", "desc")
					.limit(1)
					.executeTakeFirst();
				return row === undefined ? null : toTOTPCredentialRecord(row);
			});
		},
		findPendingTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null> {
			return guard(async () => {
				const row = await db
					.selectFrom("totp_credential")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("confirmed_at", "is", null)
					.orderBy("created_at", "desc")
					.orderBy("id", "desc")
					.limit(1)
					.executeTakeFirst();
				return row === undefined ? null : toTOTPCredentialRecord(row);
			});
		},
		async replacePendingTOTPCredential(record: TOTPCredentialRecord): Promise<void> {
			if (record.confirmedAt !== null) {
				throw new TypeError("replacePendingTOTPCredential takes a pending credential (confirmedAt null)");
			}
			await guard(() =>
				inTransaction(db, async (trx) => {
					await trx
						.deleteFrom("totp_credential")
						.where("account_id", "=", record.accountId)
						.where("confirmed_at", "is", null)
						.execute();
					await trx
						.insertInto("totp_credential")
						.values({
							id: record.id,
							account_id: record.accountId,
							secret_ciphertext: toDriverBytes(record.secretCiphertext),
							algorithm: record.algorithm,
							digits: record.digits,
							period_seconds: record.periodSeconds,
							created_at: record.createdAt,
							confirmed_at: null,
							expires_at: record.expiresAt,
							last_used_step: record.lastUsedStep,
							enrollment_session_id: record.enrollmentSessionId,
						})
						.execute();
				}),
			);
		},
		confirmTOTPCredential(id: string, step: number, now: UnixMillis): Promise<boolean> {
			return guard(() =>
				inTransaction(db, async (trx) => {
					// The deciding write: only a still-pending, unexpired row is confirmed.
					const confirmed = await trx
						.updateTable("totp_credential")
						.set({ confirmed_at: now, expires_at: null, last_used_step: step })
						.where("id", "=", id)
						.where("confirmed_at", "is", null)
						.where("expires_at", ">", now)
						.returning("account_id")
						.executeTakeFirst();
					if (confirmed === undefined) return false;
					// The authenticator is replaced: the account's other confirmed credentials go.
					await trx
						.deleteFrom("totp_credential")
						.where("account_id", "=", confirmed.account_id)
						.where("id", "<>", id)
						.where("confirmed_at", "is not", null)
						.execute();
					return true;
				}),
			);
		},
		advanceTOTPStep(id: string, step: number): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("totp_credential")
					.set({ last_used_step: step })
					.where("id", "=", id)
					.where("last_used_step", "<", step)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		deleteTOTPCredentials(accountId: string): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("totp_credential").where("account_id", "=", accountId).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}

/** Recovery codes: one row per code, looked up by (account_id, code_hash). */
function createRecoveryCodeRepository(db: Executor, guard: Guard): RecoveryCodeRepository {
	return Object.freeze({
		async replaceRecoveryCodes(accountId: string, records: readonly RecoveryCodeRecord[]): Promise<void> {
			for (const record of records) {
				if (record.accountId !== accountId) {
					throw new TypeError("replaceRecoveryCodes: every record must belong to accountId");
				}
			}
			await guard(() =>
				inTransaction(db, async (trx) => {
					await trx.deleteFrom("recovery_code").where("account_id", "=", accountId).execute();
					if (records.length === 0) return;
					await trx
						.insertInto("recovery_code")
						.values(
							records.map((record) => ({
								id: record.id,
								account_id: record.accountId,
								code_hash: record.codeHash,
								created_at: record.createdAt,
								used_at: record.usedAt,
							})),
						)
						.execute();
				}),
			);
		},
		consumeRecoveryCode(accountId: string, codeHash: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("recovery_code")
					.set({ used_at: now })
					.where("account_id", "=", accountId)
					.where("code_hash", "=", codeHash)
					.where("used_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		countUnusedRecoveryCodes(accountId: string): Promise<number> {
			return guard(async () => {
				const row = await db
					.selectFrom("recovery_code")
					.select((eb) => eb.fn.countAll().as("unused"))
					.where("account_id", "=", accountId)
					.where("used_at", "is", null)
					.executeTakeFirstOrThrow();
				return countOf(row.unused);
			});
		},
		deleteRecoveryCodes(accountId: string): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("recovery_code").where("account_id", "=", accountId).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}

/** Sessions: active means `revoked_at` null and `expires_at` after now. */
function createSessionRepository(db: Executor, guard: Guard): SessionRepository {
	return Object.freeze({
		insertSession(record: SessionRecord): Promise<void> {
			return guard(async () => {
				await db
					.insertInto("session")
					.values({
						id: record.id,
						account_id: record.accountId,
						secret_hash: record.secretHash,
						aal: record.aal,
						created_at: record.createdAt,
						last_active_at: record.lastActiveAt,
						expires_at: record.expiresAt,
						reauthenticated_at: record.reauthenticatedAt,
						revoked_at: record.revokedAt,
						ip_address: record.ipAddress,
						user_agent: record.userAgent,
					})
					.execute();
			});
		},
		findSession(id: string): Promise<SessionRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("session").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : toSessionRecord(row);
			});
		},
		touchSession(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set({ last_active_at: now })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		markSessionReauthenticated(id: string, now: UnixMillis, aal?: number): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set(aal === undefined ? { reauthenticated_at: now } : { reauthenticated_at: now, aal: sql<number>`case when aal < ${aal} then ${aal} else aal end` })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		replaceSessionSecret(id: string, secretHash: string): Promise<boolean> {
			return guard(async () => {
				const result = await db.updateTable("session").set({ secret_hash: secretHash }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		revokeSession(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set({ revoked_at: now })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		revokeAccountSessions(accountId: string, now: UnixMillis, exceptId?: string): Promise<number> {
			return guard(async () => {
				// Only active sessions are revoked and counted; expired ones are left as they are.
				let query = db
					.updateTable("session")
					.set({ revoked_at: now })
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now);
				if (exceptId !== undefined) query = query.where("id", "<>", exceptId);
				const result = await query.executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		listActiveSessions(accountId: string, now: UnixMillis): Promise<SessionRecord[]> {
			return guard(async () => {
				const rows = await db
					.selectFrom("session")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now)
					.orderBy("created_at", "desc")
					.orderBy("id", "desc")
					.execute();
				return rows.map(toSessionRecord);
			});
		},
	});
}

/** Login challenges: an attempt budget and single use, both as conditional updates. */
function createLoginChallengeRepository(db: Executor, guard: Guard): LoginChallengeRepository {
	return Object.freeze({
		insertLoginChallenge(record: LoginChallengeRecord): Promise<void> {
			return guard(async () => {
				await db
					.insertInto("login_challenge")
					.values({
						id: record.id,
						account_id: record.accountId,
						secret_hash: record.secretHash,
						created_at: record.createdAt,
						expires_at: record.expiresAt,
						attempts: record.attempts,
						max_attempts: record.maxAttempts,
						consumed_at: record.consumedAt,
						ip_address: record.ipAddress,
						user_agent: record.userAgent,
						first_factor: record.firstFactor,
					})
					.execute();
			});
		},
		findLoginChallenge(id: string): Promise<LoginChallengeRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("login_challenge").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : toLoginChallengeRecord(row);
			});
		},
		reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set((eb) => ({ attempts: eb("attempts", "+", 1) }))
					.where("id", "=", id)
					.where("consumed_at", "is", null)
					.where("expires_at", ">", now)
					.where((eb) => eb("attempts", "<", eb.ref("max_attempts")))
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set({ consumed_at: now })
					.where("id", "=", id)
					.where("consumed_at", "is", null)
					.where("expires_at", ">", now)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set({ consumed_at: now })
					.where("account_id", "=", accountId)
					.where("consumed_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		deleteExpiredLoginChallenges(now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("login_challenge").where("expires_at", "<", now).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}

/** Sign-in links: single use as one conditional update. */
function createSignInLinkRepository(db: Executor, guard: Guard): SignInLinkRepository {
	return Object.freeze({
		insertSignInLink(record: SignInLinkRecord): Promise<void> {
			return guard(async () => {
				await db
					.insertInto("sign_in_link")
					.values({ id: record.id, account_id: record.accountId, secret_hash: record.secretHash, created_at: record.createdAt, expires_at: record.expiresAt, consumed_at: record.consumedAt })
					.execute();
			});
		},
		findSignInLink(id: string): Promise<SignInLinkRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("sign_in_link").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : { id: row.id, accountId: row.account_id, secretHash: row.secret_hash, createdAt: row.created_at, expiresAt: row.expires_at, consumedAt: row.consumed_at };
			});
		},
		consumeSignInLink(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db.updateTable("sign_in_link").set({ consumed_at: now }).where("id", "=", id).where("consumed_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeAccountSignInLinks(accountId: string, now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.updateTable("sign_in_link").set({ consumed_at: now }).where("account_id", "=", accountId).where("consumed_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		deleteExpiredSignInLinks(now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("sign_in_link").where("expires_at", "<", now).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}

/** The server-key check: one row with the fixed id `server`; the primary key decides the first writer. */
function createServerKeyCheckRepository(db: Executor, guard: Guard): ServerKeyCheckRepository {
	return Object.freeze({
		findServerKeyCheck(): Promise<ServerKeyCheckRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("server_key_check").selectAll().where("id", "=", "server").executeTakeFirst();
				return row === undefined ? null : { hmacCheck: row.hmac_check, sealedCheck: new Uint8Array(row.sealed_check), createdAt: row.created_at };
			});
		},
		insertServerKeyCheck(record: ServerKeyCheckRecord): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.insertInto("server_key_check")
					.values({ id: "server", hmac_check: record.hmacCheck, sealed_check: toDriverBytes(record.sealedCheck), created_at: record.createdAt })
					.onConflict((oc) => oc.column("id").doNothing())
					.executeTakeFirst();
				return countOf(result.numInsertedOrUpdatedRows ?? 0n) > 0;
			});
		},
	});
}

/** Failure counters: one row per (account_id, kind), changed only by single upserts. */
function createAuthFailureRepository(db: Executor, guard: Guard): AuthFailureRepository {
	return Object.freeze({
		findAuthFailure(accountId: string, kind: AuthFailureKind): Promise<AuthFailureRecord | null> {
			return guard(async () => {
				const row = await db
					.selectFrom("auth_failure")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("kind", "=", kind)
					.executeTakeFirst();
				return row === undefined ? null : toAuthFailureRecord(row);
			});
		},
		reserveAuthAttempt(accountId: string, kind: AuthFailureKind, request: AttemptReservationRequest): Promise<boolean> {
			return guard(async () => {
				const { now, windowStartsAt, maxAttempts, leaseExpiresAt } = request;
				// One conditional upsert (atomic per row in SQLite >= 3.35 and PostgreSQL): failures
				// out of the window count 0, attempts in flight whose lease passed count 0.
				const failures = sql<number>`(case when auth_failure.last_failure_at < ${windowStartsAt} then 0 else auth_failure.failure_count end)`;
				const inFlight = sql<number>`(case when auth_failure.in_flight_expires_at <= ${now} then 0 else auth_failure.attempts_in_flight end)`;
				const result = await db
					.insertInto("auth_failure")
					.values({ account_id: accountId, kind, failure_count: 0, last_failure_at: 0, locked_until: null, attempts_in_flight: 1, in_flight_expires_at: leaseExpiresAt })
					.onConflict((oc) =>
						oc
							.columns(["account_id", "kind"])
							.doUpdateSet({ failure_count: failures, attempts_in_flight: sql<number>`${inFlight} + 1`, in_flight_expires_at: leaseExpiresAt })
							.where((eb) => eb.and([eb.or([eb("auth_failure.locked_until", "is", null), eb("auth_failure.locked_until", "<=", now)]), eb(sql<number>`${failures} + ${inFlight}`, "<", maxAttempts)])),
					)
					.executeTakeFirst();
				return countOf(result.numInsertedOrUpdatedRows ?? 0n) > 0;
			});
		},
		settleAuthAttempt(accountId: string, kind: AuthFailureKind, outcome: "failed" | "succeeded", now: UnixMillis, windowStartsAt: UnixMillis): Promise<number> {
			return guard(async () => {
				const released = sql<number>`(case when auth_failure.attempts_in_flight > 0 and auth_failure.in_flight_expires_at > ${now} then auth_failure.attempts_in_flight - 1 else 0 end)`;
				if (outcome === "succeeded") {
					// Nothing else in flight: the row goes (as before attempts were reserved).
					await db
						.deleteFrom("auth_failure")
						.where("account_id", "=", accountId)
						.where("kind", "=", kind)
						.where((eb) => eb.or([eb("attempts_in_flight", "<=", 1), eb("in_flight_expires_at", "<=", now)]))
						.execute();
					await db
						.updateTable("auth_failure")
						.set({ failure_count: 0, last_failure_at: 0, locked_until: null, lockout_count: 0, attempts_in_flight: released })
						.where("account_id", "=", accountId)
						.where("kind", "=", kind)
						.execute();
					return 0;
				}
				const row = await db
					.insertInto("auth_failure")
					.values({ account_id: accountId, kind, failure_count: 1, last_failure_at: now, locked_until: null })
					.onConflict((oc) =>
						oc.columns(["account_id", "kind"]).doUpdateSet((eb) => ({
							failure_count: eb
								.case()
								.when("auth_failure.last_failure_at", "<", windowStartsAt)
								.then(1)
								.else(eb("auth_failure.failure_count", "+", 1))
								.end(),
							last_failure_at: now,
							attempts_in_flight: released,
						})),
					)
					.returning("failure_count")
					.executeTakeFirstOrThrow();
				return countOf(row.failure_count);
			});
		},
		lockAuthFailures(accountId: string, kind: AuthFailureKind, lockedUntil: UnixMillis, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				// Upsert so that a lock holds even without an earlier failure row; such a row gets
				// last_failure_at 0 (no failure recorded). A running lock is left as it is.
				const result = await db
					.insertInto("auth_failure")
					.values({ account_id: accountId, kind, failure_count: 0, last_failure_at: 0, locked_until: lockedUntil, lockout_count: 1 })
					.onConflict((oc) =>
						oc
							.columns(["account_id", "kind"])
							.doUpdateSet({ locked_until: lockedUntil, lockout_count: sql<number>`auth_failure.lockout_count + 1` })
							.where((eb) => eb.or([eb("auth_failure.locked_until", "is", null), eb("auth_failure.locked_until", "<=", now)])),
					)
					.executeTakeFirst();
				return countOf(result.numInsertedOrUpdatedRows ?? 0n) > 0;
			});
		},
		clearAuthFailures(accountId: string, kind: AuthFailureKind): Promise<void> {
			return guard(async () => {
				await db.deleteFrom("auth_failure").where("account_id", "=", accountId).where("kind", "=", kind).execute();
			});
		},
	});
}

/**
 * Trusted devices: active means `revoked_at` null and `expires_at` after now. The token secret
 * is single use: each use rotates it with one conditional update.
 */
function createTrustedDeviceRepository(db: Executor, guard: Guard): TrustedDeviceRepository {
	return Object.freeze({
		insertTrustedDevice(record: TrustedDeviceRecord): Promise<void> {
			return guard(async () => {
				await db
					.insertInto("trusted_device")
					.values({
						id: record.id,
						account_id: record.accountId,
						secret_hash: record.secretHash,
						created_at: record.createdAt,
						last_used_at: record.lastUsedAt,
						expires_at: record.expiresAt,
						revoked_at: record.revokedAt,
						ip_address: record.ipAddress,
						user_agent: record.userAgent,
					})
					.execute();
			});
		},
		findTrustedDevice(id: string): Promise<TrustedDeviceRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("trusted_device").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : toTrustedDeviceRecord(row);
			});
		},
		rotateTrustedDevice(
			id: string,
			oldSecretHash: string,
			newSecretHash: string,
			now: UnixMillis,
			expiresAt: UnixMillis,
		): Promise<boolean> {
			return guard(async () => {
				// The deciding write: only the holder of the current secret of a live device wins;
				// every later caller with the same old secret matches no row.
				const result = await db
					.updateTable("trusted_device")
					.set({ secret_hash: newSecretHash, last_used_at: now, expires_at: expiresAt })
					.where("id", "=", id)
					.where("secret_hash", "=", oldSecretHash)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		listActiveTrustedDevices(accountId: string, now: UnixMillis): Promise<TrustedDeviceRecord[]> {
			return guard(async () => {
				const rows = await db
					.selectFrom("trusted_device")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now)
					.orderBy("last_used_at", "desc")
					.orderBy("id", "desc")
					.execute();
				return rows.map(toTrustedDeviceRecord);
			});
		},
		revokeTrustedDevice(accountId: string, id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				// account_id in the condition: an id of another account's device revokes nothing.
				const result = await db
					.updateTable("trusted_device")
					.set({ revoked_at: now })
					.where("id", "=", id)
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		revokeAccountTrustedDevices(accountId: string, now: UnixMillis): Promise<number> {
			return guard(async () => {
				// Only active devices are revoked and counted; expired ones are left as they are.
				const result = await db
					.updateTable("trusted_device")
					.set({ revoked_at: now })
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
	});
}

/** Security events: appended, then read newest first, a page at a time. */
function createSecurityEventRepository(db: Executor, guard: Guard): SecurityEventRepository {
	return Object.freeze({
		insertSecurityEvent(record: SecurityEventRecord): Promise<void> {
			return guard(async () => {
				await db
					.insertInto("security_event")
					.values({
						id: record.id,
						account_id: record.accountId,
						type: record.type,
						created_at: record.createdAt,
						ip_address: record.ipAddress,
						user_agent: record.userAgent,
						details: record.details,
					})
					.execute();
			});
		},
		async listSecurityEvents(accountId: string, limit: number, before?: UnixMillis): Promise<SecurityEventRecord[]> {
			if (!Number.isInteger(limit) || limit < 1 || limit > SECURITY_EVENTS_LIST_MAX) {
				throw new TypeError(`listSecurityEvents: limit must be an integer from 1 to ${SECURITY_EVENTS_LIST_MAX}, not ${String(limit)}`);
			}
			if (before !== undefined && !Number.isSafeInteger(before)) {
				throw new TypeError(`listSecurityEvents: before must be an epoch-ms integer, not ${String(before)}`);
			}
			return guard(async () => {
				let query = db.selectFrom("security_event").selectAll().where("account_id", "=", accountId);
				if (before !== undefined) query = query.where("created_at", "<", before);
				const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
				return rows.map(toSecurityEventRecord);
			});
		},
	});
}

/**
 * Runs `work` in a transaction, or directly when `db` already is one (a repository used inside
 * `store.transaction(fn)`): the outer transaction then provides the atomicity, and no nested
 * BEGIN or savepoint is issued.
 */
function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
	if (db.isTransaction) return work(db);
	return db.transaction().execute(work);
}

/** Runs one database call of a repository method, deciding how its failures surface. */
type Guard = <T>(work: () => Promise<T>) => Promise<T>;

/** Runs `work`, turning any failure into `StorageUnavailable` (kept as is when it already is one). */
async function guardDriverErrors<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		throw toStorageUnavailable(error);
	}
}

/** Wraps a driver failure in `StorageUnavailable` (`cause` keeps it); passes one through. */
function toStorageUnavailable(error: unknown): StorageUnavailable {
	if (error instanceof StorageUnavailable) return error;
	return new StorageUnavailable(undefined, { cause: error, reason: "driver_error" });
}

/** A row count or COUNT(*) value (bigint from Kysely results, int8 or number from drivers) as a number. */
function countOf(value: bigint | number | string): number {
	return Number(value);
}

/** The driver-friendly view of bytes: a `Buffer` over the same memory (no copy). */
function toDriverBytes(bytes: Uint8Array): Buffer {
	return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Narrows the stored `kind` (guarded by a CHECK constraint) to {@link AuthFailureKind}. */
function toAuthFailureKind(kind: string): AuthFailureKind {
	if (kind === "password" || kind === "second_factor") return kind;
	throw new TypeError(`unknown auth_failure.kind ${JSON.stringify(kind)}`);
}

function toAccountRecord(row: Selectable<AccountTable>): AccountRecord {
	return {
		id: row.id,
		email: row.email,
		passwordHash: row.password_hash,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

function toTOTPCredentialRecord(row: Selectable<TOTPCredentialTable>): TOTPCredentialRecord {
	return {
		id: row.id,
		accountId: row.account_id,
		secretCiphertext: row.secret_ciphertext,
		algorithm: row.algorithm,
		digits: row.digits,
		periodSeconds: row.period_seconds,
		createdAt: row.created_at,
		confirmedAt: row.confirmed_at,
		expiresAt: row.expires_at,
		lastUsedStep: row.last_used_step,
		enrollmentSessionId: row.enrollment_session_id,
	};
}

function toSessionRecord(row: Selectable<SessionTable>): SessionRecord {
	return {
		id: row.id,
		accountId: row.account_id,
		secretHash: row.secret_hash,
		aal: row.aal,
		createdAt: row.created_at,
		lastActiveAt: row.last_active_at,
		expiresAt: row.expires_at,
		reauthenticatedAt: row.reauthenticated_at,
		revokedAt: row.revoked_at,
		ipAddress: row.ip_address,
		userAgent: row.user_agent,
	};
}

function toLoginChallengeRecord(row: Selectable<LoginChallengeTable>): LoginChallengeRecord {
	return {
		id: row.id,
		accountId: row.account_id,
		secretHash: row.secret_hash,
		createdAt: row.created_at,
		expiresAt: row.expires_at,
		attempts: row.attempts,
		maxAttempts: row.max_attempts,
		consumedAt: row.consumed_at,
		ipAddress: row.ip_address,
		userAgent: row.user_agent,
		firstFactor: row.first_factor,
	};
}

function toAuthFailureRecord(row: Selectable<AuthFailureTable>): AuthFailureRecord {
	return {
		accountId: row.account_id,
		kind: toAuthFailureKind(row.kind),
		failureCount: row.failure_count,
		lastFailureAt: row.last_failure_at,
		lockedUntil: row.locked_until,
		lockoutCount: row.lockout_count,
		attemptsInFlight: row.attempts_in_flight,
		inFlightExpiresAt: row.in_flight_expires_at,
	};
}

function toTrustedDeviceRecord(row: Selectable<TrustedDeviceTable>): TrustedDeviceRecord {
	return {
		id: row.id,
		accountId: row.account_id,
		secretHash: row.secret_hash,
		createdAt: row.created_at,
		lastUsedAt: row.last_used_at,
		expiresAt: row.expires_at,
		revokedAt: row.revoked_at,
		ipAddress: row.ip_address,
		userAgent: row.user_agent,
	};
}

function toSecurityEventRecord(row: Selectable<SecurityEventTable>): SecurityEventRecord {
	return {
		id: row.id,
		accountId: row.account_id,
		type: row.type,
		createdAt: row.created_at,
		ipAddress: row.ip_address,
		userAgent: row.user_agent,
		details: row.details,
	};
}
