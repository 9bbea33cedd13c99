/**
 * Accounts without a password, and one-time sign-in links. An operator (the CLI) or an
 * integrator's backend (the admin API) creates an account without a password, for example after
 * a social sign-in on their own site, and hands the user a sign-in link. The link stands in for
 * the password step once: it never skips the second factor, so with 2FA on it leads to the code
 * step (a login challenge), exactly like a correct password. The user then sets a password in
 * step 1 of the two-factor setup, as the seed article describes ("enter or set a password").
 *
 * Links are `<id>.<secret>` tokens (256-bit secret), stored only as a SHA-256 hash, short-lived
 * (`signInLink.ttlSeconds`) and consumed by one conditional write (OWASP Forgot Password Cheat
 * Sheet: random, single use, expiring; NIST SP 800-63B §5.1.1.2 never stores the secret).
 */
import { AccountDisabled, NotFound, SignInLinkInvalid } from "../errors.js";
import { generateToken } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord, SignInLinkRecord } from "../storage/store.js";
import { normalizeEmail, registerAccount } from "./accounts.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { issueLoginChallenge, type BeginLoginResult } from "./login.js";
import { sendToRequiredSetup, twoFactorRequirementOf } from "./required-two-factor.js";
import { recordSecurityEvent } from "./security-events.js";
import { recordSignIn } from "./new-device.js";
import { createSession } from "./sessions.js";
import { findByToken } from "./token-lookup.js";

/** A sign-in link just issued: the token is given out once and never stored. */
export interface IssuedSignInLink {
	readonly accountId: string;
	readonly email: string;
	/** `<id>.<secret>`; the dashboard link is `/dashboard/sign-in-link?token=<token>`. */
	readonly token: string;
	readonly expiresAt: UnixMillis;
}

/**
 * Creates an account without a password (operators and integrators only; nobody is signed in).
 * Its owner gets in with a sign-in link and sets a password in step 1 of the two-factor setup.
 * The address counts as verified: the operator vouches for it (and a sign-in link goes to it).
 * @throws InvalidRequest for a malformed email; EmailTaken when the email has an account
 */
export async function createAccountWithoutPassword(deps: ServiceDeps, email: string, context: RequestContext = NO_CONTEXT): Promise<AccountRecord> {
	const { account } = await registerAccount(deps, { email, password: null }, context, { emailVerified: true });
	return account;
}

/**
 * Issues a one-time sign-in link for the account with this email (with or without a password).
 * Only the newest link of an account works: issuing one ends the account's earlier unused links
 * (an operator who re-issues a link, say because the first went to the wrong person, ends that
 * one). Recorded in the account's security activity.
 * @throws NotFound when no account has that email
 * @throws AccountDisabled when the account is disabled
 */
export async function issueSignInLink(deps: ServiceDeps, email: string, context: RequestContext = NO_CONTEXT): Promise<IssuedSignInLink> {
	const normalized = normalizeEmail(email);
	const account = normalized === null ? null : await deps.store.accounts.findAccountByEmail(normalized);
	if (account === null) throw new NotFound("No account has that email.");
	if (account.disabledAt !== null) throw new AccountDisabled("The account is disabled: enable it first (a sign-in link would not work).", { reason: "disabled" });
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const record: SignInLinkRecord = {
		id: generated.id,
		accountId: account.id,
		secretHash: generated.secretHash,
		createdAt: now,
		expiresAt: now + secondsToMillis(deps.config.signInLink.ttlSeconds),
		consumedAt: null,
	};
	await deps.store.transaction(async (tx) => {
		// Under the account's lock: parallel issues (an integrator retrying) take turns, so each ends the one before it.
		await tx.accounts.lockAccount(account.id);
		const replaced = await tx.signInLinks.consumeAccountSignInLinks(account.id, now);
		await tx.signInLinks.insertSignInLink(record);
		await recordSecurityEvent(deps, tx, account.id, "sign_in_link.issued", context, replaced > 0 ? { earlierLinksEnded: replaced } : {});
	});
	deps.logger.info({ event: "sign_in_link.issued", accountId: account.id, linkId: record.id }, "sign-in link issued");
	return { accountId: account.id, email: account.email, token: generated.token, expiresAt: record.expiresAt };
}

/** The live link behind a token, or null (unknown, wrong secret, used or expired). */
async function findLiveSignInLink(deps: ServiceDeps, token: string): Promise<SignInLinkRecord | null> {
	const link = await findByToken(token, (id) => deps.store.signInLinks.findSignInLink(id));
	if (link === null || link.consumedAt !== null || link.expiresAt <= deps.clock.now()) return null;
	return link;
}

/**
 * Who a link would sign in, without using it (the dashboard asks "Continue as ...?" before a
 * click redeems it, so that link previews and prefetches do not spend it).
 * @returns the account's email, or null when the link is not usable
 */
export async function describeSignInLink(deps: ServiceDeps, token: string): Promise<{ readonly email: string } | null> {
	const link = await findLiveSignInLink(deps, token);
	if (link === null) return null;
	const account = await deps.store.accounts.findAccountById(link.accountId);
	return account === null ? null : { email: account.email };
}

/**
 * Uses a sign-in link in place of the password step. Without 2FA the account is signed in (AAL1;
 * for an account without a password a fresh session, so that it can set its first password; with
 * a password, sensitive actions still ask for it); with 2FA a
 * login challenge is returned and the code step follows. The link is consumed, and the session
 * or challenge made, in one transaction under the account's lock.
 * @throws SignInLinkInvalid when unknown, expired or used (20 parallel uses: one wins)
 */
export async function redeemSignInLink(deps: ServiceDeps, input: { token: string }, context: RequestContext = NO_CONTEXT): Promise<BeginLoginResult> {
	const link = await findLiveSignInLink(deps, input.token);
	if (link === null) throw new SignInLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
	const result = await deps.store.transaction(async (tx): Promise<BeginLoginResult> => {
		await tx.accounts.lockAccount(link.accountId);
		// The account as it is under the lock (its links go with it when it is deleted).
		const account = await tx.accounts.findAccountById(link.accountId);
		if (account === null) throw new SignInLinkInvalid(undefined, { reason: "account_gone" });
		// Disabling consumed every link; one issued by a race is refused here too.
		if (account.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled" });
		if (!(await tx.signInLinks.consumeSignInLink(link.id, deps.clock.now()))) throw new SignInLinkInvalid(undefined, { reason: "lost_race" });
		const authenticators = (await tx.totpCredentials.listConfirmedTOTPCredentials(link.accountId)).length;
		// Enforced 2FA past its deadline: the operator's link leads to the setup, never to a session.
		if (authenticators === 0 && twoFactorRequirementOf(deps, account, false).overdue) return { kind: "two_factor_setup_required", setup: await sendToRequiredSetup(deps, tx, account, context, "sign_in_link") };
		if (authenticators === 0) {
			await recordSignIn(deps, tx, account, context, ["sign_in_link"]);
			// Fresh (sudo mode) only for an account without a password, which must be able to set its
			// first one; with a password, sensitive actions still ask for it: a link holder is not the
			// password holder.
			const factorsProved = account.passwordHash === null;
			return { kind: "session", session: await createSession(deps, tx, link.accountId, ["sign_in_link"], context, { factorsProved }), trustedDevice: null };
		}
		return { kind: "challenge", challenge: await issueLoginChallenge(deps, tx, link.accountId, context, authenticators, "sign_in_link"), keepTrustedDevice: true };
	});
	deps.logger.info({ event: result.kind === "session" ? "login.success" : result.kind === "challenge" ? "login.challenge_issued" : "login.two_factor_setup_required", accountId: link.accountId, factors: ["sign_in_link"], ip: context.ipAddress }, result.kind === "session" ? "signed in with a sign-in link" : result.kind === "challenge" ? "sign-in link accepted; second factor required" : "sign-in link accepted; two-factor setup required");
	return result;
}
