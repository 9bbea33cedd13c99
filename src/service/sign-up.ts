/**
 * Sign-up in its three modes (`signUp.mode`, issue 11 "precisions"):
 * - `open` (the default): the account is made at once, signed in, with its address unverified; a
 *   verification link is mailed in the same transaction (`email-verification.ts`).
 * - `verified`: no account until the mailed link is opened. The answer is the same whether the
 *   address has an account or not (no enumeration, OWASP Authentication Cheat Sheet "Account
 *   creation"): a new address gets a `sign_up` link that holds the address and the argon2id hash of
 *   the chosen password; a taken one gets `sign_up.exists` ("someone tried to sign up with your
 *   address: sign in, or reset your password"). Both branches hash the password (the same cost),
 *   write one mail, and answer alike. Using the link (its POST) takes the password chosen at
 *   sign-up, typed again: anyone can ask for a link to someone else's address with a password of
 *   their own (account pre-hijacking), so the mailbox alone must not make the account. Then the
 *   account is created, verified, and signed in. A new sign-up for an address ends its older links.
 * - `closed`: sign-up is refused ({@link SignUpClosed}); operators create accounts (verified).
 */
import { isOverdueAtSignUp, sendToRequiredSetup, type RequiredSetup } from "./required-two-factor.js";
import { EmailLinkInvalid, EmailTaken, InvalidCredentials, SignUpClosed } from "../errors.js";
import { generateId } from "../domain/crypto/token.js";
import type { AccountRecord } from "../storage/store.js";
import { assertAcceptablePassword, registerAccount, requireEmail, type RegisteredAccount } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, issueEmailToken } from "./email-tokens.js";
import { queueVerificationMail } from "./email-verification.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";
import { createSession, type NewSession } from "./sessions.js";

/**
 * The outcome of a sign-up: signed in at once (`open`), or a link mailed (`verified`, whatever the
 * address; and `open` too when two-factor authentication is required at once, `twoFactorPolicy`
 * with `gracePeriodDays: 0`: no session could be made, and the link, used with the password typed
 * again, leads to the setup).
 */
export type SignUpResult = { readonly kind: "account"; readonly account: AccountRecord; readonly session: NewSession } | { readonly kind: "verification_sent" };

/**
 * Signs up as `signUp.mode` says.
 * @throws SignUpClosed (mode `closed`, before anything is read); InvalidRequest (malformed email,
 *   password refused by the policy: the same for every address); EmailTaken (mode `open` only)
 */
export async function signUp(deps: ServiceDeps, input: { email: string; password: string }, context: RequestContext = NO_CONTEXT): Promise<SignUpResult> {
	const { mode } = deps.config.signUp;
	if (mode === "closed") throw new SignUpClosed(undefined, { reason: "sign_up_closed" });
	// Two-factor authentication required at once: no session can be made, so an open sign-up goes
	// as a verified one. The mailbox alone must not finish it (a setup link mailed at once would let
	// whoever signed up with another's address keep the password they chose: account pre-hijacking).
	if (mode === "verified" || isOverdueAtSignUp(deps)) {
		await requestVerifiedSignUp(deps, input, context);
		return { kind: "verification_sent" };
	}
	const registered: RegisteredAccount = await registerAccount(deps, input, context, { inTransaction: (tx, account) => queueVerificationMail(deps, tx, account, context) });
	return { kind: "account", account: registered.account, session: registered.session as NewSession };
}

/**
 * Mode `verified`: mails a link that creates the account, or tells the owner of a taken address.
 * The same work and the same (empty) outcome either way; beyond `emailVerification.resendsPerHour`
 * mails to one address in an hour, nothing more is sent (and nothing said).
 * @throws InvalidRequest for a malformed email or a password the policy refuses
 */
async function requestVerifiedSignUp(deps: ServiceDeps, input: { email: string; password: string }, context: RequestContext): Promise<void> {
	const email = requireEmail(input.email);
	assertAcceptablePassword(deps, input.password, email);
	// Hashed whether or not the address is taken: both answers take the argon2id time.
	const passwordHash = await deps.passwords.hash(input.password);
	const { ttlSeconds, resendsPerHour } = deps.config.emailVerification;
	const existing = await deps.store.accounts.findAccountByEmail(email);
	const sent = await deps.store.transaction(async (tx) => {
		if (existing !== null) {
			if ((await tx.outbox.countRecentDeliveries(existing.id, "sign_up.exists", hourAgo(deps))) >= resendsPerHour) return false;
			await enqueueLinkMail(deps, tx, { accountId: existing.id, to: existing.email, kind: "sign_up.exists", link: null });
			return true;
		}
		if ((await tx.emailTokens.countRecentEmailTokens("sign_up", { email }, hourAgo(deps))) >= resendsPerHour) return false;
		// Only the newest link of an address works: a link asked for by someone else earlier is ended too.
		await tx.emailTokens.consumeEmailTokensForAddress("sign_up", email, deps.clock.now());
		const issued = await issueEmailToken(deps, tx, { purpose: "sign_up", accountId: null, email, passwordHash, ttlSeconds, ipAddress: context.ipAddress });
		await enqueueLinkMail(deps, tx, { accountId: null, to: email, kind: "sign_up.verify", link: { token: issued.token, ttlSeconds } });
		return true;
	});
	// The log tells the operator which branch ran; the client is told neither.
	deps.logger.info({ event: "sign_up.requested", taken: existing !== null, sent, ip: context.ipAddress }, "sign-up link requested");
}

/**
 * The address a sign-up link would create an account for, without using it.
 * @returns null when the link is not usable (its password attempts spent included)
 */
export async function describeSignUp(deps: ServiceDeps, token: string): Promise<{ readonly email: string } | null> {
	const record = await findLiveEmailToken(deps, token, "sign_up");
	return record === null || record.attempts >= deps.config.loginChallenge.maxAttempts ? null : { email: record.email };
}

/**
 * An account made by a sign-up link: signed in, or (two-factor authentication required at once,
 * `gracePeriodDays: 0`) with no session and the setup token handed over (the link proved the
 * address and the password was typed again: what a mailed setup link would prove).
 */
export type FinishedSignUp =
	| { readonly account: AccountRecord; readonly session: NewSession; readonly setup: null }
	| { readonly account: AccountRecord; readonly session: null; readonly setup: RequiredSetup };

/** The refusal of a password that is not the one the sign-up was started with. */
export const SIGN_UP_WRONG_PASSWORD =
	"That is not the password this sign-up was started with. If you did not ask to sign up twice, someone else may have used your address: ignore that email and sign up again.";

/** The refusal of a sign-up link whose password attempts are spent. */
export const SIGN_UP_ATTEMPTS_SPENT = "This sign-up link can't be used any more: the password was wrong too many times. Sign up again.";

/**
 * Uses a sign-up link. The password chosen at sign-up must be typed again and match the hash the
 * link holds: the link proves the mailbox, the password proves it is the same person who asked
 * (else whoever asks first with another's address and their own password would get the account
 * when its owner opens the mail). Each try takes one of the link's `loginChallenge.maxAttempts`
 * before the argon2id check (run outside any transaction); a wrong one leaves the link usable
 * until they are spent. Then, in one transaction: the link is consumed, the account created with
 * that password and the address verified, `account.created` and `email.verified` recorded, and a
 * session started (AAL1).
 * @throws EmailLinkInvalid when unknown, expired, used, replaced by a newer sign-up, out of password
 *   attempts, or lost to a parallel use (of 20 parallel uses, one wins); InvalidCredentials
 *   ({@link SIGN_UP_WRONG_PASSWORD}) for another password, nothing used but the attempt;
 *   EmailTaken when the address got an account since
 */
export async function finishSignUp(deps: ServiceDeps, input: { token: string; password: string }, context: RequestContext = NO_CONTEXT): Promise<FinishedSignUp> {
	const record = await findLiveEmailToken(deps, input.token, "sign_up");
	if (record === null || record.passwordHash === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const passwordHash = record.passwordHash;
	const { maxAttempts } = deps.config.loginChallenge;
	// Counted before the check, by one conditional write: parallel guesses cannot exceed the budget.
	if (!(await deps.store.emailTokens.reserveEmailTokenAttempt(record.id, deps.clock.now(), maxAttempts))) {
		if (record.attempts >= maxAttempts) throw new EmailLinkInvalid(SIGN_UP_ATTEMPTS_SPENT, { reason: "attempts_exhausted" });
		throw new EmailLinkInvalid(undefined, { reason: "used_or_expired_since" });
	}
	if (!(await deps.passwords.verify(passwordHash, input.password))) {
		deps.logger.warn({ event: "sign_up.wrong_password", tokenId: record.id, ip: context.ipAddress }, "sign-up link used with another password");
		if (record.attempts + 1 >= maxAttempts) throw new EmailLinkInvalid(SIGN_UP_ATTEMPTS_SPENT, { reason: "last_attempt_failed" });
		throw new InvalidCredentials(SIGN_UP_WRONG_PASSWORD, { reason: "sign_up_wrong_password" });
	}
	const result = await deps.store.transaction(async (tx) => {
		const now = deps.clock.now();
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		const account: AccountRecord = { id: generateId(deps.random), email: record.email, passwordHash, createdAt: now, updatedAt: now, emailVerifiedAt: now, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null };
		if (!(await tx.accounts.insertAccount(account))) throw new EmailTaken("An account with this email already exists. Sign in instead, or reset your password.", { reason: "taken_since_sign_up" });
		await recordSecurityEvent(deps, tx, account.id, "account.created", context, { emailVerified: true });
		await recordSecurityEvent(deps, tx, account.id, "email.verified", context, { via: "sign_up_link" });
		if (isOverdueAtSignUp(deps)) return { account, session: null, setup: await sendToRequiredSetup(deps, tx, account, context, "password", true) };
		return { account, session: await createSession(deps, tx, account.id, ["password"], context), setup: null };
	});
	deps.logger.info({ event: "account.registered", accountId: result.account.id, via: "sign_up_link", ip: context.ipAddress }, "account registered");
	return result;
}
