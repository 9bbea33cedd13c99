/** Login challenges: an attempt budget and single use, both as conditional updates. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { LoginChallengeRecord, LoginChallengeRepository } from "../../store.js";
import { countOf, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const loginChallengeRows = rowMapping<LoginChallengeRecord>({
	id: true, accountId: true, secretHash: true, createdAt: true, expiresAt: true, attempts: true,
	maxAttempts: true, consumedAt: true, ipAddress: true, userAgent: true, firstFactor: true,
});

/** The login challenge repository over `db`. */
export function createLoginChallengeRepository(db: Executor, guard: Guard): LoginChallengeRepository {
	return Object.freeze({
		insertLoginChallenge(record: LoginChallengeRecord): Promise<void> {
			return guard(async () => {
				await db.insertInto("login_challenge").values(loginChallengeRows.toRow(record)).execute();
			});
		},
		findLoginChallenge(id: string): Promise<LoginChallengeRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("login_challenge").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : loginChallengeRows.toRecord(row);
			});
		},
		reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set((eb) => ({ attempts: eb("attempts", "+", 1) }))
					.where("id", "=", id)
					.where("consumed_at", "is", null)
					.where("expires_at", ">", now)
					.where((eb) => eb("attempts", "<", eb.ref("max_attempts")))
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set({ consumed_at: now })
					.where("id", "=", id)
					.where("consumed_at", "is", null)
					.where("expires_at", ">", now)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db
					.updateTable("login_challenge")
					.set({ consumed_at: now })
					.where("account_id", "=", accountId)
					.where("consumed_at", "is", null)
					.executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		deleteExpiredLoginChallenges(now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("login_challenge").where("expires_at", "<", now).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}
