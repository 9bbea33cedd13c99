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
import { ERROR_RESPONSES } from "../schemas.js";
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

	app.get("/two-factor/totp/authenticators", { schema: { response: { 200: Type.Object({ authenticators: Type.Array(AuthenticatorSchema) }, closed), ...ERROR_RESPONSES } } }, async (request) => {
		const views = await deadbolt.listAuthenticators(authOf(request).account.id);
		return { authenticators: views.map(toJSON) };
	});

	app.patch(
		"/two-factor/totp/authenticators/:authenticatorId",
		{
			schema: {
				params: AuthenticatorParams,
				body: Type.Object({ name: Type.String({ maxLength: 256, description: "the new name, at most 64 characters; \"\" removes it" }) }, closed),
				response: { 200: Type.Object({ authenticator: AuthenticatorSchema }, closed), ...ERROR_RESPONSES },
			},
		},
		async (request) => ({ authenticator: toJSON(await deadbolt.renameAuthenticator(authOf(request), request.params.authenticatorId, request.body.name)) }),
	);

	app.delete(
		"/two-factor/totp/authenticators/:authenticatorId",
		{
			schema: {
				params: AuthenticatorParams,
				response: { 200: Type.Object({ authenticators: Type.Integer({ description: "how many remain" }), otherSessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer() }, closed), ...ERROR_RESPONSES },
			},
		},
		async (request) => deadbolt.removeAuthenticator(authOf(request), request.params.authenticatorId, requestContext(request)),
	);
};
