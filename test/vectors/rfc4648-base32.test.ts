// Source: RFC 4648 "The Base16, Base32, and Base64 Data Encodings", §10 ("Test Vectors",
// BASE32 rows), and the decoding vectors of /work/shared/STANDARDS.md §8.4 (computed).
// deadbolt encodes without padding (Key Uri Format: padding should be omitted), so the
// RFC's padded forms are checked as decoder input and their unpadded prefix as output.
import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "../../src/domain/encoding/base32.js";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** RFC 4648 §10: input, BASE32 (padded, as printed in the RFC). */
const SECTION_10: ReadonlyArray<readonly [string, string]> = [
	["", ""],
	["f", "MY======"],
	["fo", "MZXQ===="],
	["foo", "MZXW6==="],
	["foob", "MZXW6YQ="],
	["fooba", "MZXW6YTB"],
	["foobar", "MZXW6YTBOI======"],
];

describe("RFC 4648 §10 base32 vectors", () => {
	it.each(SECTION_10)("encodes %j as the RFC value without padding", (input, padded) => {
		expect(encodeBase32(ascii(input))).toBe(padded.replace(/=+$/, ""));
	});

	it.each(SECTION_10)("decodes the padded RFC value of %j", (input, padded) => {
		expect(hex(decodeBase32(padded))).toBe(hex(ascii(input)));
	});

	it.each(SECTION_10)("decodes the unpadded and lower-case forms of %j", (input, padded) => {
		expect(hex(decodeBase32(padded.replace(/=+$/, "")))).toBe(hex(ascii(input)));
		expect(hex(decodeBase32(padded.toLowerCase()))).toBe(hex(ascii(input)));
	});
});

describe("STANDARDS.md §8.4 decoding vectors", () => {
	it.each(["JBSWY3DPEHPK3PXP", "jbswy3dpehpk3pxp", "JBSW Y3DP EHPK 3PXP", "JBSWY3DPEHPK3PXP======"])(
		"%j decodes to 48656c6c6f21deadbeef (\"Hello!\" + DEADBEEF)",
		(input) => {
			expect(hex(decodeBase32(input))).toBe("48656c6c6f21deadbeef");
		},
	);

	it("S46SQCPPTCNPROMHWYBDCTBZXV (26 characters) decodes to 16 bytes 973d2809ef989af8b987b602314c39bd", () => {
		const bytes = decodeBase32("S46SQCPPTCNPROMHWYBDCTBZXV");
		expect(bytes.length).toBe(16);
		expect(hex(bytes)).toBe("973d2809ef989af8b987b602314c39bd");
	});

	it("the RFC 6238 SHA256 seed (52 characters, not a multiple of 8) decodes to 32 bytes", () => {
		const bytes = decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA");
		expect(bytes.length).toBe(32);
		expect(new TextDecoder().decode(bytes)).toBe("12345678901234567890123456789012");
	});

	it.each(["JBSWY3DPEHPK3PX0", "JBSWY3DPEHPK3PX1", "JBSWY3DP EHPK 3PX!", "JBSW=Y3DP"])("rejects %j with TypeError", (input) => {
		expect(() => decodeBase32(input)).toThrow(TypeError);
	});
});
