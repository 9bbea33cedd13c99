// Source: RFC 4226 "HOTP: An HMAC-Based One-Time Password Algorithm", Appendix D
// ("HOTP Algorithm: Test Values") and §5.4 ("Example of HOTP Computation for Digit = 6");
// counter-width vectors from /work/shared/STANDARDS.md §8.3 (computed with Python hmac,
// Node.js crypto and oathtool; not in the RFC).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dynamicTruncate, generateHOTP, verifyHOTP } from "../../src/domain/otp/hotp.js";

/** Appendix D secret: ASCII "12345678901234567890". */
const SECRET = Buffer.from("3132333435363738393031323334353637383930", "hex");

/** Appendix D: count, HMAC-SHA-1(secret, count), truncated decimal, HOTP (6 digits). */
const APPENDIX_D: ReadonlyArray<readonly [number, string, number, string]> = [
	[0, "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"],
	[1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"],
	[2, "0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"],
	[3, "66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"],
	[4, "a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"],
	[5, "a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"],
	[6, "bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"],
	[7, "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"],
	[8, "1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"],
	[9, "1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"],
];

/** STANDARDS.md §8.3: counter, 6 digits, 8 digits. */
const COUNTER_WIDTH: ReadonlyArray<readonly [bigint, string, string]> = [
	[2147483647n, "223505", "27223505"], // 2^31 - 1
	[2147483648n, "197202", "04197202"], // 2^31: a signed 32-bit bug breaks here
	[4294967295n, "117190", "57117190"], // 2^32 - 1
	[4294967296n, "999456", "55999456"], // 2^32: a 32-bit truncation bug returns 755224
	[4294967297n, "108930", "39108930"], // 2^32 + 1: a 32-bit truncation bug returns 287082
	[9007199254740991n, "891307", "41891307"], // 2^53 - 1
];

describe("RFC 4226 Appendix D (HMAC-SHA-1, 6 digits)", () => {
	it.each(APPENDIX_D)("count %i: HMAC, truncation and HOTP value match", (count, hmacHex, truncated, hotp) => {
		const counterBytes = Buffer.alloc(8);
		counterBytes.writeBigUInt64BE(BigInt(count));
		const hmac = createHmac("sha1", SECRET).update(counterBytes).digest();
		expect(hmac.toString("hex")).toBe(hmacHex);
		expect(dynamicTruncate(hmac)).toBe(truncated);
		expect(generateHOTP(SECRET, BigInt(count))).toBe(hotp);
		expect(verifyHOTP(SECRET, BigInt(count), hotp)).toBe(true);
	});
});

describe("RFC 4226 §5.4 example", () => {
	it("truncates 1f8698690e02ca16618550ef7f19da8e945b555a to 0x50ef7f19 and 872921", () => {
		const hmac = Buffer.from("1f8698690e02ca16618550ef7f19da8e945b555a", "hex");
		expect((hmac[19] as number) & 0x0f).toBe(10);
		expect(dynamicTruncate(hmac)).toBe(0x50ef7f19);
		expect(dynamicTruncate(hmac)).toBe(1357872921);
		expect(String(dynamicTruncate(hmac) % 10 ** 6)).toBe("872921");
	});
});

describe("STANDARDS.md §8.3 counter-width vectors (64-bit counter, high byte first)", () => {
	it.each(COUNTER_WIDTH)("counter %s gives %s (6 digits) and %s (8 digits)", (counter, six, eight) => {
		expect(generateHOTP(SECRET, counter)).toBe(six);
		expect(generateHOTP(SECRET, counter, { digits: 8 })).toBe(eight);
		expect(verifyHOTP(SECRET, counter, six)).toBe(true);
		expect(verifyHOTP(SECRET, counter, eight, { digits: 8 })).toBe(true);
	});

	it("counters 2^32 and 2^32 + 1 do not collapse onto counters 0 and 1", () => {
		expect(generateHOTP(SECRET, 2n ** 32n)).not.toBe("755224");
		expect(generateHOTP(SECRET, 2n ** 32n + 1n)).not.toBe("287082");
	});
});
