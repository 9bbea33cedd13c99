/**
 * The address of an account, in the JSON API (issue 11 item 4):
 * - `POST /api/v1/account/email/verification` (signed in): mail a new verification link ("Resend");
 * - `POST /api/v1/email/verify` `{token}`: use a verification link (signed in or not);
 * - `POST /api/v1/account/email` `{newEmail}` (signed in, recently re-authenticated): mail a
 *   confirmation link to the new address;
 * - `POST /api/v1/email/change/approve` `{token}`: approve the change from the current address (an
 *   account whose second factor is not confirmed by mail is asked to); the new address gets its link;
 * - `POST /api/v1/email/confirm` `{token}`: use that link; the address changes;
 * - `POST /api/v1/sign-up/finish` `{token, password}`: use a sign-up link (mode `verified`) with the
 *   password chosen at sign-up: the account is made and signed in.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { deliverSession } from "../deliver.js";
import { authOf, requestContext, requireSession } from "../plugins/session.js";
import { AccountSchema, EmailSchema, NewSessionSchema, PasswordSchema, requiredSetupAnswer, RequiredSetupAnswerSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { OPTIONAL_SESSION_SECURITY, SESSION_SECURITY } from "../openapi/document.js";

const closed = { additionalProperties: false } as const;
const TokenBody = Type.Object({ token: TokenSchema }, closed);

/** Address routes. */
export const emailRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.post(
		"/account/email/verification",
		{ onRequest: requireSession, schema: {
				summary: "Resend the verification link",
				description: "Mails a new link to verify the account's address (`already_verified` when it is).",
				tags: ["account"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ status: Type.Union([Type.Literal("sent"), Type.Literal("already_verified")]) }, closed), ...errorResponses(["write", "session"], "ERR_MAIL_LIMIT") } } },
		async (request) => ({ status: await deadbolt.resendVerificationMail(authOf(request), requestContext(request)) }),
	);

	app.post(
		"/email/verify",
		{ schema: {
				summary: "Verify the address (a mailed link)",
				description: "Signed in or not.",
				tags: ["account"],
				security: OPTIONAL_SESSION_SECURITY,
				body: TokenBody, response: { 200: Type.Object({ email: Type.String(), emailVerified: Type.Literal(true) }, closed), ...errorResponses(["write"], "ERR_EMAIL_LINK_INVALID") } } },
		async (request) => {
			const verified = await deadbolt.verifyEmail({ token: request.body.token }, requestContext(request));
			return { email: verified.email, emailVerified: true as const };
		},
	);

	app.post(
		"/account/email",
		{
			onRequest: requireSession,
			schema: {
				summary: "Change the address",
				description: "Needs a recent re-authentication. Mails a confirmation link to the new address (or, for an account whose second factor is not confirmed by mail, an approval link to the current one first); nothing changes until it is used. An address of another account gets the same answer and no mail.",
				tags: ["account"],
				security: SESSION_SECURITY,
				body: Type.Object({ newEmail: EmailSchema }, closed),
				response: { 202: Type.Object({ status: Type.Union([Type.Literal("confirmation_sent"), Type.Literal("approval_sent")]), message: Type.String() }, closed), ...errorResponses(["write", "session", "credential"], "ERR_REAUTH_REQUIRED", "ERR_MAIL_LIMIT") },
			},
		},
		async (request, reply) => {
			const status = await deadbolt.requestEmailChange(authOf(request), { newEmail: request.body.newEmail }, requestContext(request));
			const message =
				status === "approval_sent"
					? "We sent a link to your current address to approve the change; then the new address gets its own link. Your address changes when you open that one."
					: "We sent a link to the new address. Your address changes when you open it.";
			return reply.status(202).send({ status, message });
		},
	);

	app.post(
		"/email/change/approve",
		{ schema: {
				summary: "Approve an address change (a mailed link)",
				description: "From the current address: the new address then gets its confirmation link.",
				tags: ["account"],
				security: OPTIONAL_SESSION_SECURITY,
				body: TokenBody, response: { 200: Type.Object({ status: Type.Literal("confirmation_sent") }, closed), ...errorResponses(["write"], "ERR_EMAIL_LINK_INVALID", "ERR_MAIL_LIMIT") } } },
		async (request) => {
			await deadbolt.approveEmailChange({ token: request.body.token }, requestContext(request));
			return { status: "confirmation_sent" as const };
		},
	);

	app.post(
		"/email/confirm",
		{ schema: {
				summary: "Confirm the new address (a mailed link)",
				description: "The address changes; the old address is told.",
				tags: ["account"],
				security: OPTIONAL_SESSION_SECURITY,
				body: TokenBody, response: { 200: Type.Object({ email: Type.String(), emailVerified: Type.Literal(true) }, closed), ...errorResponses(["write"], "ERR_EMAIL_LINK_INVALID", "ERR_EMAIL_TAKEN") } } },
		async (request) => {
			const changed = await deadbolt.confirmEmailChange({ token: request.body.token }, requestContext(request));
			return { email: changed.email, emailVerified: true as const };
		},
	);

	app.post(
		"/sign-up/finish",
		{ schema: {
				summary: "Finish a sign-up (mode `verified`)",
				description: "The mailed link's token and the password chosen at sign-up, typed again: the account is made, verified, and signed in (201). When two-factor authentication is required at once (`twoFactorPolicy` with `gracePeriodDays: 0`): 202 `two_factor_setup_required` with the `setupToken`, and no session until the setup is confirmed.",
				tags: ["account"],
				security: OPTIONAL_SESSION_SECURITY,
				body: Type.Object({ token: TokenSchema, password: PasswordSchema }, closed), response: { 201: Type.Object({ account: AccountSchema, session: NewSessionSchema }, closed), 202: RequiredSetupAnswerSchema, ...errorResponses(["write", "credential"], "ERR_EMAIL_LINK_INVALID", "ERR_INVALID_CREDENTIALS", "ERR_EMAIL_TAKEN") } } },
		async (request, reply) => {
			const { account, session, setup } = await deadbolt.finishSignUp({ token: request.body.token, password: request.body.password }, requestContext(request));
			if (session === null) return reply.status(202).send(requiredSetupAnswer(setup));
			const view = await deliverSession(request, reply, deadbolt, cookies, session);
			return reply.status(201).send({ account: { id: account.id, email: account.email, twoFactorEnabled: false, hasPassword: true, emailVerified: true, groups: [...account.groups] }, session: view });
		},
	);
};
