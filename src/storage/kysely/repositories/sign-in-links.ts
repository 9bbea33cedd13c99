/** Sign-in links: single use as one conditional update. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { SignInLinkRecord, SignInLinkRepository } from "../../store.js";
import { countWritten, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const signInLinkRows = rowMapping<SignInLinkRecord>({ id: true, accountId: true, secretHash: true, createdAt: true, expiresAt: true, consumedAt: true });

/** The sign-in link repository over `db`. */
export function createSignInLinkRepository(db: Executor, guard: Guard): SignInLinkRepository {
	/** An UPDATE that consumes the links still open at `now` (not consumed, not expired). */
	function consumeOpen(now: UnixMillis) {
		return db.updateTable("sign_in_link").set({ consumed_at: now }).where("consumed_at", "is", null).where("expires_at", ">", now);
	}
	const links = recordTable(db, guard, "sign_in_link", signInLinkRows);
	return Object.freeze({
		insertSignInLink: links.insert,
		findSignInLink: links.findById,
		consumeSignInLink(id: string, now: UnixMillis): Promise<boolean> {
			return wroteAny(guard, () => consumeOpen(now).where("id", "=", id));
		},
		consumeAccountSignInLinks(accountId: string, now: UnixMillis): Promise<number> {
			return countWritten(guard, () => consumeOpen(now).where("account_id", "=", accountId));
		},
		deleteExpiredSignInLinks(now: UnixMillis): Promise<number> {
			return countWritten(guard, () => db.deleteFrom("sign_in_link").where("expires_at", "<", now));
		},
	});
}
