/**
 * Accounts: the account record, its repository, and the operators' directory (list, search, deleted accounts).
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";

/** An account. `email` is stored normalized (trimmed, lower case). */
export interface AccountRecord {
	readonly id: string;
	readonly email: string;
	/** argon2id PHC string, or null for an account without a password (created by an operator). */
	readonly passwordHash: string | null;
	readonly createdAt: UnixMillis;
	readonly updatedAt: UnixMillis;
	/** When the owner proved they receive mail at `email` (a verification link); null while unverified. */
	readonly emailVerifiedAt: UnixMillis | null;
	/**
	 * The groups the account belongs to (for access rules' `groups`, `Remote-Groups`): group names
	 * as `service/groups.ts` writes them (normalized, deduplicated, sorted); empty for none.
	 */
	readonly groups: readonly string[];
	/**
	 * When a link mailed to the (verified) address confirmed the account's second factor, as
	 * forward-auth `two_factor` rules require (a stolen password alone must not enroll its own
	 * authenticator and pass them: `service/two-factor-mail-confirmation.ts`); null: not confirmed,
	 * or 2FA is off. Kept when the authenticator is replaced (that needs both factors).
	 */
	readonly secondFactorMailConfirmedAt: UnixMillis | null;
	/**
	 * When an operator disabled the account (`service/admin-actions.ts`); null while it may sign in.
	 * A disabled account signs in nowhere (password, sign-in link, password reset, sessions, tokens)
	 * until an operator enables it.
	 */
	readonly disabledAt: UnixMillis | null;
}

/** What {@link AccountRepository.lockAccountForCodeStep} reads with the account's lock. */
export interface CodeStepGates {
	readonly account: AccountRecord;
	/** `auth_failure.locked_until` of the account's second factor; null when not locked (or no row). */
	readonly secondFactorLockedUntil: UnixMillis | null;
	/** The latest `confirmed_at` of its confirmed TOTP credentials; null when it has none (2FA off). */
	readonly newestTOTPConfirmedAt: UnixMillis | null;
}

/** Accounts. */
export interface AccountRepository {
	/** Inserts an account. @returns false when the email is already taken (nothing written). */
	insertAccount(record: AccountRecord): Promise<boolean>;
	findAccountById(id: string): Promise<AccountRecord | null>;
	/**
	 * Account ids in ascending order, after `afterId` (exclusive; null: from the first): pages
	 * through every account (the step after a restore, `service/restored-database.ts`).
	 * @param limit - at most this many
	 */
	listAccountIdsAfter(afterId: string | null, limit: number): Promise<string[]>;
	/** @param email - already normalized */
	findAccountByEmail(email: string): Promise<AccountRecord | null>;
	/** Sets (or clears, with null) the password hash. @returns false when there is no such account. */
	updatePasswordHash(id: string, passwordHash: string | null, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the hash of the same password with one of higher cost (a rehash at sign-in), only
	 * while the stored hash is still `oldHash` (`UPDATE ... WHERE id = ? AND password_hash = :old`),
	 * and without touching `updated_at`: a rehash is not a password change, and a late one never
	 * undoes a change that landed first.
	 * @returns true when this call replaced it
	 */
	rehashPassword(id: string, oldHash: string, newHash: string): Promise<boolean>;
	/**
	 * Inside `Store.transaction`: holds the account's row lock until the transaction ends, so
	 * that use cases that must not interleave for one account (a password-only sign-in and turning
	 * 2FA on) run one after the other (PostgreSQL `SELECT ... FOR NO KEY UPDATE`; SQLite transactions are
	 * serialized already). Outside a transaction it only checks that the account exists.
	 * @returns false when there is no such account
	 */
	lockAccount(id: string): Promise<boolean>;
	/**
	 * {@link lockAccount} and the facts a code step re-checks under that lock, read after the lock
	 * is taken (one statement on SQLite; on PostgreSQL the lock, then the read: a statement that
	 * waited for the lock would read with its older snapshot): the account, when its second
	 * factor's lock ends, and when its newest confirmed authenticator was confirmed
	 * (`service/login.ts`, the deciding transaction).
	 * @returns null when there is no such account
	 */
	lockAccountForCodeStep(id: string): Promise<CodeStepGates | null>;
	/** Deletes the account and everything that belongs to it. @returns false when there was none. */
	deleteAccount(id: string): Promise<boolean>;
	/** Sets `email_verified_at` unless already set. @returns true when this call verified it */
	markEmailVerified(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the address (normalized) and marks it verified at `now` (it was confirmed by a link).
	 * @returns false when the address belongs to another account, or there is no such account (nothing written)
	 */
	changeEmail(id: string, email: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Replaces the account's groups with `groups` (stored as given, in that order) and sets
	 * `updated_at` to `now`.
	 * @returns false when there is no such account (nothing written)
	 */
	setAccountGroups(id: string, groups: readonly string[], now: UnixMillis): Promise<boolean>;
	/**
	 * Sets (an instant) or clears (null) when a mailed link confirmed the account's second factor.
	 * @returns false when there is no such account
	 */
	setSecondFactorMailConfirmedAt(id: string, confirmedAt: UnixMillis | null, now: UnixMillis): Promise<boolean>;
	/**
	 * Disables the account at `disabledAt` (only while it is enabled), or enables it (null; only
	 * while it is disabled), and sets `updated_at` to `now`. One conditional write.
	 * @returns true when this call changed the state (false: already so, or no such account)
	 */
	setAccountDisabled(id: string, disabledAt: UnixMillis | null, now: UnixMillis): Promise<boolean>;
}

/**
 * The operators' list of accounts (`service/admin-accounts.ts`): which accounts, in email order,
 * paged by a cursor (the last email of the previous page).
 */
export interface AccountListQuery {
	/** Only emails containing this text (already lower case); null for every account. */
	readonly search: string | null;
	/** Only emails starting with this text (already lower case); null for every account. */
	readonly prefix: string | null;
	/** true: only accounts with a confirmed authenticator; false: only those without; null: both. */
	readonly twoFactor: boolean | null;
	/** true: only accounts whose password or second factor is locked at `now`; false: only others. */
	readonly locked: boolean | null;
	/** true: only disabled accounts; false: only enabled ones. */
	readonly disabled: boolean | null;
	/** Only accounts in this group (a normalized group name); null for any. */
	readonly group: string | null;
	/** Only the account with exactly this email (one account's facts); absent or null for any. */
	readonly exactEmail?: string | null;
	/** Only emails after this one (the cursor); null from the start. */
	readonly afterEmail: string | null;
	/** At most this many (1 to 1000). */
	readonly limit: number;
	/** The instant locks are judged at. */
	readonly now: UnixMillis;
}

/** One account of the list, with the facts read with it in the same statement. */
export interface AccountListEntry {
	readonly account: AccountRecord;
	/** Whether it has a confirmed authenticator. */
	readonly twoFactorEnabled: boolean;
	/** The latest lock end of its password and second factor; null when never locked. */
	readonly lockedUntil: UnixMillis | null;
	/** When its newest session (kept or ended) began; null when none is kept. */
	readonly lastSignInAt: UnixMillis | null;
}

/** What is kept of an account an operator deleted (`deleted_account`). */
export interface DeletedAccountRecord {
	readonly accountId: string;
	readonly deletedAt: UnixMillis;
	/** When the account had been created. */
	readonly createdAt: UnixMillis;
	/** `"cli"` or `"admin_api"`. */
	readonly via: string;
	/** The operator's OS user (the CLI); null through the admin API. */
	readonly operator: string | null;
	readonly reason: string;
}

/** The operators' reads over every account, and the record of deleted ones. */
export interface AccountDirectoryRepository {
	/** A page of accounts, by email ascending (one statement, whatever the page's size). */
	listAccounts(query: AccountListQuery): Promise<AccountListEntry[]>;
	/** Records a deletion (inside the transaction that deletes the account). */
	insertDeletedAccount(record: DeletedAccountRecord): Promise<void>;
	findDeletedAccount(accountId: string): Promise<DeletedAccountRecord | null>;
}
