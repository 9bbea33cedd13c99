/**
 * `POST /api/v1/introspect` (issue 12 item 8): a backend asks whether a token is live and whose it
 * is. Authenticated with `Authorization: Bearer <one of keys.introspectionKeys>` (404 when none is
 * configured, 401 for a wrong key). Body `{ "token": "..." }`: a session token, the forward-auth
 * cookie's value, or a personal access token. Answer (200 either way):
 * `{ active: false }` or `{ active: true, account: { id, email, emailVerified, groups },
 * session: { id, aal, amr, authTime, secondFactorAt } | null, accessToken: { id, aal, amr, createdAt } | null }`
 * (times ISO 8601; one of `session` and `accessToken` is set). Never cached: the very next call after a sign-out says `active: false`.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Unauthenticated } from "../../errors.js";
import { toISO } from "../../service/deps.js";
import { bearerToken } from "../plugins/session.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";

const IntrospectionSchema = Type.Union([
	Type.Object({ active: Type.Literal(false) }, { additionalProperties: false }),
	Type.Object(
		{
			active: Type.Literal(true),
			account: Type.Object({ id: Type.String(), email: Type.String(), emailVerified: Type.Boolean(), groups: Type.Array(Type.String()) }, { additionalProperties: false }),
			session: Type.Union([
				Type.Null(),
				Type.Object(
					{ id: Type.String(), aal: Type.Union([Type.Literal("aal1"), Type.Literal("aal2")]), amr: Type.Array(Type.String()), authTime: Type.String(), secondFactorAt: Type.Union([Type.String(), Type.Null()]) },
					{ additionalProperties: false },
				),
			]),
			accessToken: Type.Union([
				Type.Null(),
				Type.Object({ id: Type.String(), aal: Type.Union([Type.Literal("aal1"), Type.Literal("aal2")]), amr: Type.Array(Type.String()), createdAt: Type.String() }, { additionalProperties: false }),
			]),
		},
		{ additionalProperties: false },
	),
]);

/** The introspection route (its own key; no session). */
export const introspectionRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.post(
		"/introspect",
		{
			config: { sessionless: true },
			onRequest: async (request: FastifyRequest) => {
				try {
					deadbolt.verifyIntrospectionKey(bearerToken(request));
				} catch (error) {
					if (error instanceof Unauthenticated) request.log.warn({ event: "introspection.refused", ip: request.ip }, "introspection key refused");
					throw error;
				}
			},
			schema: {
				summary: "Introspect a token",
				description: "A session token, the forward-auth cookie's value, or a personal access token: `active: true` with the account and the session or token, or `active: false` for anything else (unknown, ended, expired, revoked alike). Never cached. 404 when no introspection key is configured.",
				tags: ["introspection"],
				security: [{introspectionKey: []}],
				body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false, examples: [{ token: "AbCdEfGhIjKlMnOp.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b" }] }),
				response: { 200: IntrospectionSchema, ...errorResponses(["write"], "ERR_UNAUTHENTICATED", "ERR_NOT_FOUND") },
			},
		},
		async (request) => {
			const result = await deadbolt.introspect(request.body.token);
			if (!result.active) return { active: false as const };
			const { session, accessToken } = result;
			return {
				active: true as const,
				account: { ...result.account, groups: [...result.account.groups] },
				session: session === null ? null : { id: session.id, aal: session.aal, amr: [...session.amr], authTime: toISO(session.authTime), secondFactorAt: session.secondFactorAt === null ? null : toISO(session.secondFactorAt) },
				accessToken: accessToken === null ? null : { id: accessToken.id, aal: accessToken.aal, amr: [...accessToken.amr], createdAt: toISO(accessToken.createdAt) },
			};
		},
	);
};
