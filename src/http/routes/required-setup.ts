/**
 * The two-factor setup an operator requires, past the account's deadline
 * (`service/required-two-factor.ts`): no session exists yet, so a setup token stands in for it. The
 * token comes in the mailed link (after `POST /api/v1/login`), or in the answer to an operator's
 * sign-in link (`POST /api/v1/login/link`).
 * - `POST /api/v1/two-factor/totp/required-setup` `{setupToken}`: a new key (steps 2-3).
 * - `POST /api/v1/two-factor/totp/required-setup/confirm` `{setupToken, code}`: the code confirms it;
 *   the answer is the account's first session (AAL2) and its recovery codes, shown once.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { deliverSession } from "../deliver.js";
import { requestContext } from "../plugins/session.js";
import { NO_SECURITY } from "../openapi/document.js";
import { errorResponses } from "../openapi/error-responses.js";
import { CodeSchema, NewSessionSchema, PENDING_TOTP_KEY_PROPERTIES, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { enrollmentView } from "./totp.js";

const closed = { additionalProperties: false } as const;

/** Routes of the required setup (no session: the setup token is the credential). */
export const requiredSetupRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.post(
		"/two-factor/totp/required-setup",
		{
			schema: {
				summary: "Required two-factor setup: the key",
				description: "Enforced two-factor authentication past the account's deadline (`twoFactorPolicy`): no session exists yet, so the setup token (from the mailed link after `POST /login`, or `setup.setupToken` after `POST /login/link`) stands in for it. Answers the key to add to an authenticator app; asked again with the same token, the same key while it lives.",
				tags: ["two-factor"],
				security: NO_SECURITY,
				body: Type.Object({ setupToken: TokenSchema }, closed),
				response: {
					201: Type.Object(
						{
							email: Type.String({ description: "the account being set up" }),
							...PENDING_TOTP_KEY_PROPERTIES,
						},
						closed,
					),
					...errorResponses(["write", "credential"], "ERR_CHALLENGE_INVALID", "ERR_TOTP_ALREADY_ENABLED", "ERR_ACCOUNT_DISABLED"),
				},
			},
		},
		async (request, reply) => {
			const pending = await deadbolt.beginRequiredTOTPSetup({ setupToken: request.body.setupToken });
			return reply.status(201).send({ email: pending.email, ...enrollmentView(pending) });
		},
	);

	app.post(
		"/two-factor/totp/required-setup/confirm",
		{
			schema: {
				summary: "Required two-factor setup: confirm with a code",
				description: "A code from the new authenticator turns two-factor authentication on and signs in: the account's first session (AAL2) and its 10 recovery codes, shown **once**. The setup token works once.",
				tags: ["two-factor"],
				security: NO_SECURITY,
				body: Type.Object({ setupToken: TokenSchema, code: CodeSchema }, closed),
				response: {
					200: Type.Object({ status: Type.Literal("authenticated"), session: NewSessionSchema, recoveryCodes: Type.Array(Type.String()) }, closed),
					...errorResponses(["write", "credential"], "ERR_CHALLENGE_INVALID", "ERR_ENROLLMENT_INVALID", "ERR_INVALID_CODE", "ERR_TOTP_ALREADY_ENABLED", "ERR_ACCOUNT_DISABLED"),
				},
			},
		},
		async (request, reply) => {
			const completed = await deadbolt.confirmRequiredTOTPSetup({ setupToken: request.body.setupToken, code: request.body.code }, requestContext(request));
			const session = await deliverSession(request, reply, deadbolt, cookies, completed.session);
			return { status: "authenticated" as const, session, recoveryCodes: [...completed.recoveryCodes] };
		},
	);
};
