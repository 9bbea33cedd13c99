/**
 * `POST /api/v1/accounts`: sign up, as `signUp.mode` says. `open`: 201 with the account (its address
 * unverified, a verification link mailed) and a session. `verified`: 202 `{status:
 * "verification_sent"}` whether or not the address has an account (no enumeration); the mailed link
 * finishes it (`POST /api/v1/sign-up/finish`). `closed`: 403 `ERR_SIGN_UP_CLOSED`.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { deliverSession } from "../deliver.js";
import { requestContext } from "../plugins/session.js";
import { AccountSchema, EmailSchema, NewSessionSchema, PasswordSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { NO_SECURITY } from "../openapi/document.js";

/** The answer of a sign-up that mailed a link (mode `verified`), the same for every address. */
export const VERIFICATION_SENT_BODY = Object.freeze({
	status: "verification_sent" as const,
	message: "Check your email: we sent a link to finish creating your account. If this address already has an account, we sent its owner a note instead.",
});

/** Account routes. */
export const accountRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.post(
		"/accounts",
		{
			schema: {
				summary: "Sign up",
				description: "As `signUp.mode` says. `open`: 201, signed in (a verification link is mailed); but when two-factor authentication is required at once (`twoFactorPolicy` with `gracePeriodDays: 0`), as `verified` (202): no session can exist before the setup, and the mailed link, used with the password typed again, leads to it. `verified`: 202 with the same body whether or not the address has an account; the mailed link finishes it (`POST /api/v1/sign-up/finish`). `closed`: 403. Passwords: 8 to 256 characters, not a common one, not the email.",
				tags: ["account"],
				security: NO_SECURITY,
				body: Type.Object({ email: EmailSchema, password: PasswordSchema }, { additionalProperties: false, examples: [{ email: "ada@example.com", password: "correct horse battery staple" }] }),
				response: {
					201: Type.Object({ account: AccountSchema, session: NewSessionSchema }),
					202: Type.Object({ status: Type.Literal("verification_sent"), message: Type.String() }, { additionalProperties: false }),
					...errorResponses(["write", "credential"], "ERR_EMAIL_TAKEN", "ERR_SIGN_UP_CLOSED"),
				},
			},
		},
		async (request, reply) => {
			const result = await deadbolt.signUp({ email: request.body.email, password: request.body.password }, requestContext(request));
			if (result.kind === "verification_sent") return reply.status(202).send({ ...VERIFICATION_SENT_BODY });
			const view = await deliverSession(request, reply, deadbolt, cookies, result.session);
			return reply.status(201).send({ account: { id: result.account.id, email: result.account.email, twoFactorEnabled: false, hasPassword: true, emailVerified: result.account.emailVerifiedAt !== null, groups: [...result.account.groups] }, session: view });
		},
	);
};
