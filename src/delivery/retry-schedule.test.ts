import { describe, expect, it } from "vitest";
import { nodeRandom, type RandomSource } from "../platform/random.js";
import { afterFailure, MAX_RETRY_DELAY_MILLIS, retryDelayMillis } from "./retry-schedule.js";

/** A source that always gives the same byte: 0x00 is the low end of the jitter, 0xff the high end. */
const constant = (byte: number): RandomSource => ({ fill: (bytes) => bytes.fill(byte) });

describe("retry schedule (docs/email.md, Retries)", () => {
	it("doubles from retryMinMillis after each failure, ± 20 %", () => {
		for (let attempt = 1; attempt <= 8; attempt++) {
			const base = 5_000 * 2 ** (attempt - 1);
			expect(retryDelayMillis(attempt, 5_000, constant(0))).toBe(Math.round(base * 0.8));
			expect(retryDelayMillis(attempt, 5_000, constant(0xff))).toBeGreaterThan(base * 1.19);
			const any = retryDelayMillis(attempt, 5_000, nodeRandom);
			expect(any).toBeGreaterThanOrEqual(base * 0.8);
			expect(any).toBeLessThanOrEqual(base * 1.2);
		}
	});

	it("never waits more than an hour (plus jitter), however many failures", () => {
		expect(retryDelayMillis(30, 5_000, constant(0xff))).toBeLessThanOrEqual(MAX_RETRY_DELAY_MILLIS * 1.2);
		expect(retryDelayMillis(1_000, 5_000, constant(0))).toBe(MAX_RETRY_DELAY_MILLIS * 0.8);
	});

	it("is dead after maxAttempts, or at once for a permanent failure", () => {
		const options = { maxAttempts: 3, minMillis: 1_000, permanent: false };
		expect(afterFailure(1, 0, options, nodeRandom).status).toBe("pending");
		expect(afterFailure(2, 0, options, nodeRandom).status).toBe("pending");
		expect(afterFailure(3, 0, options, nodeRandom)).toEqual({ status: "dead" });
		expect(afterFailure(1, 0, { ...options, permanent: true }, nodeRandom)).toEqual({ status: "dead" });
	});
});
