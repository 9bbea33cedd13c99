/**
 * The link mails a test deadbolt queued, read from the outbox as the dispatcher would (the rows,
 * and each one's sealed token opened with the server key): how service and HTTP tests follow a
 * mailed link without an SMTP server (helper B's SMTP tests cover the real delivery).
 */
import { openDeliverySecret } from "../../src/service/outbox.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import type { DeliveryRecord, Store } from "../../src/storage/store.js";
import { TEST_KEYS } from "./deadbolt.js";

/** The mail deliveries to `to` (normalized) of `kind`, newest first. */
export async function mailsTo(store: Store, to: string, kind: string): Promise<DeliveryRecord[]> {
	const deliveries = await store.outbox.listDeliveries({ channel: "email", limit: 500 });
	return deliveries.filter((delivery) => delivery.target === to && delivery.kind === kind);
}

/** The token a delivery carries (its sealed secret, opened with the test keys), or null. */
export function tokenOf(delivery: DeliveryRecord): string | null {
	return openDeliverySecret({ keys: TEST_KEYS } as ServiceDeps, delivery);
}

/**
 * The token of the newest mail of `kind` to `to`.
 * @throws Error when there is none
 */
export async function lastMailedToken(store: Store, to: string, kind: string): Promise<string> {
	const [newest] = await mailsTo(store, to, kind);
	const token = newest === undefined ? null : tokenOf(newest);
	if (token === null) throw new Error(`no ${kind} mail with a link to ${to}`);
	return token;
}
