/**
 * The account's authenticators (issue 14, `service/authenticators.ts`):
 * `GET /api/v1/two-factor/totp/authenticators` lists them (name, added, last used; never a key),
 * `PATCH .../authenticators/:authenticatorId` `{name}` renames one, `DELETE .../:authenticatorId`
 * removes one (both factors proved recently; never the last one: `ERR_LAST_AUTHENTICATOR`). A new
 * one is added by the enrollment with `purpose: "add"` (`totp.ts`).
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toISO } from "../../service/deps.js";
import type { AuthenticatorView } from "../../service/authenticators.js";
import { authOf, requestContext, requireSession } from "../plugins/session.js";
import { SESSION_SECURITY } from "../openapi/document.js";
import { errorResponses } from "../openapi/error-responses.js";
import type { RouteOptions } from "./context.js";

const closed = { additionalProperties: false } as const;

const AuthenticatorSchema = Type.Object(
	{
		id: Type.String(),
		name: Type.Union([Type.String(), Type.Null()], { description: "the name its owner gave it; null: none (show \"Authenticator app\")" }),
		addedAt: Type.String({ format: "date-time" }),
		lastUsedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "when a code of it was last accepted; null: never" }),
	},
	closed,
);

const AuthenticatorParams = Type.Object({ authenticatorId: Type.String({ minLength: 1, maxLength: 128 }) }, closed);

function toJSON(view: AuthenticatorView) {
	return { id: view.id, name: view.name, addedAt: toISO(view.addedAt), lastUsedAt: view.lastUsedAt === null ? null : toISO(view.lastUsedAt) };
}

/** Authenticator routes (protected). */
export const authenticatorRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.addHook("onRequest", requireSession);

	app.get(
		"/two-factor/totp/authenticators",
		{
			schema: {
				summary: "List the account's authenticators",
				description: "Each authenticator app of the account (up to 5), oldest first: its name, when it was added and when a code of it was last accepted. A key is never shown again.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ authenticators: Type.Array(AuthenticatorSchema) }, closed), ...errorResponses(["session"]) },
			},
		},
		async (request) => {
			const views = await deadbolt.listAuthenticators(authOf(request).account.id);
			return { authenticators: views.map(toJSON) };
		},
	);

	app.patch(
		"/two-factor/totp/authenticators/:authenticatorId",
		{
			schema: {
				summary: "Rename an authenticator",
				description: "A name is trimmed, at most 64 characters, without control or invisible formatting characters such as bidi overrides (400); \"\" removes it. Another account's id answers 404.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				params: AuthenticatorParams,
				body: Type.Object({ name: Type.String({ maxLength: 256, description: "the new name, at most 64 characters; \"\" removes it" }) }, { ...closed, examples: [{ name: "Work phone" }] }),
				response: { 200: Type.Object({ authenticator: AuthenticatorSchema }, closed), ...errorResponses(["write", "session"], "ERR_NOT_FOUND") },
			},
		},
		async (request) => ({ authenticator: toJSON(await deadbolt.renameAuthenticator(authOf(request), request.params.authenticatorId, request.body.name)) }),
	);

	app.delete(
		"/two-factor/totp/authenticators/:authenticatorId",
		{
			schema: {
				summary: "Remove an authenticator",
				description: "Its codes stop working at once. It may be on a lost phone, so every other session, open sign-in and remembered device ends (this session stays). Needs both factors proved in the last 5 minutes. The only authenticator is refused (`ERR_LAST_AUTHENTICATOR`): turn two-factor authentication off instead.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				params: AuthenticatorParams,
				response: {
					200: Type.Object({ remainingAuthenticators: Type.Integer({ description: "how many authenticators the account has left (at least one)" }), otherSessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer() }, closed),
					...errorResponses(["write", "session"], "ERR_NOT_FOUND", "ERR_REAUTH_REQUIRED", "ERR_LAST_AUTHENTICATOR", "ERR_TOTP_NOT_ENABLED"),
				},
			},
		},
		async (request) => deadbolt.removeAuthenticator(authOf(request), request.params.authenticatorId, requestContext(request)),
	);
};
