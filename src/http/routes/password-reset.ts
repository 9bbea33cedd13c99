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
import { CodeSchema, EmailSchema, ERROR_RESPONSES, PasswordSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";

const closed = { additionalProperties: false } as const;

/** The one message every reset request gets, whether or not the address has an account. */
const RESET_REQUESTED_MESSAGE = "If an account exists for that address, we sent a link to reset its password. Check your inbox (and spam folder).";

/** Password-reset routes. */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.post(
		"/password/forgot",
		{ schema: { body: Type.Object({ email: EmailSchema }, closed), response: { 202: Type.Object({ status: Type.Literal("requested"), message: Type.String() }, closed), ...ERROR_RESPONSES } } },
		async (request, reply) => {
			await deadbolt.requestPasswordReset({ email: request.body.email }, requestContext(request));
			return reply.status(202).send({ status: "requested", message: RESET_REQUESTED_MESSAGE });
		},
	);

	app.post(
		"/password/reset/describe",
		{ schema: { body: Type.Object({ token: TokenSchema }, closed), response: { 200: Type.Object({ email: Type.String(), secondFactorRequired: Type.Boolean() }, closed), ...ERROR_RESPONSES } } },
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
				body: Type.Object({ token: TokenSchema, code: CodeSchema }, closed),
				response: { 200: Type.Object({ secondFactor: Type.Union([Type.Literal("totp"), Type.Literal("recovery_code"), Type.Literal("not_needed"), Type.Literal("already_proved")]) }, closed), ...ERROR_RESPONSES },
			},
		},
		async (request) => ({ secondFactor: await deadbolt.provePasswordResetSecondFactor({ token: request.body.token, code: request.body.code }, requestContext(request)) }),
	);

	app.post(
		"/password/reset",
		{
			schema: {
				body: Type.Object({ token: TokenSchema, newPassword: PasswordSchema, code: Type.Optional(CodeSchema) }, closed),
				response: { 200: Type.Object({ status: Type.Literal("password_reset"), sessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer(), accessTokensRevoked: Type.Integer() }, closed), ...ERROR_RESPONSES },
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
