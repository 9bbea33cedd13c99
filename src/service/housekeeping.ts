/**
 * Housekeeping: rows that can no longer be used, or whose retention has passed, are deleted, so
 * tables do not grow without end. `deadbolt serve` runs it at start and every
 * {@link HOUSEKEEPING_INTERVAL_MS}; `deadbolt housekeeping` runs it once.
 *
 * Retention (issue 15, docs/operations.md "Retention"): security activity after
 * `activity.retentionSeconds`, sessions `session.retentionSeconds` after their absolute end,
 * delivered and dead outbox deliveries after `outbox.retentionSeconds`; pending deliveries are
 * kept whatever their age. Those three tables can hold millions of rows, so each is pruned in
 * batches of {@link PRUNE_BATCH_ROWS}: one short statement (its own transaction) per batch, over
 * an index, the event loop free between batches, so neither SQLite's write lock nor the process is
 * held for long.
 */
import { ENDED_ACCESS_TOKEN_RETENTION_DAYS } from "./access-tokens.js";
import { secondsToMillis, type ServiceDeps } from "./deps.js";
import { endOidcGrantsOfExpiredSessions } from "./oidc-grants.js";
import { deleteExpiredOidcPayloads } from "./oidc-payloads.js";

/** How often `serve` runs housekeeping: 10 minutes, in milliseconds. */
export const HOUSEKEEPING_INTERVAL_MS = 600_000;

/**
 * Rows one pruning statement deletes at most: measured on a 2-core machine with two million rows
 * per table, 2,000 rows took 70-110 ms on SQLite (each row leaves three to five indexes), so 1,000
 * keeps the write lock to about 50 ms; ten million old rows then take about 10,000 batches.
 */
export const PRUNE_BATCH_ROWS = 1_000;

/** What one run removed. */
export interface HousekeepingResult {
	readonly expiredLoginChallenges: number;
	readonly expiredSignInLinks: number;
	/** Delivered and dead outbox deliveries older than `outbox.retentionSeconds`. */
	readonly settledDeliveries: number;
	/** Personal access tokens revoked or expired more than `ENDED_ACCESS_TOKEN_RETENTION_DAYS` (30) days ago. */
	readonly endedAccessTokens: number;
	/** OpenID Connect grants of sessions that expired or went idle: ended, their apps told (back-channel logout). */
	readonly endedOidcGrants: number;
	/** OpenID Connect provider rows (codes, tokens, interactions, sessions) past their expiry. */
	readonly expiredOidcPayloads: number;
	/** Security events (account activity) older than `activity.retentionSeconds`. */
	readonly expiredActivity: number;
	/** Sessions whose absolute end passed more than `session.retentionSeconds` ago. */
	readonly endedSessions: number;
}

/** Options of one run. */
export interface HousekeepingOptions {
	/** Rows per pruning statement, 1 to 100,000 (default {@link PRUNE_BATCH_ROWS}). */
	readonly batchRows?: number;
}

/** Lets the event loop serve requests between two batches. */
function nextTurn(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `deleteBatch(batchRows)` until a batch deletes fewer than `batchRows` rows (none is left).
 * @returns the rows deleted in all
 */
async function deleteInBatches(batchRows: number, deleteBatch: (limit: number) => Promise<number>): Promise<number> {
	let total = 0;
	for (;;) {
		const deleted = await deleteBatch(batchRows);
		total += deleted;
		if (deleted < batchRows) return total;
		await nextTurn();
	}
}

/**
 * Deletes expired login challenges and sign-in links (they are refused anyway), and personal access
 * tokens revoked or expired more than 30 days ago; ends the OpenID Connect grants of sessions that
 * expired (telling their apps) and deletes the provider's expired rows; then prunes, in batches, by
 * retention: delivered or dead outbox deliveries (with their attempt log) older than
 * `outbox.retentionSeconds`, security events older than `activity.retentionSeconds`, and sessions
 * that ended (absolute expiry) more than `session.retentionSeconds` ago. The grants are ended before
 * the sessions are deleted (a grant whose session is gone is ended too, at the next run).
 * @throws StorageUnavailable when the database fails (what was deleted before stays deleted)
 */
export async function purgeExpired(deps: ServiceDeps, options: HousekeepingOptions = {}): Promise<HousekeepingResult> {
	const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
	const now = deps.clock.now();
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(now);
	const expiredSignInLinks = await deps.store.signInLinks.deleteExpiredSignInLinks(now);
	const endedAccessTokens = await deps.store.accessTokens.deleteEndedAccessTokens(now - secondsToMillis(ENDED_ACCESS_TOKEN_RETENTION_DAYS * 86_400));
	const endedOidcGrants = await endOidcGrantsOfExpiredSessions(deps);
	const expiredOidcPayloads = await deleteExpiredOidcPayloads(deps, now);
	const settledBefore = now - secondsToMillis(deps.config.outbox.retentionSeconds);
	const settledDeliveries = await deleteInBatches(batchRows, (limit) => deps.store.outbox.deleteSettledDeliveries(settledBefore, limit));
	const activityBefore = now - secondsToMillis(deps.config.activity.retentionSeconds);
	const expiredActivity = await deleteInBatches(batchRows, (limit) => deps.store.securityEvents.deleteSecurityEventsBefore(activityBefore, limit));
	const sessionsBefore = now - secondsToMillis(deps.config.session.retentionSeconds);
	const endedSessions = await deleteInBatches(batchRows, (limit) => deps.store.sessions.deleteSessionsExpiredBefore(sessionsBefore, limit));
	const result: HousekeepingResult = { expiredLoginChallenges, expiredSignInLinks, settledDeliveries, endedAccessTokens, endedOidcGrants, expiredOidcPayloads, expiredActivity, endedSessions };
	if (Object.values(result).some((count) => count > 0)) deps.logger.info({ event: "housekeeping", ...result }, "expired rows deleted");
	return result;
}
