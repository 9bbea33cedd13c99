import { describe, expect, it } from "vitest";
import { createLimiter } from "./limiter.js";

describe("createLimiter", () => {
	it("never runs more than `limit` tasks at once, runs them all in arrival order, and passes errors through", async () => {
		const limit = createLimiter(2);
		let running = 0;
		let most = 0;
		const started: number[] = [];
		const task = (index: number) => async () => {
			started.push(index);
			running++;
			most = Math.max(most, running);
			await new Promise((resolve) => setTimeout(resolve, 2));
			running--;
			if (index === 3) throw new Error("task 3 failed");
			return index;
		};
		const results = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => limit(task(index))));
		expect(most).toBe(2);
		expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
		expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
		expect((results[3] as PromiseRejectedResult).reason.message).toBe("task 3 failed");
		// A failed task frees its slot: more work still runs.
		expect(await limit(async () => "after")).toBe("after");
	});

	it("refuses a limit that is not a positive integer", () => {
		expect(() => createLimiter(0)).toThrow(RangeError);
		expect(() => createLimiter(1.5)).toThrow(RangeError);
	});
});
