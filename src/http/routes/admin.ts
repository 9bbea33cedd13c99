/**
 * The admin API, for an integrator's backend (never for browsers): create an account without a
 * password and issue one-time sign-in links, e.g. after a social sign-in on the integrator's own
 * site; set an account's groups (for access rules, `service/groups.ts`). Every request carries `Authorization: Bearer <DEADBOLT_ADMIN_API_KEY>`; without a key
 * configured these routes answer 404, as if absent (the check: `service/admin.ts`). Operators' account
 * routes (list, show, disable, enable, unlock, delete, reset 2FA) are in `admin-accounts.ts`; webhook
 * endpoints and the delivery log are in `admin-webhooks.ts`, OpenID Connect clients in
 * `admin-oidc-clients.ts`, behind the same check.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Unauthenticated } from "../../errors.js";
import { toISO } from "../../service/deps.js";
import { bearerToken, requestContext } from "../plugins/session.js";
import { signInLinkURL } from "../public-url.js";
import { AccountSchema, EmailSchema } from "../schemas.js";
import { adminAccountRoutes } from "./admin-accounts.js";
import { adminOidcClientRoutes } from "./admin-oidc-clients.js";
import { adminWebhookRoutes } from "./admin-webhooks.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { ADMIN_SECURITY } from "../openapi/document.js";

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
				summary: "Create an account without a password",
				description: "For sites that sign users in another way first: give the user a sign-in link (`POST /api/v1/admin/sign-in-links`); they set a password when setting up 2FA.",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				body: Type.Object({ email: EmailSchema }, { ...closed, examples: [{ email: "grace@example.com" }] }),
				response: { 201: Type.Object({ account: AccountSchema }, closed), ...errorResponses(["write", "admin"], "ERR_EMAIL_TAKEN") },
			},
		},
		async (request, reply) => {
			const account = await deadbolt.createAccountWithoutPassword(request.body.email, requestContext(request));
			return reply.status(201).send({ account: { id: account.id, email: account.email, twoFactorEnabled: false, hasPassword: false, groups: [...account.groups] } });
		},
	);

	app.put(
		"/admin/accounts/:accountId/groups",
		{
			schema: {
				summary: "Set an account's groups",
				description: "The list replaces the account's groups (`[]` removes them all), for access rules, `Remote-Groups`, assertions and introspection; recorded as `account.groups_changed`.",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				params: Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 128 }) }, closed),
				body: Type.Object(
					{
						groups: Type.Array(Type.String({ maxLength: 256 }), {
							maxItems: 1_000,
							description: "every group the account is in (the list replaces the old one; [] removes them all). Names are trimmed and lowered; each is 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit (else ERR_GROUP_NAME_INVALID); at most 100.",
						}),
					},
					{ ...closed, examples: [{ groups: ["admins", "ops"] }] },
				),
				response: {
					200: Type.Object({ accountId: Type.String(), email: Type.String(), groups: Type.Array(Type.String(), { description: "as stored: normalized, each once, sorted" }) }, closed),
					...errorResponses(["write", "admin"], "ERR_GROUP_NAME_INVALID", "ERR_NOT_FOUND"),
				},
			},
		},
		async (request) => {
			const set = await deadbolt.setAccountGroups(request.params.accountId, request.body.groups, { via: "admin_api", context: requestContext(request) });
			return { accountId: set.accountId, email: set.email, groups: [...set.groups] };
		},
	);

	app.post(
		"/admin/accounts/:accountId/sign-out-everywhere",
		{
			schema: {
				summary: "Sign an account out everywhere",
				description: "Every session, remembered device, open sign-in, sign-in link and personal access token of the account ends at once.",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				params: Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 128 }) }, closed),
				response: { 200: Type.Object({ accountId: Type.String(), email: Type.String(), sessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer(), accessTokensRevoked: Type.Integer() }, closed), ...errorResponses(["write", "admin"], "ERR_NOT_FOUND") },
			},
		},
		async (request) => deadbolt.signOutAccountEverywhere({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }),
	);

	app.post(
		"/admin/sign-in-links",
		{
			schema: {
				summary: "Issue a one-time sign-in link",
				description: "Give the user `url` (the page asks them to continue before the link is used), or use `token` with `POST /api/v1/login/link`. 1 hour, once.",
				tags: ["admin"],
				security: ADMIN_SECURITY,
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
					...errorResponses(["write", "admin"], "ERR_NOT_FOUND"),
				},
			},
		},
		async (request, reply) => {
			const link = await deadbolt.issueSignInLink(request.body.email, requestContext(request));
			return reply.status(201).send({ accountId: link.accountId, url: signInLinkURL(deadbolt.publicOrigin, link.token), token: link.token, expiresAt: toISO(link.expiresAt) });
		},
	);

	// A child context: it inherits the key check above.
	await app.register(adminAccountRoutes, { deadbolt, cookies });
	await app.register(adminWebhookRoutes, { deadbolt, cookies });
	await app.register(adminOidcClientRoutes, { deadbolt, cookies });
};
