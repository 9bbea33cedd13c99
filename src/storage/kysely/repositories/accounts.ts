/** Accounts; `insertAccount` relies on the unique constraint on `account.email`. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { AccountRecord, AccountRepository, Store } from "../../store.js";
import { countOf, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const accountRows = rowMapping<AccountRecord>({ id: true, email: true, passwordHash: true, createdAt: true, updatedAt: true });

/**
 * The account repository over `db`.
 * @param dialect - decides the one dialect difference of the store: the row lock of `lockAccount`.
 */
export function createAccountRepository(db: Executor, guard: Guard, dialect: Store["dialect"]): AccountRepository {
	return Object.freeze({
		insertAccount(record: AccountRecord): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.insertInto("account")
					.values(accountRows.toRow(record))
					.onConflict((oc) => oc.column("email").doNothing())
					.executeTakeFirst();
				return countOf(result.numInsertedOrUpdatedRows ?? 0n) > 0;
			});
		},
		findAccountById(id: string): Promise<AccountRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("account").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : accountRows.toRecord(row);
			});
		},
		findAccountByEmail(email: string): Promise<AccountRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("account").selectAll().where("email", "=", email).executeTakeFirst();
				return row === undefined ? null : accountRows.toRecord(row);
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
