/**
 * The admin API's OpenID Connect clients (docs/oidc.md, "Clients added through the admin API or
 * the CLI"): list, add, show, remove, rotate the secret. Registered inside `admin.ts`, so the same
 * bearer key guards it (404 without one configured). No answer ever carries a client secret, but
 * the one-time `secret` of an add or a rotation (with `Cache-Control: no-store`).
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toISO } from "../../service/deps.js";
import type { OidcClientView } from "../../service/oidc-client-admin.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { ADMIN_SECURITY } from "../openapi/document.js";

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** A URI of the client's metadata, as the body may carry it (the rules are the service's: `domain/oidc/client-rules.ts`). */
const UriSchema = Type.String({ minLength: 1, maxLength: 2048 });

const OidcClientSchema = Type.Object(
	{
		id: Type.String({ description: "The client_id." }),
		name: Type.String(),
		source: Type.Union([Type.Literal("config"), Type.Literal("api")], { description: "`config`: the config file's oidc.clients (read-only here); `api`: added through the admin API or the CLI." }),
		redirectUris: Type.Array(Type.String()),
		postLogoutRedirectUris: Type.Array(Type.String()),
		backchannelLogoutUri: Nullable(Type.String()),
		public: Type.Boolean({ description: "No secret; PKCE required." }),
		firstParty: Type.Boolean({ description: "No consent page." }),
		minimumAal: Type.Union([Type.Literal(1), Type.Literal(2)]),
		groups: Nullable(Type.Array(Type.String())),
		accounts: Nullable(Type.Array(Type.String())),
		createdAt: Nullable(Type.String({ format: "date-time" })),
	},
	closed,
);

const WithSecretSchema = (secretSchema: Parameters<typeof Type.Union>[0][number]) =>
	Type.Object({ client: OidcClientSchema, secret: secretSchema }, closed);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);

/** The JSON of a client: instants as ISO 8601. */
function clientBody(client: OidcClientView) {
	return {
		...client,
		redirectUris: [...client.redirectUris],
		postLogoutRedirectUris: [...client.postLogoutRedirectUris],
		groups: client.groups === null ? null : [...client.groups],
		accounts: client.accounts === null ? null : [...client.accounts],
		createdAt: client.createdAt === null ? null : toISO(client.createdAt),
	};
}

/** OpenID Connect client routes under `/api/v1/admin` (registered by `adminRoutes`, behind its key check). */
export const adminOidcClientRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.get(
		"/admin/oidc/clients",
		{ schema: {
				summary: "List OpenID Connect clients",
				description: "The config file's first, then those added; never a secret.",
				tags: ["oidc-clients"],
				security: ADMIN_SECURITY,
				response: { 200: Type.Object({ clients: Type.Array(OidcClientSchema) }, closed), ...errorResponses(["admin"]) } } },
		async () => ({ clients: (await deadbolt.oidc.listClients()).map(clientBody) }),
	);

	app.post(
		"/admin/oidc/clients",
		{
			schema: {
				summary: "Add an OpenID Connect client",
				description: "Checked with the config file's rules, working at once on every instance. The generated secret is returned **this once** (null for a public client).",
				tags: ["oidc-clients"],
				security: ADMIN_SECURITY,
				body: Type.Object(
					{
						id: Type.String({ minLength: 1, maxLength: 64, description: "The client_id: 1 to 64 of A-Z a-z 0-9 . _ -" }),
						name: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
						redirectUris: Type.Array(UriSchema, { minItems: 1, maxItems: 20, description: "Exact matches; https (plain http only to localhost, 127.0.0.1, [::1]); no fragment." }),
						postLogoutRedirectUris: Type.Optional(Type.Array(UriSchema, { maxItems: 20 })),
						backchannelLogoutUri: Type.Optional(Nullable(UriSchema)),
						public: Type.Optional(Type.Boolean({ description: "A public client: no secret, PKCE required (default false: a secret is generated)." })),
						firstParty: Type.Optional(Type.Boolean({ description: "No consent page (default false)." })),
						minimumAal: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: "Default 2." })),
						groups: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100, description: "Only members of one of these groups; absent or []: no limit by group." })),
						accounts: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 1_000, description: "Only these accounts (emails); absent or []: no limit by account." })),
					},
					closed,
				),
				response: {
					201: WithSecretSchema(Nullable(Type.String({ description: "The client secret, shown this once (it cannot be read back); null for a public client." }))),
					...errorResponses(["write", "admin"], "ERR_OIDC_CLIENT_EXISTS", "ERR_OIDC_DISABLED"),
				},
			},
		},
		async (request, reply) => {
			const { body } = request;
			const { client, secret } = await deadbolt.oidc.addClient({
				id: body.id,
				name: body.name,
				redirectUris: body.redirectUris,
				postLogoutRedirectUris: body.postLogoutRedirectUris,
				backchannelLogoutUri: body.backchannelLogoutUri,
				public: body.public,
				firstParty: body.firstParty,
				minimumAal: body.minimumAal,
				groups: body.groups,
				accounts: body.accounts,
			});
			return reply.status(201).header("cache-control", "no-store").send({ client: clientBody(client), secret });
		},
	);

	app.get(
		"/admin/oidc/clients/:id",
		{ schema: {
				summary: "Show an OpenID Connect client",
				description: "Never its secret.",
				tags: ["oidc-clients"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 200: Type.Object({ client: OidcClientSchema }, closed), ...errorResponses(["admin"], "ERR_NOT_FOUND") } } },
		async (request) => ({ client: clientBody(await deadbolt.oidc.showClient(request.params.id)) }),
	);

	app.delete(
		"/admin/oidc/clients/:id",
		{ schema: {
				summary: "Remove an OpenID Connect client",
				description: "It is gone at the next request, with every grant, code, token and remembered consent.",
				tags: ["oidc-clients"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 200: Type.Object({ id: Type.String(), grantsEnded: Type.Integer({ description: "Grants ended with their codes and tokens." }) }, closed), ...errorResponses(["write", "admin"], "ERR_NOT_FOUND", "ERR_OIDC_CLIENT_READ_ONLY") } } },
		async (request) => {
			const { grantsEnded } = await deadbolt.oidc.removeClient(request.params.id);
			return { id: request.params.id, grantsEnded };
		},
	);

	app.post(
		"/admin/oidc/clients/:id/secret",
		{ schema: {
				summary: "Replace a client's secret",
				description: "A new secret, shown once; the old one is refused from the next request on. 400 (`rule: public_client`) for a public client.",
				tags: ["oidc-clients"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 200: WithSecretSchema(Type.String({ description: "The new client secret, shown this once; the old one no longer works." })), ...errorResponses(["write", "admin"], "ERR_NOT_FOUND", "ERR_OIDC_CLIENT_READ_ONLY") } } },
		async (request, reply) => {
			const { client, secret } = await deadbolt.oidc.rotateClientSecret(request.params.id);
			return reply.header("cache-control", "no-store").send({ client: clientBody(client), secret });
		},
	);
};
