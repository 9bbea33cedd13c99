/**
 * "Forgot password" in the JSON API (issue 11 item 5, docs/http-api.md):
 * - `POST /api/v1/password/forgot` `{email}`: 202 with the same body whether or not the address has
 *   an account (429 `ERR_MAIL_LIMIT` only for too many requests from the client's IP);
 * - `POST /api/v1/password/reset/describe` `{token}`: what the link is for, without using it;
 * - `POST /api/v1/password/reset/code` `{token, code}`: for an account with 2FA, the authenticator
 *   code or a recovery code, before anything changes;
 * - `POST /api/v1/password/reset` `{token, newPassword, code?}`: sets the password (with `code`, the
 *   code step first, in the same call); 200, nobody is signed in: every session ended.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { EmailLinkInvalid } from "../../errors.js";
import { requestContext } from "../plugins/session.js";
import { CodeSchema, EmailSchema, PasswordSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { NO_SECURITY } from "../openapi/document.js";

const closed = { additionalProperties: false } as const;

/** The one message every reset request gets, whether or not the address has an account. */
const RESET_REQUESTED_MESSAGE = "If an account exists for that address, we sent a link to reset its password. Check your inbox (and spam folder).";

/** Password-reset routes. */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.post(
		"/password/forgot",
		{ schema: {
				summary: "Forgot password: mail a reset link",
				description: "The same 202 whether or not the address has an account. 429 only for too many requests from the client's IP.",
				tags: ["password-reset"],
				security: NO_SECURITY,
				body: Type.Object({ email: EmailSchema }, { ...closed, examples: [{ email: "ada@example.com" }] }), response: { 202: Type.Object({ status: Type.Literal("requested"), message: Type.String() }, closed), ...errorResponses(["write", "credential"], "ERR_MAIL_LIMIT") } } },
		async (request, reply) => {
			await deadbolt.requestPasswordReset({ email: request.body.email }, requestContext(request));
			return reply.status(202).send({ status: "requested", message: RESET_REQUESTED_MESSAGE });
		},
	);

	app.post(
		"/password/reset/describe",
		{ schema: {
				summary: "What a reset link is for",
				description: "Uses nothing: the address, and whether a second factor is needed.",
				tags: ["password-reset"],
				security: NO_SECURITY,
				body: Type.Object({ token: TokenSchema }, closed), response: { 200: Type.Object({ email: Type.String(), secondFactorRequired: Type.Boolean() }, closed), ...errorResponses(["write"], "ERR_EMAIL_LINK_INVALID", "ERR_ACCOUNT_DISABLED") } } },
		async (request) => {
			const view = await deadbolt.describePasswordReset(request.body.token);
			if (view === null) throw new EmailLinkInvalid(undefined, { reason: "unknown_used_or_expired" });
			return { email: view.email, secondFactorRequired: view.needsSecondFactor };
		},
	);

	app.post(
		"/password/reset/code",
		{
			schema: {
				summary: "Reset: prove the second factor",
				description: "For an account with 2FA, the authenticator code or a recovery code, before anything changes (the sign-in code step's protections apply).",
				tags: ["password-reset"],
				security: NO_SECURITY,
				body: Type.Object({ token: TokenSchema, code: CodeSchema }, closed),
				response: { 200: Type.Object({ secondFactor: Type.Union([Type.Literal("totp"), Type.Literal("recovery_code"), Type.Literal("not_needed"), Type.Literal("already_proved")]) }, closed), ...errorResponses(["write", "credential"], "ERR_EMAIL_LINK_INVALID", "ERR_INVALID_CODE", "ERR_ACCOUNT_DISABLED") },
			},
		},
		async (request) => ({ secondFactor: await deadbolt.provePasswordResetSecondFactor({ token: request.body.token, code: request.body.code }, requestContext(request)) }),
	);

	app.post(
		"/password/reset",
		{
			schema: {
				summary: "Reset: set the new password",
				description: "With `code`, the code step first. Every session, remembered device, sign-in, link and personal access token of the account ends; no session is made: sign in with the new password.",
				tags: ["password-reset"],
				security: NO_SECURITY,
				body: Type.Object({ token: TokenSchema, newPassword: PasswordSchema, code: Type.Optional(CodeSchema) }, closed),
				response: { 200: Type.Object({ status: Type.Literal("password_reset"), sessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer(), accessTokensRevoked: Type.Integer() }, closed), ...errorResponses(["write", "credential"], "ERR_EMAIL_LINK_INVALID", "ERR_INVALID_CODE", "ERR_ACCOUNT_DISABLED") },
			},
		},
		async (request) => {
			const { token, newPassword, code } = request.body;
			const context = requestContext(request);
			if (code !== undefined) await deadbolt.provePasswordResetSecondFactor({ token, code }, context);
			const outcome = await deadbolt.resetPassword({ token, newPassword }, context);
			return { status: "password_reset" as const, sessionsRevoked: outcome.sessionsRevoked, trustedDevicesRevoked: outcome.trustedDevicesRevoked, accessTokensRevoked: outcome.accessTokensRevoked };
		},
	);
};
