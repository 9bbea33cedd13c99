/** Login challenges: an attempt budget and single use, both as conditional updates. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { LoginChallengeRecord, LoginChallengeRepository } from "../../store.js";
import { countWritten, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { prepared } from "../prepared.js";
import { rowMapping } from "../rows.js";

const loginChallengeRows = rowMapping<LoginChallengeRecord>({
	id: true, accountId: true, secretHash: true, createdAt: true, expiresAt: true, attempts: true,
	maxAttempts: true, consumedAt: true, ipAddress: true, userAgent: true, firstFactor: true, purpose: true,
});

/** The code step's two conditional writes, compiled once per dialect (`prepared.ts`). */
const RESERVE_ATTEMPT = prepared("login_challenge.reserveAttempt", (db, id: string, now: UnixMillis) =>
	db
		.updateTable("login_challenge")
		.set((eb) => ({ attempts: eb("attempts", "+", 1) }))
		.where("id", "=", id)
		.where("consumed_at", "is", null)
		.where("expires_at", ">", now)
		.where((eb) => eb("attempts", "<", eb.ref("max_attempts"))),
);
const CONSUME = prepared("login_challenge.consume", (db, id: string, now: UnixMillis) =>
	db.updateTable("login_challenge").set({ consumed_at: now }).where("id", "=", id).where("consumed_at", "is", null).where("expires_at", ">", now),
);

/** The login challenge repository over `db`. */
export function createLoginChallengeRepository(db: Executor, guard: Guard): LoginChallengeRepository {
	const challenges = recordTable(db, guard, "login_challenge", loginChallengeRows);
	return Object.freeze({
		insertLoginChallenge: challenges.insert,
		findLoginChallenge: challenges.findById,
		reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => (await RESERVE_ATTEMPT.written(db, id, now)) > 0);
		},
		consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => (await CONSUME.written(db, id, now)) > 0);
		},
		consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.updateTable("login_challenge").set({ consumed_at: now }).where("account_id", "=", accountId).where("consumed_at", "is", null));
		},
		deleteExpiredLoginChallenges(now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("login_challenge").where("expires_at", "<", now));
		},
	});
}
