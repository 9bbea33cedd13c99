/**
 * The admin API's webhooks and delivery log (docs/webhooks.md): endpoints (list, add, remove) and
 * the outbox's deliveries (list, show with attempts, redeliver). Registered inside `admin.ts`, so
 * the same bearer key guards it (404 without one configured).
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { toISO } from "../../service/deps.js";
import type { DeliveryAttemptView, DeliveryView } from "../../service/deliveries.js";
import type { WebhookEndpointView } from "../../service/webhook-endpoints.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { ADMIN_SECURITY } from "../openapi/document.js";

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const WebhookEndpointSchema = Type.Object(
	{
		id: Type.String({ description: "`config:<n>` for the config file's n-th endpoint (read-only here), else the stored id." }),
		url: Type.String(),
		events: Type.Array(Type.String(), { description: 'Event types, or ["*"] for every one.' }),
		description: Nullable(Type.String()),
		source: Type.Union([Type.Literal("config"), Type.Literal("api")]),
		createdAt: Nullable(Type.String({ format: "date-time" })),
	},
	closed,
);

const DeliverySchema = Type.Object(
	{
		id: Type.String({ description: "The stable message id: the webhook-id header of every attempt, kept by a redelivery." }),
		eventId: Nullable(Type.String()),
		accountId: Nullable(Type.String()),
		channel: Type.Union([Type.Literal("email"), Type.Literal("webhook")]),
		kind: Type.String({ description: "An event type, or a mail kind." }),
		target: Type.String({ description: "The recipient's address (email) or the endpoint id (webhook)." }),
		status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("dead")]),
		attempts: Type.Integer(),
		nextAttemptAt: Nullable(Type.String({ format: "date-time" })),
		lastError: Nullable(Type.String()),
		createdAt: Type.String({ format: "date-time" }),
		deliveredAt: Nullable(Type.String({ format: "date-time" })),
		payload: Type.Unknown({ description: "The webhook message's JSON body; null for mails (never shown)." }),
	},
	closed,
);

const AttemptSchema = Type.Object(
	{
		attemptedAt: Type.String({ format: "date-time" }),
		outcome: Type.Union([Type.Literal("delivered"), Type.Literal("failed")]),
		detail: Type.String(),
		durationMillis: Type.Integer(),
	},
	closed,
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);

function endpointBody(endpoint: WebhookEndpointView) {
	return { ...endpoint, events: [...endpoint.events], createdAt: endpoint.createdAt === null ? null : toISO(endpoint.createdAt) };
}

function deliveryBody(delivery: DeliveryView) {
	return {
		...delivery,
		nextAttemptAt: delivery.nextAttemptAt === null ? null : toISO(delivery.nextAttemptAt),
		createdAt: toISO(delivery.createdAt),
		deliveredAt: delivery.deliveredAt === null ? null : toISO(delivery.deliveredAt),
	};
}

function attemptBody(attempt: DeliveryAttemptView) {
	return { ...attempt, attemptedAt: toISO(attempt.attemptedAt) };
}

/** Webhook and delivery routes under `/api/v1/admin` (registered by `adminRoutes`, behind its key check). */
export const adminWebhookRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.get(
		"/admin/webhooks",
		{ schema: {
				summary: "List webhook endpoints",
				description: "The config file's (`config:<n>`, read-only here) and those added here.",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				response: { 200: Type.Object({ endpoints: Type.Array(WebhookEndpointSchema) }, closed), ...errorResponses(["admin"]) } } },
		async () => ({ endpoints: (await deadbolt.listWebhookEndpoints()).map(endpointBody) }),
	);

	app.post(
		"/admin/webhooks",
		{
			schema: {
				summary: "Add a webhook endpoint",
				description: "Events are POSTed signed per Standard Webhooks; the signing secret is returned this once. Private and loopback targets are refused unless `webhooks.allowedNetworks` lists them.",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				body: Type.Object(
					{
						url: Type.String({ minLength: 1, maxLength: 2048 }),
						events: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 64 }),
						description: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
					},
					closed,
				),
				response: {
					201: Type.Object(
						{
							endpoint: WebhookEndpointSchema,
							secret: Type.String({ description: "The signing secret (whsec_...), shown this once: it cannot be read back." }),
						},
						closed,
					),
					...errorResponses(["write", "admin"], "ERR_WEBHOOK_TARGET_REFUSED"),
				},
			},
		},
		async (request, reply) => {
			const { endpoint, secret } = await deadbolt.addWebhookEndpoint({ url: request.body.url, events: request.body.events, description: request.body.description ?? null });
			return reply.status(201).header("cache-control", "no-store").send({ endpoint: endpointBody(endpoint), secret });
		},
	);

	app.delete("/admin/webhooks/:id", { schema: {
				summary: "Remove a webhook endpoint",
				description: "An endpoint added through the API or the CLI (a config file endpoint is read-only: 404).",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 204: Type.Null(), ...errorResponses(["write", "admin"], "ERR_NOT_FOUND") } } }, async (request, reply) => {
		await deadbolt.removeWebhookEndpoint(request.params.id);
		return reply.status(204).send(null);
	});

	app.get(
		"/admin/deliveries",
		{
			schema: {
				summary: "List deliveries",
				description: "The outbox's mails and webhook messages, newest first, filtered by `status`, `channel`, `accountId`.",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				querystring: Type.Object(
					{
						status: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("dead")])),
						channel: Type.Optional(Type.Union([Type.Literal("email"), Type.Literal("webhook")])),
						accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
						limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,3}$" })),
					},
					closed,
				),
				response: { 200: Type.Object({ deliveries: Type.Array(DeliverySchema) }, closed), ...errorResponses(["admin"]) },
			},
		},
		async (request) => {
			const { status, channel, accountId, limit } = request.query;
			const list = await deadbolt.listDeliveries({
				...(status === undefined ? {} : { status }),
				...(channel === undefined ? {} : { channel }),
				...(accountId === undefined ? {} : { accountId }),
				...(limit === undefined ? {} : { limit: Number(limit) }),
			});
			return { deliveries: list.map(deliveryBody) };
		},
	);

	app.get(
		"/admin/deliveries/:id",
		{ schema: {
				summary: "Show a delivery with its attempts",
				description: "The message (a mail's content is never shown) and every attempt.",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 200: Type.Object({ delivery: DeliverySchema, attempts: Type.Array(AttemptSchema) }, closed), ...errorResponses(["admin"], "ERR_NOT_FOUND") } } },
		async (request) => {
			const { delivery, attempts } = await deadbolt.showDelivery(request.params.id);
			return { delivery: deliveryBody(delivery), attempts: attempts.map(attemptBody) };
		},
	);

	app.post(
		"/admin/deliveries/:id/retry",
		{ schema: {
				summary: "Redeliver",
				description: "A delivered or dead delivery is sent again, under the same message id.",
				tags: ["webhooks"],
				security: ADMIN_SECURITY,
				params: IdParams, response: { 200: Type.Object({ delivery: DeliverySchema }, closed), ...errorResponses(["write", "admin"], "ERR_NOT_FOUND", "ERR_DELIVERY_NOT_RETRYABLE") } } },
		async (request) => ({ delivery: deliveryBody(await deadbolt.retryDelivery(request.params.id)) }),
	);
};
