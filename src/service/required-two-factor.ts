/**
 * Enforced two-factor authentication (issue 14; the rules: `domain/access/two-factor-policy.ts`).
 * During an account's grace period sign-in goes on, and the dashboard and the API show the
 * deadline. After it, no session exists without a second factor:
 *
 * - a correct password makes no session: a setup link is mailed to the account's address (a stolen
 *   password alone must not enroll its own authenticator; issue 14, "Also": "after the deadline, a
 *   first enrollment needs a link mailed to the verified address or an operator");
 * - an operator's sign-in link stands in for that mail (the operator vouches): its holder goes
 *   straight to the setup;
 * - sessions made before the deadline with the password alone stop working (`sessions.ts`,
 *   `checkLiveSession`), on every surface, at the next request.
 *
 * The setup link carries a login challenge of purpose `set_up_two_factor` (never a sign-in
 * challenge). Its holder sees a new key ({@link beginRequiredTOTPSetup}, the seed's steps 2-3) and
 * confirms it with a code ({@link confirmRequiredTOTPSetup}): the challenge is consumed, the
 * authenticator confirmed, recovery codes issued and the first session (AAL2) made, in one
 * transaction. The mailed link proved the address, so the address counts as verified and the
 * second factor as confirmed by mail (forward-auth `two_factor` rules accept it).
 */
import { isTwoFactorOverdue, twoFactorDeadline } from "../domain/access/two-factor-policy.js";
import { generateToken } from "../domain/crypto/token.js";
import { normalizeOTPInput } from "../domain/otp/hotp.js";
import { verifyTOTP } from "../domain/otp/totp.js";
import { AccountDisabled, ChallengeInvalid, EnrollmentInvalid, InvalidCode, TOTPAlreadyEnabled } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord, LoginChallengeRecord, Repositories } from "../storage/store.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSignIn } from "./new-device.js";
import { endAccountAccess } from "./account-access.js";
import { hourAgo } from "./email-tokens.js";
import { enqueueLinkMail } from "./outbox.js";
import { prepareRecoveryCodes, storeRecoveryCodes } from "./recovery-codes.js";
import { refusedTOTPCode } from "./code-refusal.js";
import { recordSecurityEvent } from "./security-events.js";
import { createSession, type NewSession } from "./sessions.js";
import { findByToken } from "./token-lookup.js";
import { openTOTPKey, toTOTPOptions } from "./totp-key.js";
import { describeEnrollment, newPendingCredential, type PendingEnrollment } from "./totp-enrollment.js";

/** What the operator's policy asks of an account. */
export interface TwoFactorRequirement {
	/** Whether the policy applies to the account. */
	readonly required: boolean;
	/** When it must have a second factor by (Unix milliseconds); null when not required. */
	readonly deadline: UnixMillis | null;
	/** Required, without a second factor, and past the deadline: only the setup is open to it. */
	readonly overdue: boolean;
}

/** What the policy asks of `account`, which has (`hasTwoFactor`) or lacks a second factor, now. */
export function twoFactorRequirementOf(deps: ServiceDeps, account: Pick<AccountRecord, "createdAt" | "groups">, hasTwoFactor: boolean): TwoFactorRequirement {
	const deadline = twoFactorDeadline(deps.config.twoFactorPolicy, account);
	return { required: deadline !== null, deadline, overdue: !hasTwoFactor && isTwoFactorOverdue(deps.config.twoFactorPolicy, account, deps.clock.now()) };
}

/**
 * Whether an account made now (no group yet, no second factor) would be past its deadline at
 * once (`twoFactorPolicy.enforce: everyone` with `gracePeriodDays: 0`): its sign-up then makes no
 * session and sends it to the setup instead (`sign-up.ts`).
 */
export function isOverdueAtSignUp(deps: ServiceDeps): boolean {
	return twoFactorRequirementOf(deps, { createdAt: deps.clock.now(), groups: [] }, false).overdue;
}

/** The setup an overdue account was sent to instead of a session. */
export interface RequiredSetup {
	/** When the deadline was. */
	readonly deadline: UnixMillis;
	/** The setup token: handed to the holder of an operator's sign-in link (or of a sign-up link just used); null when it was mailed. */
	readonly setupToken: string | null;
	/** Until when the setup link works. */
	readonly expiresAt: UnixMillis;
}

/** The owner of a pending credential started from a setup challenge (never a session id, which has no colon). */
function ownerOf(challenge: Pick<LoginChallengeRecord, "id">): string {
	return `challenge:${challenge.id}`;
}

/** The kind of the setup link's mail (`delivery.kind`), counted for the per-account cap. */
const SETUP_MAIL_KIND = "two_factor.setup_required";

/**
 * Sends an overdue account (no second factor, past its deadline) to the setup instead of signing
 * it in: issues a `set_up_two_factor` challenge, valid for `signInLink.ttlSeconds`, and either mails
 * its link to the account's address (`firstFactor` `"password"`) or returns its token (an
 * operator's sign-in link, `"sign_in_link"`; or `addressProved`: a password just checked together
 * with a mailed sign-up link, which proved the address as the setup mail would). Inside the
 * caller's transaction, under the account's lock.
 *
 * Mailed links are capped at `twoFactorPolicy.setupLinksPerAccountPerHour` per account (counted on
 * the outbox, as alert mails are): beyond, nothing is issued or mailed and the link mailed last
 * keeps working (a new one would end it unseen); the answer is the same, with that link's expiry.
 */
export async function sendToRequiredSetup(deps: ServiceDeps, tx: Repositories, account: AccountRecord, context: RequestContext, firstFactor: "password" | "sign_in_link", addressProved = false): Promise<RequiredSetup> {
	const now = deps.clock.now();
	const ttlSeconds = deps.config.signInLink.ttlSeconds;
	const deadline = twoFactorDeadline(deps.config.twoFactorPolicy, account) ?? now;
	const mailed = firstFactor === "password" && !addressProved;
	if (mailed && (await tx.outbox.countRecentDeliveries(account.id, SETUP_MAIL_KIND, hourAgo(deps))) >= deps.config.twoFactorPolicy.setupLinksPerAccountPerHour) {
		const lastMailedAt = (await tx.outbox.listDeliveries({ channel: "email", accountId: account.id, limit: 100 })).find((delivery) => delivery.kind === SETUP_MAIL_KIND)?.createdAt ?? now;
		deps.logger.warn({ event: "login.two_factor_setup_mail_limited", accountId: account.id, ip: context.ipAddress }, "two-factor setup required; no new link mailed: per-account limit");
		return { deadline, setupToken: null, expiresAt: lastMailedAt + secondsToMillis(ttlSeconds) };
	}
	const generated = generateToken(deps.random);
	const record: LoginChallengeRecord = {
		id: generated.id,
		accountId: account.id,
		secretHash: generated.secretHash,
		createdAt: now,
		expiresAt: now + secondsToMillis(ttlSeconds),
		attempts: 0,
		maxAttempts: deps.config.loginChallenge.maxAttempts,
		consumedAt: null,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
		firstFactor,
		purpose: "set_up_two_factor",
	};
	// One open setup at a time: an earlier link stops working.
	await tx.loginChallenges.consumeAccountLoginChallenges(account.id, now);
	await tx.loginChallenges.insertLoginChallenge(record);
	if (mailed) await enqueueLinkMail(deps, tx, { accountId: account.id, to: account.email, kind: SETUP_MAIL_KIND, link: { token: generated.token, ttlSeconds } });
	deps.logger.info({ event: "login.two_factor_setup_required", accountId: account.id, challengeId: record.id, mailed, ip: context.ipAddress }, "two-factor setup required before signing in");
	return { deadline, setupToken: mailed ? null : generated.token, expiresAt: record.expiresAt };
}

/**
 * The live setup challenge behind a setup token.
 * @throws ChallengeInvalid when unknown, not a setup token (a sign-in challenge is never one), used or expired
 */
async function findLiveSetup(deps: ServiceDeps, repositories: Repositories, setupToken: string): Promise<LoginChallengeRecord> {
	const challenge = await findByToken(setupToken, (id) => repositories.loginChallenges.findLoginChallenge(id));
	if (challenge === null || challenge.purpose !== "set_up_two_factor") throw new ChallengeInvalid("unknown", { reason: challenge === null ? "unknown" : "not_a_setup" });
	if (challenge.consumedAt !== null) throw new ChallengeInvalid("ended", { reason: "consumed" });
	if (challenge.expiresAt <= deps.clock.now()) throw new ChallengeInvalid("expired", { reason: "expired" });
	return challenge;
}

/** The account of a setup, which must still lack a second factor and not be disabled. @throws ChallengeInvalid, AccountDisabled, TOTPAlreadyEnabled */
async function accountOfSetup(repositories: Repositories, challenge: LoginChallengeRecord): Promise<AccountRecord> {
	const account = await repositories.accounts.findAccountById(challenge.accountId);
	if (account === null) throw new ChallengeInvalid("unknown", { reason: "account_gone" });
	if (account.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled" });
	if ((await repositories.totpCredentials.findConfirmedTOTPCredential(account.id)) !== null) throw new TOTPAlreadyEnabled();
	return account;
}

/**
 * Steps 2-3 of an enforced setup: a new key for the setup token's account, shown to its holder
 * only; asked again with the same token (a wrong code, a reload), the same key while it lives, so
 * the app that scanned it keeps working. Nothing is enabled and no session exists yet.
 * @throws ChallengeInvalid (unknown, used or expired token), TOTPAlreadyEnabled
 */
export async function beginRequiredTOTPSetup(deps: ServiceDeps, input: { readonly setupToken: string }): Promise<Omit<PendingEnrollment, "sessionToken"> & { readonly email: string }> {
	const challenge = await findLiveSetup(deps, deps.store, input.setupToken);
	const account = await accountOfSetup(deps.store, challenge);
	const current = await deps.store.totpCredentials.findPendingTOTPCredential(account.id);
	if (current !== null && current.enrollmentSessionId === ownerOf(challenge) && current.expiresAt !== null && current.expiresAt > deps.clock.now()) {
		return { ...(await describeEnrollment(deps, account, current, openTOTPKey(deps, current))), email: account.email };
	}
	const { key, record } = newPendingCredential(deps, account.id, ownerOf(challenge), { name: null, purpose: null });
	const described = await describeEnrollment(deps, account, record, key);
	await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		await findLiveSetup(deps, tx, input.setupToken);
		await accountOfSetup(tx, challenge);
		await tx.totpCredentials.replacePendingTOTPCredential(record);
	});
	deps.logger.info({ event: "totp.enrollment_started", accountId: account.id, credentialId: record.id, challengeId: challenge.id, required: true }, "required two-factor setup started");
	return { ...described, email: account.email };
}

/** The end of an enforced setup: the account's first session, and its recovery codes (shown once). */
export interface CompletedRequiredSetup {
	readonly session: NewSession;
	readonly recoveryCodes: readonly string[];
}

/**
 * Step 4 of an enforced setup: a correct code confirms the pending key; then, in one transaction
 * under the account's lock, the setup token is consumed (one of parallel confirmations wins), the
 * authenticator confirmed, recovery codes stored, the address marked verified and the second factor
 * confirmed by mail (when the link was mailed), every earlier session, remembered device, open
 * sign-in and personal access token ended (made with the password alone), and the account's first
 * session with two factors made (AAL2).
 * @throws ChallengeInvalid, EnrollmentInvalid (no setup started, or it lapsed), InvalidCode, TOTPAlreadyEnabled
 */
export async function confirmRequiredTOTPSetup(deps: ServiceDeps, input: { readonly setupToken: string; readonly code: string }, context: RequestContext = NO_CONTEXT): Promise<CompletedRequiredSetup> {
	const challenge = await findLiveSetup(deps, deps.store, input.setupToken);
	const account = await accountOfSetup(deps.store, challenge);
	const pending = await deps.store.totpCredentials.findPendingTOTPCredential(account.id);
	const now = deps.clock.now();
	if (pending === null || pending.enrollmentSessionId !== ownerOf(challenge) || pending.expiresAt === null || pending.expiresAt <= now) throw new EnrollmentInvalid(undefined, { reason: "none_expired_or_other_setup" });
	// The challenge's budget bounds the tries (the holder has the key: a refusal says its cause).
	if (!(await deps.store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, now))) throw new ChallengeInvalid("too_many_codes", { reason: "attempts_exhausted" });
	const key = openTOTPKey(deps, pending);
	const code = normalizeOTPInput(input.code);
	const step = verifyTOTP(key, code, now, toTOTPOptions(deps, pending));
	if (step === null) {
		const refused: InvalidCode = refusedTOTPCode(deps, key, code, pending, "setup", { issuer: deps.config.issuer, email: account.email });
		deps.logger.info({ event: "totp.enrollment_code_failed", accountId: account.id, reason: refused.reason, required: true }, "setup code rejected");
		throw refused;
	}
	const prepared = await prepareRecoveryCodes(deps, account.id);
	const mailed = challenge.firstFactor === "password";
	const result = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		await accountOfSetup(tx, challenge);
		if (!(await tx.loginChallenges.consumeLoginChallenge(challenge.id, deps.clock.now()))) throw new ChallengeInvalid("ended", { reason: "consumed" });
		if (!(await tx.totpCredentials.confirmTOTPCredential(pending.id, step, deps.clock.now(), { replaceOthers: true }))) throw new EnrollmentInvalid(undefined, { reason: "lost_race" });
		const recoveryCodes = await storeRecoveryCodes(tx, account.id, prepared);
		if (mailed) {
			// The link reached the address: it is the account's, and it confirmed this authenticator.
			await tx.accounts.markEmailVerified(account.id, deps.clock.now());
			await tx.accounts.setSecondFactorMailConfirmedAt(account.id, deps.clock.now(), deps.clock.now());
		}
		// Whatever was made with the password alone before (a thief's session or token from the grace
		// period) ends here: the account's first session with two factors is the only one.
		const ended = await endAccountAccess(deps, tx, account.id, { sessions: "all", trustedDevices: true, loginChallenges: true, accessTokens: true });
		await recordSecurityEvent(deps, tx, account.id, "totp.enabled", context, { otherSessionsRevoked: ended.sessionsRevoked, accessTokensRevoked: ended.accessTokensRevoked, required: true });
		const firstFactor = challenge.firstFactor === "sign_in_link" ? "sign_in_link" : "password";
		await recordSignIn(deps, tx, account, context, [firstFactor, "totp"]);
		const session = await createSession(deps, tx, account.id, [firstFactor, "totp"], context, { factorsProved: firstFactor === "password" || account.passwordHash === null });
		return { session, recoveryCodes };
	});
	deps.logger.info({ event: "totp.enabled", accountId: account.id, credentialId: pending.id, required: true }, "required two-factor authentication set up; signed in");
	return result;
}
