/**
 * "Forgot password" (issue 11 item 5; OWASP Forgot Password Cheat Sheet; NIST SP 800-63B §6.1.2.3).
 *
 * Asking: the same answer and the same work whether the address has an account or not. An
 * existing account gets a `reset_password` link (random, stored hashed, single use,
 * `passwordReset.ttlSeconds`) and `password.reset_requested` is recorded; an unknown address gets
 * `password.reset_unknown` ("this address has no account here"), with a token row that no link
 * carries and nothing accepts (so both branches write the same rows, and the per-IP count sees
 * every request). Limits: `passwordReset.perAccountPerHour` links per account (per address when
 * unknown): beyond it nothing is sent and nothing is said; `passwordReset.perIpPerHour` requests
 * per client IP: beyond it {@link MailLimitReached} (429), which depends on the IP only.
 *
 * A disabled account (`admin-actions.ts`) gets nothing: no link and no note (the answer is the one
 * every address gets, so it tells nothing), only a token row no link carries, as for an unknown
 * address. Disabling ends its open links; a link that escaped that (made in a race with the
 * disable) is refused at every step with {@link AccountDisabled}, before anything is used.
 *
 * Using the link never bypasses 2FA: an account with 2FA proves its code or a recovery code first
 * (`password-reset-code.ts`), before anything changes. Setting the new password is one transaction:
 * the link is consumed, the hash set, every session, remembered device, open sign-in, sign-in link
 * and other mailed link of the account ended, the address marked verified (the link proved the
 * mailbox), `password.reset` recorded (its alert mails the user). No session is made: the user signs
 * in with the new password (and the code), so a mailbox alone never yields a session.
 */
import { AccountDisabled, EmailLinkInvalid, InvalidRequest, MailLimitReached } from "../errors.js";
import type { EmailTokenRecord } from "../storage/store.js";
import { assertAcceptablePassword, requireEmail } from "./accounts.js";
import { endAccountAccess } from "./account-access.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, HOUR_MS, issueEmailToken } from "./email-tokens.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";

/**
 * Mails a reset link for the account with this address, or a note to an unknown address. Resolves
 * the same way in both cases.
 * @throws InvalidRequest for a malformed email; MailLimitReached beyond `passwordReset.perIpPerHour` requests from the client's IP
 */
export async function requestPasswordReset(deps: ServiceDeps, input: { email: string }, context: RequestContext = NO_CONTEXT): Promise<void> {
	const email = requireEmail(input.email);
	const { perAccountPerHour, perIpPerHour, ttlSeconds } = deps.config.passwordReset;
	const since = hourAgo(deps);
	if (context.ipAddress !== null && (await deps.store.emailTokens.countRecentEmailTokens("reset_password", { ipAddress: context.ipAddress }, since)) >= perIpPerHour) {
		deps.logger.warn({ event: "password.reset_ip_limited", ip: context.ipAddress }, "reset request refused: per-IP limit");
		throw new MailLimitReached(HOUR_MS / 1000, "Too many password reset requests from your network. Try again in an hour.", { reason: "reset_ip_limit" });
	}
	const found = await deps.store.accounts.findAccountByEmail(email);
	const outcome = await deps.store.transaction(async (tx): Promise<"sent" | "limited" | "disabled"> => {
		// Under the account's lock, read again: a disable that commits meanwhile is seen (its end of
		// the account's links cannot miss the one made here).
		if (found !== null) await tx.accounts.lockAccount(found.id);
		const account = found === null ? null : await tx.accounts.findAccountById(found.id);
		if (account !== null && account.disabledAt !== null) {
			// No mail at all; the row (no link carries it, nothing accepts it) keeps the per-IP count.
			await issueEmailToken(deps, tx, { purpose: "reset_password", accountId: null, email, ttlSeconds, ipAddress: context.ipAddress });
			return "disabled";
		}
		const key = account === null ? { email } : { accountId: account.id };
		if ((await tx.emailTokens.countRecentEmailTokens("reset_password", key, since)) >= perAccountPerHour) return "limited";
		const issued = await issueEmailToken(deps, tx, { purpose: "reset_password", accountId: account?.id ?? null, email, ttlSeconds, ipAddress: context.ipAddress });
		if (account === null) {
			await enqueueLinkMail(deps, tx, { accountId: null, to: email, kind: "password.reset_unknown", link: null });
			return "sent";
		}
		await enqueueLinkMail(deps, tx, { accountId: account.id, to: account.email, kind: "password.reset", link: { token: issued.token, ttlSeconds } });
		await recordSecurityEvent(deps, tx, account.id, "password.reset_requested", context);
		return "sent";
	});
	deps.logger.info({ event: "password.reset_requested", accountId: found?.id ?? null, known: found !== null, sent: outcome === "sent", disabled: outcome === "disabled", ip: context.ipAddress }, "password reset requested");
}

/** What a reset link's page shows before anything is used. */
export interface PasswordResetView {
	readonly email: string;
	/** The account has 2FA and the link has not proved it yet: the code step comes first. */
	readonly needsSecondFactor: boolean;
}

/**
 * The live reset link behind a token, with its account.
 * @throws EmailLinkInvalid when unknown, expired, used, for no account, or sent to an address the account no longer has;
 *   AccountDisabled when its account is disabled (the holder proved the mailbox: said as to the right password)
 */
export async function findLiveResetLink(deps: ServiceDeps, token: string): Promise<{ readonly record: EmailTokenRecord & { readonly accountId: string }; readonly twoFactor: boolean }> {
	const record = await findLiveEmailToken(deps, token, "reset_password");
	if (record === null || record.accountId === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const account = await deps.store.accounts.findAccountById(record.accountId);
	if (account === null || account.email !== record.email) throw new EmailLinkInvalid(undefined, { reason: "address_changed" });
	if (account.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled" });
	const twoFactor = (await deps.store.totpCredentials.findConfirmedTOTPCredential(account.id)) !== null;
	return { record: { ...record, accountId: record.accountId }, twoFactor };
}

/**
 * What a reset link is for, without using it (GET of the link).
 * @returns null when the link is not usable
 * @throws AccountDisabled when its account is disabled
 */
export async function describePasswordReset(deps: ServiceDeps, token: string): Promise<PasswordResetView | null> {
	try {
		const { record, twoFactor } = await findLiveResetLink(deps, token);
		return { email: record.email, needsSecondFactor: twoFactor && record.secondFactorVerifiedAt === null };
	} catch (error) {
		if (error instanceof EmailLinkInvalid) return null;
		throw error;
	}
}

/** What a reset ended. */
export interface PasswordResetOutcome {
	readonly email: string;
	readonly sessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** Every personal access token of the account is revoked: how many were. */
	readonly accessTokensRevoked: number;
}

/** The refusal of a new password before the second factor was proved. */
export const SECOND_FACTOR_FIRST_MESSAGE = "Enter the code from your authenticator app (or a recovery code) first.";

/**
 * Sets the new password with a reset link (after the second factor, for an account with 2FA), and
 * ends everything the old password may have opened (see the file comment). No session is made.
 * @throws EmailLinkInvalid (unknown, expired, used: of 20 parallel uses one wins); InvalidRequest (the
 *   policy refuses the password; the second factor not proved yet, field `code`, rule `required`);
 *   AccountDisabled (its account is disabled)
 */
export async function resetPassword(deps: ServiceDeps, input: { token: string; newPassword: string }, context: RequestContext = NO_CONTEXT): Promise<PasswordResetOutcome> {
	const { record, twoFactor } = await findLiveResetLink(deps, input.token);
	if (twoFactor && record.secondFactorVerifiedAt === null) throw new InvalidRequest(SECOND_FACTOR_FIRST_MESSAGE, [{ field: "code", rule: "required", message: SECOND_FACTOR_FIRST_MESSAGE }]);
	assertAcceptablePassword(deps, input.newPassword, record.email, "newPassword");
	// Hashed before the transaction: argon2id must not hold the database's lock.
	const passwordHash = await deps.passwords.hash(input.newPassword);
	const accountId = record.accountId;
	const outcome = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const now = deps.clock.now();
		// Again under the lock: 2FA turned on since the code step was skipped, or the link used meanwhile.
		const current = await tx.emailTokens.findEmailToken(record.id);
		const twoFactorNow = (await tx.totpCredentials.findConfirmedTOTPCredential(accountId)) !== null;
		if (current === null || (twoFactorNow && current.secondFactorVerifiedAt === null)) throw new InvalidRequest(SECOND_FACTOR_FIRST_MESSAGE, [{ field: "code", rule: "required", message: SECOND_FACTOR_FIRST_MESSAGE }]);
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		const account = await tx.accounts.findAccountById(accountId);
		if (account === null || account.email !== record.email) throw new EmailLinkInvalid(undefined, { reason: "address_changed" });
		// A disabled account gets no new password (nothing is written: the transaction rolls back).
		if (account.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled" });
		await tx.accounts.updatePasswordHash(accountId, passwordHash, now);
		// A reset means the password may be someone else's: every token ends too (they may have made one).
		const ended = await endAccountAccess(deps, tx, accountId, { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true, accessTokens: true });
		await tx.emailTokens.consumeAccountEmailTokens(accountId, now);
		// The old password's failures no longer say anything about the new one.
		await tx.authFailures.clearAuthFailures(accountId, "password");
		// The link proved the mailbox: verified first, so that the reset's alert goes to it.
		if (await tx.accounts.markEmailVerified(accountId, now)) await recordSecurityEvent(deps, tx, accountId, "email.verified", context, { via: "password_reset" });
		await recordSecurityEvent(deps, tx, accountId, "password.reset", context, { sessionsRevoked: ended.sessionsRevoked, trustedDevicesRevoked: ended.trustedDevicesRevoked, accessTokensRevoked: ended.accessTokensRevoked, secondFactor: twoFactorNow });
		return { email: account.email, ...ended };
	});
	deps.logger.warn({ event: "password.reset", accountId, sessionsRevoked: outcome.sessionsRevoked, trustedDevicesRevoked: outcome.trustedDevicesRevoked }, "password reset with a mailed link");
	return outcome;
}
