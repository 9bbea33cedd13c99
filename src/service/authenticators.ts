/**
 * Several authenticators per account (issue 14): the account's authenticator apps listed with
 * their names and when each was last used, renamed, and removed one at a time. A new one is added
 * with the TOTP setup (`totp-enrollment.ts`, purpose `"add"`). All of them share the account's
 * one replay record and one attempt budget (`throttle.ts` divides it by their number), so a second
 * app never doubles a guesser's chances. Moving to a new phone is "add the new one, remove the old
 * one": each step needs both factors proved recently (NIST SP 800-63B §6.1.2.1).
 */
import { isDisplayableName } from "../domain/text/display-name.js";
import { InvalidRequest, LastAuthenticator, NotFound, TOTPNotEnabled } from "../errors.js";
import { isWellFormedId } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { TOTPCredentialRecord } from "../storage/store.js";
import { endAccountAccess } from "./account-access.js";
import { NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/** The most authenticators an account may have: each one more divides the attempt budget again. */
export const MAX_AUTHENTICATORS = 5;

/** The longest authenticator name, in characters. */
export const AUTHENTICATOR_NAME_MAX_LENGTH = 64;

/** One of the account's authenticators, as its owner sees it (never its key). */
export interface AuthenticatorView {
	readonly id: string;
	/** The name its owner gave it; null when none (shown as "Authenticator app"). */
	readonly name: string | null;
	/** When it was added (its setup confirmed). */
	readonly addedAt: UnixMillis;
	/** When a code of it was last accepted; null when never since issue 14. */
	readonly lastUsedAt: UnixMillis | null;
}

/**
 * A name for an authenticator, as typed: trimmed, inner runs of white space made one space.
 * @returns the name; null for a blank one (no name)
 * @throws InvalidRequest when longer than {@link AUTHENTICATOR_NAME_MAX_LENGTH} or with control, format (bidi, zero-width), private-use or lone surrogate characters (`isDisplayableName`), or with nothing that shows
 */
export function authenticatorName(raw: string): string | null {
	const name = raw.trim().replace(/\s+/g, " ");
	if (name === "") return null;
	if (name.length > AUTHENTICATOR_NAME_MAX_LENGTH || !isDisplayableName(name)) {
		const message = `A name is at most ${AUTHENTICATOR_NAME_MAX_LENGTH} characters, without control or invisible formatting characters.`;
		throw new InvalidRequest(message, [{ field: "name", rule: "invalid", message }]);
	}
	return name;
}

function toView(credential: TOTPCredentialRecord): AuthenticatorView {
	return { id: credential.id, name: credential.name, addedAt: credential.confirmedAt ?? credential.createdAt, lastUsedAt: credential.lastUsedAt };
}

/** The account's authenticators, oldest first (empty when 2FA is off). */
export async function listAuthenticators(deps: ServiceDeps, accountId: string): Promise<readonly AuthenticatorView[]> {
	return (await deps.store.totpCredentials.listConfirmedTOTPCredentials(accountId)).map(toView);
}

/**
 * Renames one of the account's authenticators (a blank name removes it).
 * @throws InvalidRequest (the name), NotFound (no such authenticator of this account)
 */
export async function renameAuthenticator(deps: ServiceDeps, auth: AuthenticatedSession, authenticatorId: string, rawName: string): Promise<AuthenticatorView> {
	const name = authenticatorName(rawName);
	if (!isWellFormedId(authenticatorId)) throw new NotFound("You have no authenticator with that id.");
	if (!(await deps.store.totpCredentials.renameTOTPCredential(auth.account.id, authenticatorId, name))) throw new NotFound("You have no authenticator with that id.");
	const renamed = (await deps.store.totpCredentials.listConfirmedTOTPCredentials(auth.account.id)).find((credential) => credential.id === authenticatorId);
	if (renamed === undefined) throw new NotFound("You have no authenticator with that id.");
	return toView(renamed);
}

/** What removing an authenticator ended. */
export interface RemovedAuthenticator {
	/** How many authenticators the account has left (at least one). */
	readonly remainingAuthenticators: number;
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
}

/**
 * Removes one of the account's authenticators: its codes stop working at once. It may be on a
 * lost phone, so this ends as moving to a new phone does: every other session (every app behind
 * the proxy refuses it on its next request), every open sign-in and every remembered device; this
 * session stays. Needs both factors proved recently; never the last one (that is turning 2FA off,
 * which asks for the password and a code). One transaction under the account's lock, with a
 * `totp.authenticator_removed` event (mailed as an alert).
 * @throws ReauthenticationRequired, TOTPNotEnabled, NotFound, LastAuthenticator
 */
export async function removeAuthenticator(deps: ServiceDeps, auth: AuthenticatedSession, authenticatorId: string, context: RequestContext = NO_CONTEXT): Promise<RemovedAuthenticator> {
	requireRecentReauthentication(deps, auth.session);
	if (!isWellFormedId(authenticatorId)) throw new NotFound("You have no authenticator with that id.");
	const accountId = auth.account.id;
	const result = await deps.store.transaction(async (tx) => {
		// The lock serializes removals: two at once cannot each leave the other as the last one.
		await tx.accounts.lockAccount(accountId);
		const outcome = await tx.totpCredentials.deleteTOTPCredential(accountId, authenticatorId);
		if (outcome === "none") {
			if ((await tx.totpCredentials.findConfirmedTOTPCredential(accountId)) === null) throw new TOTPNotEnabled();
			throw new NotFound("You have no authenticator with that id.");
		}
		if (outcome === "last") throw new LastAuthenticator();
		const ended = await endAccountAccess(deps, tx, accountId, { sessions: { except: auth.session.id }, trustedDevices: true, loginChallenges: true });
		const remainingAuthenticators = (await tx.totpCredentials.listConfirmedTOTPCredentials(accountId)).length;
		await recordSecurityEvent(deps, tx, accountId, "totp.authenticator_removed", context, { authenticatorId, authenticators: remainingAuthenticators, otherSessionsRevoked: ended.sessionsRevoked, trustedDevicesRevoked: ended.trustedDevicesRevoked });
		return { remainingAuthenticators, otherSessionsRevoked: ended.sessionsRevoked, trustedDevicesRevoked: ended.trustedDevicesRevoked };
	});
	deps.logger.info({ event: "totp.authenticator_removed", accountId, credentialId: authenticatorId, ...result }, "authenticator removed");
	return result;
}
