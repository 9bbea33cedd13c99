/** Login challenges: an attempt budget and single use, both as conditional updates. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { LoginChallengeRecord, LoginChallengeRepository } from "../../store.js";
import { countWritten, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const loginChallengeRows = rowMapping<LoginChallengeRecord>({
	id: true, accountId: true, secretHash: true, createdAt: true, expiresAt: true, attempts: true,
	maxAttempts: true, consumedAt: true, ipAddress: true, userAgent: true, firstFactor: true, purpose: true,
});

/** The login challenge repository over `db`. */
export function createLoginChallengeRepository(db: Executor, guard: Guard): LoginChallengeRepository {
	/** An UPDATE of the challenge `id` while it is open at `now`: not consumed, not expired. */
	function updateOpen(id: string, now: UnixMillis) {
		return db.updateTable("login_challenge").where("id", "=", id).where("consumed_at", "is", null).where("expires_at", ">", now);
	}
	const challenges = recordTable(db, guard, "login_challenge", loginChallengeRows);
	return Object.freeze({
		insertLoginChallenge: challenges.insert,
		findLoginChallenge: challenges.findById,
		reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () =>
				updateOpen(id, now)
					.set((eb) => ({ attempts: eb("attempts", "+", 1) }))
					.where((eb) => eb("attempts", "<", eb.ref("max_attempts"))),
			);
		},
		consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => updateOpen(id, now).set({ consumed_at: now }));
		},
		consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.updateTable("login_challenge").set({ consumed_at: now }).where("account_id", "=", accountId).where("consumed_at", "is", null));
		},
		deleteExpiredLoginChallenges(now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("login_challenge").where("expires_at", "<", now));
		},
	});
}
