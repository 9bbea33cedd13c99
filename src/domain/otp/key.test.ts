import { describe, expect, it } from "vitest";
import { sequenceRandom } from "../../platform/random.js";
import type { RandomSource } from "../../platform/random.js";
import { generateOTPKey } from "./key.js";

describe("generateOTPKey", () => {
	it("returns 20 bytes (160 bits) by default", () => {
		expect(generateOTPKey(sequenceRandom("key")).length).toBe(20);
	});

	it("takes its bytes from the given random source only", () => {
		const calls: number[] = [];
		const random: RandomSource = {
			fill(bytes: Uint8Array): void {
				calls.push(bytes.length);
				bytes.fill(0xab);
			},
		};
		expect(Buffer.from(generateOTPKey(random, 16)).toString("hex")).toBe("ab".repeat(16));
		expect(calls).toEqual([16]);
	});

	it("is deterministic for a deterministic source and distinct across draws", () => {
		const a = sequenceRandom("same");
		const b = sequenceRandom("same");
		const first = generateOTPKey(a);
		expect(first).toEqual(generateOTPKey(b));
		expect(generateOTPKey(a)).not.toEqual(first);
	});

	it("accepts longer keys, e.g. 64 bytes for SHA-512", () => {
		expect(generateOTPKey(sequenceRandom("long"), 64).length).toBe(64);
	});

	it("rejects keys below 128 bits or non-integer lengths with RangeError (RFC 4226 R6)", () => {
		const random = sequenceRandom("bad");
		for (const keyBytes of [15, 0, -1, 16.5, Number.NaN, Number.POSITIVE_INFINITY]) {
			expect(() => generateOTPKey(random, keyBytes), String(keyBytes)).toThrow(RangeError);
		}
	});
});
