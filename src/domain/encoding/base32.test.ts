import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "./base32.js";

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

const HELLO_DEADBEEF = "48656c6c6f21deadbeef";

describe("encodeBase32", () => {
	it("uses the upper-case RFC 4648 alphabet and never pads", () => {
		expect(encodeBase32(new TextEncoder().encode("f"))).toBe("MY");
		expect(encodeBase32(new TextEncoder().encode("fooba"))).toBe("MZXW6YTB");
		expect(encodeBase32(Buffer.from(HELLO_DEADBEEF, "hex"))).toBe("JBSWY3DPEHPK3PXP");
	});

	it("encodes no bytes as the empty string", () => {
		expect(encodeBase32(new Uint8Array(0))).toBe("");
	});

	it("encodes a 20-byte key as 32 characters", () => {
		expect(encodeBase32(new Uint8Array(20).fill(0xff))).toBe("7".repeat(32));
	});

	it("writes zero bits into the unused low bits of the last character", () => {
		expect(encodeBase32(Uint8Array.of(0xff))).toBe("74");
	});

	it("rejects a non-Uint8Array with TypeError", () => {
		expect(() => encodeBase32("abc" as unknown as Uint8Array)).toThrow(TypeError);
	});
});

describe("decodeBase32", () => {
	it("decodes lower case, grouped and padded forms to the same bytes", () => {
		for (const text of [
			"JBSWY3DPEHPK3PXP",
			"jbswy3dpehpk3pxp",
			"JBSW Y3DP EHPK 3PXP",
			"JBSW-Y3DP-EHPK-3PXP",
			"JBSWY3DP\nEHPK3PXP\r\n",
			"\tJBSWY3DPEHPK3PXP ",
			"JBSWY3DPEHPK3PXP======",
			"JBSWY3DPEHPK3PXP=",
		]) {
			expect(hex(decodeBase32(text)), text).toBe(HELLO_DEADBEEF);
		}
	});

	it("accepts lengths that are not a multiple of 8, with or without padding", () => {
		expect(hex(decodeBase32("MZXW6"))).toBe(hex(new TextEncoder().encode("foo")));
		expect(hex(decodeBase32("MZXW6==="))).toBe(hex(new TextEncoder().encode("foo")));
		expect(hex(decodeBase32("S46SQCPPTCNPROMHWYBDCTBZXV"))).toBe("973d2809ef989af8b987b602314c39bd");
	});

	it("ignores non-zero unused trailing bits (lenient, like authenticator apps)", () => {
		expect(hex(decodeBase32("MZ"))).toBe("66");
		expect(hex(decodeBase32("M7"))).toBe("67");
		expect(hex(decodeBase32("74"))).toBe("ff");
		expect(hex(decodeBase32("77"))).toBe("ff");
	});

	it("decodes the empty string and separators-only to no bytes", () => {
		expect(decodeBase32("").length).toBe(0);
		expect(decodeBase32(" - \n").length).toBe(0);
	});

	it("rejects characters outside the alphabet with TypeError", () => {
		for (const text of ["JBSWY3DPEHPK3PX0", "JBSWY3DPEHPK3PX1", "JBSWY3DPEHPK3PX8", "JBSWY3DPEHPK3PX9", "JBSW_Y3DP", "JBSW.Y3DP", "JBSWY3DPÉHPK3PXP", "ＪBSWY3DP", "JBSW+Y3D"]) {
			expect(() => decodeBase32(text), text).toThrow(TypeError);
		}
	});

	it("rejects '=' followed by data with TypeError", () => {
		expect(() => decodeBase32("MZ======MZXW6===")).toThrow(TypeError);
		expect(() => decodeBase32("=MZXW6")).toThrow(TypeError);
		expect(() => decodeBase32("MZXW=6")).toThrow(TypeError);
	});

	it("rejects lengths that no byte string encodes to (1, 3 or 6 characters mod 8)", () => {
		for (const text of ["A", "ABC", "ABCDEF", "ABCDEFGHA", "ABCDEFGHABC", "ABCDEFGHABCDEF", "A======="]) {
			expect(() => decodeBase32(text), text).toThrow(TypeError);
		}
	});

	it("rejects a non-string with TypeError", () => {
		expect(() => decodeBase32(undefined as unknown as string)).toThrow(TypeError);
	});

	it("round-trips every length from 0 to 40 bytes", () => {
		for (let length = 0; length <= 40; length++) {
			const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
			expect(hex(decodeBase32(encodeBase32(bytes)))).toBe(hex(bytes));
		}
	});
});
