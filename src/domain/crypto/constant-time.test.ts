import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "./constant-time.js";

describe("constantTimeEqual", () => {
	it("is true for identical bytes and identical strings", () => {
		expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
		expect(constantTimeEqual("123456", "123456")).toBe(true);
		expect(constantTimeEqual("", "")).toBe(true);
		expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
	});

	it("is false for same-length inputs that differ in any position", () => {
		expect(constantTimeEqual("123456", "023456")).toBe(false);
		expect(constantTimeEqual("123456", "123457")).toBe(false);
		expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
	});

	it("returns false instead of throwing when lengths differ", () => {
		expect(constantTimeEqual("12345", "123456")).toBe(false);
		expect(constantTimeEqual(Uint8Array.of(1), new Uint8Array(0))).toBe(false);
	});

	it("compares strings as UTF-8 bytes, so a string equals its UTF-8 encoding", () => {
		expect(constantTimeEqual("Zürich", new TextEncoder().encode("Zürich"))).toBe(true);
		expect(constantTimeEqual("é", Uint8Array.of(0xe9))).toBe(false);
		// Same number of UTF-16 code units, different UTF-8 byte lengths.
		expect(constantTimeEqual("ü", "u")).toBe(false);
	});

	it("returns false instead of throwing for arguments that are neither strings nor bytes", () => {
		expect(constantTimeEqual(null as unknown as string, "")).toBe(false);
		expect(constantTimeEqual("1", 1 as unknown as string)).toBe(false);
		expect(constantTimeEqual(undefined as unknown as string, undefined as unknown as string)).toBe(false);
	});

	it("compares views by their own bytes, not the whole underlying buffer", () => {
		const backing = Uint8Array.of(9, 1, 2, 3, 9);
		expect(constantTimeEqual(backing.subarray(1, 4), Uint8Array.of(1, 2, 3))).toBe(true);
	});
});
