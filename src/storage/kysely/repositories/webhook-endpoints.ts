/** Webhook endpoints added through the admin API: plain rows, the signing secret sealed by `service/`. */
import type { WebhookEndpointRecord, WebhookEndpointRepository } from "../../store.js";
import { findEvery, wroteAny, type Executor, type Guard } from "../executor.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

const webhookEndpointRows = rowMapping<WebhookEndpointRecord>({ id: true, url: true, events: true, sealedSecret: true, createdAt: true, description: true });

/** The webhook endpoint repository over `db`. */
export function createWebhookEndpointRepository(db: Executor, guard: Guard): WebhookEndpointRepository {
	const endpoints = recordTable(db, guard, "webhook_endpoint", webhookEndpointRows);
	return Object.freeze({
		insertWebhookEndpoint: endpoints.insert,
		findWebhookEndpoint: endpoints.findById,
		listWebhookEndpoints(): Promise<WebhookEndpointRecord[]> {
			return findEvery(guard, () => db.selectFrom("webhook_endpoint").selectAll().orderBy("created_at", "asc").orderBy("id", "asc"), webhookEndpointRows.toRecord);
		},
		deleteWebhookEndpoint(id: string): Promise<boolean> {
			return wroteAny(guard, () => db.deleteFrom("webhook_endpoint").where("id", "=", id));
		},
	});
}
