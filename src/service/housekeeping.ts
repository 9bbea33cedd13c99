/**
 * Housekeeping: rows that can no longer be used are deleted, so tables do not grow without end.
 * `deadbolt serve` runs it at start and every {@link HOUSEKEEPING_INTERVAL_MS}.
 */
import { ENDED_ACCESS_TOKEN_RETENTION_DAYS } from "./access-tokens.js";
import { secondsToMillis, type ServiceDeps } from "./deps.js";

/** How often `serve` runs housekeeping: 10 minutes, in milliseconds. */
export const HOUSEKEEPING_INTERVAL_MS = 600_000;

/** What one run removed. */
export interface HousekeepingResult {
	readonly expiredLoginChallenges: number;
	readonly expiredSignInLinks: number;
	/** Delivered and dead outbox deliveries older than `outbox.retentionSeconds`. */
	readonly settledDeliveries: number;
	/** Personal access tokens revoked or expired more than `ENDED_ACCESS_TOKEN_RETENTION_DAYS` (30) days ago. */
	readonly endedAccessTokens: number;
}

/**
 * Deletes expired login challenges and sign-in links (they are refused anyway), and delivered or
 * dead outbox deliveries (with their attempt log) older than `outbox.retentionSeconds`, and personal
 * access tokens revoked or expired more than 30 days ago.
 */
export async function purgeExpired(deps: ServiceDeps): Promise<HousekeepingResult> {
	const now = deps.clock.now();
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(now);
	const expiredSignInLinks = await deps.store.signInLinks.deleteExpiredSignInLinks(now);
	const settledDeliveries = await deps.store.outbox.deleteSettledDeliveries(now - secondsToMillis(deps.config.outbox.retentionSeconds));
	const endedAccessTokens = await deps.store.accessTokens.deleteEndedAccessTokens(now - secondsToMillis(ENDED_ACCESS_TOKEN_RETENTION_DAYS * 86_400));
	if (expiredLoginChallenges + expiredSignInLinks + settledDeliveries + endedAccessTokens > 0) {
		deps.logger.debug({ event: "housekeeping", expiredLoginChallenges, expiredSignInLinks, settledDeliveries, endedAccessTokens }, "expired rows deleted");
	}
	return { expiredLoginChallenges, expiredSignInLinks, settledDeliveries, endedAccessTokens };
}
