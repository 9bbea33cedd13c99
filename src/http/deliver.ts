/**
 * How tokens reach the client. A browser (it sends `Sec-Fetch-Site`, as every current browser
 * does) gets HttpOnly cookies and no token in the body, so page scripts never see a token; any
 * other client gets the token in the body and no cookie (design §6). Documented in docs/http-api.md.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Deadbolt } from "../deadbolt.js";
import type { NewSession } from "../service/sessions.js";
import { toISO } from "../service/deps.js";
import type { CookieSettings } from "./cookies.js";
import type { NewSessionView, RotatedSessionView } from "./schemas.js";
import { setSessionCookies } from "./session-cookies.js";

/** Whether the request comes from a browser page (fetch metadata present). */
export function isBrowserRequest(request: FastifyRequest): boolean {
	return typeof request.headers["sec-fetch-site"] === "string";
}

/**
 * Delivers a new session: to a browser as the session cookie (ending the cookie session it
 * replaces, and dropping the login-challenge and dashboard form-token cookies, so nothing of the
 * previous identity carries over), to an API client in the returned view.
 */
export async function deliverSession(request: FastifyRequest, reply: FastifyReply, deadbolt: Deadbolt, cookies: CookieSettings, session: NewSession): Promise<NewSessionView> {
	const view: NewSessionView = { id: session.record.id, aal: session.record.aal, expiresAt: toISO(session.record.expiresAt) };
	if (isBrowserRequest(request)) {
		if (request.authVia === "cookie" && request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
		setSessionCookies(reply, deadbolt, cookies, session.token);
		void reply.clearCookie(cookies.challengeName, cookies.options());
		void reply.clearCookie(cookies.csrfName, cookies.options());
		return view;
	}
	return { ...view, token: session.token };
}

/**
 * Delivers the new token of the request's session after a rotation: a client that sent the
 * session as a cookie gets the cookie replaced (a browser notices nothing), one that sent it as a
 * Bearer token gets it in the answer.
 */
export function deliverRotatedSession(request: FastifyRequest, reply: FastifyReply, deadbolt: Deadbolt, cookies: CookieSettings, sessionId: string, token: string): RotatedSessionView {
	if (request.authVia === "cookie") {
		setSessionCookies(reply, deadbolt, cookies, token);
		return { id: sessionId };
	}
	return { id: sessionId, token };
}
