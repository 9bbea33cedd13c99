/**
 * Recovery codes: a set of single-use codes issued when 2FA turns on, stored only as keyed
 * hashes (NIST SP 800-63B §5.1.2). See `domain/recovery-codes` for the format.
 */
import { generateId } from "../domain/crypto/token.js";
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from "../domain/recovery-codes/recovery-codes.js";
import type { RecoveryCodeRecord, Repositories } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";

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
		codeHash: hashRecoveryCode(deps.keys.hmacKey, normalizeRecoveryCode(code) as string),
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
