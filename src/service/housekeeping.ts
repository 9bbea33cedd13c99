/**
 * Housekeeping: rows that can no longer be used are deleted, so tables do not grow without end.
 * `deadbolt serve` runs it at start and every {@link HOUSEKEEPING_INTERVAL_MS}.
 */
import { secondsToMillis, type ServiceDeps } from "./deps.js";

/** How often `serve` runs housekeeping: 10 minutes, in milliseconds. */
export const HOUSEKEEPING_INTERVAL_MS = 600_000;

/** What one run removed. */
export interface HousekeepingResult {
	readonly expiredLoginChallenges: number;
	readonly expiredSignInLinks: number;
	/** Delivered and dead outbox deliveries older than `outbox.retentionSeconds`. */
	readonly settledDeliveries: number;
}

/**
 * Deletes expired login challenges and sign-in links (they are refused anyway), and delivered or
 * dead outbox deliveries (with their attempt log) older than `outbox.retentionSeconds`.
 */
export async function purgeExpired(deps: ServiceDeps): Promise<HousekeepingResult> {
	const now = deps.clock.now();
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(now);
	const expiredSignInLinks = await deps.store.signInLinks.deleteExpiredSignInLinks(now);
	const settledDeliveries = await deps.store.outbox.deleteSettledDeliveries(now - secondsToMillis(deps.config.outbox.retentionSeconds));
	if (expiredLoginChallenges + expiredSignInLinks + settledDeliveries > 0) deps.logger.debug({ event: "housekeeping", expiredLoginChallenges, expiredSignInLinks, settledDeliveries }, "expired rows deleted");
	return { expiredLoginChallenges, expiredSignInLinks, settledDeliveries };
}
