/**
 * Trusted devices: active means `revoked_at` null and `expires_at` after now. The token secret
 * is single use: each use rotates it with one conditional update.
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { TrustedDeviceRecord, TrustedDeviceRepository } from "../../store.js";
import { countOf, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const trustedDeviceRows = rowMapping<TrustedDeviceRecord>({
	id: true, accountId: true, secretHash: true, createdAt: true, lastUsedAt: true,
	expiresAt: true, revokedAt: true, ipAddress: true, userAgent: true,
});

/** The trusted device repository over `db`. */
export function createTrustedDeviceRepository(db: Executor, guard: Guard): TrustedDeviceRepository {
	return Object.freeze({
		insertTrustedDevice(record: TrustedDeviceRecord): Promise<void> {
			return guard(async () => {
				await db.insertInto("trusted_device").values(trustedDeviceRows.toRow(record)).execute();
			});
		},
		findTrustedDevice(id: string): Promise<TrustedDeviceRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("trusted_device").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : trustedDeviceRows.toRecord(row);
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
				return rows.map(trustedDeviceRows.toRecord);
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
