/**
 * The dashboard's cross-site request forgery defence (OWASP CSRF Prevention Cheat Sheet,
 * "Signed/naive double-submit cookie" plus "Verifying origin with standard headers"), on top of
 * SameSite=Lax cookies:
 *
 * - Rendering a page with a form puts a random token (32 bytes from the CSPRNG, base64url) in an
 *   HttpOnly, SameSite=Lax cookie (`cookies.csrfName`), reusing a well-formed one already there,
 *   and the same token in a hidden `<input name="csrf">` of every POST form.
 * - Every POST checks, before doing anything, that the field equals the cookie (constant time)
 *   and that the request's `Origin` (or `Sec-Fetch-Site`) is not foreign. A foreign origin is
 *   refused even with a matching token. A request without either header (old browsers, curl)
 *   passes on the token alone. `Origin: null` is decided by `Sec-Fetch-Site` (see `isSameOrigin`).
 *
 * The token is not bound to the session; it protects the sign-in and sign-up forms too (login
 * CSRF), where there is no session yet. It is replaced whenever the signed-in identity changes.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Deadbolt } from "../deadbolt.js";
import type { CookieSettings } from "../http/cookies.js";
import { isSameOrigin } from "../http/plugins/csrf.js";
import { html, type SafeHtml } from "./html.js";

/** The name of the hidden form field. */
export const CSRF_FIELD = "csrf";

/** Bytes of randomness per token (256 bits). */
const TOKEN_BYTES = 32;

/** base64url of 32 bytes: 43 characters, no padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whether a value looks like a token this module issued. */
export function isWellFormedCSRFToken(value: unknown): value is string {
	return typeof value === "string" && TOKEN_PATTERN.test(value);
}

/**
 * The request's form token: the cookie's when it is well-formed, otherwise a new one, set as
 * a cookie on the reply. Call once per rendered page that contains a POST form.
 */
export function ensureCSRFToken(request: FastifyRequest, reply: FastifyReply, cookies: CookieSettings): string {
	const existing = request.cookies[cookies.csrfName];
	if (isWellFormedCSRFToken(existing)) return existing;
	const token = randomBytes(TOKEN_BYTES).toString("base64url");
	// A browser-session cookie: the token lives as long as the browser, like the forms it protects.
	void reply.setCookie(cookies.csrfName, token, cookies.options());
	// Later renders in the same request (none today) see the same token.
	request.cookies[cookies.csrfName] = token;
	return token;
}

/**
 * Replaces the form token with a new one (at sign-in, sign-up and sign-out), so a token
 * planted or seen before the change of identity is worthless afterwards. Forms still open in
 * other tabs then get the "form already sent or out of date" page and a way back.
 */
export function rotateCSRFToken(request: FastifyRequest, reply: FastifyReply, cookies: CookieSettings): void {
	const token = randomBytes(TOKEN_BYTES).toString("base64url");
	void reply.setCookie(cookies.csrfName, token, cookies.options());
	request.cookies[cookies.csrfName] = token;
}

/** The hidden input carrying the token, for every POST form. */
export function csrfField(token: string): SafeHtml {
	return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** Constant-time string equality; false on a length mismatch (which leaks only the length). */
function constantTimeEqual(a: string, b: string): boolean {
	const left = Buffer.from(a, "utf8");
	const right = Buffer.from(b, "utf8");
	if (left.length !== right.length) return false;
	return timingSafeEqual(left, right);
}

/** Whether the request says it comes from another site; without any signal the token alone decides. */
function isForeignOrigin(request: FastifyRequest, config: Deadbolt["config"]): boolean {
	return isSameOrigin(request, config) === false;
}

/**
 * Why a POST fails the CSRF check, each told apart so the page can say what happened:
 * `foreign_origin` (the Origin is another site's), `no_cookie` (the browser sent no form-token
 * cookie: cookies blocked, or none yet), `stale_form` (the form's token is not the current one: a
 * reload re-sent a form already used, or another tab's sign-in renewed the token).
 */
export type CSRFRejection = "foreign_origin" | "no_cookie" | "stale_form";

/**
 * Checks a POST: the `csrf` field equals the cookie (both well-formed), and the Origin is not a
 * foreign one.
 * @returns null when it passes, else why not
 */
export function csrfRejection(request: FastifyRequest, config: Deadbolt["config"], cookies: CookieSettings): CSRFRejection | null {
	if (isForeignOrigin(request, config)) return "foreign_origin";
	const cookie = request.cookies[cookies.csrfName];
	if (!isWellFormedCSRFToken(cookie)) return "no_cookie";
	const body = request.body;
	const field = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
	if (typeof field !== "string" || !constantTimeEqual(field, cookie)) return "stale_form";
	return null;
}
