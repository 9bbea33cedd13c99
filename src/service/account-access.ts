/**
 * The one way the account's access ends (DESIGN §3.10): every sign-out everywhere, password change
 * or set, 2FA off, a move to a new phone and a second-factor lock ends sessions, remembered
 * devices, half-way sign-ins, sign-in links and personal access tokens through {@link endAccountAccess}, inside the
 * transaction of the change and under the account's lock (taken by the caller), so no surface can
 * miss one and a sign-in racing it either ends before (and is ended here) or after (and is refused).
 */
import type { Repositories } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { endAccountOidcGrants } from "./oidc-grants.js";

/** What to end. Each part defaults to false: a caller names what its event ends. */
export interface AccessToEnd {
	/** End the account's sessions; `"all"`, or every one but the session with this id. */
	readonly sessions?: "all" | { readonly except: string };
	/** Forget every remembered device ("remember this device" tokens). */
	readonly trustedDevices?: boolean;
	/** End the login challenges still open (a password entered, the code not yet). */
	readonly loginChallenges?: boolean;
	/** End the unused one-time sign-in links. */
	readonly signInLinks?: boolean;
	/**
	 * Revoke every personal access token (`service/access-tokens.ts`): "I think my account is
	 * compromised", a password reset by mail, 2FA off. Not a sign-out or a password change: tokens
	 * are listed and revoked on their own.
	 */
	readonly accessTokens?: boolean;
}

/** How many sessions and remembered devices ended (for the activity log and the answer). */
export interface EndedAccess {
	readonly sessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** How many personal access tokens were revoked (0 unless `accessTokens` was asked). */
	readonly accessTokensRevoked: number;
}

/**
 * Ends what `what` names of the account's access, at the clock's now.
 * @param tx - the repositories of the transaction that makes the change
 * @returns the counts of sessions, remembered devices and access tokens ended
 */
export async function endAccountAccess(deps: ServiceDeps, tx: Repositories, accountId: string, what: AccessToEnd): Promise<EndedAccess> {
	const now = deps.clock.now();
	const { sessions } = what;
	const sessionsRevoked = sessions === undefined ? 0 : await tx.sessions.revokeAccountSessions(accountId, now, sessions === "all" ? undefined : sessions.except);
	// The apps signed in with OpenID Connect by those sessions: their grants and tokens end, and they are told (back-channel logout).
	if (sessions !== undefined) await endAccountOidcGrants(deps, tx, accountId, sessions === "all" ? null : sessions.except);
	const trustedDevicesRevoked = what.trustedDevices === true ? await tx.trustedDevices.revokeAccountTrustedDevices(accountId, now) : 0;
	if (what.loginChallenges === true) await tx.loginChallenges.consumeAccountLoginChallenges(accountId, now);
	if (what.signInLinks === true) await tx.signInLinks.consumeAccountSignInLinks(accountId, now);
	const accessTokensRevoked = what.accessTokens === true ? await tx.accessTokens.revokeAccountAccessTokens(accountId, now) : 0;
	return { sessionsRevoked, trustedDevicesRevoked, accessTokensRevoked };
}

/** Everything but the session that made the change (access tokens apart: a caller adds them): what a new password or 2FA off ends. */
export function everythingBut(sessionId: string): AccessToEnd {
	return { sessions: { except: sessionId }, trustedDevices: true, loginChallenges: true, signInLinks: true };
}
