/**
 * Sign-in state: sessions, login challenges, sign-in links and trusted devices.
 * Part of the storage contract (`store.ts`, which re-exports it).
 */
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord } from "./account-records.js";

/** A session. Only a hash of its secret is kept. */
export interface SessionRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the token secret, lower-case hex. */
	readonly secretHash: string;
	/** Authenticator assurance level reached: 1 password only, 2 password + second factor. */
	readonly aal: number;
	readonly createdAt: UnixMillis;
	readonly lastActiveAt: UnixMillis;
	/** Absolute end, whatever the activity. */
	readonly expiresAt: UnixMillis;
	/** Last time the user proved a factor in this session (sign-in counts). */
	readonly reauthenticatedAt: UnixMillis;
	readonly revokedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** The last time a TOTP or recovery code was typed in this session (sign-in or re-authentication); null: never (a remembered device stood in, or no 2FA). */
	readonly secondFactorAt: UnixMillis | null;
	/** How the session's holder proved who they are: authentication method values, space-separated (`"pwd otp mfa"`; `domain/access/authentication-methods.ts`). */
	readonly amr: string;
}

/** The state between a correct password and the second factor; grants nothing else. */
export interface LoginChallengeRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the challenge token secret, lower-case hex. */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	/** Code attempts made so far (reserved before each verification). */
	readonly attempts: number;
	readonly maxAttempts: number;
	readonly consumedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
	/** What the holder proved before the code step: `"password"` or `"sign_in_link"`. */
	readonly firstFactor: string;
	/**
	 * `"sign_in"`: the code step follows. `"set_up_two_factor"`: the account must set up 2FA first
	 * (enforced, past its deadline); its token is only mailed or handed over by an operator, and it is
	 * never a sign-in challenge.
	 */
	readonly purpose: LoginChallengePurpose;
}

/** What a login challenge is for. */
export type LoginChallengePurpose = "sign_in" | "set_up_two_factor";

/** A one-time sign-in link: stands in for the password step once. Only a hash of its secret is kept. */
export interface SignInLinkRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the link token's secret, lower-case hex. */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly consumedAt: UnixMillis | null;
}

/** A "remember this device" token's row: only a hash of its secret is kept. */
export interface TrustedDeviceRecord {
	readonly id: string;
	readonly accountId: string;
	/** SHA-256 of the current token secret, lower-case hex; it changes at every use (rotation). */
	readonly secretHash: string;
	readonly createdAt: UnixMillis;
	readonly lastUsedAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly revokedAt: UnixMillis | null;
	readonly ipAddress: string | null;
	readonly userAgent: string | null;
}

/** Sessions. */
export interface SessionRepository {
	insertSession(record: SessionRecord): Promise<void>;
	findSession(id: string): Promise<SessionRecord | null>;
	/**
	 * The session and its account in one statement (`session LEFT JOIN account`): what every
	 * request that presents a session token reads (the forward-auth check, introspection, the
	 * dashboard and the API), one read instead of two (one round trip on PostgreSQL).
	 * @returns null when there is no such session; `account` null when its account is gone
	 */
	findSessionWithAccount(id: string): Promise<SessionWithAccountRecord | null>;
	/** Records activity. @returns false when the session is revoked or gone. */
	touchSession(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Records a fresh factor proof (re-authentication). With `secondFactor` (a TOTP or recovery code
	 * was typed now), the session is at AAL2 from then on, its `secondFactorAt` is `now` and its
	 * `amr` becomes `secondFactor.amr`.
	 * @returns false when revoked or gone.
	 */
	markSessionReauthenticated(id: string, now: UnixMillis, secondFactor?: { readonly amr: string }): Promise<boolean>;
	/**
	 * The account lost its second factor (2FA turned off in this session): the session is at AAL1
	 * from then on, its `secondFactorAt` null and its `amr` `amr`. @returns false when revoked or gone.
	 */
	lowerSessionToOneFactor(id: string, amr: string): Promise<boolean>;
	/**
	 * Replaces the secret of a live session, once (`UPDATE ... SET secret_hash = :new WHERE id = ?
	 * AND secret_hash = :old AND revoked_at IS NULL`): the old token stops working at once, the id
	 * stays. Of two rotations of the same token, one wins.
	 * @returns false when the session is unknown, revoked, or no longer has `oldSecretHash`
	 */
	replaceSessionSecret(id: string, oldSecretHash: string, newSecretHash: string): Promise<boolean>;
	/** @returns true when this call revoked it (it was active). */
	revokeSession(id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every active session of the account except `exceptId`. @returns how many. */
	revokeAccountSessions(accountId: string, now: UnixMillis, exceptId?: string): Promise<number>;
	/**
	 * Housekeeping (retention): deletes up to `limit` sessions whose absolute end (`expiresAt`) is
	 * before `before`, oldest end first, in one statement (over the `expires_at` index); their
	 * `session_app` rows go with them. Every session has reached that end by then, whether it was
	 * revoked or went idle earlier.
	 * @param limit - 1 to 100,000 rows
	 * @returns how many (fewer than `limit`: none older is left)
	 */
	deleteSessionsExpiredBefore(before: UnixMillis, limit: number): Promise<number>;
	/** Unrevoked sessions whose absolute expiry is after `now`, newest first. */
	listActiveSessions(accountId: string, now: UnixMillis): Promise<SessionRecord[]>;
	/**
	 * Records that the session reached `host` through the forward-auth proxy at `now`: inserts the
	 * row, or moves its `last_used_at` to `now` only when that is at least `minIntervalMillis` later
	 * (one write a minute per session and host, whatever the instances).
	 * @returns true when a row was written
	 */
	recordSessionApp(sessionId: string, host: string, now: UnixMillis, minIntervalMillis: number): Promise<boolean>;
	/** The hosts the sessions reached, newest first per session. */
	listSessionApps(sessionIds: readonly string[]): Promise<SessionAppRecord[]>;
}

/** A session as {@link SessionRepository.findSessionWithAccount} reads it, with its account. */
export interface SessionWithAccountRecord {
	readonly session: SessionRecord;
	/** null when the account is gone (a foreign key with ON DELETE CASCADE makes it rare: a race). */
	readonly account: AccountRecord | null;
	/** Whether the account has a confirmed authenticator (2FA on), read in the same statement; false when the account is gone. */
	readonly twoFactorEnabled: boolean;
}

/** A host behind the forward-auth proxy that a session reached (`session_app`). */
export interface SessionAppRecord {
	readonly sessionId: string;
	/** Normalized host (lower case, no port). */
	readonly host: string;
	readonly lastUsedAt: UnixMillis;
}

/** Login challenges. */
export interface LoginChallengeRepository {
	insertLoginChallenge(record: LoginChallengeRecord): Promise<void>;
	findLoginChallenge(id: string): Promise<LoginChallengeRecord | null>;
	/**
	 * Takes one attempt from the challenge's budget: `UPDATE ... SET attempts = attempts + 1
	 * WHERE id = ? AND consumed_at IS NULL AND expires_at > now AND attempts < max_attempts`.
	 * @returns false when it is consumed, expired or out of attempts.
	 */
	reserveLoginChallengeAttempt(id: string, now: UnixMillis): Promise<boolean>;
	/** Single use: `UPDATE ... SET consumed_at WHERE consumed_at IS NULL AND expires_at > now`. @returns true for the winner. */
	consumeLoginChallenge(id: string, now: UnixMillis): Promise<boolean>;
	/**
	 * Ends every open challenge of the account (`UPDATE ... SET consumed_at = now WHERE account_id
	 * = ? AND consumed_at IS NULL`): after a password change, 2FA off, "sign out everywhere".
	 * @returns how many were open
	 */
	consumeAccountLoginChallenges(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes challenges that expired before `now`. @returns how many. */
	deleteExpiredLoginChallenges(now: UnixMillis): Promise<number>;
}

/** One-time sign-in links. */
export interface SignInLinkRepository {
	insertSignInLink(record: SignInLinkRecord): Promise<void>;
	findSignInLink(id: string): Promise<SignInLinkRecord | null>;
	/** Single use: `UPDATE ... SET consumed_at WHERE consumed_at IS NULL AND expires_at > now`. @returns true for the winner. */
	consumeSignInLink(id: string, now: UnixMillis): Promise<boolean>;
	/** Ends every unused link of the account (a password change, "secure account"). @returns how many were open */
	consumeAccountSignInLinks(accountId: string, now: UnixMillis): Promise<number>;
	/** Housekeeping: deletes links that expired before `now`. @returns how many. */
	deleteExpiredSignInLinks(now: UnixMillis): Promise<number>;
}

/** Trusted devices ("remember this device"). */
export interface TrustedDeviceRepository {
	insertTrustedDevice(record: TrustedDeviceRecord): Promise<void>;
	findTrustedDevice(id: string): Promise<TrustedDeviceRecord | null>;
	/**
	 * Single use of the current secret: `UPDATE ... SET secret_hash = :new, last_used_at = :now,
	 * expires_at = :expiresAt WHERE id = ? AND secret_hash = :old AND revoked_at IS NULL AND
	 * expires_at > :now`.
	 * @returns true for the one caller that rotated it
	 */
	rotateTrustedDevice(id: string, oldSecretHash: string, newSecretHash: string, now: UnixMillis, expiresAt: UnixMillis): Promise<boolean>;
	/** Unrevoked, unexpired devices of the account, most recently used first. */
	listActiveTrustedDevices(accountId: string, now: UnixMillis): Promise<TrustedDeviceRecord[]>;
	/** Revokes one device of this account. @returns false when it is not this account's, or already revoked */
	revokeTrustedDevice(accountId: string, id: string, now: UnixMillis): Promise<boolean>;
	/** Revokes every active device of the account. @returns how many */
	revokeAccountTrustedDevices(accountId: string, now: UnixMillis): Promise<number>;
}
