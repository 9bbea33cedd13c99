/**
 * The operators' reads over every account (the admin API's and the CLI's account list) and the
 * record of deleted accounts. The list is one statement per page: accounts in `email` order (the
 * unique index on `account.email` serves the order, the cursor and a prefix search), each with its
 * 2FA state, lock and last sign-in read by correlated subqueries through the `account_id` indexes
 * (`totp_credential_account_id_idx`, `auth_failure`'s primary key, `session_account_id_idx`), so a
 * page costs its rows, never a scan of every account's sessions, and never one query per row.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { Database } from "../database.js";
import type { AccountDirectoryRepository, AccountListEntry, AccountListQuery, DeletedAccountRecord } from "../../store.js";
import { findFirst, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";
import { accountRows, type AccountRow } from "./accounts.js";

const deletedRows = rowMapping<DeletedAccountRecord>({ accountId: true, deletedAt: true, createdAt: true, via: true, operator: true, reason: true });

/** `text` with LIKE's wildcards (`%`, `_`) and the escape character itself escaped by `\`. */
export function escapeLike(text: string): string {
	return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `column LIKE pattern ESCAPE '\'`, the same in SQLite and PostgreSQL. */
function likeEscaped(column: string, pattern: string): Expression<SqlBool> {
	return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

/** A number from the driver (PostgreSQL may answer text for an aggregate's int8). */
function numberOrNull(value: unknown): number | null {
	return value === null || value === undefined ? null : Number(value);
}

/** The repository over `db`. */
export function createAccountDirectoryRepository(db: Executor, guard: Guard): AccountDirectoryRepository {
	return Object.freeze({
		listAccounts(query: AccountListQuery): Promise<AccountListEntry[]> {
			return guard(async () => {
				const { now } = query;
				let select = db
					.selectFrom("account")
					.selectAll("account")
					.select((eb) => [
						eb.exists(eb.selectFrom("totp_credential").select("totp_credential.id").whereRef("totp_credential.account_id", "=", "account.id").where("totp_credential.confirmed_at", "is not", null)).as("two_factor_enabled"),
						eb.selectFrom("auth_failure").select((inner) => inner.fn.max("auth_failure.locked_until").as("m")).whereRef("auth_failure.account_id", "=", "account.id").as("locked_until"),
						eb.selectFrom("session").select((inner) => inner.fn.max("session.created_at").as("m")).whereRef("session.account_id", "=", "account.id").as("last_sign_in_at"),
					]);
				if (query.exactEmail !== undefined && query.exactEmail !== null) select = select.where("account.email", "=", query.exactEmail);
				if (query.afterEmail !== null) select = select.where("account.email", ">", query.afterEmail);
				if (query.prefix !== null) select = select.where(likeEscaped("account.email", `${escapeLike(query.prefix)}%`));
				if (query.search !== null) select = select.where(likeEscaped("account.email", `%${escapeLike(query.search)}%`));
				if (query.group !== null) select = select.where(likeEscaped("account.groups", `%${escapeLike(JSON.stringify(query.group))}%`));
				if (query.disabled !== null) select = select.where("account.disabled_at", query.disabled ? "is not" : "is", null);
				if (query.twoFactor !== null) {
					const has = (eb: ExpressionBuilder<Database, "account">) => eb.exists(eb.selectFrom("totp_credential").select("totp_credential.id").whereRef("totp_credential.account_id", "=", "account.id").where("totp_credential.confirmed_at", "is not", null));
					select = select.where((eb) => (query.twoFactor === true ? has(eb) : eb.not(has(eb))));
				}
				if (query.locked !== null) {
					const locked = (eb: ExpressionBuilder<Database, "account">) => eb.exists(eb.selectFrom("auth_failure").select("auth_failure.account_id").whereRef("auth_failure.account_id", "=", "account.id").where("auth_failure.locked_until", ">", now));
					select = select.where((eb) => (query.locked === true ? locked(eb) : eb.not(locked(eb))));
				}
				const rows = await select.orderBy("account.email", "asc").limit(query.limit).execute();
				return rows.map((row) => {
					const { two_factor_enabled, locked_until, last_sign_in_at, ...account } = row as typeof row & { two_factor_enabled: unknown; locked_until: unknown; last_sign_in_at: unknown };
					return {
						account: accountRows.toRecord(account as unknown as AccountRow),
						twoFactorEnabled: two_factor_enabled === true || Number(two_factor_enabled) === 1,
						lockedUntil: numberOrNull(locked_until),
						lastSignInAt: numberOrNull(last_sign_in_at),
					};
				});
			});
		},
		async insertDeletedAccount(record: DeletedAccountRecord): Promise<void> {
			await guard(() => db.insertInto("deleted_account").values(deletedRows.toRow(record)).execute());
		},
		findDeletedAccount(accountId: string): Promise<DeletedAccountRecord | null> {
			return findFirst(guard, () => db.selectFrom("deleted_account").selectAll().where("account_id", "=", accountId), (row) => ({ ...deletedRows.toRecord(row), deletedAt: Number(row.deleted_at), createdAt: Number(row.created_at) }));
		},
	});
}
