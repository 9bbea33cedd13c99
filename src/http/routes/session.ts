/** `GET /api/v1/session`: who is signed in, at what assurance level (for integrators' backends too). */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toISO } from "../../service/deps.js";
import { authOf, requireSession } from "../plugins/session.js";
import { AccountSchema, SessionSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { SESSION_SECURITY } from "../openapi/document.js";

/** Current-session routes (protected). */
export const sessionRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.addHook("onRequest", requireSession);
	app.get(
		"/session",
		{ schema: {
				summary: "The current session",
				description: "Who is signed in, and at what assurance level (`aal` 1: password or link only; 2: a second factor proved). Integrators' backends call it with the user's token.",
				tags: ["account"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ account: AccountSchema, session: SessionSchema }), ...errorResponses(["session"]) } } },
		async (request) => {
			const auth = authOf(request);
			const { account, session } = auth;
			// Read with the session (one statement) when the session plugin's check read it.
			const twoFactorEnabled = auth.twoFactorEnabled ?? (await deadbolt.isTwoFactorEnabled(account.id));
			const requirement = deadbolt.twoFactorRequirementOf(account, twoFactorEnabled);
			return {
				account: {
					id: account.id,
					email: account.email,
					twoFactorEnabled,
					hasPassword: account.passwordHash !== null,
					emailVerified: account.emailVerifiedAt !== null,
					groups: [...account.groups],
					...(requirement.deadline === null ? {} : { twoFactorRequired: { deadline: toISO(requirement.deadline) } }),
				},
				session: {
					id: session.id,
					aal: session.aal,
					createdAt: toISO(session.createdAt),
					reauthenticatedAt: toISO(session.reauthenticatedAt),
					expiresAt: toISO(session.expiresAt),
					idleExpiresAt: toISO(session.lastActiveAt + deadbolt.config.session.idleTtlSeconds * 1000),
				},
			};
		},
	);
};
