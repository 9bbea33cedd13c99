/**
 * Email verification (issue 11 item 4; OWASP ASVS 5.0 6.3.x, NIST SP 800-63A "address
 * confirmation"): an account made by sign-up in `signUp.mode` `open` starts unverified and is sent a
 * single-use link (`emailVerification.ttlSeconds`); the dashboard shows a banner until it is opened,
 * with "Resend" (at most `emailVerification.resendsPerHour` verification mails an hour per account,
 * the sign-up mail included). Opening the link (GET) shows a button; its POST marks the address
 * verified and records `email.verified`, signed in or not.
 */
import { EmailLinkInvalid, MailLimitReached } from "../errors.js";
import type { AccountRecord, Repositories } from "../storage/store.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, HOUR_MS, issueEmailToken } from "./email-tokens.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";
import type { AuthenticatedSession } from "./sessions.js";

/**
 * Inside the caller's transaction: a new verification link for the account's current address, and
 * the mail that carries it (`email.verify`).
 * @param tx - the transaction that creates the account, or the resend's
 */
export async function queueVerificationMail(deps: ServiceDeps, tx: Repositories, account: Pick<AccountRecord, "id" | "email">, context: RequestContext): Promise<void> {
	const { ttlSeconds } = deps.config.emailVerification;
	const issued = await issueEmailToken(deps, tx, { purpose: "verify_email", accountId: account.id, email: account.email, ttlSeconds, ipAddress: context.ipAddress });
	await enqueueLinkMail(deps, tx, { accountId: account.id, to: account.email, kind: "email.verify", link: { token: issued.token, ttlSeconds } });
}

/** What "Resend" did. */
export type ResendOutcome = "sent" | "already_verified";

/**
 * Sends the signed-in account a new verification link ("Resend" on the banner).
 * @returns `"already_verified"` (nothing sent) or `"sent"`
 * @throws MailLimitReached when `emailVerification.resendsPerHour` verification mails went out in the last hour
 */
export async function resendVerificationMail(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<ResendOutcome> {
	const account = await deps.store.accounts.findAccountById(auth.account.id);
	if (account === null || account.emailVerifiedAt !== null) return "already_verified";
	const outcome = await deps.store.transaction(async (tx) => {
		// Under the account's lock: parallel resends count one after the other (one limit, not one each).
		await tx.accounts.lockAccount(account.id);
		const sent = await tx.emailTokens.countRecentEmailTokens("verify_email", { accountId: account.id }, hourAgo(deps));
		if (sent >= deps.config.emailVerification.resendsPerHour) return "limited" as const;
		await queueVerificationMail(deps, tx, account, context);
		return "sent" as const;
	});
	if (outcome === "limited") {
		deps.logger.info({ event: "email.verification_limited", accountId: account.id }, "verification mail refused: hourly limit");
		throw new MailLimitReached(HOUR_MS / 1000, `You asked for ${deps.config.emailVerification.resendsPerHour} verification emails in the last hour. Check your inbox (and spam folder) for the last one, or try again in an hour.`, { reason: "verification_resend_limit" });
	}
	deps.logger.info({ event: "email.verification_sent", accountId: account.id }, "verification mail queued");
	return "sent";
}

/**
 * Which address a verification link would verify, without using it (the page shows "Verify
 * ...?" and a button, so that link previews and prefetches do not spend it).
 * @returns null when the link is not usable
 */
export async function describeEmailVerification(deps: ServiceDeps, token: string): Promise<{ readonly email: string } | null> {
	const record = await findLiveEmailToken(deps, token, "verify_email");
	return record === null ? null : { email: record.email };
}

/** The outcome of a used verification link. */
export interface VerifiedEmail {
	readonly accountId: string;
	readonly email: string;
}

/**
 * Uses a verification link: consumes it, marks the account's address verified (only if it is still
 * the address the link was sent to) and records `email.verified`, in one transaction; the
 * account's other verification links end too.
 * @throws EmailLinkInvalid when unknown, expired, used (of 20 parallel uses, one wins), or sent to an address the account no longer has
 */
export async function verifyEmail(deps: ServiceDeps, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<VerifiedEmail> {
	const record = await findLiveEmailToken(deps, input.token, "verify_email");
	if (record === null || record.accountId === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const accountId = record.accountId;
	await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(accountId);
		const now = deps.clock.now();
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		const account = await tx.accounts.findAccountById(accountId);
		if (account === null || account.email !== record.email) throw new EmailLinkInvalid(undefined, { reason: "address_changed" });
		await tx.emailTokens.consumeAccountEmailTokens(accountId, now, "verify_email");
		if (await tx.accounts.markEmailVerified(accountId, now)) await recordSecurityEvent(deps, tx, accountId, "email.verified", context, { via: "verification_link" });
	});
	deps.logger.info({ event: "email.verified", accountId }, "email address verified");
	return { accountId, email: record.email };
}
