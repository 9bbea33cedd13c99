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
	readonly expiredSignInLinks: number;
}

/** Deletes expired login challenges and sign-in links (they are refused anyway). */
export async function purgeExpired(deps: ServiceDeps): Promise<HousekeepingResult> {
	const now = deps.clock.now();
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(now);
	const expiredSignInLinks = await deps.store.signInLinks.deleteExpiredSignInLinks(now);
	if (expiredLoginChallenges + expiredSignInLinks > 0) deps.logger.debug({ event: "housekeeping", expiredLoginChallenges, expiredSignInLinks }, "expired rows deleted");
	return { expiredLoginChallenges, expiredSignInLinks };
}
