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
