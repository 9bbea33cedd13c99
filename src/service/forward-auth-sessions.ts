/**
 * The forward-auth cookie: the token that stands for a session at the apps behind the proxy
 * (`session.cookieDomain`), apart from the dashboard's own `__Host-` session cookie. It is derived
 * from the session's current secret under the server's HMAC key (`deriveToken`), so
 * - it is accepted only by the forward-auth endpoints (and introspection), never as a session token:
 *   an app that sees it (a proxy that did not strip it) cannot use it at the dashboard or the API;
 * - it ends with its session, on the very next request (it is checked against the session's row),
 *   and it changes whenever the session's token rotates (2FA on, re-authentication, new password);
 * - nothing more is stored for it.
 */
import { deriveToken, hashTokenSecret, parseToken, verifyTokenSecret } from "../domain/crypto/token.js";
import type { SessionRecord } from "../storage/store.js";
import { constantTimeEqual } from "../domain/crypto/constant-time.js";
import { hmacRing, type ServiceDeps } from "./deps.js";
import { checkLiveSession, type AuthenticatedSession } from "./sessions.js";

/** The derivation's label: one label, one kind of derived token. */
const LABEL = "deadbolt forward-auth cookie v1";

/**
 * The forward-auth token of a session token (the one the dashboard just set in its cookie).
 * @returns `<session id>.<43 characters>`, or null when `sessionToken` is malformed
 */
export function forwardAuthToken(deps: ServiceDeps, sessionToken: string): string | null {
	const parsed = parseToken(sessionToken);
	return parsed === null ? null : deriveToken(deps.keys.hmacKey, LABEL, parsed.id, hashTokenSecret(parsed.secret));
}

/**
 * Resolves a forward-auth token to its live session, with the checks of `validateSession` (one
 * read: the session and its account, `findSessionWithAccount`).
 * @throws Unauthenticated when malformed, unknown, not matching the session's current secret, or
 *   the session ended (revoked, expired, idle) or its account is gone
 */
export async function validateForwardAuthSession(deps: ServiceDeps, token: string): Promise<AuthenticatedSession> {
	const parsed = parseToken(token);
	// The session and its account in one statement: this runs before every request of every protected app.
	const found = parsed === null ? null : await deps.store.sessions.findSessionWithAccount(parsed.id);
	return checkLiveSession(deps, found !== null && isForwardAuthTokenOf(deps, found.session, token) ? found : null);
}

/**
 * Resolves either token of a session (the session token, or its forward-auth token: both are
 * `<session id>.<secret>`) with one read of the session, for introspection.
 * @throws Unauthenticated as {@link validateForwardAuthSession}
 */
export async function validateSessionOrForwardAuthToken(deps: ServiceDeps, token: string): Promise<AuthenticatedSession> {
	const parsed = parseToken(token);
	const found = parsed === null ? null : await deps.store.sessions.findSessionWithAccount(parsed.id);
	const matches = found !== null && parsed !== null && (verifyTokenSecret(parsed.secret, found.session.secretHash) || isForwardAuthTokenOf(deps, found.session, token));
	return checkLiveSession(deps, matches ? found : null);
}

/** Whether `token` is the forward-auth token of the session's current secret (constant time). */
function isForwardAuthTokenOf(deps: ServiceDeps, session: SessionRecord, token: string): boolean {
	// Made under the primary HMAC key; accepted under any key of the ring, so a rotation of the
	// HMAC key signs nobody out of the apps.
	let matches = false;
	for (const key of hmacRing(deps.keys).keys.values()) {
		if (constantTimeEqual(deriveToken(key, LABEL, session.id, session.secretHash), token)) matches = true;
	}
	return matches;
}
