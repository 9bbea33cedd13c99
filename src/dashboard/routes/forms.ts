/**
 * Reading a dashboard form and answering it: one string field of the urlencoded body, one query
 * parameter, a page (HTML with its status) or a redirect, the messages of fields left empty, and
 * the answer to a refused password or code. Every route file of the dashboard uses these; none
 * reads `request.body` or builds a response on its own.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { InvalidCode, InvalidCredentials, TooManyAttempts } from "../../errors.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import type { SafeHtml } from "../html.js";
import { PATHS } from "../layout.js";

/** One string field of a urlencoded form body ("" when missing or repeated). */
export function formField(request: FastifyRequest, name: string): string {
	const body = request.body;
	if (typeof body !== "object" || body === null) return "";
	const value = (body as Record<string, unknown>)[name];
	return typeof value === "string" ? value : "";
}

/** One string query parameter (null when missing or repeated). */
export function queryParam(request: FastifyRequest, name: string): string | null {
	const query = request.query;
	if (typeof query !== "object" || query === null) return null;
	const value = (query as Record<string, unknown>)[name];
	return typeof value === "string" ? value : null;
}

/** Answers with a rendered page and its HTTP status. */
export function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
	return reply.status(status).type("text/html; charset=utf-8").send(page.value);
}

/** Redirect after a POST (the browser follows with a GET): 303 See Other. */
export function seeOther(reply: FastifyReply, url: string): FastifyReply {
	return reply.redirect(url, 303);
}

/** Sets `Retry-After` (seconds) from a refusal for too many attempts, and returns its message for the form. */
export function tooManyMessage(reply: FastifyReply, error: TooManyAttempts): string {
	void reply.header("retry-after", String(error.retryAfterSeconds));
	return error.message;
}

/** What a form says for a field left empty. */
export const EMPTY_FIELD = Object.freeze({
	password: "Enter your password.",
	newPassword: "Choose a password.",
	secondFactor: "Enter the code from your authenticator app, or a recovery code.",
	authenticatorCode: "Enter the 6-digit code from your authenticator app.",
});

/** The errors of a form that asks for the password and a second factor (the keys of `ReauthState`). */
export interface CredentialErrors {
	readonly passwordError?: string | null;
	readonly codeError?: string | null;
	readonly error?: string | null;
}

/**
 * The errors for a password and code left empty, or null when both are there (the code only
 * counts when `needsCode`).
 */
export function emptyCredentials(password: string, code: string, needsCode: boolean): CredentialErrors | null {
	const missingCode = needsCode && code.trim() === "";
	if (password !== "" && !missingCode) return null;
	return { passwordError: password === "" ? EMPTY_FIELD.password : null, codeError: missingCode ? EMPTY_FIELD.secondFactor : null };
}

/**
 * The answer to a refused password or second factor: which field shows the service's message and
 * with which status (401 for a wrong password or code, 429 with `Retry-After` for too many
 * attempts), or null for any other error (the caller decides).
 */
export function credentialRefusal(reply: FastifyReply, error: unknown): { readonly status: number; readonly errors: CredentialErrors } | null {
	if (error instanceof InvalidCredentials) return { status: 401, errors: { passwordError: error.message } };
	if (error instanceof InvalidCode) return { status: 401, errors: { codeError: error.message } };
	if (error instanceof TooManyAttempts) return { status: 429, errors: { error: tooManyMessage(reply, error) } };
	return null;
}

/** A handler for a signed-in user. */
export type SignedInHandler = (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession) => Promise<FastifyReply>;

/** A form's POST handler for signed-in users; anyone else is sent to sign in (303). */
export function signedInForm(handler: SignedInHandler): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
	return async (request, reply) => (request.auth === null ? seeOther(reply, PATHS.signIn) : handler(request, reply, request.auth));
}

/** A page's GET handler for signed-in users; anyone else is sent to sign in (302). */
export function signedInPage(handler: SignedInHandler): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
	return async (request, reply) => (request.auth === null ? reply.redirect(PATHS.signIn, 302) : handler(request, reply, request.auth));
}
