/**
 * Email tokens (single-use mailed links): consuming, reserving a code attempt and recording the
 * second factor are each one conditional UPDATE, decided by its affected-row count.
 */
import type { UnixMillis } from "../../../platform/clock.js";
import type { EmailTokenPurpose, EmailTokenRecord, EmailTokenRepository } from "../../store.js";
import { countOf, countWritten, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const emailTokenRows = rowMapping<EmailTokenRecord>({
	id: true, purpose: true, accountId: true, email: true, secretHash: true, passwordHash: true, createdAt: true,
	expiresAt: true, consumedAt: true, secondFactorVerifiedAt: true, attempts: true, ipAddress: true,
});

/** The email token repository over `db`. */
export function createEmailTokenRepository(db: Executor, guard: Guard): EmailTokenRepository {
	/** An UPDATE of the tokens still open at `now` (not consumed, not expired); the caller adds what it sets. */
	function updateOpen(now: UnixMillis) {
		return db.updateTable("email_token").where("consumed_at", "is", null).where("expires_at", ">", now);
	}
	const tokens = recordTable(db, guard, "email_token", emailTokenRows);
	return Object.freeze({
		insertEmailToken: tokens.insert,
		findEmailToken: tokens.findById,
		consumeEmailToken(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => updateOpen(now).set({ consumed_at: now }).where("id", "=", id));
		},
		reserveEmailTokenAttempt(id: string, now: UnixMillis, maxAttempts: number): Promise<boolean> {
			return wroteAny(guard, () =>
				updateOpen(now)
					.set((eb) => ({ attempts: eb("attempts", "+", 1) }))
					.where("id", "=", id)
					.where("attempts", "<", maxAttempts),
			);
		},
		markEmailTokenSecondFactorVerified(id: string, now: UnixMillis): Promise<boolean> {
			// Only on an open link: a used or expired one proves nothing any more.
			return wroteAny(guard, () => updateOpen(now).set({ second_factor_verified_at: now }).where("id", "=", id).where("second_factor_verified_at", "is", null));
		},
		consumeAccountEmailTokens(accountId: string, now: UnixMillis, purpose?: EmailTokenPurpose): Promise<number> {
			return countWritten(guard, () => {
				const query = updateOpen(now).set({ consumed_at: now }).where("account_id", "=", accountId);
				return purpose === undefined ? query : query.where("purpose", "=", purpose);
			});
		},
		consumeEmailTokensForAddress(purpose: EmailTokenPurpose, email: string, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => updateOpen(now).set({ consumed_at: now }).where("purpose", "=", purpose).where("email", "=", email));
		},
		countRecentEmailTokens(
			purpose: EmailTokenPurpose,
			key: { readonly accountId: string } | { readonly email: string } | { readonly ipAddress: string },
			since: UnixMillis,
		): Promise<number> {
			return guard(async () => {
				const query = db
					.selectFrom("email_token")
					.select((eb) => eb.fn.countAll().as("recent"))
					.where("purpose", "=", purpose)
					.where("created_at", ">=", since);
				const keyed =
					"accountId" in key ? query.where("account_id", "=", key.accountId) : "email" in key ? query.where("email", "=", key.email) : query.where("ip_address", "=", key.ipAddress);
				const row = await keyed.executeTakeFirstOrThrow();
				return countOf(row.recent);
			});
		},
		deleteExpiredEmailTokens(now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("email_token").where("expires_at", "<", now));
		},
	});
}
