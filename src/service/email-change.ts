/**
 * Changing the account's address (issue 11 item 4; OWASP ASVS 5.0 6.4.x, 7.5.1): a sensitive action,
 * so the session must have confirmed it's the user recently (sudo mode, `reauthentication.ts`). The
 * new address is confirmed by a single-use `change_email` link mailed to it
 * (`email.change_confirm`, `emailVerification.ttlSeconds`); until then nothing changes. When it is
 * opened (its POST, signed in or not), `email.changed` is recorded BEFORE the address changes, in
 * the same transaction, so its alert (`email_changed`) goes to the old address
 * (`enqueueEventDeliveries` reads the account inside the transaction). A new address that belongs
 * to another account gets the same answer as any other (no enumeration) and no mail; if it is taken
 * between the request and the confirmation, the confirmation is refused (EmailTaken) and nothing changes.
 *
 * An account whose second factor is not confirmed by mail (`two-factor-mail-confirmation.ts`: no
 * 2FA, or an authenticator that could have been enrolled with the password alone) proves nothing
 * beyond the password in "Confirm it's you". For it, the change is first approved from the CURRENT
 * (verified) address ({@link emailChangeNeedsApproval}): an `approve_email_change` link (`email.change_approve`) whose use mails the new address's
 * link. Otherwise a stolen password would move the account to the thief's mailbox, and with it every
 * mailed link: the confirmation that forward-auth `two_factor` rules need, password resets (issue 12).
 */
import { EmailLinkInvalid, EmailTaken, InvalidRequest, MailLimitReached, ReauthenticationRequired } from "../errors.js";
import type { AccountRecord, Repositories } from "../storage/store.js";
import { requireEmail } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, HOUR_MS, issueEmailToken } from "./email-tokens.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/** The message of a new address that is the current one. */
export const SAME_EMAIL_MESSAGE = "That is already your email address.";

/**
 * Whether a change of the account's address is approved from the current address first: when its
 * second factor is not confirmed by mail ("Confirm it's you" proved only the password) and the
 * current address is verified. An unverified address was never proved to be the owner's (it may
 * be mistyped): a link there would ask a stranger, and the account passes no access rule but
 * `bypass` anyway; its address is changed as before (confirmed at the new one).
 */
export function emailChangeNeedsApproval(account: Pick<AccountRecord, "secondFactorMailConfirmedAt" | "emailVerifiedAt">): boolean {
	return account.secondFactorMailConfirmedAt === null && account.emailVerifiedAt !== null;
}

/** What asking for a change did: the new address was sent its link, or the current address was first asked to approve. */
export type EmailChangeRequest = "confirmation_sent" | "approval_sent";

/**
 * Inside the caller's transaction: ends earlier change links and mails the new address its link
 * (unless it belongs to another account: a token all the same, no mail).
 * @returns whether the new address is taken
 */
async function mailChangeConfirmation(deps: ServiceDeps, tx: Repositories, accountId: string, newEmail: string, context: RequestContext): Promise<boolean> {
	const { ttlSeconds } = deps.config.emailVerification;
	await tx.emailTokens.consumeAccountEmailTokens(accountId, deps.clock.now(), "change_email");
	const taken = (await tx.accounts.findAccountByEmail(newEmail)) !== null;
	// A token either way (the hourly count and the work stay the same); a taken address gets no mail.
	const issued = await issueEmailToken(deps, tx, { purpose: "change_email", accountId, email: newEmail, ttlSeconds, ipAddress: context.ipAddress });
	if (!taken) await enqueueLinkMail(deps, tx, { accountId, to: newEmail, kind: "email.change_confirm", link: { token: issued.token, ttlSeconds } });
	return taken;
}

/**
 * Asks to change the address. With a second factor confirmed by mail: mails a confirmation link
 * to the new address (unless it belongs to another account: then nothing is sent, and the answer is
 * the same). Without: mails an approval link to the CURRENT address first ({@link approveEmailChange}).
 * Earlier change and approval links end.
 * @returns `"confirmation_sent"` or `"approval_sent"`
 * @throws ReauthenticationRequired (no recent confirmation); InvalidRequest (malformed, or the
 *   current address); MailLimitReached (`emailVerification.resendsPerHour` change requests this hour)
 */
export async function requestEmailChange(deps: ServiceDeps, auth: AuthenticatedSession, input: { newEmail: string }, context: RequestContext = NO_CONTEXT): Promise<EmailChangeRequest> {
	requireRecentReauthentication(deps, auth.session);
	const newEmail = requireEmail(input.newEmail, "newEmail");
	if (newEmail === auth.account.email) throw new InvalidRequest(SAME_EMAIL_MESSAGE, [{ field: "newEmail", rule: "same_as_current", message: SAME_EMAIL_MESSAGE }]);
	const { ttlSeconds, resendsPerHour } = deps.config.emailVerification;
	const accountId = auth.account.id;
	const outcome = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const account = await tx.accounts.findAccountById(accountId);
		if (account === null) throw new ReauthenticationRequired();
		const approvalAsked = emailChangeNeedsApproval(account);
		// The links this request would send, counted by their kind (an approved change's link to the new address does not count again).
		if ((await tx.emailTokens.countRecentEmailTokens(approvalAsked ? "approve_email_change" : "change_email", { accountId }, hourAgo(deps))) >= resendsPerHour) return "limited" as const;
		await recordSecurityEvent(deps, tx, accountId, "email.change_requested", context, { approvalAsked });
		if (approvalAsked) {
			await tx.emailTokens.consumeAccountEmailTokens(accountId, deps.clock.now(), "approve_email_change");
			await tx.emailTokens.consumeAccountEmailTokens(accountId, deps.clock.now(), "change_email");
			// The token carries the requested address; the mail goes to the current one.
			const issued = await issueEmailToken(deps, tx, { purpose: "approve_email_change", accountId, email: newEmail, ttlSeconds, ipAddress: context.ipAddress });
			await enqueueLinkMail(deps, tx, { accountId, to: account.email, kind: "email.change_approve", link: { token: issued.token, ttlSeconds } });
			return "approval_sent" as const;
		}
		return (await mailChangeConfirmation(deps, tx, accountId, newEmail, context)) ? ("taken" as const) : ("confirmation_sent" as const);
	});
	if (outcome === "limited") {
		throw new MailLimitReached(HOUR_MS / 1000, `You asked to change your email address ${resendsPerHour} times in the last hour. Use the link in the last email, or try again in an hour.`, { reason: "email_change_limit" });
	}
	deps.logger.info({ event: "email.change_requested", accountId, outcome }, "email change requested");
	return outcome === "taken" ? "confirmation_sent" : outcome;
}

/**
 * The address an approval link would let the account move to, without using it.
 * @returns null when the link is not usable
 */
export async function describeEmailChangeApproval(deps: ServiceDeps, token: string): Promise<{ readonly newEmail: string } | null> {
	const record = await findLiveEmailToken(deps, token, "approve_email_change");
	return record === null || record.accountId === null ? null : { newEmail: record.email };
}

/**
 * Uses an approval link (opened from the current address, signed in or not): consumes it and mails
 * the new address its confirmation link, as {@link requestEmailChange} does for an account with a
 * second factor confirmed by mail. Nothing changes until that link is used.
 * @returns the address the confirmation link went to
 * @throws EmailLinkInvalid (unknown, expired, used: of parallel uses one wins)
 */
export async function approveEmailChange(deps: ServiceDeps, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<{ readonly newEmail: string }> {
	const record = await findLiveEmailToken(deps, input.token, "approve_email_change");
	if (record === null || record.accountId === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const accountId = record.accountId;
	await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		if (!(await tx.emailTokens.consumeEmailToken(record.id, deps.clock.now()))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		await mailChangeConfirmation(deps, tx, accountId, record.email, context);
	});
	deps.logger.info({ event: "email.change_approved", accountId }, "email change approved from the current address");
	return { newEmail: record.email };
}

/**
 * The new address a confirmation link would set, without using it.
 * @returns null when the link is not usable
 */
export async function describeEmailChange(deps: ServiceDeps, token: string): Promise<{ readonly newEmail: string } | null> {
	const record = await findLiveEmailToken(deps, token, "change_email");
	return record === null || record.accountId === null ? null : { newEmail: record.email };
}

/** The outcome of a confirmed change. */
export interface ChangedEmail {
	readonly accountId: string;
	readonly previousEmail: string;
	readonly email: string;
}

/**
 * Uses a confirmation link: consumes it, records `email.changed` (alerting the old address), sets
 * the new address (verified: the link proved it), and ends the account's other mailed links (they
 * went to the old address), in one transaction under the account's lock.
 * @throws EmailLinkInvalid (unknown, expired, used: of 20 parallel uses one wins); EmailTaken (the
 *   address got another account since the request: nothing changes)
 */
export async function confirmEmailChange(deps: ServiceDeps, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<ChangedEmail> {
	const record = await findLiveEmailToken(deps, input.token, "change_email");
	if (record === null || record.accountId === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const accountId = record.accountId;
	const changed = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const now = deps.clock.now();
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		const account = await tx.accounts.findAccountById(accountId);
		if (account === null) throw new EmailLinkInvalid(undefined, { reason: "account_gone" });
		// Recorded while the account still has its old address: the alert goes there.
		await recordSecurityEvent(deps, tx, accountId, "email.changed", context, { newEmail: record.email });
		if (!(await tx.accounts.changeEmail(accountId, record.email, now))) {
			throw new EmailTaken("That email address now belongs to another account, so your address was not changed. Choose another address.", { reason: "taken_since_request" });
		}
		await tx.emailTokens.consumeAccountEmailTokens(accountId, now);
		return { accountId, previousEmail: account.email, email: record.email };
	});
	deps.logger.info({ event: "email.changed", accountId }, "email address changed");
	return changed;
}
