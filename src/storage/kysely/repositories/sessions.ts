/** Sessions: active means `revoked_at` null and `expires_at` after now. */
import { sql } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { SessionRecord, SessionRepository } from "../../store.js";
import { countOf, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const sessionRows = rowMapping<SessionRecord>({
	id: true, accountId: true, secretHash: true, aal: true, createdAt: true, lastActiveAt: true,
	expiresAt: true, reauthenticatedAt: true, revokedAt: true, ipAddress: true, userAgent: true,
});

/** The session repository over `db`. */
export function createSessionRepository(db: Executor, guard: Guard): SessionRepository {
	return Object.freeze({
		insertSession(record: SessionRecord): Promise<void> {
			return guard(async () => {
				await db.insertInto("session").values(sessionRows.toRow(record)).execute();
			});
		},
		findSession(id: string): Promise<SessionRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("session").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : sessionRows.toRecord(row);
			});
		},
		touchSession(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set({ last_active_at: now })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		markSessionReauthenticated(id: string, now: UnixMillis, aal?: number): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set(aal === undefined ? { reauthenticated_at: now } : { reauthenticated_at: now, aal: sql<number>`case when aal < ${aal} then ${aal} else aal end` })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		revokeSession(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("session")
					.set({ revoked_at: now })
					.where("id", "=", id)
					.where("revoked_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		revokeAccountSessions(accountId: string, now: UnixMillis, exceptId?: string): Promise<number> {
			return guard(async () => {
				// Only active sessions are revoked and counted; expired ones are left as they are.
				let query = db
					.updateTable("session")
					.set({ revoked_at: now })
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now);
				if (exceptId !== undefined) query = query.where("id", "<>", exceptId);
				const result = await query.executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		listActiveSessions(accountId: string, now: UnixMillis): Promise<SessionRecord[]> {
			return guard(async () => {
				const rows = await db
					.selectFrom("session")
					.selectAll()
					.where("account_id", "=", accountId)
					.where("revoked_at", "is", null)
					.where("expires_at", ">", now)
					.orderBy("created_at", "desc")
					.orderBy("id", "desc")
					.execute();
				return rows.map(sessionRows.toRecord);
			});
		},
	});
}
