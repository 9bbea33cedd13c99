/**
 * Housekeeping: rows that can no longer be used are deleted, so tables do not grow without end.
 * `deadbolt serve` runs it at start and every {@link HOUSEKEEPING_INTERVAL_MS}.
 */
import { ENDED_ACCESS_TOKEN_RETENTION_DAYS } from "./access-tokens.js";
import { secondsToMillis, type ServiceDeps } from "./deps.js";
import { endOidcGrantsOfExpiredSessions } from "./oidc-grants.js";
import { deleteExpiredOidcPayloads } from "./oidc-payloads.js";

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
	/** OpenID Connect grants of sessions that expired or went idle: ended, their apps told (back-channel logout). */
	readonly endedOidcGrants: number;
	/** OpenID Connect provider rows (codes, tokens, interactions, sessions) past their expiry. */
	readonly expiredOidcPayloads: number;
}

/**
 * Deletes expired login challenges and sign-in links (they are refused anyway), and delivered or
 * dead outbox deliveries (with their attempt log) older than `outbox.retentionSeconds`, and personal
 * access tokens revoked or expired more than 30 days ago; ends the OpenID Connect grants of
 * sessions that expired (telling their apps) and deletes the provider's expired rows.
 */
export async function purgeExpired(deps: ServiceDeps): Promise<HousekeepingResult> {
	const now = deps.clock.now();
	const expiredLoginChallenges = await deps.store.loginChallenges.deleteExpiredLoginChallenges(now);
	const expiredSignInLinks = await deps.store.signInLinks.deleteExpiredSignInLinks(now);
	const settledDeliveries = await deps.store.outbox.deleteSettledDeliveries(now - secondsToMillis(deps.config.outbox.retentionSeconds));
	const endedAccessTokens = await deps.store.accessTokens.deleteEndedAccessTokens(now - secondsToMillis(ENDED_ACCESS_TOKEN_RETENTION_DAYS * 86_400));
	const endedOidcGrants = await endOidcGrantsOfExpiredSessions(deps);
	const expiredOidcPayloads = await deleteExpiredOidcPayloads(deps, now);
	if (expiredLoginChallenges + expiredSignInLinks + settledDeliveries + endedAccessTokens + endedOidcGrants + expiredOidcPayloads > 0) {
		deps.logger.debug({ event: "housekeeping", expiredLoginChallenges, expiredSignInLinks, settledDeliveries, endedAccessTokens, endedOidcGrants, expiredOidcPayloads }, "expired rows deleted");
	}
	return { expiredLoginChallenges, expiredSignInLinks, settledDeliveries, endedAccessTokens, endedOidcGrants, expiredOidcPayloads };
}
