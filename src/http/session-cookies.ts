/**
 * The two cookies of a browser session, set and cleared together: the dashboard's `__Host-`
 * session cookie, and the forward-auth cookie that the protected apps' proxies present to the
 * authz endpoints (`service/forward-auth-sessions.ts`; on `session.cookieDomain` when set). The
 * forward-auth cookie never carries the session token: an app behind the proxy that sees it cannot
 * use it at the dashboard or the API.
 */
import { fastifyCookie } from "@fastify/cookie";
import type { FastifyReply } from "fastify";
import type { Deadbolt } from "../deadbolt.js";
import type { CookieSettings } from "./cookies.js";
import type { CookieSerializeOptions } from "@fastify/cookie";

/**
 * Sets the session cookie to `sessionToken` and the forward-auth cookie to its derived token,
 * both living `session.absoluteTtlSeconds` (the session ends sooner when idle; the cookies are
 * then refused and cleared).
 */
export function setSessionCookies(reply: FastifyReply, deadbolt: Deadbolt, cookies: CookieSettings, sessionToken: string): void {
	const maxAgeSeconds = deadbolt.config.session.absoluteTtlSeconds;
	void reply.setCookie(cookies.sessionName, sessionToken, cookies.options(maxAgeSeconds));
	const forwardAuth = deadbolt.forwardAuthToken(sessionToken);
	if (forwardAuth !== null) void reply.setCookie(cookies.forwardAuthName, forwardAuth, cookies.forwardAuthOptions(maxAgeSeconds));
}

/** Clears the session cookie and the forward-auth cookie (sign-out, a refused session). */
export function clearSessionCookies(reply: FastifyReply, cookies: CookieSettings): void {
	void reply.clearCookie(cookies.sessionName, cookies.options());
	void reply.clearCookie(cookies.forwardAuthName, cookies.forwardAuthOptions());
}

/**
 * The `Set-Cookie` values that clear both cookies, for answers written outside Fastify (the
 * OpenID Connect provider's end-session endpoint, `oidc/routes.ts`).
 */
export function sessionCookieClearings(cookies: CookieSettings): string[] {
	const clearing = (name: string, options: CookieSerializeOptions): string => {
		const { domain, path, sameSite, httpOnly } = options;
		return fastifyCookie.serialize(name, "", { expires: new Date(0), maxAge: 0, secure: cookies.secure, ...(domain === undefined ? {} : { domain }), ...(path === undefined ? {} : { path }), ...(sameSite === undefined ? {} : { sameSite }), ...(httpOnly === undefined ? {} : { httpOnly }) });
	};
	return [clearing(cookies.sessionName, cookies.options()), clearing(cookies.forwardAuthName, cookies.forwardAuthOptions())];
}
