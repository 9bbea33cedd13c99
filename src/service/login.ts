/**
 * Sign-in. The password step never creates a session for an account with two-factor
 * authentication: it returns a login challenge (single use, short-lived, a few attempts) that
 * grants nothing but the code step. Only the challenge plus a correct TOTP or recovery code
 * makes a session (STANDARDS X-01, NIST SP 800-63B §7.1, OWASP ASVS 2.3.1). The TOTP step, the
 * challenge and the recovery code are each consumed by one conditional write, inside the
 * transaction that creates the session.
 */
import { AccountDisabled, ChallengeInvalid, InvalidCode, InvalidCredentials, TooManyAttempts } from "../errors.js";
import type { SignInFactor } from "../domain/access/authentication-methods.js";
import { generateToken } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { SecondFactorMethod as MeasuredMethod } from "../platform/metrics.js";
import type { AccountRecord, LoginChallengeRecord, Repositories, TOTPCredentialRecord } from "../storage/store.js";
import { verifyAccountPassword } from "./accounts.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { createSession, type NewSession } from "./sessions.js";
import { assertNotLocked, attemptsForKeys, withAttempt, type SettleSucceeded } from "./throttle.js";
import { sendToRequiredSetup, twoFactorRequirementOf, type RequiredSetup } from "./required-two-factor.js";
import { recordSecurityEvent } from "./security-events.js";
import { recordSignIn } from "./new-device.js";
import { acceptedSkew, refusedCode, type ClockSkew } from "./clock-skew.js";
import { findByToken } from "./token-lookup.js";
import { trustDevice, useTrustedDevice, type IssuedTrustedDevice } from "./trusted-devices.js";
import { checkTOTPCodeOfAny } from "./totp-key.js";
import { checkRecoveryCode, consumeRecoveryCode } from "./recovery-codes.js";
import { secondFactorOutcomeOf, signInOutcomeOf } from "./sign-in-outcomes.js";

/** Second-factor methods a challenge can be completed with. */
export type SecondFactorMethod = "totp" | "recovery_code";

/** A login challenge as given to the client. */
export interface IssuedChallenge {
	/** `<id>.<secret>`: the only thing that lets the client reach the code step. */
	readonly challengeToken: string;
	readonly methods: readonly SecondFactorMethod[];
	readonly expiresAt: UnixMillis;
}

/**
 * The outcome of the password step: a session (no 2FA, or a trusted device of this account, whose
 * rotated token comes back in `trustedDevice`), or a login challenge.
 */
export type BeginLoginResult =
	| { readonly kind: "session"; readonly session: NewSession; readonly trustedDevice: IssuedTrustedDevice | null }
	/** Enforced 2FA, past the account's deadline, and none set up: no session; the setup is next (`required-two-factor.ts`). */
	| { readonly kind: "two_factor_setup_required"; readonly setup: RequiredSetup }
	| {
			readonly kind: "challenge";
			readonly challenge: IssuedChallenge;
			/** true when the presented trusted-device token is a live one of ANOTHER account: a browser should keep it (for that account). */
			readonly keepTrustedDevice: boolean;
	  };

/**
 * The password step. An account without two-factor authentication is signed in (AAL1); one
 * with it gets a login challenge and no session. Each call is counted by outcome (`deadbolt_sign_ins_total`).
 * @throws InvalidCredentials for an unknown email, a wrong password or a locked password step (indistinguishable)
 * @throws AccountDisabled after the right password of an account an operator disabled
 */
export async function beginLogin(deps: ServiceDeps, input: { email: string; password: string; trustedDeviceToken?: string }, context: RequestContext = NO_CONTEXT): Promise<BeginLoginResult> {
	let result: BeginLoginResult;
	try {
		result = await beginLoginUncounted(deps, input, context);
	} catch (error) {
		deps.metrics.signIn(signInOutcomeOf(error));
		throw error;
	}
	deps.metrics.signIn(result.kind === "session" ? "success" : "second_factor_required");
	if (result.kind === "session" && result.trustedDevice !== null) deps.metrics.secondFactor("sign_in", "trusted_device", "success");
	return result;
}

/** {@link beginLogin}, uncounted. */
async function beginLoginUncounted(deps: ServiceDeps, input: { email: string; password: string; trustedDeviceToken?: string }, context: RequestContext): Promise<BeginLoginResult> {
	// A stored hash that changed between the check and the lock is a password change, or the same
	// password rehashed by a parallel sign-in (a higher configured cost): checking once more against
	// what is stored now tells them apart, so a right password is never refused for a rehash.
	for (let round = 0; ; round++) {
		try {
			return await passwordStep(deps, input, context);
		} catch (error) {
			if (!(error instanceof StoredHashChanged)) throw error;
			if (round > 0) throw new InvalidCredentials(undefined, { reason: "password_changed" });
		}
	}
}

/** What the challenge's holder proved before the code step (the store keeps it as text). */
function firstFactorOf(challenge: LoginChallengeRecord): SignInFactor {
	return challenge.firstFactor === "sign_in_link" ? "sign_in_link" : "password";
}

/** The stored password hash changed between the password check and the account's lock. */
class StoredHashChanged extends Error {}

/** One password step: {@link beginLogin}. @throws StoredHashChanged, InvalidCredentials */
async function passwordStep(deps: ServiceDeps, input: { email: string; password: string; trustedDeviceToken?: string }, context: RequestContext): Promise<BeginLoginResult> {
	const account = await verifyAccountPassword(deps, input.email, input.password, context);
	// The check "no 2FA" and the password-only session are one step, under the account's lock:
	// a concurrent confirmTOTPEnrollment either sees this session (and ends it) or is seen here.
	type PasswordStepOutcome = { session: NewSession; trustedDevice: IssuedTrustedDevice | null; factors: string[] } | { challenge: IssuedChallenge; keepTrustedDevice: boolean } | { setup: RequiredSetup };
	const signedIn = await deps.store.transaction(async (tx): Promise<PasswordStepOutcome> => {
		await tx.accounts.lockAccount(account.id);
		// The password was checked before the lock: if it changed since (a password change or
		// "secure account" racing this sign-in), the old password must not make a session.
		const current = await tx.accounts.findAccountById(account.id);
		if (current === null) throw new InvalidCredentials(undefined, { reason: "account_gone" });
		if (current.passwordHash !== account.passwordHash) throw new StoredHashChanged();
		// Disabled by an operator: said only now, after the right password (a wrong one is refused as ever).
		if (current.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled" });
		const authenticators = (await tx.totpCredentials.listConfirmedTOTPCredentials(account.id)).length;
		if (authenticators === 0 && twoFactorRequirementOf(deps, current, false).overdue) return { setup: await sendToRequiredSetup(deps, tx, current, context, "password") };
		if (authenticators === 0) {
			await recordSignIn(deps, tx, current, context, ["password"]);
			return { session: await createSession(deps, tx, account.id, ["password"], context), trustedDevice: null, factors: ["password"] };
		}
		// A trusted device of THIS account stands in for the code step (never for the password).
		const use = input.trustedDeviceToken === undefined ? null : await useTrustedDevice(deps, tx, account.id, input.trustedDeviceToken);
		// The challenge is made under the lock too: a password change racing this sign-in either
		// ends it or is seen above (the hash check).
		if (use === null || use.kind !== "used") return { challenge: await issueLoginChallenge(deps, tx, account.id, context, authenticators), keepTrustedDevice: use?.kind === "other_account" };
		const trustedDevice = use.device;
		await recordSignIn(deps, tx, current, context, ["password", "trusted_device"]);
		return { session: await createSession(deps, tx, account.id, ["password", "trusted_device"], context, { factorsProved: false }), trustedDevice, factors: ["password", "trusted_device"] };
	});
	if ("setup" in signedIn) return { kind: "two_factor_setup_required", setup: signedIn.setup };
	if ("session" in signedIn) {
		deps.logger.info({ event: "login.success", accountId: account.id, factors: signedIn.factors, ip: context.ipAddress }, "signed in");
		return { kind: "session", session: signedIn.session, trustedDevice: signedIn.trustedDevice };
	}
	const { challenge, keepTrustedDevice } = signedIn;
	deps.logger.info({ event: "login.challenge_issued", accountId: account.id, ip: context.ipAddress }, "password accepted; second factor required");
	return { kind: "challenge", challenge, keepTrustedDevice };
}

/**
 * Stores a new login challenge for an account whose first factor was just proved (a password,
 * or a sign-in link) and returns its token, once. Its code attempts are
 * `loginChallenge.maxAttempts` divided among the account's authenticators (each code is checked
 * against all of them: `attemptsForKeys`).
 * @param repositories - the store, or a transaction's repositories
 * @param authenticators - how many confirmed authenticators the account has (at least one)
 */
export async function issueLoginChallenge(deps: ServiceDeps, repositories: Repositories, accountId: string, context: RequestContext, authenticators: number, firstFactor: "password" | "sign_in_link" = "password"): Promise<IssuedChallenge> {
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const record: LoginChallengeRecord = {
		id: generated.id,
		accountId,
		secretHash: generated.secretHash,
		createdAt: now,
		expiresAt: now + secondsToMillis(deps.config.loginChallenge.ttlSeconds),
		attempts: 0,
		maxAttempts: attemptsForKeys(deps.config.loginChallenge.maxAttempts, authenticators),
		consumedAt: null,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
		firstFactor,
		purpose: "sign_in",
	};
	await repositories.loginChallenges.insertLoginChallenge(record);
	return { challengeToken: generated.token, methods: ["totp", "recovery_code"], expiresAt: record.expiresAt };
}

/**
 * Finds a live challenge by its token. A lock of the account's code step is told before the
 * challenge's state (a lock ends the challenges open at the time).
 * @throws ChallengeInvalid when unknown, wrong secret, consumed or expired; TooManyAttempts when locked
 */
async function findLiveChallenge(deps: ServiceDeps, challengeToken: string): Promise<LoginChallengeRecord> {
	const challenge = await findByToken(challengeToken, (id) => deps.store.loginChallenges.findLoginChallenge(id));
	// A setup token (enforced 2FA) is never a sign-in challenge.
	if (challenge === null || challenge.purpose !== "sign_in") throw new ChallengeInvalid("unknown", { reason: challenge === null ? "unknown" : "not_a_sign_in" });
	const ended = challenge.consumedAt !== null;
	const expired = challenge.expiresAt <= deps.clock.now();
	// Spent: told as such, and not counted against the account again.
	const spent = challenge.attempts >= challenge.maxAttempts;
	// A lock ended the challenge: say so first. (A live challenge's attempt meets a running lock
	// when it is reserved, `withAttempt`: no read of the counter here on the way to a session.)
	if (ended || expired || spent) await assertNotLocked(deps, challenge.accountId, "second_factor");
	if (ended) throw new ChallengeInvalid("ended", { reason: "consumed" });
	if (expired) throw new ChallengeInvalid("expired", { reason: "expired" });
	if (spent) throw new ChallengeInvalid("too_many_codes", { reason: "attempts_exhausted" });
	return challenge;
}

/**
 * Runs one code attempt on a challenge: takes one attempt from the account's second-factor
 * budget and one from the challenge's (both before the code is checked), then runs `check`.
 * @throws ChallengeInvalid when unknown, consumed, expired or out of attempts; TooManyAttempts
 *   when the account's second factor is locked; whatever `check` throws
 */
async function codeAttempt<T>(deps: ServiceDeps, challengeToken: string, context: RequestContext, check: (challenge: LoginChallengeRecord, startBy: number, credentials: readonly TOTPCredentialRecord[], settleSucceeded: SettleSucceeded) => Promise<T>): Promise<T> {
	const challenge = await findLiveChallenge(deps, challengeToken);
	const credentials = await deps.store.totpCredentials.listConfirmedTOTPCredentials(challenge.accountId);
	if (credentials.length === 0) throw new ChallengeInvalid("security_changed", { reason: "totp_removed" });
	// A code is checked against every authenticator: the account's budget is divided among them.
	return withAttempt(deps, challenge.accountId, "second_factor", context, async (startBy, settleSucceeded) => {
		if (!(await deps.store.loginChallenges.reserveLoginChallengeAttempt(challenge.id, deps.clock.now()))) {
			throw new ChallengeInvalid("too_many_codes", { reason: "attempts_exhausted" });
		}
		try {
			return await check(challenge, startBy, credentials, settleSucceeded);
		} catch (error) {
			// The challenge's last try failed: say that another code here cannot work.
			if (error instanceof InvalidCode && challenge.attempts + 1 >= challenge.maxAttempts) throw new ChallengeInvalid("too_many_codes", { reason: "last_attempt_failed" });
			throw error;
		}
	}, credentials.length);
}

/**
 * Inside the deciding transaction: takes the account's lock, then makes again every check that gated
 * the sign-in when the challenge was opened, so that a challenge opened before any of these never
 * ends in a session: a running second-factor lock; the password changed (a change, "secure
 * account"); 2FA turned off or moved to a new authenticator. ("Sign out everywhere" and the
 * others also end the challenge itself, which `consumeLoginChallenge` re-checks.)
 * @returns the account, as read under the lock
 * @throws TooManyAttempts when the second factor is locked; AccountDisabled; ChallengeInvalid otherwise
 */
async function recheckSignInGates(deps: ServiceDeps, tx: Repositories, challenge: LoginChallengeRecord): Promise<AccountRecord> {
	const now = deps.clock.now();
	// The account's lock, then every fact checked below, read after it (one statement on SQLite).
	const gates = await tx.accounts.lockAccountForCodeStep(challenge.accountId);
	if (gates === null) throw new ChallengeInvalid("unknown", { reason: "account_gone" });
	const { account, secondFactorLockedUntil: lockedUntil, newestTOTPConfirmedAt: confirmedAt } = gates;
	if (lockedUntil !== null && lockedUntil > now) throw new TooManyAttempts((lockedUntil - now) / 1000, undefined, { reason: "locked_during_sign_in" });
	if (account.disabledAt !== null) throw new AccountDisabled(undefined, { reason: "disabled_during_sign_in" });
	if (challenge.firstFactor === "password" && account.updatedAt > challenge.createdAt) throw new ChallengeInvalid("security_changed", { reason: "password_changed" });
	if (confirmedAt === null) throw new ChallengeInvalid("security_changed", { reason: "totp_removed" });
	if (confirmedAt > challenge.createdAt) throw new ChallengeInvalid("security_changed", { reason: "totp_replaced" });
	return account;
}

async function logCodeFailure(deps: ServiceDeps, challenge: LoginChallengeRecord, method: SecondFactorMethod, reason: string, context: RequestContext): Promise<void> {
	deps.logger.warn({ event: "login.second_factor_failed", accountId: challenge.accountId, challengeId: challenge.id, method, reason, ip: context.ipAddress }, "second factor rejected");
	await recordSecurityEvent(deps, deps.store, challenge.accountId, "login.second_factor_failed", context, { method });
}

/**
 * Whether the sign-in that completes `challenge` proved every factor the account has, and so counts
 * as a fresh re-authentication: not when a sign-in link stood in for the password of an account
 * that has one (sensitive actions then still ask for the password).
 */
function provedEveryFactor(challenge: LoginChallengeRecord, account: AccountRecord): boolean {
	return challenge.firstFactor === "password" || account.passwordHash === null;
}

/**
 * Runs the deciding transaction of a code step; a code refused inside it (reused, already
 * consumed) is logged and recorded after the rollback, outside the transaction. `fn` takes the
 * account's lock first: password changes, "secure account", 2FA off and sign-outs take it too, so a
 * sign-in finishing at the same moment either ends before them (and its session and remembered
 * device are ended by them) or after (and finds its challenge ended); one lock order, no deadlock.
 */
async function inCodeTransaction<T>(deps: ServiceDeps, challenge: LoginChallengeRecord, method: SecondFactorMethod, context: RequestContext, fn: (tx: Repositories) => Promise<T>): Promise<T> {
	try {
		return await deps.store.transaction(fn);
	} catch (error) {
		if (error instanceof InvalidCode) await logCodeFailure(deps, challenge, method, error.reason ?? "refused", context);
		throw error;
	}
}

/**
 * The code step with a TOTP code. The matched time step is accepted once per account
 * (compare-and-set), the challenge is consumed once, and the session is created, all in one
 * transaction.
 * @throws ChallengeInvalid, InvalidCode (wrong, reused or malformed alike), TooManyAttempts
 */
export function completeLoginWithTOTP(deps: ServiceDeps, input: { challengeToken: string; code: string; rememberDevice?: boolean }, context: RequestContext = NO_CONTEXT): Promise<NewSession & { readonly trustedDevice: IssuedTrustedDevice | null; readonly clockSkew: ClockSkew | null }> {
	return counted(deps, "totp", totpStep(deps, input, context));
}

/**
 * Counts a code step's outcome (`/metrics`), and passes it on.
 * @throws what `step` throws
 */
async function counted<T>(deps: ServiceDeps, method: MeasuredMethod, step: Promise<T>): Promise<T> {
	try {
		const result = await step;
		deps.metrics.secondFactor("sign_in", method, "success");
		return result;
	} catch (error) {
		deps.metrics.secondFactor("sign_in", method, secondFactorOutcomeOf(error));
		throw error;
	}
}

/** {@link completeLoginWithTOTP}, uncounted. */
async function totpStep(deps: ServiceDeps, input: { challengeToken: string; code: string; rememberDevice?: boolean }, context: RequestContext): Promise<NewSession & { readonly trustedDevice: IssuedTrustedDevice | null; readonly clockSkew: ClockSkew | null }> {
	const { session, challenge } = await codeAttempt(deps, input.challengeToken, context, async (challenge, _startBy, credentials, settleSucceeded) => {
		const { key, code, step, credential } = checkTOTPCodeOfAny(deps, credentials, input.code);
		if (step === null) {
			const refused = refusedCode(deps, key, code, credential, { futureHints: false });
			await logCodeFailure(deps, challenge, "totp", refused.reason ?? "mismatch", context);
			throw refused;
		}
		const session = await inCodeTransaction(deps, challenge, "totp", context, async (tx) => {
			const account = await recheckSignInGates(deps, tx, challenge);
			if (!(await tx.totpCredentials.advanceTOTPStep(credential, step, deps.clock.now()))) {
				throw new InvalidCode(undefined, { reason: "reused" });
			}
			if (!(await tx.loginChallenges.consumeLoginChallenge(challenge.id, deps.clock.now()))) {
				throw new ChallengeInvalid("ended", { reason: "consumed" });
			}
			await recordSignIn(deps, tx, account, context, [challenge.firstFactor, "totp"]);
			const created = await createSession(deps, tx, challenge.accountId, [firstFactorOf(challenge), "totp"], context, { factorsProved: provedEveryFactor(challenge, account) });
			const trustedDevice = input.rememberDevice === true ? await trustDevice(deps, tx, challenge.accountId, context) : null;
			await settleSucceeded(tx);
			return { ...created, trustedDevice, clockSkew: acceptedSkew(deps, step, credential) };
		});
		return { session, challenge };
	});
	deps.logger.info({ event: "login.success", accountId: challenge.accountId, factors: [challenge.firstFactor, "totp"], ip: context.ipAddress }, "signed in");
	return session;
}

/**
 * Ends a login challenge before it is used (sign-out between the password and the code step).
 * Unknown or already ended tokens are ignored.
 */
export async function abandonLoginChallenge(deps: ServiceDeps, challengeToken: string): Promise<void> {
	const challenge = await findByToken(challengeToken, (id) => deps.store.loginChallenges.findLoginChallenge(id));
	if (challenge !== null && (await deps.store.loginChallenges.consumeLoginChallenge(challenge.id, deps.clock.now()))) {
		deps.logger.info({ event: "login.challenge_abandoned", accountId: challenge.accountId, challengeId: challenge.id }, "sign-in abandoned");
	}
}

/** The one answer to every refused recovery code: wrong, used and malformed alike. */
const RECOVERY_CODE_REFUSED = "That recovery code is not valid or was already used. Check it, or use another of your recovery codes.";

/** A session made with a recovery code, and how many unused codes remain. */
export interface RecoveryCodeLogin {
	readonly session: NewSession;
	readonly recoveryCodesLeft: number;
}

/**
 * The code step with a recovery code instead of a TOTP code. The code is checked first (one
 * argon2id verification, `checkRecoveryCode`), then consumed once, the challenge once, and the
 * session created, in one transaction.
 * @throws ChallengeInvalid, InvalidCode (wrong, used or malformed alike), TooManyAttempts
 */
export function completeLoginWithRecoveryCode(deps: ServiceDeps, input: { challengeToken: string; code: string }, context: RequestContext = NO_CONTEXT): Promise<RecoveryCodeLogin> {
	return counted(deps, "recovery_code", recoveryCodeStep(deps, input, context));
}

/** {@link completeLoginWithRecoveryCode}, uncounted. */
async function recoveryCodeStep(deps: ServiceDeps, input: { challengeToken: string; code: string }, context: RequestContext): Promise<RecoveryCodeLogin> {
	const { result, challenge } = await codeAttempt(deps, input.challengeToken, context, async (challenge, startBy, _credentials, settleSucceeded) => {
		// Outside the transaction: an argon2id verification must not hold the database's lock.
		const checked = await checkRecoveryCode(deps, challenge.accountId, input.code, startBy);
		if (checked.refused !== undefined) {
			await logCodeFailure(deps, challenge, "recovery_code", checked.refused, context);
			throw new InvalidCode(RECOVERY_CODE_REFUSED, { reason: checked.refused });
		}
		const result = await inCodeTransaction(deps, challenge, "recovery_code", context, async (tx) => {
			const account = await recheckSignInGates(deps, tx, challenge);
			if (!(await consumeRecoveryCode(tx, challenge.accountId, checked.candidate, deps.clock.now()))) {
				throw new InvalidCode(RECOVERY_CODE_REFUSED, { reason: "mismatch_or_used" });
			}
			if (!(await tx.loginChallenges.consumeLoginChallenge(challenge.id, deps.clock.now()))) {
				throw new ChallengeInvalid("ended", { reason: "consumed" });
			}
			const session = await createSession(deps, tx, challenge.accountId, [firstFactorOf(challenge), "recovery_code"], context, { factorsProved: provedEveryFactor(challenge, account) });
			const recoveryCodesLeft = await tx.recoveryCodes.countUnusedRecoveryCodes(challenge.accountId);
			await recordSecurityEvent(deps, tx, challenge.accountId, "recovery_code.used", context, { recoveryCodesLeft });
			await recordSignIn(deps, tx, account, context, [challenge.firstFactor, "recovery_code"]);
			await settleSucceeded(tx);
			return { session, recoveryCodesLeft };
		});
		return { result, challenge };
	});
	deps.logger.info({ event: "login.success", accountId: challenge.accountId, factors: [challenge.firstFactor, "recovery_code"], recoveryCodesLeft: result.recoveryCodesLeft, ip: context.ipAddress }, "signed in with a recovery code");
	return result;
}
