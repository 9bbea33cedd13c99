/**
 * Re-authentication ("sudo mode", OWASP ASVS 5.0 7.5.1, NIST SP 800-63B §7.2): the signed-in user
 * proves the password again, and the second factor when 2FA is on; sensitive actions are then
 * allowed for `session.reauthenticationTtlSeconds`.
 */
import { amrAfterSecondFactor } from "../domain/access/authentication-methods.js";
import { InvalidCredentials, InvalidRequest } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { SessionRecord } from "../storage/store.js";
import { confirmPassword } from "./accounts.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { proveSecondFactor } from "./second-factor.js";
import { recordSecurityEvent } from "./security-events.js";
import { rotateSessionToken, type AuthenticatedSession } from "./sessions.js";

/** Until when sensitive actions are allowed. */
export interface Reauthentication {
	readonly reauthenticatedAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	/** The session's new token (`<id>.<secret>`): the one it had stopped working (session rotation). */
	readonly sessionToken: string;
	/** The session's record as it now is (new secret hash, re-authenticated now), for a next step in the same request. */
	readonly session: SessionRecord;
}

/** The message of a wrong password typed by a signed-in user (no email to blame). */
export const WRONG_PASSWORD_MESSAGE = "That password is not correct.";

/**
 * Checks the password of a signed-in user, counting failures like sign-in.
 * @throws InvalidCredentials ("That password is not correct."), InvalidRequest (the account has no password)
 */
export async function confirmOwnPassword(deps: ServiceDeps, auth: AuthenticatedSession, password: string, context: RequestContext): Promise<void> {
	if (auth.account.passwordHash === null) {
		// Nothing to compare with: say what to do instead of "not correct".
		const message = "Your account does not have a password yet. Set one first (Security > Password), within a few minutes of signing in with your sign-in link.";
		throw new InvalidRequest(message, [{ field: "password", rule: "no_password", message }]);
	}
	try {
		await confirmPassword(deps, auth.account, password, context);
	} catch (error) {
		if (error instanceof InvalidCredentials) throw new InvalidCredentials(WRONG_PASSWORD_MESSAGE, { reason: error.reason ?? "wrong_password" });
		throw error;
	}
}

/**
 * Re-authenticates the session: the password, plus a current TOTP code or a recovery code when
 * 2FA is on.
 * @throws InvalidCredentials, InvalidRequest (code missing), InvalidCode, TooManyAttempts
 */
export async function reauthenticate(deps: ServiceDeps, auth: AuthenticatedSession, input: { password: string; code?: string }, context: RequestContext = NO_CONTEXT): Promise<Reauthentication> {
	const twoFactor = (await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) !== null;
	if (twoFactor && (input.code === undefined || input.code.trim() === "")) {
		const message = "Enter the code from your authenticator app (or a recovery code) too.";
		throw new InvalidRequest(message, [{ field: "code", rule: "required", message }]);
	}
	await confirmOwnPassword(deps, auth, input.password, context);
	const factors = ["password"];
	const code = twoFactor ? await proveSecondFactor(deps, auth.account, input.code as string, context) : null;
	if (code !== null) factors.push(code);
	const now = deps.clock.now();
	const secondFactor = code === null ? null : { amr: amrAfterSecondFactor(auth.session.amr, code) };
	const rotated = await deps.store.transaction(async (tx) => {
		// With a second factor proved now, the session is at AAL2 from here on (NIST SP 800-63B §4.2),
		// and it goes on under a new token (the old one dies now).
		await tx.sessions.markSessionReauthenticated(auth.session.id, now, secondFactor ?? undefined);
		const result = await rotateSessionToken(deps, tx, auth.session);
		await recordSecurityEvent(deps, tx, auth.account.id, "reauthenticated", context, { factors });
		return result;
	});
	const session: SessionRecord = { ...rotated.session, reauthenticatedAt: now, ...(secondFactor === null ? {} : { aal: 2, secondFactorAt: now, amr: secondFactor.amr }) };
	return { reauthenticatedAt: now, expiresAt: now + secondsToMillis(deps.config.session.reauthenticationTtlSeconds), sessionToken: rotated.token, session };
}
