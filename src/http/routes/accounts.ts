/** `POST /api/v1/accounts`: sign up (and be signed in). */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { deliverSession } from "../deliver.js";
import { requestContext } from "../plugins/session.js";
import { AccountSchema, EmailSchema, ERROR_RESPONSES, NewSessionSchema, PasswordSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";

/** Account routes. */
export const accountRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.post(
		"/accounts",
		{
			schema: {
				body: Type.Object({ email: EmailSchema, password: PasswordSchema }, { additionalProperties: false }),
				response: { 201: Type.Object({ account: AccountSchema, session: NewSessionSchema }), ...ERROR_RESPONSES },
			},
		},
		async (request, reply) => {
			const { account, session } = await deadbolt.registerAccount({ email: request.body.email, password: request.body.password }, requestContext(request));
			const view = await deliverSession(request, reply, deadbolt, cookies, session!);
			return reply.status(201).send({ account: { id: account.id, email: account.email, twoFactorEnabled: false, hasPassword: true }, session: view });
		},
	);
};
