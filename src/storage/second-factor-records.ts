/**
 * The second factors: TOTP credentials (authenticators) and recovery codes.
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRepository } from "./account-records.js";
import type { RecoveryCodeKeyUse } from "./key-records.js";

/** A TOTP credential: pending (confirmedAt null, expiresAt set) or confirmed (confirmedAt set). */
export interface TOTPCredentialRecord {
	readonly id: string;
	readonly accountId: string;
	/** The key, sealed by `service/` (AES-256-GCM, bound to this row's id). */
	readonly secretCiphertext: Uint8Array;
	/** `"SHA1"`, `"SHA256"` or `"SHA512"`. */
	readonly algorithm: string;
	readonly digits: number;
	readonly periodSeconds: number;
	readonly createdAt: UnixMillis;
	readonly confirmedAt: UnixMillis | null;
	/** When a pending enrollment lapses; null once confirmed. */
	readonly expiresAt: UnixMillis | null;
	/**
	 * The last time step (RFC 6238 T) accepted from this authenticator; -1 when none. Informative:
	 * the replay check is the account's one record ({@link TOTPCredentialRepository.advanceTOTPStep}).
	 */
	readonly lastUsedStep: number;
	/** The session that started this enrollment (it alone may see and confirm it); null when unknown. */
	readonly enrollmentSessionId: string | null;
	/** The name its owner gave the authenticator ("Work phone"); null when none. */
	readonly name: string | null;
	/** When a code of it was last accepted; null when never. */
	readonly lastUsedAt: UnixMillis | null;
	/**
	 * What confirming this pending credential does with the account's other authenticators:
	 * `"add"` keeps them, `"replace"` removes them (a new phone); null: a first setup (or, for an
	 * account with 2FA on, `"replace"`). Null once confirmed.
	 */
	readonly purpose: TOTPEnrollmentPurpose | null;
}

/** What a pending authenticator is for, when the account has 2FA on already. */
export type TOTPEnrollmentPurpose = "add" | "replace";

/** One recovery code, stored only as a hash. */
export interface RecoveryCodeRecord {
	readonly id: string;
	readonly accountId: string;
	/**
	 * A code with a `lookupPrefix`: an argon2id PHC string (salted, with its costs). A code issued
	 * before migration 0008 (no prefix): HMAC-SHA-256 of the normalized code under the server key,
	 * lower-case hex. The service computes both; the store compares nothing but strings.
	 */
	readonly codeHash: string;
	/**
	 * The code's first characters, in clear, unique among the account's codes: what finds the one
	 * row to verify. null for codes issued before migration 0008 (found by `codeHash`).
	 */
	readonly lookupPrefix: string | null;
	readonly createdAt: UnixMillis;
	readonly usedAt: UnixMillis | null;
	/** The id of the HMAC key whose pepper (or hash) the code was made with (migration 0019); null or absent: `default`. */
	readonly hmacKeyId?: string | null;
}

/**
 * TOTP credentials: the account's authenticators (any number confirmed, issue 14) and at most one
 * pending enrollment. The account's replay record (`account.totp_replay_until_ms`) is shared by all
 * of them.
 */
export interface TOTPCredentialRepository {
	/** The account's most recently confirmed authenticator; null when 2FA is off. */
	findConfirmedTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null>;
	/** Every confirmed authenticator of the account, oldest confirmation first. */
	listConfirmedTOTPCredentials(accountId: string): Promise<readonly TOTPCredentialRecord[]>;
	/** The pending enrollment, whatever its expiry (the caller checks `expiresAt`). */
	findPendingTOTPCredential(accountId: string): Promise<TOTPCredentialRecord | null>;
	/** Deletes any pending credential of the account, then inserts `record` (confirmedAt null). */
	replacePendingTOTPCredential(record: TOTPCredentialRecord): Promise<void>;
	/**
	 * Confirms a pending credential that has not expired at `now` and records `step` as its last
	 * used step (and raises the account's replay record to the end of that step if it is earlier); with
	 * `replaceOthers`, deletes the account's other confirmed credentials (a new phone). One
	 * conditional write decides.
	 * @returns false when the credential is not pending, expired or gone.
	 */
	confirmTOTPCredential(id: string, step: number, now: UnixMillis, options: { readonly replaceOthers: boolean }): Promise<boolean>;
	/**
	 * The account's replay check (RFC 6238 §5.2), one compare-and-set shared by all its
	 * authenticators, as instants (authenticators may have steps of different lengths): `UPDATE
	 * account SET totp_replay_until_ms = <end of the step> WHERE id = ? AND totp_replay_until_ms <=
	 * <start of the step>`; the winner also records the step and `now` on the credential
	 * that matched (its "last used").
	 * @returns true for the one caller that advanced it; false when the step (or a later one) was
	 *   already accepted from any authenticator of the account
	 */
	advanceTOTPStep(credential: Pick<TOTPCredentialRecord, "id" | "accountId" | "periodSeconds">, step: number, now: UnixMillis): Promise<boolean>;
	/** Renames (null: unnames) a confirmed authenticator of the account. @returns false when there is no such one. */
	renameTOTPCredential(accountId: string, id: string, name: string | null): Promise<boolean>;
	/**
	 * Deletes one confirmed authenticator of the account, unless it is the last one (that is
	 * turning 2FA off, {@link deleteTOTPCredentials}). One conditional write decides; the caller holds
	 * the account's lock (`AccountRepository.lockAccount`), so two removals cannot both see the other.
	 * @returns `"deleted"`, `"last"` (not deleted) or `"none"` (no such authenticator)
	 */
	deleteTOTPCredential(accountId: string, id: string): Promise<"deleted" | "last" | "none">;
	/** Deletes every TOTP credential of the account, pending and confirmed. @returns how many. */
	deleteTOTPCredentials(accountId: string): Promise<number>;
}

/** Recovery codes: one row per code. */
export interface RecoveryCodeRepository {
	/**
	 * Deletes the account's codes and inserts `records` (the old set stops working). Lookup
	 * prefixes must be distinct within `records` (a unique index refuses a repeat).
	 */
	replaceRecoveryCodes(accountId: string, records: readonly RecoveryCodeRecord[]): Promise<void>;
	/**
	 * The account's unused code with this lookup prefix, or null (none, or used). Never a code of
	 * another account.
	 */
	findUnusedRecoveryCode(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null>;
	/**
	 * Marks the account's code `id` as used: `UPDATE ... WHERE id AND account_id AND used_at IS
	 * NULL` (a set replaced meanwhile has other ids).
	 * @returns true for the one caller that consumed it.
	 */
	consumeRecoveryCodeById(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Marks the unused code without a lookup prefix (issued before migration 0008) with this
	 * keyed hash as used: `UPDATE ... WHERE code_hash AND lookup_prefix IS NULL AND used_at IS NULL`.
	 * @returns true for the one caller that consumed it.
	 */
	consumeRecoveryCode(accountId: string, codeHash: string, now: UnixMillis): Promise<boolean>;
	/**
	 * The account's code with this hash, used or not: tells a code used up from one that is not
	 * the account's (re-authentication says which; sign-in never does).
	 * @returns null when the account has no code with this hash
	 */
	findRecoveryCodeByHash(accountId: string, codeHash: string): Promise<RecoveryCodeRecord | null>;
	/**
	 * The account's code with this lookup prefix, used or not (prefixes are unique within a set):
	 * tells a code used up from one that is not the account's, at re-authentication only.
	 * @returns null when the account has no code with this prefix
	 */
	findRecoveryCodeByPrefix(accountId: string, lookupPrefix: string): Promise<RecoveryCodeRecord | null>;
	countUnusedRecoveryCodes(accountId: string): Promise<number>;
	/** Unused codes and their accounts per HMAC key and scheme, every account (`deadbolt keys status`). */
	countRecoveryCodesByHmacKey(): Promise<RecoveryCodeKeyUse[]>;
	/** @returns how many were deleted */
	deleteRecoveryCodes(accountId: string): Promise<number>;
}
