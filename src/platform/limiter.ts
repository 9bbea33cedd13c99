/**
 * A concurrency limiter: at most `limit` of the wrapped tasks run at once; the others wait in
 * arrival order (FIFO). Used to keep CPU-heavy work (argon2id) from crowding out the event loop on
 * small machines.
 */

/** Runs `task` when a slot is free; resolves or rejects with it. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Creates a limiter.
 * @param limit - how many tasks may run at once (a positive integer)
 * @throws RangeError when `limit` is not a positive integer
 */
export function createLimiter(limit: number): Limiter {
	if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
	let running = 0;
	const waiting: (() => void)[] = [];
	const release = (): void => {
		const next = waiting.shift();
		if (next === undefined) running--;
		else next();
	};
	return async <T>(task: () => Promise<T>): Promise<T> => {
		if (running < limit) running++;
		else await new Promise<void>((resolve) => waiting.push(resolve));
		try {
			return await task();
		} finally {
			release();
		}
	};
}

/** Runs `task` when a slot of `key` is free; each key has its own slots. */
export type KeyedLimiter = <T>(key: string, task: () => Promise<T>) => Promise<T>;

/**
 * Creates a limiter per key (an account, say), made when a key is first used and dropped when
 * its last task ends, so idle keys hold no memory.
 * @param limit - how many tasks of one key may run at once (a positive integer)
 * @throws RangeError when `limit` is not a positive integer
 */
export function createKeyedLimiter(limit: number): KeyedLimiter {
	if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
	const limiters = new Map<string, { limiter: Limiter; tasks: number }>();
	return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
		let entry = limiters.get(key);
		if (entry === undefined) {
			entry = { limiter: createLimiter(limit), tasks: 0 };
			limiters.set(key, entry);
		}
		entry.tasks++;
		try {
			return await entry.limiter(task);
		} finally {
			if (--entry.tasks === 0) limiters.delete(key);
		}
	};
}
