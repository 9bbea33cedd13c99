/**
 * Resolves who is calling, once per request: a session token from `Authorization: Bearer` (API
 * clients) or from the session cookie (browsers). A personal access token (`Bearer dbpat_...`) is
 * never taken for a session: it is left to the authz and introspection routes, which read it. `request.auth` is the validated session and
 * account, or null. Nothing here refuses a request; `requireSession` does, inside protected
 * route groups only. Storage failures propagate (503).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Deadbolt } from "../../deadbolt.js";
import { DeadboltError, Unauthenticated } from "../../errors.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import type { RequestContext } from "../../service/deps.js";
import type { CookieSettings } from "../cookies.js";
import { clearSessionCookies } from "../session-cookies.js";

declare module "fastify" {
	interface FastifyRequest {
		/** The validated session and account; null when not signed in. */
		auth: AuthenticatedSession | null;
		/** The raw session token the caller presented (for sign-out); null when none. */
		sessionToken: string | null;
		/** How the token came: `"cookie"` (browser, CSRF-checked) or `"bearer"` (API client). */
		authVia: "cookie" | "bearer" | null;
	}
	interface FastifyContextConfig {
		/** The route reads no session (the forward-auth endpoints take the forward-auth cookie or an access token only). */
		sessionless?: boolean;
	}
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(request: FastifyRequest): string | null {
	const header = request.headers.authorization;
	if (header === undefined) return null;
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	return match === null ? null : (match[1] as string);
}

/** Where the request came from, for the services (stored with sessions, logged). */
export function requestContext(request: FastifyRequest): RequestContext {
	const userAgent = request.headers["user-agent"];
	return { ipAddress: request.ip ?? null, userAgent: typeof userAgent === "string" ? userAgent.slice(0, 512) : null };
}

async function session(app: FastifyInstance, options: { deadbolt: Deadbolt; cookies: CookieSettings }): Promise<void> {
	const { deadbolt, cookies } = options;
	app.decorateRequest("auth", null);
	app.decorateRequest("sessionToken", null);
	app.decorateRequest("authVia", null);
	app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
		// The forward-auth endpoints read their own credentials: a session token there is not one.
		if (request.routeOptions.config.sessionless === true) return;
		const presented = bearerToken(request);
		const bearer = presented !== null && deadbolt.hasAccessTokenPrefix(presented) ? null : presented;
		const cookie = request.cookies[cookies.sessionName];
		const token = bearer ?? cookie ?? null;
		if (token === null) return;
		request.sessionToken = token;
		request.authVia = bearer !== null ? "bearer" : "cookie";
		try {
			request.auth = await deadbolt.validateSession(token);
		} catch (error) {
			if (!(error instanceof Unauthenticated)) throw error;
			request.log.info({ reason: (error as DeadboltError).reason, via: request.authVia }, "session not accepted");
			if (bearer === null) clearSessionCookies(reply, cookies);
		}
	});
}

/** The session plugin (applies to the whole app). */
export const sessionPlugin = fp(session, { name: "deadbolt-session", dependencies: ["@fastify/cookie"] });

/**
 * An onRequest hook for protected route groups (before the body is even parsed): refuses the request without a valid session.
 * @throws Unauthenticated
 */
export async function requireSession(request: FastifyRequest): Promise<void> {
	if (request.auth === null) throw new Unauthenticated();
}

/** The session of a request that passed {@link requireSession}. */
export function authOf(request: FastifyRequest): AuthenticatedSession {
	if (request.auth === null) throw new Unauthenticated();
	return request.auth;
}
