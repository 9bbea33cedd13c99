import { describe, expect, it } from "vitest";
import {
	dynamicTruncate,
	dynamicTruncateLatin1,
	generateHOTP,
	isWellFormedOTP,
	normalizeOTPInput,
	otpEqualsValue,
	verifyHOTP,
} from "./hotp.js";

const RFC_KEY = new TextEncoder().encode("12345678901234567890");

describe("generateHOTP", () => {
	it("matches RFC 4226 Appendix D at counters 0 and 9", () => {
		expect(generateHOTP(RFC_KEY, 0n)).toBe("755224");
		expect(generateHOTP(RFC_KEY, 9n)).toBe("520489");
	});

	it("uses all 64 counter bits: 2^32 differs from 0 and 2^32 + 1 from 1", () => {
		expect(generateHOTP(RFC_KEY, 2n ** 32n)).toBe("999456");
		expect(generateHOTP(RFC_KEY, 2n ** 32n + 1n)).toBe("108930");
	});

	it("accepts the largest 64-bit counter", () => {
		expect(generateHOTP(RFC_KEY, 2n ** 64n - 1n)).toMatch(/^[0-9]{6}$/);
	});

	it("keeps leading zeros and returns exactly `digits` characters", () => {
		expect(generateHOTP(RFC_KEY, 2147483648n, { digits: 8 })).toBe("04197202");
		for (const digits of [6, 7, 8]) {
			expect(generateHOTP(RFC_KEY, 5n, { digits })).toHaveLength(digits);
		}
	});

	it("is a suffix relation across digit counts: the 6-digit code ends the 8-digit code", () => {
		for (let counter = 0n; counter < 20n; counter++) {
			expect(generateHOTP(RFC_KEY, counter, { digits: 8 }).endsWith(generateHOTP(RFC_KEY, counter))).toBe(true);
		}
	});

	it("gives different codes per algorithm for the same key and counter", () => {
		const codes = new Set(
			(["SHA1", "SHA256", "SHA512"] as const).map((algorithm) => generateHOTP(RFC_KEY, 1n, { algorithm, digits: 8 })),
		);
		expect(codes.size).toBe(3);
	});

	it("rejects counters outside [0, 2^64) with RangeError and non-bigints with TypeError", () => {
		expect(() => generateHOTP(RFC_KEY, -1n)).toThrow(RangeError);
		expect(() => generateHOTP(RFC_KEY, 2n ** 64n)).toThrow(RangeError);
		expect(() => generateHOTP(RFC_KEY, 1 as unknown as bigint)).toThrow(TypeError);
	});

	it("rejects digits outside 6..8 with RangeError", () => {
		for (const digits of [5, 9, 0, 6.5, Number.NaN]) {
			expect(() => generateHOTP(RFC_KEY, 0n, { digits }), String(digits)).toThrow(RangeError);
		}
	});

	it("rejects an unknown algorithm and an empty or non-byte key with TypeError", () => {
		expect(() => generateHOTP(RFC_KEY, 0n, { algorithm: "MD5" as "SHA1" })).toThrow(TypeError);
		expect(() => generateHOTP(RFC_KEY, 0n, { algorithm: "sha1" as "SHA1" })).toThrow(TypeError);
		expect(() => generateHOTP(new Uint8Array(0), 0n)).toThrow(TypeError);
		expect(() => generateHOTP("12345678901234567890" as unknown as Uint8Array, 0n)).toThrow(TypeError);
	});
});

describe("verifyHOTP", () => {
	it("accepts the code generated for the same counter", () => {
		expect(verifyHOTP(RFC_KEY, 3n, "969429")).toBe(true);
		expect(verifyHOTP(RFC_KEY, 3n, generateHOTP(RFC_KEY, 3n, { digits: 8, algorithm: "SHA512" }), { digits: 8, algorithm: "SHA512" })).toBe(true);
	});

	it("rejects a code for another counter (no look-ahead)", () => {
		expect(verifyHOTP(RFC_KEY, 4n, "969429")).toBe(false);
	});

	it("rejects a code with its leading zero dropped", () => {
		expect(verifyHOTP(RFC_KEY, 2147483648n, "04197202", { digits: 8 })).toBe(true);
		expect(verifyHOTP(RFC_KEY, 2147483648n, "4197202", { digits: 8 })).toBe(false);
	});

	it("returns false for malformed codes instead of throwing", () => {
		for (const code of ["", "96942", "9694290", " 969429", "969 429", "９６９４２９", "96942a", "+69429"]) {
			expect(verifyHOTP(RFC_KEY, 3n, code), code).toBe(false);
		}
		expect(verifyHOTP(RFC_KEY, 3n, null as unknown as string)).toBe(false);
	});

	it("still throws on misuse even when the code is malformed", () => {
		expect(() => verifyHOTP(RFC_KEY, -1n, "")).toThrow(RangeError);
		expect(() => verifyHOTP(RFC_KEY, 0n, "", { digits: 4 })).toThrow(RangeError);
	});
});

describe("dynamicTruncate", () => {
	it("reproduces the RFC 4226 §5.4 example: offset 10 -> 0x50ef7f19", () => {
		const hmac = Buffer.from("1f8698690e02ca16618550ef7f19da8e945b555a", "hex");
		expect(dynamicTruncate(hmac)).toBe(0x50ef7f19);
		expect(dynamicTruncateLatin1(hmac.toString("latin1"))).toBe(0x50ef7f19);
		expect(dynamicTruncate(hmac) % 1_000_000).toBe(872921);
	});

	it("clears the top bit so the result is below 2^31", () => {
		const hmac = new Uint8Array(20).fill(0xff);
		hmac[19] = 0x00; // offset 0
		expect(dynamicTruncate(hmac)).toBe(0x7fffffff);
		expect(dynamicTruncateLatin1(Buffer.from(hmac).toString("latin1"))).toBe(0x7fffffff);
	});

	it("can read up to byte 18 when the offset is 15", () => {
		const hmac = new Uint8Array(20);
		hmac.set([0x81, 0x02, 0x03, 0x04], 15);
		hmac[19] = 0x0f; // offset 15: bytes 15..18, top bit of byte 15 cleared
		expect(dynamicTruncate(hmac)).toBe(0x01020304);
		expect(dynamicTruncateLatin1(Buffer.from(hmac).toString("latin1"))).toBe(0x01020304);
	});

	it("rejects inputs shorter than 20 bytes with RangeError", () => {
		expect(() => dynamicTruncate(new Uint8Array(19))).toThrow(RangeError);
		expect(() => dynamicTruncateLatin1("x".repeat(19))).toThrow(RangeError);
	});
});

describe("otpEqualsValue", () => {
	it("is true only for the zero-padded decimal form of the value", () => {
		expect(otpEqualsValue("001234", 1234, 6)).toBe(true);
		expect(otpEqualsValue("1234", 1234, 6)).toBe(false);
		expect(otpEqualsValue("001235", 1234, 6)).toBe(false);
		expect(otpEqualsValue("101234", 1234, 6)).toBe(false);
		expect(otpEqualsValue("00001234", 1234, 8)).toBe(true);
	});
});

describe("isWellFormedOTP", () => {
	it("accepts exactly `digits` ASCII digits", () => {
		expect(isWellFormedOTP("000000", 6)).toBe(true);
		expect(isWellFormedOTP("1234567", 7)).toBe(true);
		expect(isWellFormedOTP("99999999", 8)).toBe(true);
	});

	it("rejects wrong lengths, spaces, signs, letters and non-ASCII digits", () => {
		for (const code of ["", "12345", "1234567", "12345 ", "123 45", "-12345", "+12345", "1e5000", "12345a", "１２３４５６", "١٢٣٤٥٦", "12345\u0000", "None"]) {
			expect(isWellFormedOTP(code, 6), JSON.stringify(code)).toBe(false);
		}
	});

	it("returns false for non-strings", () => {
		expect(isWellFormedOTP(123456 as unknown as string, 6)).toBe(false);
		expect(isWellFormedOTP(null as unknown as string, 6)).toBe(false);
	});

	it("rejects digits outside 6..8 with RangeError", () => {
		expect(() => isWellFormedOTP("12345", 5)).toThrow(RangeError);
	});
});

describe("normalizeOTPInput", () => {
	it("trims and removes internal ASCII spaces and hyphens", () => {
		expect(normalizeOTPInput("123 456")).toBe("123456");
		expect(normalizeOTPInput(" 123456\n")).toBe("123456");
		expect(normalizeOTPInput("123-456")).toBe("123456");
		expect(normalizeOTPInput("1 2 3 - 4 5 6")).toBe("123456");
	});

	it("leaves everything else for isWellFormedOTP to reject", () => {
		expect(normalizeOTPInput("123\t456")).toBe("123\t456");
		expect(normalizeOTPInput("１２３４５６")).toBe("１２３４５６");
		expect(normalizeOTPInput("123_456")).toBe("123_456");
		expect(isWellFormedOTP(normalizeOTPInput("123\u00a0456"), 6)).toBe(false);
	});

	it("rejects a non-string with TypeError", () => {
		expect(() => normalizeOTPInput(undefined as unknown as string)).toThrow(TypeError);
	});
});
