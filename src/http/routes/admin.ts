/**
 * The admin API, for an integrator's backend (never for browsers): create an account without a
 * password and issue one-time sign-in links, e.g. after a social sign-in on the integrator's own
 * site. Every request carries `Authorization: Bearer <DEADBOLT_ADMIN_API_KEY>`; without a key
 * configured these routes answer 404, as if absent (the check: `service/operator.ts`). Webhook
 * endpoints and the delivery log are in `admin-webhooks.ts`, behind the same check.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Unauthenticated } from "../../errors.js";
import { toISO } from "../../service/deps.js";
import { bearerToken, requestContext } from "../plugins/session.js";
import { signInLinkURL } from "../public-url.js";
import { AccountSchema, EmailSchema, ERROR_RESPONSES } from "../schemas.js";
import { adminWebhookRoutes } from "./admin-webhooks.js";
import type { RouteOptions } from "./context.js";

const closed = { additionalProperties: false } as const;

/** Admin routes under `/api/v1/admin`. */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.addHook("onRequest", async (request: FastifyRequest) => {
		try {
			deadbolt.verifyAdminAPIKey(bearerToken(request));
		} catch (error) {
			if (error instanceof Unauthenticated) request.log.warn({ event: "admin.refused", ip: request.ip }, "admin API key refused");
			throw error;
		}
	});

	app.post(
		"/admin/accounts",
		{
			schema: {
				body: Type.Object({ email: EmailSchema }, closed),
				response: { 201: Type.Object({ account: AccountSchema }, closed), ...ERROR_RESPONSES },
			},
		},
		async (request, reply) => {
			const account = await deadbolt.createAccountWithoutPassword(request.body.email, requestContext(request));
			return reply.status(201).send({ account: { id: account.id, email: account.email, twoFactorEnabled: false, hasPassword: false } });
		},
	);

	app.post(
		"/admin/sign-in-links",
		{
			schema: {
				body: Type.Object({ email: EmailSchema }, closed),
				response: {
					201: Type.Object(
						{
							accountId: Type.String(),
							url: Type.String({ description: "The dashboard link to give the user; it asks them to continue before it is used." }),
							token: Type.String({ description: "The same link's token, for an integrator UI that calls POST /api/v1/login/link itself." }),
							expiresAt: Type.String({ format: "date-time" }),
						},
						closed,
					),
					...ERROR_RESPONSES,
				},
			},
		},
		async (request, reply) => {
			const link = await deadbolt.issueSignInLink(request.body.email, requestContext(request));
			return reply.status(201).send({ accountId: link.accountId, url: signInLinkURL(deadbolt.publicOrigin, link.token), token: link.token, expiresAt: toISO(link.expiresAt) });
		},
	);

	// A child context: it inherits the key check above.
	await app.register(adminWebhookRoutes, { deadbolt, cookies });
};
