/**
 * How tokens reach the client. A browser (it sends `Sec-Fetch-Site`, as every current browser
 * does) gets HttpOnly cookies and no token in the body, so page scripts never see a token; any
 * other client gets the token in the body and no cookie (design §6). Documented in docs/http-api.md.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NewSession } from "../service/sessions.js";
import { toISO } from "../service/deps.js";
import type { CookieSettings } from "./cookies.js";
import type { NewSessionView } from "./schemas.js";

/** Whether the request comes from a browser page (fetch metadata present). */
export function isBrowserRequest(request: FastifyRequest): boolean {
	return typeof request.headers["sec-fetch-site"] === "string";
}

/** Sets the session cookie (browsers) and returns the session view (with the token for API clients). */
export function deliverSession(request: FastifyRequest, reply: FastifyReply, cookies: CookieSettings, session: NewSession, absoluteTtlSeconds: number): NewSessionView {
	const view: NewSessionView = { id: session.record.id, aal: session.record.aal, expiresAt: toISO(session.record.expiresAt) };
	if (isBrowserRequest(request)) {
		void reply.setCookie(cookies.sessionName, session.token, cookies.options(absoluteTtlSeconds));
		void reply.clearCookie(cookies.challengeName, cookies.options());
		return view;
	}
	return { ...view, token: session.token };
}
