/**
 * TOTP enrollment: `POST /api/v1/two-factor/totp/enrollment` (password re-confirmed inline, or
 * within the re-authentication window) and `POST .../enrollment/confirm` (a code turns 2FA on;
 * recovery codes are returned once); the confirmation by mail that forward-auth `two_factor` rules
 * need (`service/two-factor-mail-confirmation.ts`): `POST /api/v1/two-factor/totp/mail-confirmation`
 * (a session at AAL2) mails the link, `POST .../mail-confirmation/confirm` `{token}` (a session at
 * AAL2 of the same account) uses it.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toISO } from "../../service/deps.js";
import type { PendingEnrollment } from "../../service/totp-enrollment.js";
import { authOf, requestContext, requireSession } from "../plugins/session.js";
import { deliverRotatedSession } from "../deliver.js";
import { CodeSchema, ERROR_RESPONSES, PasswordSchema, RotatedSessionSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";

const closed = { additionalProperties: false } as const;

/** What a client shows to add a pending key to an authenticator app (the enrollment's and the required setup's answers). */
export function enrollmentView(pending: Omit<PendingEnrollment, "sessionToken">) {
	return {
		secret: pending.secret,
		keyUri: pending.keyURI,
		qrSvg: pending.qrSvg,
		algorithm: pending.algorithm,
		digits: pending.digits,
		periodSeconds: pending.periodSeconds,
		compatibilityWarning: pending.compatibilityWarning,
		expiresAt: toISO(pending.expiresAt),
	};
}

/** TOTP routes (protected). */
export const totpRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.addHook("onRequest", requireSession);

	app.post(
		"/two-factor/totp/enrollment",
		{
			schema: {
				body: Type.Union([
					Type.Object(
						{
							password: Type.Optional(PasswordSchema),
							newPassword: Type.Optional(PasswordSchema),
							name: Type.Optional(Type.String({ maxLength: 256, description: "A name for this authenticator (\"Work phone\"), at most 64 characters; shown in the list of authenticators." })),
							purpose: Type.Optional(
								Type.Union([Type.Literal("add"), Type.Literal("replace")], {
									description: "With 2FA on only: \"replace\" (the default) moves to a new phone, the account's other authenticators are removed on confirmation; \"add\" adds another authenticator beside them (at most 5).",
								}),
							),
						},
						closed,
					),
					Type.Null(),
				]),
				response: {
					201: Type.Object(
						{
							secret: Type.String(),
							keyUri: Type.String(),
							qrSvg: Type.String(),
							algorithm: Type.String(),
							digits: Type.Integer(),
							periodSeconds: Type.Integer(),
							compatibilityWarning: Type.Union([Type.String(), Type.Null()], { description: "With settings other than SHA1, 6 digits, 30 s: show it; several apps ignore them. null otherwise." }),
							expiresAt: Type.String({ format: "date-time" }),
							session: Type.Optional(RotatedSessionSchema),
						},
						closed,
					),
					...ERROR_RESPONSES,
				},
			},
		},
		async (request, reply) => {
			const { account, session } = authOf(request);
			const { password, newPassword, name, purpose } = request.body ?? {};
			const input = { ...(password === undefined ? {} : { password }), ...(newPassword === undefined ? {} : { newPassword }), ...(name === undefined ? {} : { name }), ...(purpose === undefined ? {} : { purpose }) };
			const pending = await deadbolt.beginTOTPEnrollment(account, session, input, requestContext(request));
			return reply.status(201).send({
				...enrollmentView(pending),
				...(pending.sessionToken === null ? {} : { session: deliverRotatedSession(request, reply, deadbolt, cookies, session.id, pending.sessionToken) }),
			});
		},
	);

	app.post(
		"/two-factor/totp/enrollment/confirm",
		{
			schema: {
				body: Type.Object({ code: CodeSchema }, closed),
				response: {
					200: Type.Object(
						{
							recoveryCodes: Type.Array(Type.String()),
							replaced: Type.Boolean({ description: "true: a new phone; the account's other authenticators were removed" }),
							added: Type.Boolean({ description: "true: added beside the account's other authenticators" }),
							authenticatorId: Type.String(),
							session: RotatedSessionSchema,
						},
						closed,
					),
					...ERROR_RESPONSES,
				},
			},
		},
		async (request, reply) => {
			const { account, session } = authOf(request);
			const confirmed = await deadbolt.confirmTOTPEnrollment(account, session, { code: request.body.code }, requestContext(request));
			return { recoveryCodes: [...confirmed.recoveryCodes], replaced: confirmed.replaced, added: confirmed.added, authenticatorId: confirmed.authenticatorId, session: deliverRotatedSession(request, reply, deadbolt, cookies, session.id, confirmed.sessionToken) };
		},
	);

	app.post(
		"/two-factor/totp/mail-confirmation",
		{ schema: { response: { 200: Type.Object({ status: Type.Union([Type.Literal("sent"), Type.Literal("already_confirmed")]) }, closed), ...ERROR_RESPONSES } } },
		async (request) => ({ status: await deadbolt.requestTwoFactorMailConfirmation(authOf(request), requestContext(request)) }),
	);

	app.post(
		"/two-factor/totp/mail-confirmation/confirm",
		{ schema: { body: Type.Object({ token: TokenSchema }, closed), response: { 200: Type.Object({ confirmed: Type.Literal(true) }, closed), ...ERROR_RESPONSES } } },
		async (request) => {
			await deadbolt.confirmTwoFactorByMail(authOf(request), { token: request.body.token }, requestContext(request));
			return { confirmed: true as const };
		},
	);
};
