/**
 * Trusted devices: active means `revoked_at` null and `expires_at` after now. The token secret
 * is single use: each use rotates it with one conditional update.
 */
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { TrustedDeviceRecord, TrustedDeviceRepository } from "../../store.js";
import type { Database } from "../database.js";
import { countWritten, findEvery, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const trustedDeviceRows = rowMapping<TrustedDeviceRecord>({
	id: true, accountId: true, secretHash: true, createdAt: true, lastUsedAt: true,
	expiresAt: true, revokedAt: true, ipAddress: true, userAgent: true,
});

/** The trusted device repository over `db`. */
export function createTrustedDeviceRepository(db: Executor, guard: Guard): TrustedDeviceRepository {
	const devices = recordTable(db, guard, "trusted_device", trustedDeviceRows);
	return Object.freeze({
		insertTrustedDevice: devices.insert,
		findTrustedDevice: devices.findById,
		rotateTrustedDevice(id: string, oldSecretHash: string, newSecretHash: string, now: UnixMillis, expiresAt: UnixMillis): Promise<boolean> {
			// The deciding write: only the holder of the current secret of a live device wins;
			// every later caller with the same old secret matches no row.
			return wroteAny(guard, () =>
				db
					.updateTable("trusted_device")
					.set({ secret_hash: newSecretHash, last_used_at: now, expires_at: expiresAt })
					.where("id", "=", id)
					.where("secret_hash", "=", oldSecretHash)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now),
			);
		},
		listActiveTrustedDevices(accountId: string, now: UnixMillis): Promise<TrustedDeviceRecord[]> {
			return findEvery(
				guard,
				() => db.selectFrom("trusted_device").selectAll().where((eb) => activeOfAccount(eb, accountId, now)).orderBy("last_used_at", "desc").orderBy("id", "desc"),
				trustedDeviceRows.toRecord,
			);
		},
		revokeTrustedDevice(accountId: string, id: string, now: UnixMillis): Promise<boolean> {
			// account_id in the condition: an id of another account's device revokes nothing.
			return wroteAny(guard, () =>
				db.updateTable("trusted_device").set({ revoked_at: now }).where("id", "=", id).where("account_id", "=", accountId).where("revoked_at", "is", null),
			);
		},
		revokeAccountTrustedDevices(accountId: string, now: UnixMillis): Promise<number> {
			// Only active devices are revoked and counted; expired ones are left as they are.
			return countWritten(guard, () => db.updateTable("trusted_device").set({ revoked_at: now }).where((eb) => activeOfAccount(eb, accountId, now)));
		},
	});
}

/** The account's devices active at `now`: `account_id = :accountId AND revoked_at IS NULL AND expires_at > :now`. */
function activeOfAccount(eb: ExpressionBuilder<Database, "trusted_device">, accountId: string, now: UnixMillis): Expression<SqlBool> {
	return eb.and([eb("account_id", "=", accountId), eb("revoked_at", "is", null), eb("expires_at", ">", now)]);
}
