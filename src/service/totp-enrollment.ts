/**
 * TOTP enrollment (the seed article's four steps): confirm the password, show the QR code and
 * the secret key, confirm with a code, then 2FA is on and recovery codes are shown once.
 * Nothing is enabled until a correct code arrives. The key is sealed at rest with AES-256-GCM
 * bound to its row (RFC 4226 §7.5, OWASP ASVS 4.0.3 2.8.2), and shown only during enrollment
 * (NIST SP 800-63B §5.1.4.1: never re-displayed afterwards).
 */
import { endOidcGrantsOfSessions } from "./oidc-grants.js";
import { amrAfterSecondFactor, amrWithoutSecondFactor } from "../domain/access/authentication-methods.js";
import { EnrollmentInvalid, InvalidRequest, ReauthenticationRequired, TOTPAlreadyEnabled, TOTPNotEnabled, TwoFactorRequired } from "../errors.js";
import { twoFactorDeadline } from "../domain/access/two-factor-policy.js";
import { generateId } from "../domain/crypto/token.js";
import { encodeBase32 } from "../domain/encoding/base32.js";
import { normalizeOTPInput, type OTPAlgorithm } from "../domain/otp/hotp.js";
import { createKeyURI } from "../domain/otp/key-uri.js";
import { generateOTPKey } from "../domain/otp/key.js";
import { verifyTOTP } from "../domain/otp/totp.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountRecord, Repositories, SessionRecord, TOTPCredentialRecord, TOTPEnrollmentPurpose } from "../storage/store.js";
import { authenticatorName, MAX_AUTHENTICATORS } from "./authenticators.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { endAccountAccess, everythingBut, type AccessToEnd, type EndedAccess } from "./account-access.js";
import { prepareRecoveryCodes, storeRecoveryCodes } from "./recovery-codes.js";
import { oldAuthenticatorCode, refusedTOTPCode } from "./code-refusal.js";
import { compatibilityWarning, ignoredSettingsRefusal } from "./authenticator-compatibility.js";
import { confirmOwnPassword } from "./reauthentication.js";
import { endTwoFactorMailConfirmation } from "./two-factor-mail-confirmation.js";
import { checkFirstPassword, setFirstPassword } from "./password-change.js";
import { proveSecondFactor } from "./second-factor.js";
import { openTOTPKey, sealTOTPKey, toTOTPOptions } from "./totp-key.js";
import { isRecentlyReauthenticated, requireRecentReauthentication, rotateSessionToken, type AuthenticatedSession } from "./sessions.js";

/** What the user needs to add deadbolt to an authenticator app. */
export interface PendingEnrollment {
	/** The key in base32 without padding, for manual entry. */
	readonly secret: string;
	/** The same key in groups of four characters (`ABCD EFGH ...`), as shown to people. */
	readonly secretGroups: string;
	/** `otpauth://totp/Issuer:email?secret=...&issuer=...` (Google Key Uri Format). */
	readonly keyURI: string;
	/** The key URI as a QR code, an SVG document (rendered by `qrcode`). */
	readonly qrSvg: string;
	readonly algorithm: OTPAlgorithm;
	readonly digits: number;
	readonly periodSeconds: number;
	/**
	 * With settings other than SHA1, 6 digits, 30 s: a sentence warning that several apps (Google
	 * Authenticator, Microsoft Authenticator) ignore them, and which apps to use. Null otherwise.
	 */
	readonly compatibilityWarning: string | null;
	/** After this, confirmation is refused and setup starts again. */
	readonly expiresAt: UnixMillis;
	/** What confirming does with 2FA on: `"replace"` (a new phone) or `"add"` (another authenticator); null for a first setup. */
	readonly purpose: TOTPEnrollmentPurpose | null;
	/**
	 * The session's new token when step 1 proved or set the password (the session was rotated and
	 * its old token stopped working); null when nothing was proved now.
	 */
	readonly sessionToken: string | null;
}

/**
 * Proves a recent re-authentication: with `password`, checks it now (as {@link confirmOwnPassword})
 * (the caller records it on the session); without, the session must have proved a factor within
 * the re-authentication window.
 * @returns whether the password was proved now
 * @throws ReauthenticationRequired, InvalidCredentials, TooManyAttempts
 */
async function requireReauthentication(deps: ServiceDeps, account: AccountRecord, session: SessionRecord, password: string | undefined, context: RequestContext = NO_CONTEXT): Promise<boolean> {
	if (password === undefined) {
		if (!isRecentlyReauthenticated(deps, session)) throw new ReauthenticationRequired();
		return false;
	}
	await confirmOwnPassword(deps, { account, session }, password, context);
	return true;
}

/**
 * Step 1-2 of setup: after the password is confirmed, creates a pending TOTP credential (a new
 * random key; any earlier pending one is replaced) and returns what the authenticator needs.
 * An account without a password (created by an operator or integrator) sets one here instead
 * (`newPassword`, the seed's "enter or set a password"): it needs a fresh session (a sign-in
 * link used within the re-authentication window) and passes the password policy; the password is
 * stored with the pending setup, in one transaction. With 2FA on, `purpose` says what confirming
 * does: `"replace"` (the default: a new phone, the others are removed) or `"add"` (another
 * authenticator beside the others, at most {@link MAX_AUTHENTICATORS}); `name` names it.
 * @throws TOTPAlreadyEnabled, ReauthenticationRequired, InvalidCredentials, InvalidRequest (policy, or the wrong one of `password`/`newPassword`), TooManyAttempts
 */
export async function beginTOTPEnrollment(deps: ServiceDeps, account: AccountRecord, session: SessionRecord, input: { password?: string; newPassword?: string; name?: string; purpose?: TOTPEnrollmentPurpose }, context: RequestContext = NO_CONTEXT): Promise<PendingEnrollment> {
	// With 2FA on this sets up a NEW authenticator (moving to a new phone, or another one beside
	// the others): binding it needs both factors proved recently (NIST SP 800-63B §6.1.2.1), so an
	// inline password is not enough.
	const authenticators = (await deps.store.totpCredentials.listConfirmedTOTPCredentials(account.id)).length;
	const replacing = authenticators > 0;
	const name = input.name === undefined ? null : authenticatorName(input.name);
	if (!replacing && input.purpose !== undefined) {
		const message = "Two-factor authentication is off: set it up first; adding or replacing an authenticator needs one.";
		throw new InvalidRequest(message, [{ field: "purpose", rule: "not_allowed", message }]);
	}
	if (input.purpose === "add" && authenticators >= MAX_AUTHENTICATORS) {
		const message = `You have ${MAX_AUTHENTICATORS} authenticator apps, the most an account can have: remove one first.`;
		throw new InvalidRequest(message, [{ field: "purpose", rule: "too_many", message }]);
	}
	let newPasswordHash: string | null = null;
	let passwordProvedNow = false;
	if (account.passwordHash === null) newPasswordHash = await checkFirstPassword(deps, account, session, input.newPassword);
	else if (input.newPassword !== undefined && input.password === undefined) {
		const message = "Your account has a password already: confirm it instead.";
		throw new InvalidRequest(message, [{ field: "password", rule: "required", message }]);
	} else if (replacing) {
		if (input.password !== undefined) {
			const message = "Moving to a new phone needs your password and a code confirmed first (re-authentication), not a password here.";
			throw new InvalidRequest(message, [{ field: "password", rule: "not_allowed", message }]);
		}
		requireRecentReauthentication(deps, session);
	} else passwordProvedNow = await requireReauthentication(deps, account, session, input.password, context);
	const { key, record } = newPendingCredential(deps, account.id, session.id, { name, purpose: replacing ? (input.purpose ?? "replace") : null });
	const id = record.id;
	// Described before it is stored: nothing is written when the key URI cannot be made.
	const described = await describeEnrollment(deps, account, record, key);
	// Under the account's lock, like the confirmation: a setup cannot start once 2FA turned on.
	const sessionToken = await deps.store.transaction(async (tx): Promise<string | null> => {
		await tx.accounts.lockAccount(account.id);
		if (!replacing && (await tx.totpCredentials.findConfirmedTOTPCredential(account.id)) !== null) throw new TOTPAlreadyEnabled();
		await tx.totpCredentials.replacePendingTOTPCredential(record);
		// A password set or proved now raises the session (a fresh re-authentication): it goes on
		// under a new token.
		if (newPasswordHash !== null) return (await setFirstPassword(deps, tx, { account, session }, newPasswordHash, context)).sessionToken;
		if (!passwordProvedNow) return null;
		await tx.sessions.markSessionReauthenticated(session.id, deps.clock.now());
		return (await rotateSessionToken(deps, tx, session)).token;
	});
	deps.logger.info({ event: "totp.enrollment_started", accountId: account.id, credentialId: id, sessionId: session.id, passwordSet: newPasswordHash !== null }, "two-factor setup started");
	return { ...described, sessionToken };
}

/**
 * A new pending credential (a new random key, sealed for its row) with the configured settings,
 * lapsing after `totp.enrollmentTtlSeconds`; not stored.
 * @param owner - who alone may confirm it: the session id, or `challenge:<id>` for an enforced setup
 * @param options - its name, and with 2FA on already, what confirming it does (with the others)
 */
export function newPendingCredential(deps: ServiceDeps, accountId: string, owner: string, options: { readonly name: string | null; readonly purpose: TOTPEnrollmentPurpose | null }): { readonly key: Uint8Array; readonly record: TOTPCredentialRecord } {
	const { totp } = deps.config;
	const now = deps.clock.now();
	const key = generateOTPKey(deps.random, totp.keyBytes);
	const id = generateId(deps.random);
	const record: TOTPCredentialRecord = {
		id,
		accountId,
		secretCiphertext: sealTOTPKey(deps, { id, accountId }, key),
		algorithm: totp.algorithm,
		digits: totp.digits,
		periodSeconds: totp.periodSeconds,
		createdAt: now,
		confirmedAt: null,
		expiresAt: now + secondsToMillis(totp.enrollmentTtlSeconds),
		lastUsedStep: -1,
		enrollmentSessionId: owner,
		name: options.name,
		lastUsedAt: null,
		purpose: options.purpose,
	};
	return { key, record };
}

/** What an authenticator app needs to add a pending credential (its key URI, QR code, settings). */
export async function describeEnrollment(deps: ServiceDeps, account: AccountRecord, credential: TOTPCredentialRecord, key: Uint8Array): Promise<Omit<PendingEnrollment, "sessionToken">> {
	const algorithm = credential.algorithm as OTPAlgorithm;
	const secret = encodeBase32(key);
	const keyURI = createKeyURI({ type: "totp", issuer: deps.config.issuer, accountName: account.email, secret: key, algorithm, digits: credential.digits, periodSeconds: credential.periodSeconds });
	// qrcode is loaded on the first enrollment, not at start (issue 15).
	const { default: QRCode } = await import("qrcode");
	const qrSvg = await QRCode.toString(keyURI, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
	return {
		secret,
		secretGroups: secret.match(/.{1,4}/g)!.join(" "),
		keyURI,
		qrSvg,
		algorithm,
		digits: credential.digits,
		periodSeconds: credential.periodSeconds,
		compatibilityWarning: compatibilityWarning({ algorithm, digits: credential.digits, periodSeconds: credential.periodSeconds }),
		expiresAt: credential.expiresAt ?? 0,
		purpose: credential.purpose,
	};
}

/**
 * The pending enrollment if it is live (not expired) and was started by `session`: only the
 * session that proved the password may see or confirm it.
 */
async function findOwnPendingEnrollment(deps: ServiceDeps, account: AccountRecord, session: SessionRecord): Promise<TOTPCredentialRecord | null> {
	const pending = await deps.store.totpCredentials.findPendingTOTPCredential(account.id);
	if (pending === null || pending.expiresAt === null || pending.expiresAt <= deps.clock.now()) return null;
	if (pending.enrollmentSessionId !== session.id) {
		deps.logger.warn({ event: "totp.enrollment_other_session", accountId: account.id, sessionId: session.id }, "setup belongs to another session");
		return null;
	}
	return pending;
}

/**
 * The enrollment in progress (not yet confirmed, not expired, started by this session), shown
 * again, for example after a wrong code on the setup page. Confirmed keys are never shown again
 * (NIST SP 800-63B §5.1.4.1).
 * @returns null when there is none
 */
export async function getPendingTOTPEnrollment(deps: ServiceDeps, account: AccountRecord, session: SessionRecord): Promise<PendingEnrollment | null> {
	const pending = await findOwnPendingEnrollment(deps, account, session);
	return pending === null ? null : { ...(await describeEnrollment(deps, account, pending, openTOTPKey(deps, pending))), sessionToken: null };
}

/** Two-factor authentication just turned on. */
export interface ConfirmedEnrollment {
	/** Shown once; only their hashes are stored. */
	readonly recoveryCodes: readonly string[];
	/** How many other sessions of the account were ended (they were made with the password alone). */
	readonly otherSessionsRevoked: number;
	/** True when this replaced the account's previous authenticators (no new codes; other sessions end as for a first setup). */
	readonly replaced: boolean;
	/** True when this added an authenticator beside the account's others (no new codes; nothing else ends). */
	readonly added: boolean;
	/** The new authenticator's id (for naming or removing it later). */
	readonly authenticatorId: string;
	/** This session's new token: it gained a second factor and goes on under it (the old one stopped working). */
	readonly sessionToken: string;
}

/**
 * Step 3-4 of setup: a correct code confirms the pending credential (only in the session that
 * started it). The matched step counts as
 * used (the same code cannot then sign in), a fresh set of recovery codes is issued, and the
 * account's other sessions end. All in one transaction. A refused code that an app ignoring the
 * settings would show, or one from a clock that is off, says so (`ignoredSettings`, `clockSkewSeconds`).
 * The user holds the key here, so every refusal says its cause (`InvalidCode.refusal`: expired,
 * wrong, clock_skew, app_ignores_settings or malformed). Adding an authenticator (purpose `"add"`),
 * `name` names it in the same transaction (the dashboard asks for the name beside the code); a
 * blank one keeps the name given at the start, if any.
 * @throws EnrollmentInvalid (no pending setup, or expired), InvalidCode, TOTPAlreadyEnabled, InvalidRequest (the name: checked before anything else)
 */
export async function confirmTOTPEnrollment(deps: ServiceDeps, account: AccountRecord, session: SessionRecord, input: { code: string; name?: string }, context: RequestContext = NO_CONTEXT): Promise<ConfirmedEnrollment> {
	const name = input.name === undefined ? null : authenticatorName(input.name);
	const others = await deps.store.totpCredentials.listConfirmedTOTPCredentials(account.id);
	const replacing = others.length > 0;
	const pending = await findOwnPendingEnrollment(deps, account, session);
	const now = deps.clock.now();
	if (pending === null) throw new EnrollmentInvalid(undefined, { reason: "none_expired_or_other_session" });
	const key = openTOTPKey(deps, pending);
	const code = normalizeOTPInput(input.code);
	const step = verifyTOTP(key, code, now, toTOTPOptions(deps, pending));
	if (step === null) {
		// Never accepted: an app that ignores the settings, or a clock that is off, only explains the refusal.
		const label = { issuer: deps.config.issuer, email: account.email };
		// Moving to a new phone or adding one: a code of an authenticator the account has already is said to be one (never accepted, nothing used).
		const fromOldPhone = others.some((current) => verifyTOTP(openTOTPKey(deps, current), code, now, toTOTPOptions(deps, current)) !== null);
		const refused = ignoredSettingsRefusal(deps, key, code, pending) ?? (fromOldPhone ? oldAuthenticatorCode(label) : refusedTOTPCode(deps, key, code, pending, "setup", label));
		deps.logger.info({ event: "totp.enrollment_code_failed", accountId: account.id, reason: refused.reason }, "setup code rejected");
		throw refused;
	}
	// Hashed before the transaction (argon2id must not hold the database's lock); unused when replacing.
	const prepared = replacing ? null : await prepareRecoveryCodes(deps, account.id);
	const result = await deps.store.transaction(async (tx) => {
		// Serializes with password-only sign-ins of this account (beginLogin), so no session made
		// with the password alone survives 2FA turning on.
		await tx.accounts.lockAccount(account.id);
		// A new phone: confirming also deletes the account's other authenticators (store contract).
		const adding = replacing && pending.purpose === "add";
		if (!(await tx.totpCredentials.confirmTOTPCredential(pending.id, step, deps.clock.now(), { replaceOthers: !adding }))) {
			throw new EnrollmentInvalid(undefined, { reason: "lost_race" });
		}
		if (adding) {
			if (name !== null) await tx.totpCredentials.renameTOTPCredential(account.id, pending.id, name);
			// Another authenticator beside the others: sessions, devices and codes stay (the user proved
			// both factors moments ago); the owner is told by mail (an alert) like any 2FA change.
			const authenticators = (await tx.totpCredentials.listConfirmedTOTPCredentials(account.id)).length;
			await recordSecurityEvent(deps, tx, account.id, "totp.authenticator_added", context, { authenticatorId: pending.id, authenticators });
			return { recoveryCodes: [], otherSessionsRevoked: 0, replaced: false, added: true, authenticatorId: pending.id, sessionToken: (await rotateSessionToken(deps, tx, session)).token };
		}
		if (prepared === null) {
			// Replacing, a new phone: the old key stops working now; recovery codes stay. Every other
			// session ends (one may live on the lost phone, and every app behind the proxy refuses it on
			// its next request), and remembered devices are forgotten (trusted under the old authenticator).
			const ended = await endAccountAccess(deps, tx, account.id, { sessions: { except: session.id }, trustedDevices: true, loginChallenges: true });
			await recordSecurityEvent(deps, tx, account.id, "totp.replaced", context, { trustedDevicesRevoked: ended.trustedDevicesRevoked, otherSessionsRevoked: ended.sessionsRevoked });
			return { recoveryCodes: [], otherSessionsRevoked: ended.sessionsRevoked, replaced: true, added: false, authenticatorId: pending.id, sessionToken: (await rotateSessionToken(deps, tx, session)).token };
		}
		const recoveryCodes = await storeRecoveryCodes(tx, account.id, prepared);
		const otherSessionsRevoked = (await endAccountAccess(deps, tx, account.id, { sessions: { except: session.id } })).sessionsRevoked;
		// This session proved the password (step 1) and, just now, the new authenticator: AAL2.
		await tx.sessions.markSessionReauthenticated(session.id, deps.clock.now(), { amr: amrAfterSecondFactor(session.amr, "totp") });
		await recordSecurityEvent(deps, tx, account.id, "totp.enabled", context, { otherSessionsRevoked });
		return { recoveryCodes, otherSessionsRevoked, replaced: false, added: false, authenticatorId: pending.id, sessionToken: (await rotateSessionToken(deps, tx, session)).token };
	});
	const event = result.added ? "totp.authenticator_added" : result.replaced ? "totp.replaced" : "totp.enabled";
	deps.logger.info({ event, accountId: account.id, credentialId: pending.id, otherSessionsRevoked: result.otherSessionsRevoked }, result.added ? "authenticator added" : result.replaced ? "authenticator replaced" : "two-factor authentication enabled");
	return result;
}

/** Whether the account has a confirmed TOTP credential. */
export async function isTwoFactorEnabled(deps: ServiceDeps, accountId: string): Promise<boolean> {
	return (await deps.store.totpCredentials.findConfirmedTOTPCredential(accountId)) !== null;
}

/** What turning 2FA off removed. */
export interface DisabledTOTP {
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** Every personal access token of the account is revoked: how many were. */
	readonly accessTokensRevoked: number;
}

/**
 * THE one way two-factor authentication is turned off, whoever turns it off (its owner with
 * {@link disableTOTP}, an operator's reset in `admin-actions.ts`): inside the caller's transaction,
 * under the account's lock (taken by the caller), every authenticator and recovery code is
 * removed, the confirmation by mail ends, and every session (but `keepSessionId`), remembered
 * device, half-way sign-in, sign-in link and personal access token ends (an aal2 token would claim
 * a second factor the account no longer has). The session kept drops to AAL1 (its `amr` loses the
 * second factor's values, its `secondFactorAt` is null): it must not claim a factor the account no
 * longer has (an operator's policy that starts applying to the account later refuses it, as any
 * password-only session; a forward-auth `two_factor` rule sends it to the setup); its OpenID
 * Connect grants end, since their tokens claim the second factor. The caller
 * records its own event.
 * @param keep - the session that turned it off (it stays, at AAL1), or null to end every session
 * @returns what ended
 */
export async function removeTwoFactor(deps: ServiceDeps, tx: Repositories, accountId: string, keep: Pick<SessionRecord, "id" | "amr"> | null): Promise<EndedAccess> {
	await tx.totpCredentials.deleteTOTPCredentials(accountId);
	await tx.recoveryCodes.deleteRecoveryCodes(accountId);
	await endTwoFactorMailConfirmation(deps, tx, accountId);
	if (keep !== null) {
		await tx.sessions.lowerSessionToOneFactor(keep.id, amrWithoutSecondFactor(keep.amr));
		// Its apps signed in through OpenID Connect hold tokens that say AAL2 (acr, amr): they end
		// too (and are told), so that an app asks again and sees what the account has now.
		await endOidcGrantsOfSessions(deps, tx, [keep.id]);
	}
	const sessions: AccessToEnd = keep === null ? { sessions: "all", trustedDevices: true, loginChallenges: true, signInLinks: true } : everythingBut(keep.id);
	return endAccountAccess(deps, tx, accountId, { ...sessions, accessTokens: true });
}

/**
 * Turns 2FA off (NIST SP 800-63B §6.1.2.1: changing MFA needs MFA): the password and a current
 * code (or a recovery code) are required. The key, the recovery codes, every trusted device and
 * every personal access token are removed, the confirmation by mail ends (`two-factor-mail-confirmation.ts`),
 * and the account's other sessions end; this one stays, at AAL1.
 * @throws TOTPNotEnabled, TwoFactorRequired (the operator's policy requires it of the account), InvalidCredentials, InvalidCode, TooManyAttempts
 */
export async function disableTOTP(deps: ServiceDeps, auth: AuthenticatedSession, input: { password: string; code: string }, context: RequestContext = NO_CONTEXT): Promise<DisabledTOTP> {
	if ((await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) === null) throw new TOTPNotEnabled();
	if (twoFactorDeadline(deps.config.twoFactorPolicy, auth.account) !== null) throw new TwoFactorRequired();
	await confirmOwnPassword(deps, auth, input.password, context);
	await proveSecondFactor(deps, auth.account, input.code, context);
	const result = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(auth.account.id);
		const ended = await removeTwoFactor(deps, tx, auth.account.id, auth.session);
		const otherSessionsRevoked = ended.sessionsRevoked;
		const trustedDevicesRevoked = ended.trustedDevicesRevoked;
		const accessTokensRevoked = ended.accessTokensRevoked;
		await recordSecurityEvent(deps, tx, auth.account.id, "totp.disabled", context, { otherSessionsRevoked, trustedDevicesRevoked, accessTokensRevoked });
		return { otherSessionsRevoked, trustedDevicesRevoked, accessTokensRevoked };
	});
	deps.logger.info({ event: "totp.disabled", accountId: auth.account.id, ...result }, "two-factor authentication disabled");
	return result;
}
