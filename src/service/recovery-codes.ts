/**
 * Recovery codes: a set of single-use codes issued when 2FA turns on, stored only as keyed
 * hashes (NIST SP 800-63B §5.1.2). See `domain/recovery-codes` for the format.
 */
import { generateId } from "../domain/crypto/token.js";
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from "../domain/recovery-codes/recovery-codes.js";
import type { RecoveryCodeRecord, Repositories } from "../storage/store.js";
import { TOTPNotEnabled } from "../errors.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/**
 * The stored form of a recovery code as typed: normalized (case, spaces and hyphens ignored), then
 * keyed with the server's HMAC key (HMAC-SHA-256).
 * @returns the hash to look up, or null when the input cannot be a recovery code
 */
export function recoveryCodeHashOf(deps: ServiceDeps, input: string): string | null {
	const normalized = normalizeRecoveryCode(input);
	return normalized === null ? null : hashRecoveryCode(deps.keys.hmacKey, normalized);
}

/**
 * Replaces the account's recovery codes with a fresh set of `recoveryCodes.count`.
 * @param repositories - the store or a transaction's repositories
 * @returns the plain codes, formatted for display; they exist nowhere else afterwards
 */
export async function issueRecoveryCodes(deps: ServiceDeps, repositories: Repositories, accountId: string): Promise<string[]> {
	const codes = generateRecoveryCodes(deps.random, deps.config.recoveryCodes.count);
	const now = deps.clock.now();
	const records: RecoveryCodeRecord[] = codes.map((code) => ({
		id: generateId(deps.random),
		accountId,
		codeHash: recoveryCodeHashOf(deps, code) as string,
		createdAt: now,
		usedAt: null,
	}));
	await repositories.recoveryCodes.replaceRecoveryCodes(accountId, records);
	return codes;
}

/** How many of the account's recovery codes are still unused. */
export async function countUnusedRecoveryCodes(deps: ServiceDeps, accountId: string): Promise<number> {
	return deps.store.recoveryCodes.countUnusedRecoveryCodes(accountId);
}

/**
 * Replaces the account's recovery codes with a new set: the old set stops working at once
 * (needs 2FA on and a recent re-authentication).
 * @returns the new codes, shown once
 * @throws TOTPNotEnabled, ReauthenticationRequired
 */
export async function regenerateRecoveryCodes(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<string[]> {
	if ((await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) === null) throw new TOTPNotEnabled();
	requireRecentReauthentication(deps, auth.session);
	return deps.store.transaction(async (tx) => {
		const codes = await issueRecoveryCodes(deps, tx, auth.account.id);
		await recordSecurityEvent(deps, tx, auth.account.id, "recovery_codes.regenerated", context, { count: codes.length });
		return codes;
	});
}
