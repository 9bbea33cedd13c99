/**
 * Tokens: emailed link tokens and access tokens (personal and app tokens).
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";

/**
 * A personal access token (issue 12): a credential for programs behind the forward-auth proxy,
 * accepted only at the authz and introspection endpoints. Only a hash of its secret is kept.
 * State is `revokedAt` (and `expiresAt`); a revoked or expired row is kept until housekeeping.
 */
export interface AccessTokenRecord {
	readonly id: string;
	readonly accountId: string;
	/** What its owner called it (shown in the list). */
	readonly name: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** The hosts it may reach: a JSON array of normalized patterns (`"app.example.test"`, `"*.example.test"`). */
	readonly hosts: string;
	/** The assurance level of the session that created it (1 or 2): what a `two_factor` rule checks. */
	readonly aal: number;
	readonly createdAt: UnixMillis;
	/** Its end; every token has one. */
	readonly expiresAt: UnixMillis;
	/** The last accepted request (written at most once a minute); null: never used. */
	readonly lastUsedAt: UnixMillis | null;
	/** The client address of that request, as the proxy reported it; null when unknown or never used. */
	readonly lastUsedIp: string | null;
	readonly revokedAt: UnixMillis | null;
}

/** What an email token proves when its link is opened. */
export type EmailTokenPurpose = "verify_email" | "reset_password" | "change_email" | "sign_up" | "confirm_two_factor" | "approve_email_change";

/**
 * A single-use link sent by mail (verify the address, reset the password, confirm a new address,
 * finish a sign-up). Only a SHA-256 hash of its secret is kept.
 */
export interface EmailTokenRecord {
	readonly id: string;
	readonly purpose: EmailTokenPurpose;
	/** The account; null for `"sign_up"` in `signUp.mode` `verified` (no account until the link is opened). */
	readonly accountId: string | null;
	/** The address the link was sent to (normalized): the new address for `"change_email"`. */
	readonly email: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** `"sign_up"` only: the argon2id hash of the password chosen at sign-up; otherwise null. */
	readonly passwordHash: string | null;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly consumedAt: UnixMillis | null;
	/** `"reset_password"` for an account with 2FA: when the holder proved the second factor (before anything changes); null until then. */
	readonly secondFactorVerifiedAt: UnixMillis | null;
	/** Code attempts made with this link (reserved before each check). */
	readonly attempts: number;
	readonly ipAddress: string | null;
}

/** Single-use mailed links (verification, password reset, address change, sign-up). */
export interface EmailTokenRepository {
	insertEmailToken(record: EmailTokenRecord): Promise<void>;
	findEmailToken(id: string): Promise<EmailTokenRecord | null>;
	/** Single use: `UPDATE ... SET consumed_at WHERE id = ? AND consumed_at IS NULL AND expires_at > now`. @returns true for the winner */
	consumeEmailToken(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Takes one code attempt from the link's budget: `UPDATE ... SET attempts = attempts + 1 WHERE id = ?
	 * AND consumed_at IS NULL AND expires_at > now AND attempts < :maxAttempts`. @returns false when used, expired or out of attempts
	 */
	reserveEmailTokenAttempt(id: string, now: UnixMillis, maxAttempts: number): Promise<boolean>;
	/** Records that the holder proved the second factor (once). @returns true when this call set it */
	markEmailTokenSecondFactorVerified(id: string, now: UnixMillis): Promise<boolean>;
	/** Ends every open token of the account with this purpose (all purposes when omitted). @returns how many were open */
	consumeAccountEmailTokens(accountId: string, now: UnixMillis, purpose?: EmailTokenPurpose): Promise<number>;
	/** Ends every open token of this purpose mailed to this (normalized) address, whatever its account (a newer sign-up ends the older links). @returns how many were open */
	consumeEmailTokensForAddress(purpose: EmailTokenPurpose, email: string, now: UnixMillis): Promise<number>;
	/** How many tokens of this purpose were created at or after `since` for this account, this address, or this client IP (per-account and per-IP limits). */
	countRecentEmailTokens(purpose: EmailTokenPurpose, key: { readonly accountId: string } | { readonly email: string } | { readonly ipAddress: string }, since: UnixMillis): Promise<number>;
	/** Housekeeping: deletes tokens that expired before `now`. @returns how many */
	deleteExpiredEmailTokens(now: UnixMillis): Promise<number>;
}

/** Personal access tokens. */
export interface AccessTokenRepository {
	insertAccessToken(record: AccessTokenRecord): Promise<void>;
	findAccessToken(id: string): Promise<AccessTokenRecord | null>;
	/** The account's tokens that are not revoked (expired ones too, until housekeeping deletes them), newest first. */
	listAccountAccessTokens(accountId: string): Promise<AccessTokenRecord[]>;
	/**
	 * Records a use: `UPDATE ... SET last_used_at = :now, last_used_ip = :ipAddress WHERE id = ? AND
	 * revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at <= :unlessUsedAfter)`, so that of
	 * many requests (on many instances) within one interval, one writes.
	 * @returns true when this call wrote
	 */
	touchAccessToken(id: string, use: { readonly now: UnixMillis; readonly ipAddress: string | null; readonly unlessUsedAfter: UnixMillis }): Promise<boolean>;
	/** Revokes one token of this account (`account_id` in the condition). @returns false when it is not this account's, or already revoked */
	revokeAccessToken(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every token of the account not revoked yet (expired ones too). @returns how many */
	revokeAccountAccessTokens(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes tokens revoked, or expired, before `before`. @returns how many */
	deleteEndedAccessTokens(before: UnixMillis): Promise<number>;
}
