/**
 * Accounts: registration, password checks shared by sign-in and re-authentication.
 */
import { AttemptsInFlight, EmailTaken, InvalidCredentials, InvalidRequest, TooManyAttempts, type Violation } from "../errors.js";
import { needsRehash } from "../domain/password/hash.js";
import { checkPassword } from "../domain/password/policy.js";
import { generateId } from "../domain/crypto/token.js";
import type { AccountRecord, Repositories } from "../storage/store.js";
import { commonPasswords } from "./password-blocklist.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { createSession, type NewSession } from "./sessions.js";
import { recordSecurityEvent } from "./security-events.js";
import { withAttempt } from "./throttle.js";

/** Longest email accepted, in characters (RFC 5321 §4.5.3.1.3 path limit). */
export const EMAIL_MAX_LENGTH = 254;

/** What registration needs. */
export interface RegisterAccountInput {
	readonly email: string;
	/** Plain password; null creates an account without one (operators and integrators only). */
	readonly password: string | null;
}

/** A new account and, when it has a password, its first session. */
export interface RegisteredAccount {
	readonly account: AccountRecord;
	readonly session: NewSession | null;
}

/** Control characters, the colon (it separates issuer and account in a key URI label) and lone UTF-16 surrogates. */
const FORBIDDEN_IN_EMAIL = /[\u0000-\u001f\u007f:]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A mailbox as deadbolt accepts it: a dot-atom local part (RFC 5322 §3.2.3 `atext`, and letters
 * and digits of any script, RFC 6531) and a domain of at least two labels of letters, digits and
 * inner hyphens (RFC 5321 §4.1.2), nothing else: no quoted local part, no comment, no comma, no
 * angle bracket, no IP literal. A mail program could read such characters as another recipient
 * than the one stored and then "verified" (a display name, a list, a comment).
 */
const MAILBOX = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

/**
 * Normalizes an email for storage and lookup: trimmed, NFC, lower case, and only of the
 * characters of {@link MAILBOX} (so the colon, which cannot stand in a key URI label, is refused
 * too: Key Uri Format).
 * @returns null when it does not look like an email address
 */
export function normalizeEmail(email: string): string | null {
	if (FORBIDDEN_IN_EMAIL.test(email)) return null;
	const trimmed = email.trim().normalize("NFC").toLowerCase();
	if (trimmed.length > EMAIL_MAX_LENGTH || !MAILBOX.test(trimmed)) return null;
	return trimmed;
}

/** The refusal of an address {@link normalizeEmail} does not take. */
const INVALID_EMAIL_MESSAGE = "Enter a valid email address.";

/**
 * An address as typed, normalized ({@link normalizeEmail}).
 * @param field - the request field it came from, named in the violation
 * @throws InvalidRequest (rule `invalid_email`) when it does not look like an email address
 */
export function requireEmail(email: string, field = "email"): string {
	const normalized = normalizeEmail(email);
	if (normalized === null) throw new InvalidRequest(INVALID_EMAIL_MESSAGE, [{ field, rule: "invalid_email", message: INVALID_EMAIL_MESSAGE }]);
	return normalized;
}

/**
 * Checks a new password against the policy (NIST SP 800-63B §5.1.1.2).
 * @throws InvalidRequest with one violation per broken rule
 */
export function assertAcceptablePassword(deps: ServiceDeps, password: string, email: string, field = "password"): void {
	const local = email.split("@")[0] ?? "";
	const violations = checkPassword(password, deps.config.password, [email, local, deps.config.issuer], commonPasswords(deps.config.password.minLength));
	if (violations.length > 0) {
		const list: Violation[] = violations.map((v) => ({ field, rule: v.rule, message: v.message }));
		throw new InvalidRequest(list.map((v) => v.message).join(" "), list);
	}
}

/** How {@link registerAccount} makes the account. */
export interface RegisterAccountOptions {
	/** The address is verified from the start (an operator vouches for it, or a mailed link proved it). Default false. */
	readonly emailVerified?: boolean;
	/** Runs inside the transaction that inserts the account, after `account.created` (queues the verification mail). */
	readonly inTransaction?: (tx: Repositories, account: AccountRecord) => Promise<void>;
}

/**
 * Creates an account and, when a password is given, signs it in (a session at AAL1). Whatever
 * `signUp.mode` says: sign-up goes through `sign-up.ts`, which decides.
 * @throws InvalidRequest for a malformed email or a password the policy refuses
 * @throws EmailTaken when the email already has an account
 */
export async function registerAccount(deps: ServiceDeps, input: RegisterAccountInput, context: RequestContext = NO_CONTEXT, options: RegisterAccountOptions = {}): Promise<RegisteredAccount> {
	const email = requireEmail(input.email);
	if (input.password !== null) assertAcceptablePassword(deps, input.password, email);
	const passwordHash = input.password === null ? null : await deps.passwords.hash(input.password);
	const now = deps.clock.now();
	const account: AccountRecord = { id: generateId(deps.random), email, passwordHash, createdAt: now, updatedAt: now, emailVerifiedAt: options.emailVerified === true ? now : null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null };
	const result = await deps.store.transaction(async (tx) => {
		if (!(await tx.accounts.insertAccount(account))) return null;
		await recordSecurityEvent(deps, tx, account.id, "account.created", context, { emailVerified: account.emailVerifiedAt !== null });
		if (options.inTransaction !== undefined) await options.inTransaction(tx, account);
		return input.password === null ? { account, session: null } : { account, session: await createSession(deps, tx, account.id, ["password"], context) };
	});
	if (result === null) {
		deps.logger.info({ event: "account.register_refused", reason: "email_taken" }, "registration refused");
		throw new EmailTaken();
	}
	deps.logger.info({ event: "account.registered", accountId: account.id, ip: context.ipAddress }, "account registered");
	return result;
}

const dummyHashes = new Map<string, Promise<string>>();

/** A hash to verify against when the email is unknown, so both cases take the same time (OWASP ASVS 6.3.8). */
export function dummyHash(deps: ServiceDeps): Promise<string> {
	const { memoryKiB, iterations, parallelism } = deps.config.password.argon2;
	const key = `${memoryKiB}:${iterations}:${parallelism}`;
	let hash = dummyHashes.get(key);
	if (hash === undefined) {
		hash = deps.passwords.hash("deadbolt-dummy-password-for-timing");
		dummyHashes.set(key, hash);
	}
	return hash;
}

/**
 * Checks an email and password (the first factor), counting failures per account. Unknown
 * emails run a dummy verification and fail the same way. A hash with old parameters is upgraded.
 * @returns the account
 * @throws InvalidCredentials for an unknown email, a wrong password, a locked account, or an account without a password
 */
export async function verifyAccountPassword(deps: ServiceDeps, emailInput: string, password: string, context: RequestContext = NO_CONTEXT): Promise<AccountRecord> {
	const email = normalizeEmail(emailInput);
	const account = email === null ? null : await deps.store.accounts.findAccountByEmail(email);
	if (account === null || account.passwordHash === null) {
		await deps.passwords.verify(await dummyHash(deps), password);
		throw new InvalidCredentials(undefined, { reason: account === null ? "unknown_email" : "no_password" });
	}
	return confirmPassword(deps, account, password, context);
}

/**
 * Checks the password of a known account (sign-in, re-authentication). The attempt is counted
 * on the account's password counter before the check, so parallel guesses cannot run more
 * checks than `lockout.maxFailures`; parallel checks of the right password wait for each other
 * and never lock (see `throttle.ts`). A locked account answers exactly like a wrong password
 * (after a dummy hash, so in the same time): a stranger cannot tell a locked account, and
 * therefore an existing one, from an unknown email (OWASP Authentication Cheat Sheet).
 * @throws InvalidCredentials when wrong, locked, or when the account has no password;
 *   AttemptsInFlight when other checks of this account kept it waiting too long (not checked)
 */
export async function confirmPassword(deps: ServiceDeps, account: AccountRecord, password: string, context: RequestContext = NO_CONTEXT): Promise<AccountRecord> {
	try {
		await withAttempt(deps, account.id, "password", context, async (startBy) => {
			if (account.passwordHash !== null && (await deps.passwords.verify(account.passwordHash, password, startBy))) return;
			deps.logger.info({ event: "password.failed", accountId: account.id }, "wrong password");
			await recordSecurityEvent(deps, deps.store, account.id, "login.password_failed", context);
			throw new InvalidCredentials(undefined, { reason: "wrong_password" });
		});
	} catch (error) {
		// A busy account says so (the attempt was not checked); a locked one answers like a wrong password.
		if (!(error instanceof TooManyAttempts) || error instanceof AttemptsInFlight) throw error;
		await deps.passwords.verify(await dummyHash(deps), password);
		throw new InvalidCredentials(undefined, { reason: "locked" });
	}
	if (account.passwordHash !== null && needsRehash(account.passwordHash, deps.config.password.argon2)) {
		// The same password at the configured cost; only if nothing replaced the hash meanwhile.
		const upgraded = await deps.passwords.hash(password);
		if (await deps.store.accounts.rehashPassword(account.id, account.passwordHash, upgraded)) return { ...account, passwordHash: upgraded };
	}
	return account;
}

