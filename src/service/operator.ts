/**
 * Support tasks for operators (the CLI) and the admin API's key check: things an end user cannot
 * do for themselves.
 */
import { NotFound, Unauthenticated } from "../errors.js";
import { secretKeyMatches } from "../domain/crypto/constant-time.js";
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
