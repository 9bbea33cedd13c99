/**
 * Operators' changes to an account (issue 14 item 1; DESIGN.md §3.10: every operator action once,
 * audited), shared by the admin API and the CLI. Each is one transaction under the account's lock,
 * with its security event (`by: "operator"`, `via`, the OS user for the CLI), so its webhook
 * messages and mails commit with it:
 *
 * - {@link disableAccount}: every session, remembered device, half-way sign-in, sign-in link, mailed
 *   link, personal access token and OpenID Connect grant ends at once (`endAccountAccess`, so the
 *   apps get their back-channel logouts), and the account signs in nowhere until enabled;
 * - {@link enableAccount}, {@link unlockAccount}, {@link signOutAccountEverywhere};
 * - {@link deleteAccount}: ends everything first, then deletes the account and all it owns; a
 *   `deleted_account` row (id, when, via, operator, reason) is what is kept (docs/decisions.md);
 * - {@link resetTwoFactor}: for an owner who lost the authenticator and the recovery codes; needs a
 *   reason, mails the owner (`two_factor_reset`), and turns 2FA off through `removeTwoFactor`, the one
 *   function that does (`totp-enrollment.ts`).
 */
import { InvalidRequest, TOTPNotEnabled } from "../errors.js";
import { endAccountAccess, type EndedAccess } from "./account-access.js";
import { actorContext, actorDetails, findTargetAccount, type AccountRef, type OperatorActor } from "./admin.js";
import type { ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { removeTwoFactor } from "./totp-enrollment.js";

/** Longest reason an operator may give, in characters. */
export const OPERATOR_REASON_MAX_LENGTH = 500;

/** What an action did to which account. */
export interface OperatorOutcome extends EndedAccess {
	readonly accountId: string;
	readonly email: string;
}

/** The reason trimmed; null when none is given. @throws InvalidRequest when over {@link OPERATOR_REASON_MAX_LENGTH} or with control characters */
function reasonOf(reason: string | undefined | null): string | null {
	const trimmed = (reason ?? "").trim();
	if (trimmed.length > OPERATOR_REASON_MAX_LENGTH) throw new InvalidRequest(`The reason is at most ${OPERATOR_REASON_MAX_LENGTH} characters.`, [{ field: "reason", rule: "too_long", message: `At most ${OPERATOR_REASON_MAX_LENGTH} characters.` }]);
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new InvalidRequest("The reason is one line of text.", [{ field: "reason", rule: "control_character", message: "One line, no control characters." }]);
	return trimmed === "" ? null : trimmed;
}

/** The reason, which this action needs. @throws InvalidRequest when missing or blank */
function requiredReason(reason: string | undefined | null): string {
	const given = reasonOf(reason);
	if (given === null) throw new InvalidRequest("Give the reason (it is kept in the audit trail).", [{ field: "reason", rule: "required", message: "Say why, e.g. the support ticket." }]);
	return given;
}

const EVERYTHING = { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true, accessTokens: true } as const;

/** What disabling did: `changed` false when the account was disabled already (nothing was done). */
export interface DisabledAccount extends OperatorOutcome {
	readonly changed: boolean;
}

/**
 * Disables an account: it signs in nowhere (password, sign-in link, password reset, session, token,
 * OpenID Connect, forward-auth) until enabled; everything it had open ends now. Disabling a
 * disabled account changes and records nothing.
 * @param reason - optional, kept in the event
 * @throws NotFound when no account matches; InvalidRequest for a reason too long
 */
export async function disableAccount(deps: ServiceDeps, target: AccountRef, actor: OperatorActor, reason?: string | null): Promise<DisabledAccount> {
	const given = reasonOf(reason);
	const account = await findTargetAccount(deps, target);
	const outcome = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		const now = deps.clock.now();
		if (!(await tx.accounts.setAccountDisabled(account.id, now, now))) return { changed: false, sessionsRevoked: 0, trustedDevicesRevoked: 0, accessTokensRevoked: 0 };
		const ended = await endAccountAccess(deps, tx, account.id, EVERYTHING);
		// Mailed links (password reset, address change, ...) end too: none may finish later.
		await tx.emailTokens.consumeAccountEmailTokens(account.id, now);
		await recordSecurityEvent(deps, tx, account.id, "account.disabled", actorContext(actor), { ...actorDetails(actor), ...(given === null ? {} : { reason: given }), ...ended });
		return { changed: true, ...ended };
	});
	deps.logger.warn({ event: "account.disabled", accountId: account.id, via: actor.via, changed: outcome.changed, sessionsRevoked: outcome.sessionsRevoked, accessTokensRevoked: outcome.accessTokensRevoked }, "account disabled by an operator");
	return { accountId: account.id, email: account.email, ...outcome };
}

/**
 * Enables a disabled account again (nothing that ended comes back: its owner signs in anew).
 * @returns `changed` false when it was not disabled (nothing recorded)
 * @throws NotFound when no account matches
 */
export async function enableAccount(deps: ServiceDeps, target: AccountRef, actor: OperatorActor): Promise<{ accountId: string; email: string; changed: boolean }> {
	const account = await findTargetAccount(deps, target);
	const changed = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		if (!(await tx.accounts.setAccountDisabled(account.id, null, deps.clock.now()))) return false;
		await recordSecurityEvent(deps, tx, account.id, "account.enabled", actorContext(actor), actorDetails(actor));
		return true;
	});
	deps.logger.warn({ event: "account.enabled", accountId: account.id, via: actor.via, changed }, "account enabled by an operator");
	return { accountId: account.id, email: account.email, changed };
}

/**
 * Ends every lock and forgets every failure count of the account (password and second factor),
 * e.g. after the second factor locked until reset (100 consecutive failures, NIST SP 800-63B
 * §5.2.2) and the owner proved who they are to support.
 * @throws NotFound when no account matches
 */
export async function unlockAccount(deps: ServiceDeps, target: AccountRef, actor: OperatorActor): Promise<{ accountId: string; email: string }> {
	const account = await findTargetAccount(deps, target);
	await deps.store.transaction(async (tx) => {
		await tx.authFailures.clearAuthFailures(account.id, "password");
		await tx.authFailures.clearAuthFailures(account.id, "second_factor");
		await recordSecurityEvent(deps, tx, account.id, "account.unlocked", actorContext(actor), actorDetails(actor));
	});
	deps.logger.warn({ event: "account.unlocked", accountId: account.id, via: actor.via }, "account unlocked by an operator");
	return { accountId: account.id, email: account.email };
}

/**
 * An operator's "sign out everywhere" for an account (a stolen laptop reported to support, an
 * employee leaving): every session, remembered device, open login challenge, sign-in link and
 * personal access token ends at once, in one transaction under the account's lock, with a
 * `sessions.revoked` event (`scope` `"everywhere"`, `by` `"operator"`). Every app behind the
 * forward-auth proxy refuses the very next request. Tokens end too: this is the operator's only
 * lever, and a token on the stolen laptop (or of the person leaving) must not outlive it.
 * @throws NotFound when no account matches
 */
export async function signOutAccountEverywhere(deps: ServiceDeps, target: AccountRef, actor: OperatorActor = { via: "admin_api" }): Promise<OperatorOutcome> {
	const account = await findTargetAccount(deps, target);
	const ended = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		const result = await endAccountAccess(deps, tx, account.id, EVERYTHING);
		await recordSecurityEvent(deps, tx, account.id, "sessions.revoked", actorContext(actor), { scope: "everywhere", ...actorDetails(actor), sessions: result.sessionsRevoked, trustedDevices: result.trustedDevicesRevoked, accessTokens: result.accessTokensRevoked });
		return result;
	});
	deps.logger.warn({ event: "account.signed_out_by_operator", accountId: account.id, via: actor.via, sessionsRevoked: ended.sessionsRevoked, accessTokensRevoked: ended.accessTokensRevoked }, "account signed out everywhere by an operator");
	return { accountId: account.id, email: account.email, ...ended };
}

/**
 * Deletes an account and everything it owns. First, in the same transaction, everything it had
 * open ends (so OpenID Connect apps get their back-channel logouts) and `account.deleted` is
 * recorded (for webhooks); those webhook messages are detached from the account so they outlive
 * it; then the account goes, with its credentials, sessions, devices, tokens, activity and mails
 * (foreign keys cascade). Kept: one `deleted_account` row (id, creation and deletion instants, via,
 * the operator, the reason), and the server log line.
 * @param reason - required (the audit trail says why)
 * @throws NotFound when no account matches; InvalidRequest without a reason
 */
export async function deleteAccount(deps: ServiceDeps, target: AccountRef, actor: OperatorActor, reason: string | undefined | null): Promise<OperatorOutcome> {
	const given = requiredReason(reason);
	const account = await findTargetAccount(deps, target);
	const ended = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		const result = await endAccountAccess(deps, tx, account.id, EVERYTHING);
		await recordSecurityEvent(deps, tx, account.id, "account.deleted", actorContext(actor), { ...actorDetails(actor), reason: given, sessionsRevoked: result.sessionsRevoked, accessTokensRevoked: result.accessTokensRevoked });
		await tx.outbox.detachPendingWebhookDeliveries(account.id);
		await tx.accountDirectory.insertDeletedAccount({ accountId: account.id, deletedAt: deps.clock.now(), createdAt: account.createdAt, via: actor.via, operator: actor.operator ?? null, reason: given });
		await tx.accounts.deleteAccount(account.id);
		return result;
	});
	deps.logger.warn({ event: "account.deleted", accountId: account.id, via: actor.via, operator: actor.operator ?? null, sessionsRevoked: ended.sessionsRevoked }, "account deleted by an operator");
	return { accountId: account.id, email: account.email, ...ended };
}

/**
 * Resets the two-factor authentication of an owner who lost the authenticator and the recovery
 * codes (after support checked who they are): the authenticator(s), recovery codes, remembered
 * devices and every session and token go (`removeTwoFactor`, the one function that turns 2FA off),
 * `totp.reset` is recorded with the reason, and the owner is mailed (`two_factor_reset`, to the
 * address whether verified or not). 2FA is then off until the owner sets it up again.
 * @param reason - required
 * @throws NotFound when no account matches; InvalidRequest without a reason; TOTPNotEnabled when 2FA is off
 */
export async function resetTwoFactor(deps: ServiceDeps, target: AccountRef, actor: OperatorActor, reason: string | undefined | null): Promise<OperatorOutcome> {
	const given = requiredReason(reason);
	const account = await findTargetAccount(deps, target);
	const ended = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(account.id);
		if ((await tx.totpCredentials.findConfirmedTOTPCredential(account.id)) === null) throw new TOTPNotEnabled("Two-factor authentication is off for this account: there is nothing to reset.");
		const result = await removeTwoFactor(deps, tx, account.id, null);
		await recordSecurityEvent(deps, tx, account.id, "totp.reset", actorContext(actor), { ...actorDetails(actor), reason: given, ...result });
		return result;
	});
	deps.logger.warn({ event: "totp.reset", accountId: account.id, via: actor.via, operator: actor.operator ?? null, ...ended }, "two-factor authentication reset by an operator");
	return { accountId: account.id, email: account.email, ...ended };
}
