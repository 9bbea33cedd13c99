/** Sessions: active means `revoked_at` null and `expires_at` after now. */
import { type Compilable, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { UnixMillis } from "../../../platform/clock.js";
import type { SessionAppRecord, SessionRecord, SessionRepository, SessionWithAccountRecord } from "../../store.js";
import type { Database } from "../database.js";
import { checkDeleteBatch, countWritten, findEvery, wroteAny, type Executor, type Guard } from "../executor.js";
import { prepared } from "../prepared.js";
import { recordTable } from "../record-table.js";
import { rowMapping, type RowOf } from "../rows.js";
import { accountRows } from "./accounts.js";

const sessionRows = rowMapping<SessionRecord>({
	id: true, accountId: true, secretHash: true, aal: true, createdAt: true, lastActiveAt: true,
	expiresAt: true, reauthenticatedAt: true, revokedAt: true, ipAddress: true, userAgent: true,
	secondFactorAt: true, amr: true,
});

/**
 * The account's columns in {@link SessionRepository.findSessionWithAccount}'s row, renamed
 * `account__<column>` (the session has columns of the same names); null when the account is gone.
 */
interface JoinedAccountColumns {
	readonly account__id: string | null;
	readonly account__email: string | null;
	readonly account__password_hash: string | null;
	readonly account__created_at: number | null;
	readonly account__updated_at: number | null;
	readonly account__email_verified_at: number | null;
	readonly account__groups: string | null;
	readonly account__second_factor_mail_confirmed_at: number | null;
	readonly account__disabled_at: number | null;
	/** Whether the account has a confirmed authenticator (EXISTS: 0/1 on SQLite, a boolean on PostgreSQL). */
	readonly two_factor_enabled: number | boolean | null;
}

/** A row of the joined read as a session and its account. */
function sessionWithAccountOf(row: RowOf<SessionRecord> & JoinedAccountColumns): SessionWithAccountRecord {
	const session = sessionRows.toRecord(row);
	if (row.account__id === null) return { session, account: null, twoFactorEnabled: false };
	const account = accountRows.toRecord({
		id: row.account__id,
		email: row.account__email as string,
		password_hash: row.account__password_hash,
		created_at: row.account__created_at as number,
		updated_at: row.account__updated_at as number,
		email_verified_at: row.account__email_verified_at,
		groups: row.account__groups as string,
		second_factor_mail_confirmed_at: row.account__second_factor_mail_confirmed_at,
		disabled_at: row.account__disabled_at,
	});
	return { session, account, twoFactorEnabled: row.two_factor_enabled === true || Number(row.two_factor_enabled) === 1 };
}

/**
 * The joined read of `findSessionWithAccount`, compiled once per dialect (`prepared.ts`): it runs
 * before every request of every protected app, and building and compiling it through Kysely each
 * time cost more than SQLite running it. LEFT JOIN: a session whose account is gone still reads
 * (the caller refuses it as such).
 */
const SESSION_WITH_ACCOUNT = prepared("session.findWithAccount", (db, id: string) =>
	db
		.selectFrom("session")
		.leftJoin("account", "account.id", "session.account_id")
		.selectAll("session")
		.select([
			"account.id as account__id",
			"account.email as account__email",
			"account.password_hash as account__password_hash",
			"account.created_at as account__created_at",
			"account.updated_at as account__updated_at",
			"account.email_verified_at as account__email_verified_at",
			"account.groups as account__groups",
			"account.second_factor_mail_confirmed_at as account__second_factor_mail_confirmed_at",
			"account.disabled_at as account__disabled_at",
		])
		.select((eb) => eb.exists(eb.selectFrom("totp_credential").select("totp_credential.id").whereRef("totp_credential.account_id", "=", "session.account_id").where("totp_credential.confirmed_at", "is not", null)).as("two_factor_enabled"))
		.where("session.id", "=", id) as unknown as Compilable<RowOf<SessionRecord> & JoinedAccountColumns>,
);

/** The session repository over `db`. */
export function createSessionRepository(db: Executor, guard: Guard): SessionRepository {
	/** An UPDATE of the session `id` while it is not revoked (expiry is the caller's business). */
	function updateUnrevoked(id: string) {
		return db.updateTable("session").where("id", "=", id).where("revoked_at", "is", null);
	}
	const sessions = recordTable(db, guard, "session", sessionRows);
	return Object.freeze({
		insertSession: sessions.insert,
		findSession: sessions.findById,
		findSessionWithAccount(id: string): Promise<SessionWithAccountRecord | null> {
			return guard(async () => {
				const row = await SESSION_WITH_ACCOUNT.first(db, id);
				return row === undefined ? null : sessionWithAccountOf(row);
			});
		},
		touchSession(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => updateUnrevoked(id).set({ last_active_at: now }));
		},
		markSessionReauthenticated(id: string, now: UnixMillis, secondFactor?: { readonly amr: string }): Promise<boolean> {
			const proved = secondFactor === undefined ? {} : { aal: 2, second_factor_at: now, amr: secondFactor.amr };
			return wroteAny(guard, () => updateUnrevoked(id).set({ reauthenticated_at: now, ...proved }));
		},
		lowerSessionToOneFactor(id: string, amr: string): Promise<boolean> {
			return wroteAny(guard, () => updateUnrevoked(id).set({ aal: 1, second_factor_at: null, amr }));
		},
		replaceSessionSecret(id: string, oldSecretHash: string, newSecretHash: string): Promise<boolean> {
			return wroteAny(guard, () => updateUnrevoked(id).set({ secret_hash: newSecretHash }).where("secret_hash", "=", oldSecretHash));
		},
		revokeSession(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => updateUnrevoked(id).set({ revoked_at: now }));
		},
		revokeAccountSessions(accountId: string, now: UnixMillis, exceptId?: string): Promise<number> {
			// Only active sessions are revoked and counted; expired ones are left as they are.
			return countWritten(guard, () => {
				const query = db.updateTable("session").set({ revoked_at: now }).where((eb) => activeOfAccount(eb, accountId, now));
				return exceptId === undefined ? query : query.where("id", "<>", exceptId);
			});
		},
		deleteSessionsExpiredBefore(before: UnixMillis, limit: number): Promise<number> {
			checkDeleteBatch("deleteSessionsExpiredBefore", limit);
			// `session_app.session_id` is ON DELETE CASCADE: the hosts a session reached go with it.
			return countWritten(guard, () =>
				db.deleteFrom("session").where("id", "in", db.selectFrom("session").select("id").where("expires_at", "<", before).orderBy("expires_at").limit(limit)),
			);
		},
		listActiveSessions(accountId: string, now: UnixMillis): Promise<SessionRecord[]> {
			return findEvery(
				guard,
				() => db.selectFrom("session").selectAll().where((eb) => activeOfAccount(eb, accountId, now)).orderBy("created_at", "desc").orderBy("id", "desc"),
				sessionRows.toRecord,
			);
		},
		recordSessionApp(sessionId: string, host: string, now: UnixMillis, minIntervalMillis: number): Promise<boolean> {
			return wroteAny(guard, () =>
				db
					.insertInto("session_app")
					.values({ session_id: sessionId, host, last_used_at: now })
					.onConflict((conflict) => conflict.columns(["session_id", "host"]).doUpdateSet({ last_used_at: now }).where("session_app.last_used_at", "<=", now - minIntervalMillis)),
			);
		},
		async listSessionApps(sessionIds: readonly string[]): Promise<SessionAppRecord[]> {
			if (sessionIds.length === 0) return [];
			const rows = await guard(() => db.selectFrom("session_app").selectAll().where("session_id", "in", [...sessionIds]).orderBy("last_used_at", "desc").orderBy("host").execute());
			return rows.map((row) => ({ sessionId: row.session_id, host: row.host, lastUsedAt: Number(row.last_used_at) }));
		},
	});
}

/** The account's sessions active at `now`: `account_id = :accountId AND revoked_at IS NULL AND expires_at > :now`. */
function activeOfAccount(eb: ExpressionBuilder<Database, "session">, accountId: string, now: UnixMillis): Expression<SqlBool> {
	return eb.and([eb("account_id", "=", accountId), eb("revoked_at", "is", null), eb("expires_at", ">", now)]);
}
