/**
 * Sign-up in its three modes (`signUp.mode`, issue 11 "precisions"):
 * - `open` (the default): the account is made at once, signed in, with its address unverified; a
 *   verification link is mailed in the same transaction (`email-verification.ts`).
 * - `verified`: no account until the mailed link is opened. The answer is the same whether the
 *   address has an account or not (no enumeration, OWASP Authentication Cheat Sheet "Account
 *   creation"): a new address gets a `sign_up` link that holds the address and the argon2id hash of
 *   the chosen password; a taken one gets `sign_up.exists` ("someone tried to sign up with your
 *   address: sign in, or reset your password"). Both branches hash the password (the same cost),
 *   write one mail, and answer alike. Opening the link (its POST) creates the account, verified,
 *   and signs it in.
 * - `closed`: sign-up is refused ({@link SignUpClosed}); operators create accounts (verified).
 */
import { EmailLinkInvalid, EmailTaken, InvalidRequest, SignUpClosed } from "../errors.js";
import { generateId } from "../domain/crypto/token.js";
import type { AccountRecord } from "../storage/store.js";
import { assertAcceptablePassword, normalizeEmail, registerAccount, type RegisteredAccount } from "./accounts.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { findLiveEmailToken, hourAgo, issueEmailToken, ttlMinutes } from "./email-tokens.js";
import { queueVerificationMail } from "./email-verification.js";
import { enqueueLinkMail } from "./outbox.js";
import { recordSecurityEvent } from "./security-events.js";
import { createSession, type NewSession } from "./sessions.js";

/** The outcome of a sign-up: signed in at once (`open`), or a link mailed (`verified`, whatever the address). */
export type SignUpResult = { readonly kind: "account"; readonly account: AccountRecord; readonly session: NewSession } | { readonly kind: "verification_sent" };

/**
 * Signs up as `signUp.mode` says.
 * @throws SignUpClosed (mode `closed`, before anything is read); InvalidRequest (malformed email,
 *   password refused by the policy: the same for every address); EmailTaken (mode `open` only)
 */
export async function signUp(deps: ServiceDeps, input: { email: string; password: string }, context: RequestContext = NO_CONTEXT): Promise<SignUpResult> {
	const { mode } = deps.config.signUp;
	if (mode === "closed") throw new SignUpClosed(undefined, { reason: "sign_up_closed" });
	if (mode === "verified") {
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
	const email = normalizeEmail(input.email);
	if (email === null) throw new InvalidRequest("Enter a valid email address.", [{ field: "email", rule: "invalid_email", message: "Enter a valid email address." }]);
	assertAcceptablePassword(deps, input.password, email);
	// Hashed whether or not the address is taken: both answers take the argon2id time.
	const passwordHash = await deps.passwords.hash(input.password);
	const { ttlSeconds, resendsPerHour } = deps.config.emailVerification;
	const existing = await deps.store.accounts.findAccountByEmail(email);
	const sent = await deps.store.transaction(async (tx) => {
		if (existing !== null) {
			if ((await tx.outbox.countRecentDeliveries(existing.id, "sign_up.exists", hourAgo(deps))) >= resendsPerHour) return false;
			await enqueueLinkMail(deps, tx, { accountId: existing.id, to: existing.email, kind: "sign_up.exists", token: null });
			return true;
		}
		if ((await tx.emailTokens.countRecentEmailTokens("sign_up", { email }, hourAgo(deps))) >= resendsPerHour) return false;
		const issued = await issueEmailToken(deps, tx, { purpose: "sign_up", accountId: null, email, passwordHash, ttlSeconds, ipAddress: context.ipAddress });
		await enqueueLinkMail(deps, tx, { accountId: null, to: email, kind: "sign_up.verify", facts: { expiresInMinutes: ttlMinutes(ttlSeconds) }, token: issued.token });
		return true;
	});
	// The log tells the operator which branch ran; the client is told neither.
	deps.logger.info({ event: "sign_up.requested", taken: existing !== null, sent, ip: context.ipAddress }, "sign-up link requested");
}

/**
 * The address a sign-up link would create an account for, without using it.
 * @returns null when the link is not usable
 */
export async function describeSignUp(deps: ServiceDeps, token: string): Promise<{ readonly email: string } | null> {
	const record = await findLiveEmailToken(deps, token, "sign_up");
	return record === null ? null : { email: record.email };
}

/** An account made by a sign-up link, signed in. */
export interface FinishedSignUp {
	readonly account: AccountRecord;
	readonly session: NewSession;
}

/**
 * Uses a sign-up link: consumes it, creates the account with the password chosen at sign-up and
 * the address verified (the link proved it), records `account.created` and `email.verified`, and
 * signs in (AAL1), in one transaction.
 * @throws EmailLinkInvalid when unknown, expired or used (of 20 parallel uses, one wins);
 *   EmailTaken when the address got an account since (another link of the same address was used first)
 */
export async function finishSignUp(deps: ServiceDeps, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<FinishedSignUp> {
	const record = await findLiveEmailToken(deps, input.token, "sign_up");
	if (record === null || record.passwordHash === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const passwordHash = record.passwordHash;
	const result = await deps.store.transaction(async (tx) => {
		const now = deps.clock.now();
		if (!(await tx.emailTokens.consumeEmailToken(record.id, now))) throw new EmailLinkInvalid(undefined, { reason: "lost_race" });
		const account: AccountRecord = { id: generateId(deps.random), email: record.email, passwordHash, createdAt: now, updatedAt: now, emailVerifiedAt: now };
		if (!(await tx.accounts.insertAccount(account))) throw new EmailTaken("An account with this email already exists. Sign in instead, or reset your password.", { reason: "taken_since_sign_up" });
		await recordSecurityEvent(deps, tx, account.id, "account.created", context, { emailVerified: true });
		await recordSecurityEvent(deps, tx, account.id, "email.verified", context, { via: "sign_up_link" });
		return { account, session: await createSession(deps, tx, account.id, 1, context) };
	});
	deps.logger.info({ event: "account.registered", accountId: result.account.id, via: "sign_up_link", ip: context.ipAddress }, "account registered");
	return result;
}
