/**
 * Recovery codes: one row per code, looked up by (account_id, lookup_prefix), or for codes
 * issued before migration 0008 by (account_id, code_hash).
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { RecoveryCodeKeyUse, RecoveryCodeRecord, RecoveryCodeRepository } from "../../store.js";
import type { RecoveryCodeTable } from "../database.js";
import { countOf, countWritten, findFirst, inTransaction, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const recoveryCodeRows = rowMapping<Omit<RecoveryCodeRecord, "hmacKeyId">>({ id: true, accountId: true, codeHash: true, lookupPrefix: true, createdAt: true, usedAt: true });

/** A selected row as a record, with its HMAC key id when it has one (absent: `default`). */
function toRecord(row: RecoveryCodeTable): RecoveryCodeRecord {
	const record = recoveryCodeRows.toRecord(row);
	return row.hmac_key_id === null ? record : { ...record, hmacKeyId: row.hmac_key_id };
}

/** The recovery code repository over `db`. */
export function createRecoveryCodeRepository(db: Executor, guard: Guard): RecoveryCodeRepository {
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
					await trx.insertInto("recovery_code").values(records.map((record) => ({ ...recoveryCodeRows.toRow(record), hmac_key_id: record.hmacKeyId ?? null }))).execute();
				}),
			);
		},
		findUnusedRecoveryCode(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null> {
			return findFirst(
				guard,
				() => db.selectFrom("recovery_code").selectAll().where("account_id", "=", accountId).where("lookup_prefix", "=", lookupPrefix).where("used_at", "is", null),
				toRecord,
			);
		},
		consumeRecoveryCodeById(accountId: string, id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("recovery_code").set({ used_at: now }).where("id", "=", id).where("account_id", "=", accountId).where("used_at", "is", null));
		},
		consumeRecoveryCode(accountId: string, codeHash: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.updateTable("recovery_code")
					.set({ used_at: now })
					.where("account_id", "=", accountId)
					.where("code_hash", "=", codeHash)
					.where("lookup_prefix", "is", null)
					.where("used_at", "is", null),
			);
		},
		findRecoveryCodeByHash(accountId: string, codeHash: string): Promise<RecoveryCodeRecord | null> {
			return findFirst(guard, () => db.selectFrom("recovery_code").selectAll().where("account_id", "=", accountId).where("code_hash", "=", codeHash).limit(1), toRecord);
		},
		findRecoveryCodeByPrefix(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null> {
			return findFirst(guard, () => db.selectFrom("recovery_code").selectAll().where("account_id", "=", accountId).where("lookup_prefix", "=", lookupPrefix).limit(1), toRecord);
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
		countRecoveryCodesByHmacKey(): Promise<RecoveryCodeKeyUse[]> {
			return guard(async () => {
				const rows = await db
					.selectFrom("recovery_code")
					.select((eb) => [
						"hmac_key_id",
						eb.case().when("lookup_prefix", "is", null).then("hmac-sha256").else("argon2id").end().as("scheme"),
						eb.fn.countAll().as("codes"),
						eb.fn.count("account_id").distinct().as("accounts"),
					])
					.where("used_at", "is", null)
					.groupBy(["hmac_key_id", "scheme"])
					.execute();
				return rows.map((row) => ({ hmacKeyId: row.hmac_key_id, scheme: row.scheme as RecoveryCodeKeyUse["scheme"], codes: countOf(row.codes), accounts: countOf(row.accounts) }));
			});
		},
		deleteRecoveryCodes(accountId: string): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("recovery_code").where("account_id", "=", accountId));
		},
	});
}
