/**
 * The outbox's backlog as `/metrics` shows it (docs/metrics.md): per channel, the deliveries still
 * waiting, how long the oldest of them has waited, and the dead ones. Read with one grouped query
 * when Prometheus scrapes, never on a request. The outbox is shared by every instance on the
 * database, so each instance reports the same numbers.
 */
import type { DeliveryChannel } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";

/** Every channel, each always reported (0 when it has nothing waiting). */
export const DELIVERY_CHANNELS: readonly DeliveryChannel[] = Object.freeze(["email", "webhook"]);

/** The backlog of one channel. */
export interface ChannelBacklog {
	readonly channel: DeliveryChannel;
	/** Deliveries not sent yet: due, retrying after a failure, or being sent. */
	readonly pending: number;
	/** Seconds since the oldest pending delivery was queued (by `deps.clock`); 0 when none is pending. */
	readonly oldestPendingAgeSeconds: number;
	/** Deliveries given up on after their last attempt (dead letters, `deadbolt outbox retry` revives them). */
	readonly dead: number;
}

/**
 * The backlog of every channel, in {@link DELIVERY_CHANNELS} order.
 * @throws StorageUnavailable when the database cannot be read
 */
export async function outboxBacklog(deps: ServiceDeps): Promise<ChannelBacklog[]> {
	const rows = await deps.store.outbox.summarizeBacklog();
	const now = deps.clock.now();
	return DELIVERY_CHANNELS.map((channel) => {
		const pending = rows.find((row) => row.channel === channel && row.status === "pending");
		const dead = rows.find((row) => row.channel === channel && row.status === "dead");
		return {
			channel,
			pending: pending?.count ?? 0,
			oldestPendingAgeSeconds: pending === undefined ? 0 : Math.max(0, (now - pending.oldestCreatedAt) / 1000),
			dead: dead?.count ?? 0,
		};
	});
}
