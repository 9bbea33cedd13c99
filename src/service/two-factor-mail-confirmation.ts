/**
 * Confirming a second factor by mail (issue 12, "a first 2FA enrollment reached from a `two_factor`
 * rule needs a link mailed to the verified address: a stolen password alone must not enroll its own
 * authenticator"). Turning 2FA on needs only the password (the seed article's four steps), so an
 * authenticator proves nothing about who enrolled it until the owner of the address says so. Apps
 * behind forward-auth `two_factor` rules therefore accept a second factor only once a single-use
 * `confirm_two_factor` link, mailed to the verified address (`two_factor.confirm`,
 * `emailVerification.ttlSeconds`, at most `emailVerification.resendsPerHour` an hour), was used.
 *
 * Both halves need the authenticator: the link is asked for from a session at AAL2, and used only
 * from a session at AAL2 of the same account (`AccessIdentity.aal`), in the browser that opens it.
 * So whoever enrolled an authenticator with a stolen password cannot use the link (it goes to the
 * owner's mailbox), and the owner clicking it by mistake confirms nothing (their browser is not
 * signed in with that authenticator). The confirmation stays while the account keeps 2FA (moving
 * to a new phone needs both factors), and ends with it (`disableTOTP` clears it and ends open links).
 */
import { EmailLinkInvalid, EmailNotVerified, MailLimitReached, SecondFactorRequired, TOTPNotEnabled } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { Repositories } from "../storage/store.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, HOUR_MS, issueEmailToken } from "./email-tokens.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";
import type { AuthenticatedSession } from "./sessions.js";

/** What asking for a confirmation link did. */
export type TwoFactorMailConfirmationRequest = "sent" | "already_confirmed";

/**
 * The session must be at AAL2 of an account with 2FA on and a verified address.
 * @throws SecondFactorRequired (a password-only session), TOTPNotEnabled, EmailNotVerified
 */
async function requireConfirmableAccount(deps: ServiceDeps, tx: Repositories, auth: AuthenticatedSession, message: string): Promise<{ readonly confirmedAt: UnixMillis | null; readonly email: string }> {
	if (auth.session.aal < 2) throw new SecondFactorRequired(message, { reason: "session_aal1" });
	const account = await tx.accounts.findAccountById(auth.account.id);
	if (account === null || (await tx.totpCredentials.findConfirmedTOTPCredential(account.id)) === null) throw new TOTPNotEnabled();
	if (account.emailVerifiedAt === null) throw new EmailNotVerified();
	return { confirmedAt: account.secondFactorMailConfirmedAt, email: account.email };
}

/**
 * Mails a confirmation link to the account's verified address (earlier open ones end).
 * @returns `"already_confirmed"` (nothing sent) or `"sent"`
 * @throws SecondFactorRequired (the session did not prove the authenticator), TOTPNotEnabled,
 *   EmailNotVerified, MailLimitReached (`emailVerification.resendsPerHour` links this hour)
 */
export async function requestTwoFactorMailConfirmation(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<TwoFactorMailConfirmationRequest> {
	const { ttlSeconds, resendsPerHour } = deps.config.emailVerification;
	const accountId = auth.account.id;
	const outcome = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const account = await requireConfirmableAccount(deps, tx, auth, "Sign in with a code from your authenticator app first: the link confirms the authenticator this browser proved.");
		if (account.confirmedAt !== null) return "already_confirmed" as const;
		if ((await tx.emailTokens.countRecentEmailTokens("confirm_two_factor", { accountId }, hourAgo(deps))) >= resendsPerHour) return "limited" as const;
		await tx.emailTokens.consumeAccountEmailTokens(accountId, deps.clock.now(), "confirm_two_factor");
		const issued = await issueEmailToken(deps, tx, { purpose: "confirm_two_factor", accountId, email: account.email, ttlSeconds, ipAddress: context.ipAddress });
		await enqueueLinkMail(deps, tx, { accountId, to: account.email, kind: "two_factor.confirm", link: { token: issued.token, ttlSeconds } });
		return "sent" as const;
	});
	if (outcome === "limited") {
		throw new MailLimitReached(HOUR_MS / 1000, `You asked for ${resendsPerHour} confirmation emails in the last hour. Use the link in the last one, or try again in an hour.`, { reason: "two_factor_confirmation_limit" });
	}
	deps.logger.info({ event: "totp.mail_confirmation_requested", accountId, outcome }, "second factor confirmation link requested");
	return outcome;
}

/**
 * The address a confirmation link was mailed to, without using it (the page shows a button).
 * @returns null when the link is not usable
 */
export async function describeTwoFactorMailConfirmation(deps: ServiceDeps, token: string): Promise<{ readonly email: string; readonly accountId: string } | null> {
	const record = await findLiveEmailToken(deps, token, "confirm_two_factor");
	return record === null || record.accountId === null ? null : { email: record.email, accountId: record.accountId };
}

/**
 * Uses a confirmation link from a session at AAL2 of the link's account: consumes it, marks the
 * second factor confirmed and records `totp.mail_confirmed`, in one transaction under the
 * account's lock (of parallel uses, one wins).
 * @throws EmailLinkInvalid (unknown, expired, used, or for another account than the session's: the
 *   link stays usable for its own account), SecondFactorRequired (a password-only session),
 *   TOTPNotEnabled (2FA went off since), EmailNotVerified
 */
export async function confirmTwoFactorByMail(deps: ServiceDeps, auth: AuthenticatedSession, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<void> {
	const record = await findLiveEmailToken(deps, input.token, "confirm_two_factor");
	if (record === null || record.accountId === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	if (record.accountId !== auth.account.id) {
		throw new EmailLinkInvalid("This link is for another account than the one signed in here. Sign in to the account it was mailed to, then open it again.", { reason: "other_account" });
	}
	const accountId = record.accountId;
	await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const account = await requireConfirmableAccount(deps, tx, auth, "Sign in here with a code from your authenticator app first, then open the link again: it confirms the authenticator this browser proves.");
		const now = deps.clock.now();
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		if (account.confirmedAt === null) {
			await tx.accounts.setSecondFactorMailConfirmedAt(accountId, now, now);
			await recordSecurityEvent(deps, tx, accountId, "totp.mail_confirmed", context);
		}
	});
	deps.logger.info({ event: "totp.mail_confirmed", accountId, sessionId: auth.session.id }, "second factor confirmed by mail");
}

/**
 * Inside 2FA's removal: the confirmation ends with the authenticator, and so do open links.
 * @param tx - the transaction that removes the credential
 */
export async function endTwoFactorMailConfirmation(deps: ServiceDeps, tx: Repositories, accountId: string): Promise<void> {
	const now = deps.clock.now();
	await tx.accounts.setSecondFactorMailConfirmedAt(accountId, null, now);
	await tx.emailTokens.consumeAccountEmailTokens(accountId, now, "confirm_two_factor");
}
