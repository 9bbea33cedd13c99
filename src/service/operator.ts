/**
 * Support tasks for operators (the CLI) and the admin API's key check: things an end user cannot
 * do for themselves.
 */
import { NotFound, Unauthenticated } from "../errors.js";
import { secretKeyMatches } from "../domain/crypto/constant-time.js";
import { isWellFormedId } from "../domain/crypto/token.js";
import { endAccountAccess } from "./account-access.js";
import { normalizeEmail } from "./accounts.js";
import { NO_CONTEXT, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";

/**
 * Ends every lock and forgets every failure count of the account (password and second factor),
 * e.g. after the second factor locked until reset (100 consecutive failures, NIST SP 800-63B
 * §5.2.2) and the owner proved who they are to support.
 * @throws NotFound when no account has that email
 */
export async function unlockAccount(deps: ServiceDeps, email: string): Promise<void> {
	const normalized = normalizeEmail(email);
	const account = normalized === null ? null : await deps.store.accounts.findAccountByEmail(normalized);
	if (account === null) throw new NotFound("No account has that email.");
	await deps.store.transaction(async (tx) => {
		await tx.authFailures.clearAuthFailures(account.id, "password");
		await tx.authFailures.clearAuthFailures(account.id, "second_factor");
		await recordSecurityEvent(deps, tx, account.id, "account.unlocked", NO_CONTEXT);
	});
	deps.logger.warn({ event: "account.unlocked", accountId: account.id }, "account unlocked by an operator");
}

/**
 * An operator's "sign out everywhere" for an account (a stolen laptop reported to support, an
 * employee leaving): every session, remembered device, open login challenge, sign-in link and
 * personal access token ends at once, in one transaction under the account's lock, with a
 * `sessions.revoked` event (`scope` `"everywhere"`, `by` `"operator"`). Every app behind the
 * forward-auth proxy refuses the very next request. Tokens end too: this is the operator's only
 * lever, and a token on the stolen laptop (or of the person leaving) must not outlive it.
 * @param accountId - the account (the admin API's path), or null with `email` (the CLI)
 * @throws NotFound when no account matches
 */
export async function signOutAccountEverywhere(deps: ServiceDeps, target: { readonly accountId: string } | { readonly email: string }): Promise<{ accountId: string; email: string; sessionsRevoked: number; trustedDevicesRevoked: number; accessTokensRevoked: number }> {
	const account = "accountId" in target ? (isWellFormedId(target.accountId) ? await deps.store.accounts.findAccountById(target.accountId) : null) : await findByEmail(deps, target.email);
	if (account === null) throw new NotFound("No such account.");
	const ended = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		const result = await endAccountAccess(deps, tx, account.id, { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true, accessTokens: true });
		await recordSecurityEvent(deps, tx, account.id, "sessions.revoked", NO_CONTEXT, { scope: "everywhere", by: "operator", sessions: result.sessionsRevoked, trustedDevices: result.trustedDevicesRevoked, accessTokens: result.accessTokensRevoked });
		return result;
	});
	deps.logger.warn({ event: "account.signed_out_by_operator", accountId: account.id, sessionsRevoked: ended.sessionsRevoked, accessTokensRevoked: ended.accessTokensRevoked }, "account signed out everywhere by an operator");
	return { accountId: account.id, email: account.email, ...ended };
}

async function findByEmail(deps: ServiceDeps, email: string) {
	const normalized = normalizeEmail(email);
	return normalized === null ? null : deps.store.accounts.findAccountByEmail(normalized);
}

/**
 * Checks the bearer key of an admin API request against `keys.adminApiKey`, in constant time (both
 * sides hashed with SHA-256 first, so lengths do not leak either).
 * @throws NotFound when no admin key is configured (the admin API is off)
 * @throws Unauthenticated when the key is missing or wrong
 */
export function verifyAdminAPIKey(deps: ServiceDeps, presented: string | null): void {
	const configured = deps.config.keys.adminApiKey;
	if (configured === null) throw new NotFound("Not found.", { reason: "admin_api_off" });
	if (presented === null || !secretKeyMatches(presented, configured)) {
		throw new Unauthenticated("The admin API key is missing or wrong.", { reason: "admin_key" });
	}
}
