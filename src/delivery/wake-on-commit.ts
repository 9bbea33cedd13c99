/**
 * "Sent at once in the process that made them": a store whose transactions call `onQueued` after
 * they commit when they queued a delivery (and whose direct outbox inserts call it after the
 * insert), so the dispatcher looks now instead of at its next poll. Nothing is sent in the
 * request: `onQueued` only schedules a look. Without it, deliveries still go at the next poll.
 */
import type { OutboxRepository, Repositories, Store } from "../storage/store.js";

/** `outbox` whose `insertDeliveries` calls `inserted` after it resolves. */
function watchedOutbox(outbox: OutboxRepository, inserted: () => void): OutboxRepository {
	return new Proxy(outbox, {
		get(target, property, receiver) {
			if (property === "insertDeliveries") {
				return async (...args: Parameters<OutboxRepository["insertDeliveries"]>) => {
					await target.insertDeliveries(...args);
					inserted();
				};
			}
			const value: unknown = Reflect.get(target, property, receiver);
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}

/** Repositories whose `outbox` reports inserts; the others pass through. */
function watchedRepositories<R extends Repositories>(repositories: R, inserted: () => void): R {
	const outbox = watchedOutbox(repositories.outbox, inserted);
	return new Proxy(repositories, {
		get(target, property, receiver) {
			if (property === "outbox") return outbox;
			const value: unknown = Reflect.get(target, property, receiver);
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}

/**
 * Wraps `store` so that queued deliveries call `onQueued` once committed.
 * @param onQueued - called after a commit that queued deliveries (never inside the transaction); must not throw
 */
export function wakeOnCommit(store: Store, onQueued: () => void): Store {
	const wrapped = watchedRepositories(store, onQueued);
	return new Proxy(wrapped, {
		get(target, property, receiver) {
			if (property !== "transaction") return Reflect.get(target, property, receiver);
			return async <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> => {
				let queued = false;
				const result = await store.transaction((tx) => fn(watchedRepositories(tx, () => (queued = true))));
				if (queued) onQueued();
				return result;
			};
		},
	});
}
