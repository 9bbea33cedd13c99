/** The OpenID Connect provider's stored models (`oidc_payload`): one row per model and id; a grant's rows go with it. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { OidcPayloadRecord, OidcPayloadRepository, OidcPayloadWrite } from "../../store.js";
import type { OidcPayloadTable } from "../database.js";
import { countWritten, findEvery, findFirst, wroteAny, type Executor, type Guard } from "../executor.js";

/** A nullable int64 column as a number (PostgreSQL's driver gives int8 as text). */
function millisOrNull(value: number | string | null): UnixMillis | null {
	return value === null ? null : Number(value);
}

/** The record of a selected row. */
function toRecord(row: OidcPayloadTable): OidcPayloadRecord {
	return {
		model: row.model,
		id: row.id,
		payload: row.payload,
		grantId: row.grant_id,
		uid: row.uid,
		userCode: row.user_code,
		sessionId: row.session_id,
		accountId: row.account_id,
		clientId: row.client_id,
		sid: row.sid,
		createdAt: Number(row.created_at),
		expiresAt: millisOrNull(row.expires_at),
		consumedAt: millisOrNull(row.consumed_at),
		lastUsedAt: millisOrNull(row.last_used_at),
	};
}

/** The provider's repository over `db`. */
export function createOidcPayloadRepository(db: Executor, guard: Guard): OidcPayloadRepository {
	return Object.freeze({
		async upsertOidcPayload(record: OidcPayloadWrite): Promise<void> {
			const library = {
				payload: record.payload,
				grant_id: record.grantId,
				uid: record.uid,
				user_code: record.userCode,
				account_id: record.accountId,
				client_id: record.clientId,
				sid: record.sid,
				expires_at: record.expiresAt,
			};
			await guard(() =>
				db
					.insertInto("oidc_payload")
					.values({ model: record.model, id: record.id, created_at: record.createdAt, session_id: null, consumed_at: null, last_used_at: null, ...library })
					.onConflict((conflict) => conflict.columns(["model", "id"]).doUpdateSet(library))
					.execute(),
			);
		},
		findOidcPayload(model: string, id: string): Promise<OidcPayloadRecord | null> {
			return findFirst(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", model).where("id", "=", id), toRecord);
		},
		findOidcPayloadByUid(model: string, uid: string): Promise<OidcPayloadRecord | null> {
			return findFirst(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", model).where("uid", "=", uid).limit(1), toRecord);
		},
		findOidcPayloadByUserCode(model: string, userCode: string): Promise<OidcPayloadRecord | null> {
			return findFirst(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", model).where("user_code", "=", userCode).limit(1), toRecord);
		},
		consumeOidcPayload(model: string, id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("oidc_payload").set({ consumed_at: now }).where("model", "=", model).where("id", "=", id).where("consumed_at", "is", null));
		},
		destroyOidcPayload(model: string, id: string): Promise<boolean> {
			return wroteAny(guard, () => db.deleteFrom("oidc_payload").where("model", "=", model).where("id", "=", id));
		},
		revokeOidcGrant(grantId: string): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("oidc_payload").where((eb) => eb.or([eb("grant_id", "=", grantId), eb.and([eb("model", "=", "Grant"), eb("id", "=", grantId)])])));
		},
		bindOidcGrant(grantId: string, sessionId: string): Promise<boolean> {
			return wroteAny(guard, () => db.updateTable("oidc_payload").set({ session_id: sessionId }).where("model", "=", "Grant").where("id", "=", grantId));
		},
		async noteOidcGrantUse(grantId: string, sid: string | null, now: UnixMillis): Promise<void> {
			await guard(() =>
				db
					.updateTable("oidc_payload")
					.set((eb) => ({ last_used_at: now, sid: sid === null ? eb.ref("sid") : sid }))
					.where("model", "=", "Grant")
					.where("id", "=", grantId)
					.execute(),
			);
		},
		async listOidcGrantsOfSessions(sessionIds: readonly string[]): Promise<OidcPayloadRecord[]> {
			if (sessionIds.length === 0) return [];
			return findEvery(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", "Grant").where("session_id", "in", [...sessionIds]), toRecord);
		},
		listOidcGrantsOfAccount(accountId: string): Promise<OidcPayloadRecord[]> {
			return findEvery(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", "Grant").where("account_id", "=", accountId).orderBy("created_at", "desc"), toRecord);
		},
		listOidcGrantsOfEndedSessions(now: UnixMillis, idleCutoff: UnixMillis, limit: number): Promise<OidcPayloadRecord[]> {
			return findEvery(
				guard,
				() =>
					db
						.selectFrom("oidc_payload")
						.leftJoin("session", "session.id", "oidc_payload.session_id")
						.selectAll("oidc_payload")
						.where("oidc_payload.model", "=", "Grant")
						.where("oidc_payload.session_id", "is not", null)
						.where((eb) => eb.or([eb("session.id", "is", null), eb("session.revoked_at", "is not", null), eb("session.expires_at", "<=", now), eb("session.last_active_at", "<=", idleCutoff)]))
						.orderBy("oidc_payload.created_at")
						.limit(limit),
				toRecord,
			);
		},
		listOidcGrantsOfClient(clientId: string): Promise<OidcPayloadRecord[]> {
			return findEvery(guard, () => db.selectFrom("oidc_payload").selectAll().where("model", "=", "Grant").where("client_id", "=", clientId), toRecord);
		},
		deleteOidcPayloadsOfClient(clientId: string): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("oidc_payload").where("client_id", "=", clientId));
		},
		deleteExpiredOidcPayloads(now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("oidc_payload").where("expires_at", "is not", null).where("expires_at", "<", now));
		},
	});
}
