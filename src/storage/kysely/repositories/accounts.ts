/** Accounts; `insertAccount` and `changeEmail` rely on the unique constraint on `account.email`. */
import { sql, type Compilable } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { AccountRecord, AccountRepository, CodeStepGates, Store } from "../../store.js";
import { countOf, findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { prepared } from "../prepared.js";
import { rowMapping, type RowOf } from "../rows.js";

/** The fields stored one to one; `groups` is a JSON text column (migration 0012), converted below. */
const plainRows = rowMapping<Omit<AccountRecord, "groups">>({ id: true, email: true, passwordHash: true, createdAt: true, updatedAt: true, emailVerifiedAt: true, secondFactorMailConfirmedAt: true, disabledAt: true });

/** An account's row: the plain fields, and `groups` as JSON text. */
export type AccountRow = RowOf<Omit<AccountRecord, "groups">> & { readonly groups: string };

/**
 * The group names a stored `groups` text holds. Anything but a JSON array of strings (a row
 * written by hand) reads as no group: groups only ever grant access, so an unreadable list
 * grants nothing.
 */
function parseGroups(text: string): readonly string[] {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return Object.freeze([]);
	}
	return Object.freeze(Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
}

/** Converts between accounts and their rows: the plain fields by name, `groups` through JSON (also for the session repository's joined read). */
export const accountRows = Object.freeze({
	toRow: (record: AccountRecord): AccountRow => ({ ...plainRows.toRow(record), groups: JSON.stringify(record.groups) }),
	toRecord: (row: AccountRow): AccountRecord => ({ ...plainRows.toRecord(row), groups: parseGroups(row.groups) }),
});

/** The savepoint around `changeEmail`'s UPDATE inside a transaction (a fixed identifier). */
const CHANGE_EMAIL_SAVEPOINT = sql.raw("deadbolt_change_email");

/** Whether `error` is a unique-constraint violation (PostgreSQL SQLSTATE 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
function isUniqueViolation(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** An account's row with the second factor's lock end and the newest confirmation of an authenticator. */
type CodeStepGatesRow = AccountRow & { readonly second_factor_locked_until: UnixMillis | null; readonly newest_totp_confirmed_at: UnixMillis | null };

/**
 * `lockAccountForCodeStep`'s read: the account row with two scalar subqueries, compiled once per
 * dialect. Never with the row lock in the same statement: on PostgreSQL a statement reads with the
 * snapshot it started with, so one that waited for the account's lock would not see what the
 * lock's holder committed (a second-factor lock, 2FA turned off) in its subqueries.
 */
const CODE_STEP_GATES = prepared("account.codeStepGates", (db, id: string) =>
	db
		.selectFrom("account")
		.selectAll("account")
		.select((eb) => [
			eb.selectFrom("auth_failure").select("auth_failure.locked_until").whereRef("auth_failure.account_id", "=", "account.id").where("auth_failure.kind", "=", sql.lit("second_factor")).as("second_factor_locked_until"),
			eb.selectFrom("totp_credential").select((inner) => inner.fn.max("totp_credential.confirmed_at").as("newest")).whereRef("totp_credential.account_id", "=", "account.id").where("totp_credential.confirmed_at", "is not", null).as("newest_totp_confirmed_at"),
		])
		.where("account.id", "=", id) as unknown as Compilable<CodeStepGatesRow>,
);
/** PostgreSQL's row lock of `lockAccount` (FOR NO KEY UPDATE), compiled once. */
const LOCK_ACCOUNT_ROW = prepared("account.lockRow", (db, id: string) => db.selectFrom("account").select("id").where("id", "=", id).forNoKeyUpdate());

/**
 * The account repository over `db`.
 * @param dialect - decides the one dialect difference of the store: the row lock of `lockAccount`.
 */
export function createAccountRepository(db: Executor, guard: Guard, dialect: Store["dialect"]): AccountRepository {
	return Object.freeze({
		insertAccount(record: AccountRecord): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.insertInto("account")
					.values(accountRows.toRow(record))
					.onConflict((oc) => oc.column("email").doNothing()),
			);
		},
		findAccountById(id: string): Promise<AccountRecord | null> {
			return findFirst(guard, () => db.selectFrom("account").selectAll().where("id", "=", id), accountRows.toRecord);
		},
		listAccountIdsAfter(afterId: string | null, limit: number): Promise<string[]> {
			return findEvery(
				guard,
				() => {
					const all = db.selectFrom("account").select("id");
					return (afterId === null ? all : all.where("id", ">", afterId)).orderBy("id", "asc").limit(limit);
				},
				(row) => row.id,
			);
		},
		findAccountByEmail(email: string): Promise<AccountRecord | null> {
			return findFirst(guard, () => db.selectFrom("account").selectAll().where("email", "=", email), accountRows.toRecord);
		},
		updatePasswordHash(id: string, passwordHash: string | null, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("account").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", id));
		},
		rehashPassword(id: string, oldHash: string, newHash: string): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("account").set({ password_hash: newHash }).where("id", "=", id).where("password_hash", "=", oldHash));
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
		lockAccountForCodeStep(id: string): Promise<CodeStepGates | null> {
			return guard(async () => {
				// PostgreSQL: the lock first, then the read, in a statement of its own (a snapshot taken
				// after the lock's holder committed). SQLite needs no row lock: its transactions are
				// serialized by BEGIN IMMEDIATE.
				if (dialect === "postgres" && (await LOCK_ACCOUNT_ROW.first(db, id)) === undefined) return null;
				const row = await CODE_STEP_GATES.first(db, id);
				if (row === undefined) return null;
				const lockedUntil = row.second_factor_locked_until;
				const newest = row.newest_totp_confirmed_at;
				// Numbers from both drivers (PostgreSQL's int8 aggregates arrive as text).
				return { account: accountRows.toRecord(row), secondFactorLockedUntil: lockedUntil === null ? null : Number(lockedUntil), newestTOTPConfirmedAt: newest === null ? null : Number(newest) };
			});
		},
		markEmailVerified(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("account").set({ email_verified_at: now, updated_at: now }).where("id", "=", id).where("email_verified_at", "is", null));
		},
		changeEmail(id: string, email: string, now: UnixMillis): Promise<boolean> {
			// One conditional UPDATE: refused when another account has the address. Two changes to
			// the same new address racing past that check meet the unique index: the loser's
			// violation is caught and answered false (inside a transaction behind a savepoint, so
			// that on PostgreSQL the transaction goes on).
			const update = (executor: Executor) =>
				executor
					.updateTable("account")
					.set({ email, email_verified_at: now, updated_at: now })
					.where("id", "=", id)
					.where(({ not, exists, selectFrom }) => not(exists(selectFrom("account as other").select("other.id").where("other.email", "=", email).where("other.id", "<>", id))))
					.executeTakeFirst();
			return guard(async () => {
				const inside = db.isTransaction;
				if (inside) await sql`savepoint ${CHANGE_EMAIL_SAVEPOINT}`.execute(db);
				try {
					const result = await update(db);
					if (inside) await sql`release savepoint ${CHANGE_EMAIL_SAVEPOINT}`.execute(db);
					return countOf(result.numUpdatedRows) > 0;
				} catch (error) {
					if (!isUniqueViolation(error)) throw error;
					if (inside) {
						await sql`rollback to savepoint ${CHANGE_EMAIL_SAVEPOINT}`.execute(db);
						await sql`release savepoint ${CHANGE_EMAIL_SAVEPOINT}`.execute(db);
					}
					return false;
				}
			});
		},
		setAccountGroups(id: string, groups: readonly string[], now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("account").set({ groups: JSON.stringify(groups), updated_at: now }).where("id", "=", id));
		},
		setSecondFactorMailConfirmedAt(id: string, confirmedAt: UnixMillis | null, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("account").set({ second_factor_mail_confirmed_at: confirmedAt, updated_at: now }).where("id", "=", id));
		},
		setAccountDisabled(id: string, disabledAt: UnixMillis | null, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.updateTable("account")
					.set({ disabled_at: disabledAt, updated_at: now })
					.where("id", "=", id)
					.where("disabled_at", disabledAt === null ? "is not" : "is", null),
			);
		},
		deleteAccount(id: string): Promise<boolean> {
			// Children go with it: every foreign key to account is ON DELETE CASCADE.
			return wroteAny(guard, () => db.deleteFrom("account").where("id", "=", id));
		},
	});
}
