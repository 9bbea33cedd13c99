/**
 * Housekeeping: rows that can no longer be used are deleted, so tables do not grow without end.
 * `deadbolt serve` runs it at start and every {@link HOUSEKEEPING_INTERVAL_MS}.
 */
import type { ServiceDeps } from "./deps.js";

/** How often `serve` runs housekeeping: 10 minutes, in milliseconds. */
export const HOUSEKEEPING_INTERVAL_MS = 600_000;

/** What one run removed. */
export interface HousekeepingResult {
	readonly expiredLoginChallenges: number;
}

/** Deletes expired login challenges (they are refused anyway). */
export async function purgeExpired(deps: ServiceDeps): Promise<HousekeepingResult> {
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(deps.clock.now());
	if (expiredLoginChallenges > 0) deps.logger.debug({ event: "housekeeping", expiredLoginChallenges }, "expired rows deleted");
	return { expiredLoginChallenges };
}
