/**
 * "Sent at once in the process that made them": a store whose transactions call `onQueued` after
 * they commit when they queued a delivery (and whose direct outbox inserts call it after the
 * insert), so the dispatcher looks now instead of at its next poll. Nothing is sent in the
 * request: `onQueued` only schedules a look. Without it, deliveries still go at the next poll.
 */
import type { OutboxRepository, Repositories, Store } from "../storage/store.js";

/**
 * An object that reads like `target` except for `overrides`. A proxy over a fresh object (the
 * store and its repositories are frozen: a proxy over them may not change what they hold).
 */
function overlay<T extends object>(target: T, overrides: (property: string | symbol) => unknown): T {
	return new Proxy({} as T, {
		get(_, property) {
			const replaced = overrides(property);
			if (replaced !== undefined) return replaced;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
		has: (_, property) => Reflect.has(target, property),
	});
}

/** `outbox` whose `insertDeliveries` calls `inserted` after it resolves. */
function watchedOutbox(outbox: OutboxRepository, inserted: () => void): OutboxRepository {
	const insertDeliveries = async (...args: Parameters<OutboxRepository["insertDeliveries"]>): Promise<void> => {
		await outbox.insertDeliveries(...args);
		inserted();
	};
	return overlay(outbox, (property) => (property === "insertDeliveries" ? insertDeliveries : undefined));
}

/** Repositories whose `outbox` reports inserts; the others pass through. */
function watchedRepositories<R extends Repositories>(repositories: R, inserted: () => void): R {
	const outbox = watchedOutbox(repositories.outbox, inserted);
	return overlay(repositories, (property) => (property === "outbox" ? outbox : undefined));
}

/**
 * Wraps `store` so that queued deliveries call `onQueued` once committed.
 * @param onQueued - called after a commit that queued deliveries (never inside the transaction); must not throw
 */
export function wakeOnCommit(store: Store, onQueued: () => void): Store {
	const outbox = watchedOutbox(store.outbox, onQueued);
	const transaction = async <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> => {
		let queued = false;
		const result = await store.transaction((tx) => fn(watchedRepositories(tx, () => (queued = true))));
		if (queued) onQueued();
		return result;
	};
	return overlay(store, (property) => (property === "transaction" ? transaction : property === "outbox" ? outbox : undefined));
}
