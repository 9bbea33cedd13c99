/** TOTP credentials: pending rows have `confirmed_at` null and an `expires_at`. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { TOTPCredentialRecord, TOTPCredentialRepository } from "../../store.js";
import { countWritten, findFirst, inTransaction, wroteAny, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const totpCredentialRows = rowMapping<TOTPCredentialRecord>({
	id: true, accountId: true, secretCiphertext: true, algorithm: true, digits: true, periodSeconds: true,
	createdAt: true, confirmedAt: true, expiresAt: true, lastUsedStep: true, enrollmentSessionId: true,
});

/** The TOTP credential repository over `db`. */
export function createTOTPCredentialRepository(db: Executor, guard: Guard): TOTPCredentialRepository {
	/** The account's newest credential in one state: confirmed (latest confirmation) or pending (latest creation). */
	function findNewest(accountId: string, state: "confirmed" | "pending"): Promise<TOTPCredentialRecord | null> {
		return findFirst(
			guard,
			() =>
				db
					.selectFrom("totp_credential")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("confirmed_at", state === "confirmed" ? "is not" : "is", null)
					.orderBy(state === "confirmed" ? "confirmed_at" : "created_at", "desc")
					.orderBy("id", "desc")
					.limit(1),
			totpCredentialRows.toRecord,
		);
	}
	return Object.freeze({
		findConfirmedTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null> {
			return findNewest(accountId, "confirmed");
		},
		findPendingTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null> {
			return findNewest(accountId, "pending");
		},
		async replacePendingTOTPCredential(record: TOTPCredentialRecord): Promise<void> {
			if (record.confirmedAt !== null) {
				throw new TypeError("replacePendingTOTPCredential takes a pending credential (confirmedAt null)");
			}
			await guard(() =>
				inTransaction(db, async (trx) => {
					await trx.deleteFrom("totp_credential").where("account_id", "=", record.accountId).where("confirmed_at", "is", null).execute();
					await trx.insertInto("totp_credential").values(totpCredentialRows.toRow(record)).execute();
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
			return wroteAny(guard, () => db.updateTable("totp_credential").set({ last_used_step: step }).where("id", "=", id).where("last_used_step", "<", step));
		},
		deleteTOTPCredentials(accountId: string): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("totp_credential").where("account_id", "=", accountId));
		},
	});
}
