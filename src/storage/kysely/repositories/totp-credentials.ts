/** TOTP credentials: pending rows have `confirmed_at` null and an `expires_at`. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { TOTPCredentialRecord, TOTPCredentialRepository } from "../../store.js";
import { countWritten, inTransaction, wroteAny, type Executor, type Guard } from "../executor.js";
import { prepared } from "../prepared.js";
import { rowMapping } from "../rows.js";

const totpCredentialRows = rowMapping<TOTPCredentialRecord>({
	id: true, accountId: true, secretCiphertext: true, algorithm: true, digits: true, periodSeconds: true,
	createdAt: true, confirmedAt: true, expiresAt: true, lastUsedStep: true, enrollmentSessionId: true,
	name: true, lastUsedAt: true, purpose: true,
});

/** The end of RFC 6238 time step `step` of `periodSeconds`, in Unix milliseconds (when the next step starts). */
function stepEndMs(step: number, periodSeconds: number): number {
	return (step + 1) * periodSeconds * 1000;
}

/** The code step's statements, compiled once per dialect (`prepared.ts`). */
const LIST_CONFIRMED = prepared("totp_credential.listConfirmed", (db, accountId: string) =>
	db.selectFrom("totp_credential").selectAll().where("account_id", "=", accountId).where("confirmed_at", "is not", null).orderBy("confirmed_at", "asc").orderBy("id", "asc"),
);
/** The deciding write: the account's one replay record, whichever authenticator matched (and only while that authenticator is still one of the account's). */
const ADVANCE_REPLAY_RECORD = prepared("account.advanceTOTPReplay", (db, accountId: string, replayUntilMs: UnixMillis, stepStartMs: UnixMillis, credentialId: string) =>
	db
		.updateTable("account")
		.set({ totp_replay_until_ms: replayUntilMs })
		.where("id", "=", accountId)
		.where("totp_replay_until_ms", "<=", stepStartMs)
		.where((eb) => eb.exists(eb.selectFrom("totp_credential").select("totp_credential.id").where("totp_credential.id", "=", credentialId).where("totp_credential.account_id", "=", accountId).where("totp_credential.confirmed_at", "is not", null))),
);
const MARK_USED = prepared("totp_credential.markUsed", (db, id: string, step: number, now: UnixMillis) => db.updateTable("totp_credential").set({ last_used_step: step, last_used_at: now }).where("id", "=", id));

/** The account's newest confirmed credential (latest confirmation) and newest pending one (latest creation): the session check asks for the first. */
const FIND_NEWEST = {
	confirmed: prepared("totp_credential.newestConfirmed", (db, accountId: string) =>
		db.selectFrom("totp_credential").selectAll().where("account_id", "=", accountId).where("confirmed_at", "is not", null).orderBy("confirmed_at", "desc").orderBy("id", "desc").limit(1),
	),
	pending: prepared("totp_credential.newestPending", (db, accountId: string) =>
		db.selectFrom("totp_credential").selectAll().where("account_id", "=", accountId).where("confirmed_at", "is", null).orderBy("created_at", "desc").orderBy("id", "desc").limit(1),
	),
};

/** The TOTP credential repository over `db`. */
export function createTOTPCredentialRepository(db: Executor, guard: Guard): TOTPCredentialRepository {
	/** The account's newest credential in one state: confirmed (latest confirmation) or pending (latest creation). */
	async function findNewest(accountId: string, state: "confirmed" | "pending"): Promise<TOTPCredentialRecord | null> {
		const row = await guard(() => FIND_NEWEST[state].first(db, accountId));
		return row === undefined ? null : totpCredentialRows.toRecord(row);
	}
	return Object.freeze({
		findConfirmedTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null> {
			return findNewest(accountId, "confirmed");
		},
		async listConfirmedTOTPCredentials(accountId: string): Promise<readonly TOTPCredentialRecord[]> {
			const rows = await guard(() => LIST_CONFIRMED.rows(db, accountId));
			return rows.map(totpCredentialRows.toRecord);
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
		confirmTOTPCredential(id: string, step: number, now: UnixMillis, options: { readonly replaceOthers: boolean }): Promise<boolean> {
			return guard(() =>
				inTransaction(db, async (trx) => {
					// The deciding write: only a still-pending, unexpired row is confirmed.
					const confirmed = await trx
						.updateTable("totp_credential")
						.set({ confirmed_at: now, expires_at: null, last_used_step: step, last_used_at: now, purpose: null })
						.where("id", "=", id)
						.where("confirmed_at", "is", null)
						.where("expires_at", ">", now)
						.returning(["account_id", "period_seconds"])
						.executeTakeFirst();
					if (confirmed === undefined) return false;
					// The confirming code's step counts as used for the whole account.
					const end = stepEndMs(step, confirmed.period_seconds);
					await trx.updateTable("account").set({ totp_replay_until_ms: end }).where("id", "=", confirmed.account_id).where("totp_replay_until_ms", "<", end).execute();
					// A new phone: the account's other confirmed credentials go.
					if (options.replaceOthers) {
						await trx
							.deleteFrom("totp_credential")
							.where("account_id", "=", confirmed.account_id)
							.where("id", "<>", id)
							.where("confirmed_at", "is not", null)
							.execute();
					}
					return true;
				}),
			);
		},
		advanceTOTPStep(credential: Pick<TOTPCredentialRecord, "id" | "accountId" | "periodSeconds">, step: number, now: UnixMillis): Promise<boolean> {
			return guard(() =>
				inTransaction(db, async (trx) => {
					if ((await ADVANCE_REPLAY_RECORD.written(trx, credential.accountId, stepEndMs(step, credential.periodSeconds), step * credential.periodSeconds * 1000, credential.id)) === 0) return false;
					await MARK_USED.written(trx, credential.id, step, now);
					return true;
				}),
			);
		},
		renameTOTPCredential(accountId: string, id: string, name: string | null): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("totp_credential").set({ name }).where("id", "=", id).where("account_id", "=", accountId).where("confirmed_at", "is not", null));
		},
		async deleteTOTPCredential(accountId: string, id: string): Promise<"deleted" | "last" | "none"> {
			return guard(() =>
				inTransaction(db, async (trx) => {
					// One conditional write: the row goes only while another confirmed one remains.
					const deleted = await trx
						.deleteFrom("totp_credential")
						.where("id", "=", id)
						.where("account_id", "=", accountId)
						.where("confirmed_at", "is not", null)
						.where((eb) =>
							eb.exists(
								eb
									.selectFrom("totp_credential as other")
									.select("other.id")
									.where("other.account_id", "=", accountId)
									.where("other.id", "<>", id)
									.where("other.confirmed_at", "is not", null),
							),
						)
						.executeTakeFirst();
					if (deleted.numDeletedRows > 0n) return "deleted";
					const exists = await trx.selectFrom("totp_credential").select("id").where("id", "=", id).where("account_id", "=", accountId).where("confirmed_at", "is not", null).executeTakeFirst();
					return exists === undefined ? "none" : "last";
				}),
			);
		},
		deleteTOTPCredentials(accountId: string): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("totp_credential").where("account_id", "=", accountId));
		},
	});
}
