import { describe, expect, it } from "vitest";
import { generateHOTP } from "./hotp.js";
import { findTOTPStepOffset, generateTOTP, generateTOTPAtStep, timeStep, verifyTOTP } from "./totp.js";

const RFC_KEY = new TextEncoder().encode("12345678901234567890");
const NOW = 1_700_000_000_000; // step 56666666 at 30 s
const STEP = 56_666_666;

/** A well-formed 6-digit code that matches none of the steps in [from, to]. */
function codeMatchingNoStep(from: number, to: number): string {
	const used = new Set<string>();
	for (let step = from; step <= to; step++) used.add(generateTOTPAtStep(RFC_KEY, step));
	for (let candidate = 0; ; candidate++) {
		const code = String(candidate).padStart(6, "0");
		if (!used.has(code)) return code;
	}
}

describe("timeStep", () => {
	it("is floor(seconds / period) with T0 = 0", () => {
		expect(timeStep(0, 30)).toBe(0);
		expect(timeStep(29_999, 30)).toBe(0);
		expect(timeStep(30_000, 30)).toBe(1);
		expect(timeStep(59_000, 30)).toBe(1);
		expect(timeStep(1_111_111_109_000, 30)).toBe(0x023523ec);
		expect(timeStep(20_000_000_000_000, 30)).toBe(0x27bc86aa);
	});

	it("ignores fractions of a second and of a millisecond", () => {
		expect(timeStep(59_999.9, 60)).toBe(0);
		expect(timeStep(60_000, 60)).toBe(1);
	});

	it("is exact at the largest safe millisecond", () => {
		const seconds = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
		expect(timeStep(Number.MAX_SAFE_INTEGER, 7)).toBe(Number((BigInt(seconds) / 7n).toString()));
	});

	it("works for any positive integer period", () => {
		expect(timeStep(1_000, 1)).toBe(1);
		expect(timeStep(299_999, 300)).toBe(0);
		expect(timeStep(300_000, 300)).toBe(1);
	});

	it("rejects a negative, NaN or infinite time with RangeError", () => {
		for (const now of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2]) {
			expect(() => timeStep(now, 30), String(now)).toThrow(RangeError);
		}
	});

	it("rejects a time that is not a number with TypeError", () => {
		expect(() => timeStep("1700000000000" as unknown as number, 30)).toThrow(TypeError);
		expect(() => timeStep(BigInt(1) as unknown as number, 30)).toThrow(TypeError);
	});

	it("rejects a period that is not a positive integer with RangeError", () => {
		for (const period of [0, -30, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
			expect(() => timeStep(NOW, period), String(period)).toThrow(RangeError);
		}
	});
});

describe("generateTOTP", () => {
	it("equals HOTP at the time step", () => {
		expect(generateTOTP(RFC_KEY, NOW)).toBe(generateHOTP(RFC_KEY, BigInt(STEP)));
		expect(generateTOTPAtStep(RFC_KEY, STEP, { digits: 8, algorithm: "SHA256" })).toBe(
			generateHOTP(RFC_KEY, BigInt(STEP), { digits: 8, algorithm: "SHA256" }),
		);
	});

	it("gives the same code for every instant inside one step", () => {
		const start = STEP * 30_000;
		expect(generateTOTP(RFC_KEY, start + 29_999)).toBe(generateTOTP(RFC_KEY, start));
		expect(generateTOTP(RFC_KEY, start + 30_000)).not.toBe(generateTOTP(RFC_KEY, start));
	});

	it("uses the 64-bit step beyond 2^32 steps", () => {
		const step = 2 ** 32;
		expect(generateTOTPAtStep(RFC_KEY, step)).toBe("999456");
		expect(generateTOTP(RFC_KEY, step * 30_000)).toBe("999456");
	});

	it("rejects a bad step with RangeError", () => {
		for (const step of [-1, 1.5, Number.NaN, 2 ** 53]) {
			expect(() => generateTOTPAtStep(RFC_KEY, step), String(step)).toThrow(RangeError);
		}
	});

	it("rejects bad digits, period and time with RangeError, bad key with TypeError", () => {
		expect(() => generateTOTP(RFC_KEY, NOW, { digits: 9 })).toThrow(RangeError);
		expect(() => generateTOTP(RFC_KEY, NOW, { periodSeconds: 0 })).toThrow(RangeError);
		expect(() => generateTOTP(RFC_KEY, -1)).toThrow(RangeError);
		expect(() => generateTOTP(new Uint8Array(0), NOW)).toThrow(TypeError);
	});
});

describe("verifyTOTP", () => {
	it("returns the current step for the current code", () => {
		expect(verifyTOTP(RFC_KEY, generateTOTP(RFC_KEY, NOW), NOW)).toBe(STEP);
	});

	it("accepts the previous and next step with the default window of 1 and returns that step", () => {
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP - 1), NOW)).toBe(STEP - 1);
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP + 1), NOW)).toBe(STEP + 1);
	});

	it("rejects codes two steps away with the default window", () => {
		const earlier = generateTOTPAtStep(RFC_KEY, STEP - 2);
		const later = generateTOTPAtStep(RFC_KEY, STEP + 2);
		// Only meaningful when these codes do not collide with the accepted ones.
		const accepted = [STEP - 1, STEP, STEP + 1].map((step) => generateTOTPAtStep(RFC_KEY, step));
		expect(accepted).not.toContain(earlier);
		expect(accepted).not.toContain(later);
		expect(verifyTOTP(RFC_KEY, earlier, NOW)).toBeNull();
		expect(verifyTOTP(RFC_KEY, later, NOW)).toBeNull();
	});

	it("accepts only the current step with windowSteps 0", () => {
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP), NOW, { windowSteps: 0 })).toBe(STEP);
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP - 1), NOW, { windowSteps: 0 })).toBeNull();
	});

	it("accepts two steps away with windowSteps 2", () => {
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP - 2), NOW, { windowSteps: 2 })).toBe(STEP - 2);
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP + 2), NOW, { windowSteps: 2 })).toBe(STEP + 2);
	});

	it("never tries steps before the epoch", () => {
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, 0), 10_000, { windowSteps: 3 })).toBe(0);
		expect(verifyTOTP(RFC_KEY, generateTOTPAtStep(RFC_KEY, 1), 10_000)).toBe(1);
	});

	it("honours digits, period and algorithm", () => {
		const options = { digits: 8, periodSeconds: 60, algorithm: "SHA512" } as const;
		const code = generateTOTP(RFC_KEY, NOW, options);
		expect(verifyTOTP(RFC_KEY, code, NOW, options)).toBe(timeStep(NOW, 60));
		expect(verifyTOTP(RFC_KEY, code, NOW, { ...options, algorithm: "SHA1" })).toBeNull();
	});

	it("returns null for a wrong code", () => {
		expect(verifyTOTP(RFC_KEY, codeMatchingNoStep(STEP - 1, STEP + 1), NOW)).toBeNull();
	});

	it("returns null for malformed codes and does not normalise them", () => {
		const code = generateTOTP(RFC_KEY, NOW);
		for (const input of [`${code.slice(0, 3)} ${code.slice(3)}`, ` ${code}`, `${code}\n`, code.slice(1), `0${code}`, ""]) {
			expect(verifyTOTP(RFC_KEY, input, NOW), JSON.stringify(input)).toBeNull();
		}
		const fullWidth = code.replace(/[0-9]/g, (digit) => String.fromCharCode(0xff10 + Number(digit)));
		expect(verifyTOTP(RFC_KEY, fullWidth, NOW)).toBeNull();
	});

	it("rejects a code whose leading zero was dropped", () => {
		// RFC 4226 seed at 1111111109 s: 6-digit code 081804.
		expect(verifyTOTP(RFC_KEY, "081804", 1_111_111_109_000)).toBe(0x023523ec);
		expect(verifyTOTP(RFC_KEY, "81804", 1_111_111_109_000)).toBeNull();
	});

	it("throws RangeError on a bad window, period or time even for a malformed code", () => {
		expect(() => verifyTOTP(RFC_KEY, "x", NOW, { windowSteps: -1 })).toThrow(RangeError);
		expect(() => verifyTOTP(RFC_KEY, "x", NOW, { windowSteps: 0.5 })).toThrow(RangeError);
		expect(() => verifyTOTP(RFC_KEY, "x", NOW, { periodSeconds: 0 })).toThrow(RangeError);
		expect(() => verifyTOTP(RFC_KEY, "x", -1)).toThrow(RangeError);
		expect(() => verifyTOTP(RFC_KEY, "x", NOW, { digits: 10 })).toThrow(RangeError);
	});

	it("throws TypeError on a bad key or algorithm", () => {
		expect(() => verifyTOTP(new Uint8Array(0), "123456", NOW)).toThrow(TypeError);
		expect(() => verifyTOTP(RFC_KEY, "123456", NOW, { algorithm: "SHA3" as "SHA1" })).toThrow(TypeError);
	});
});

describe("findTOTPStepOffset", () => {
	it("returns the signed offset of a code from a drifted clock", () => {
		expect(findTOTPStepOffset(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP - 4), NOW, { searchSteps: 10 })).toBe(-4);
		expect(findTOTPStepOffset(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP + 7), NOW, { searchSteps: 10 })).toBe(7);
		expect(findTOTPStepOffset(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP), NOW, { searchSteps: 10 })).toBe(0);
	});

	it("returns null beyond searchSteps, for wrong codes and for malformed codes", () => {
		expect(findTOTPStepOffset(RFC_KEY, generateTOTPAtStep(RFC_KEY, STEP - 4), NOW, { searchSteps: 3 })).toBeNull();
		expect(findTOTPStepOffset(RFC_KEY, codeMatchingNoStep(STEP - 5, STEP + 5), NOW, { searchSteps: 5 })).toBeNull();
		expect(findTOTPStepOffset(RFC_KEY, "12 345", NOW, { searchSteps: 5 })).toBeNull();
	});

	it("honours the period when converting time to steps", () => {
		const code = generateTOTPAtStep(RFC_KEY, timeStep(NOW, 60) - 2, { digits: 8 });
		expect(findTOTPStepOffset(RFC_KEY, code, NOW, { searchSteps: 3, periodSeconds: 60, digits: 8 })).toBe(-2);
	});

	it("rejects a negative or fractional searchSteps with RangeError", () => {
		expect(() => findTOTPStepOffset(RFC_KEY, "123456", NOW, { searchSteps: -1 })).toThrow(RangeError);
		expect(() => findTOTPStepOffset(RFC_KEY, "123456", NOW, { searchSteps: 1.5 })).toThrow(RangeError);
	});
});
