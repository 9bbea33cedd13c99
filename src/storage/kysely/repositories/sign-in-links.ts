/** Sign-in links: single use as one conditional update. */
import type { UnixMillis } from "../../../platform/clock.js";
import type { SignInLinkRecord, SignInLinkRepository } from "../../store.js";
import { countOf, type Executor, type Guard } from "../executor.js";
import { rowMapping } from "../rows.js";

const signInLinkRows = rowMapping<SignInLinkRecord>({ id: true, accountId: true, secretHash: true, createdAt: true, expiresAt: true, consumedAt: true });

/** The sign-in link repository over `db`. */
export function createSignInLinkRepository(db: Executor, guard: Guard): SignInLinkRepository {
	return Object.freeze({
		insertSignInLink(record: SignInLinkRecord): Promise<void> {
			return guard(async () => {
				await db.insertInto("sign_in_link").values(signInLinkRows.toRow(record)).execute();
			});
		},
		findSignInLink(id: string): Promise<SignInLinkRecord | null> {
			return guard(async () => {
				const row = await db.selectFrom("sign_in_link").selectAll().where("id", "=", id).executeTakeFirst();
				return row === undefined ? null : signInLinkRows.toRecord(row);
			});
		},
		consumeSignInLink(id: string, now: UnixMillis): Promise<boolean> {
			return guard(async () => {
				const result = await db.updateTable("sign_in_link").set({ consumed_at: now }).where("id", "=", id).where("consumed_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
				return countOf(result.numUpdatedRows) > 0;
			});
		},
		consumeAccountSignInLinks(accountId: string, now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.updateTable("sign_in_link").set({ consumed_at: now }).where("account_id", "=", accountId).where("consumed_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
				return countOf(result.numUpdatedRows);
			});
		},
		deleteExpiredSignInLinks(now: UnixMillis): Promise<number> {
			return guard(async () => {
				const result = await db.deleteFrom("sign_in_link").where("expires_at", "<", now).executeTakeFirst();
				return countOf(result.numDeletedRows);
			});
		},
	});
}
