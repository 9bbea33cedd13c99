/**
 * The step after a restore (issue 14 item 7; docs/operations.md, "Incident: the database was
 * restored"). A backup brings back what was live when it was taken: sessions, remembered devices,
 * personal access tokens, half-way sign-ins, sign-in and mailed links, OpenID Connect grants and
 * refresh tokens, some of them ended since (a signed-out stolen laptop's session, a used password
 * reset link), and recovery codes used or replaced since. deadbolt cannot tell which: it ends
 * every one of them, for every account, and tells each owner whose recovery codes may have come
 * back (the simplest honest rule: every account with unused recovery codes in the restored database
 * is mailed, since a code used or a set replaced after the backup is indistinguishable from one
 * that was not).
 */
import type { ServiceDeps } from "./deps.js";
import { NO_CONTEXT } from "./deps.js";
import { endAccountAccess } from "./account-access.js";
import { recordSecurityEvent } from "./security-events.js";

/** Accounts handled per transaction by default. */
export const RESTORED_ACCOUNTS_PER_TRANSACTION = 100;

/** What {@link secureRestoredDatabase} ended and told. */
export interface RestoredDatabaseReport {
	/** Accounts handled (every account of the database). */
	readonly accounts: number;
	readonly sessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	readonly accessTokensRevoked: number;
	/** Accounts with unused recovery codes: their owners are mailed (`backup_restored`) when their address is verified. */
	readonly accountsWithRecoveryCodes: number;
}

/**
 * Ends, for every account, every session (and the OpenID Connect grants, codes and refresh tokens
 * given under them, with back-channel logouts queued), remembered device, open login challenge,
 * sign-in link, mailed link and personal access token, each account under its lock, through the
 * one revocation path (`account-access.ts`); and records `backup.restored` for it, which queues
 * the `backup_restored` mail to the owners of unused recovery codes and the webhook messages.
 * Accounts go in transactions of `accountsPerTransaction`, by id; running it again is harmless
 * (it ends nothing twice, but mails again). Run it on a restored database before serving it.
 * @param accountsPerTransaction - default {@link RESTORED_ACCOUNTS_PER_TRANSACTION}
 * @throws StorageUnavailable when the database fails (what committed stays ended: run it again)
 */
export async function secureRestoredDatabase(deps: ServiceDeps, accountsPerTransaction = RESTORED_ACCOUNTS_PER_TRANSACTION): Promise<RestoredDatabaseReport> {
	let report = { accounts: 0, sessionsRevoked: 0, trustedDevicesRevoked: 0, accessTokensRevoked: 0, accountsWithRecoveryCodes: 0 };
	let after: string | null = null;
	for (;;) {
		const ids = await deps.store.accounts.listAccountIdsAfter(after, accountsPerTransaction);
		if (ids.length === 0) break;
		report = await deps.store.transaction(async (tx) => {
			let sum = report;
			for (const accountId of ids) {
				if (!(await tx.accounts.lockAccount(accountId))) continue;
				const ended = await endAccountAccess(deps, tx, accountId, { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true, accessTokens: true });
				// Links mailed before the backup and used since would work again.
				await tx.emailTokens.consumeAccountEmailTokens(accountId, deps.clock.now());
				const recoveryCodesLeft = await tx.recoveryCodes.countUnusedRecoveryCodes(accountId);
				await recordSecurityEvent(deps, tx, accountId, "backup.restored", NO_CONTEXT, {
					sessions: ended.sessionsRevoked,
					trustedDevices: ended.trustedDevicesRevoked,
					accessTokens: ended.accessTokensRevoked,
					recoveryCodesLeft,
				});
				sum = {
					accounts: sum.accounts + 1,
					sessionsRevoked: sum.sessionsRevoked + ended.sessionsRevoked,
					trustedDevicesRevoked: sum.trustedDevicesRevoked + ended.trustedDevicesRevoked,
					accessTokensRevoked: sum.accessTokensRevoked + ended.accessTokensRevoked,
					accountsWithRecoveryCodes: sum.accountsWithRecoveryCodes + (recoveryCodesLeft > 0 ? 1 : 0),
				};
			}
			return sum;
		});
		after = ids.at(-1) as string;
	}
	deps.logger.warn({ event: "backup.restored", ...report }, "restored database secured: every session, remembered device and token ended; owners of recovery codes are told");
	return report;
}
