/**
 * Personal access tokens: a token works while `revoked_at` is null and `expires_at` is after now
 * (the service checks both); its last use is written at most once per interval by one
 * conditional update.
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { AccessTokenRecord, AccessTokenRepository } from "../../store.js";
import { countWritten, findEvery, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const accessTokenRows = rowMapping<AccessTokenRecord>({
	id: true, accountId: true, name: true, secretHash: true, hosts: true, aal: true, createdAt: true,
	expiresAt: true, lastUsedAt: true, lastUsedIp: true, revokedAt: true,
});

/** The access token repository over `db`. */
export function createAccessTokenRepository(db: Executor, guard: Guard): AccessTokenRepository {
	const tokens = recordTable(db, guard, "access_token", accessTokenRows);
	return Object.freeze({
		insertAccessToken: tokens.insert,
		findAccessToken: tokens.findById,
		listAccountAccessTokens(accountId: string): Promise<AccessTokenRecord[]> {
			return findEvery(
				guard,
				() => db.selectFrom("access_token").selectAll().where("account_id", "=", accountId).where("revoked_at", "is", null).orderBy("created_at", "desc").orderBy("id", "desc"),
				accessTokenRows.toRecord,
			);
		},
		touchAccessToken(id: string, use: { readonly now: UnixMillis; readonly ipAddress: string | null; readonly unlessUsedAfter: UnixMillis }): Promise<boolean> {
			// Of the requests of one interval, on any instance, the first writes; the others match no row.
			return wroteAny(guard, () =>
				db
					.updateTable("access_token")
					.set({ last_used_at: use.now, last_used_ip: use.ipAddress })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<=", use.unlessUsedAfter)])),
			);
		},
		revokeAccessToken(accountId: string, id: string, now: UnixMillis): Promise<boolean> {
			// account_id in the condition: an id of another account's token revokes nothing.
			return wroteAny(guard, () => db.updateTable("access_token").set({ revoked_at: now }).where("id", "=", id).where("account_id", "=", accountId).where("revoked_at", "is", null));
		},
		revokeAccountAccessTokens(accountId: string, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.updateTable("access_token").set({ revoked_at: now }).where("account_id", "=", accountId).where("revoked_at", "is", null));
		},
		deleteEndedAccessTokens(before: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("access_token").where((eb) => eb.or([eb("revoked_at", "<", before), eb("expires_at", "<", before)])));
		},
	});
}
