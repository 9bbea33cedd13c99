/** Accounts; `insertAccount` relies on the unique constraint on `account.email`. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { AccountRecord, AccountRepository, Store } from "../../store.js";
import { findFirst, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const accountRows = rowMapping<AccountRecord>({ id: true, email: true, passwordHash: true, createdAt: true, updatedAt: true });

/**
 * The account repository over `db`.
 * @param dialect - decides the one dialect difference of the store: the row lock of `lockAccount`.
 */
export function createAccountRepository(db: Executor, guard: Guard, dialect: Store["dialect"]): AccountRepository {
	const accounts = recordTable(db, guard, "account", accountRows);
	return Object.freeze({
		insertAccount(record: AccountRecord): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.insertInto("account")
					.values(accountRows.toRow(record))
					.onConflict((oc) => oc.column("email").doNothing()),
			);
		},
		findAccountById: accounts.findById,
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
		deleteAccount(id: string): Promise<boolean> {
			// Children go with it: every foreign key to account is ON DELETE CASCADE.
			return wroteAny(guard, () => db.deleteFrom("account").where("id", "=", id));
		},
	});
}
