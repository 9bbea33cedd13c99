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
import { CodeSchema, PasswordSchema, PENDING_TOTP_KEY_PROPERTIES, RotatedSessionSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { SESSION_SECURITY } from "../openapi/document.js";

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
				summary: "Set up two-factor authentication: step 1",
				description: "Confirms the password (`password`; not needed within 5 minutes of a sign-in or re-authentication) or sets the first one (`newPassword`, an account made without one), then creates a pending authenticator bound to this session: show the QR code and the secret. Nothing is on yet. With 2FA on, starts a move to a new phone (`purpose` \"replace\", the default) or adds another authenticator (`purpose` \"add\", at most 5; needs a recent re-authentication with a code). When the password was proved the session goes on under a new token (`session.token`).",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
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
				], { examples: [{ password: "correct horse battery staple" }] }),
				response: {
					201: Type.Object(
						{
							...PENDING_TOTP_KEY_PROPERTIES,
							session: Type.Optional(RotatedSessionSchema),
						},
						closed,
					),
					...errorResponses(["write", "session", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_REAUTH_REQUIRED", "ERR_TOTP_ALREADY_ENABLED"),
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
				summary: "Set up two-factor authentication: confirm with a code",
				description: "A code from the new authenticator turns 2FA on: the 10 recovery codes are returned **once**, other sessions end, this one goes on under a new token. When moving to a new phone: `replaced: true`; when adding another authenticator: `added: true`; neither makes new recovery codes. A refused code says why (`reason`).",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				body: Type.Object({ code: CodeSchema }, { ...closed, examples: [{ code: "123456" }] }),
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
					...errorResponses(["write", "session", "credential"], "ERR_INVALID_CODE", "ERR_ENROLLMENT_INVALID", "ERR_TOO_MANY_ATTEMPTS"),
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
		{ schema: {
				summary: "Mail the link that confirms the authenticator",
				description: "For forward-auth `two_factor` rules: mails a link to the verified address (needs a session at AAL2). `already_confirmed` when done before.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ status: Type.Union([Type.Literal("sent"), Type.Literal("already_confirmed")]) }, closed), ...errorResponses(["write", "session"], "ERR_SECOND_FACTOR_REQUIRED", "ERR_EMAIL_NOT_VERIFIED", "ERR_TOTP_NOT_ENABLED", "ERR_MAIL_LIMIT") } } },
		async (request) => ({ status: await deadbolt.requestTwoFactorMailConfirmation(authOf(request), requestContext(request)) }),
	);

	app.post(
		"/two-factor/totp/mail-confirmation/confirm",
		{ schema: {
				summary: "Use the link that confirms the authenticator",
				description: "The mailed token, from a session at AAL2 of the same account.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				body: Type.Object({ token: TokenSchema }, closed), response: { 200: Type.Object({ confirmed: Type.Literal(true) }, closed), ...errorResponses(["write", "session"], "ERR_EMAIL_LINK_INVALID", "ERR_SECOND_FACTOR_REQUIRED") } } },
		async (request) => {
			await deadbolt.confirmTwoFactorByMail(authOf(request), { token: request.body.token }, requestContext(request));
			return { confirmed: true as const };
		},
	);
};
