// Source: RFC 6238 "TOTP: Time-Based One-Time Password Algorithm", Appendix B ("Test
// Vectors"; X = 30, T0 = 0, 8 digits) with the per-hash seeds of the Appendix A reference
// code (the Appendix B prose names only the 20-byte seed, a known inconsistency), as
// tabulated in /work/shared/STANDARDS.md §8.2, plus its computed 6-digit SHA1 column and
// negative control. Also the STANDARDS.md §8.4 TOTP checks on decoded key-URI secrets.
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import type { OTPAlgorithm } from "../../src/domain/otp/hotp.js";
import { generateTOTP, timeStep, verifyTOTP } from "../../src/domain/otp/totp.js";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Appendix A seeds: 20 bytes for SHA1, 32 for SHA256, 64 for SHA512. */
const SEEDS: Readonly<Record<OTPAlgorithm, Uint8Array>> = {
	SHA1: ascii("12345678901234567890"),
	SHA256: ascii("12345678901234567890123456789012"),
	SHA512: ascii("1234567890".repeat(6) + "1234"),
};

/** Appendix B: Unix time (s), T (hex), SHA1, SHA256, SHA512 (8 digits). */
const APPENDIX_B: ReadonlyArray<readonly [number, string, string, string, string]> = [
	[59, "0000000000000001", "94287082", "46119246", "90693936"],
	[1111111109, "00000000023523EC", "07081804", "68084774", "25091201"],
	[1111111111, "00000000023523ED", "14050471", "67062674", "99943326"],
	[1234567890, "000000000273EF07", "89005924", "91819424", "93441116"],
	[2000000000, "0000000003F940AA", "69279037", "90698825", "38618901"],
	[20000000000, "0000000027BC86AA", "65353130", "77737706", "47863826"],
];

/** STANDARDS.md §8.2: 6-digit SHA1 equivalents (computed), same times as APPENDIX_B. */
const SHA1_SIX_DIGITS = ["287082", "081804", "050471", "005924", "279037", "353130"];

describe("RFC 6238 Appendix B seeds", () => {
	it("have the lengths of the Appendix A reference code (20, 32, 64 bytes)", () => {
		expect([SEEDS.SHA1.length, SEEDS.SHA256.length, SEEDS.SHA512.length]).toEqual([20, 32, 64]);
		expect(Buffer.from(SEEDS.SHA256).toString("hex")).toBe(
			"3132333435363738393031323334353637383930313233343536373839303132",
		);
	});

	it("decode from their unpadded base32 forms (52 and 103 characters are not multiples of 8)", () => {
		expect(decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).toEqual(SEEDS.SHA1);
		expect(decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA")).toEqual(SEEDS.SHA256);
		expect(decodeBase32("GEZDGNBVGY3TQOJQ".repeat(6) + "GEZDGNA")).toEqual(SEEDS.SHA512);
	});
});

describe("RFC 6238 Appendix B (X = 30, T0 = 0, 8 digits)", () => {
	describe.each(APPENDIX_B)("t = %i s (T = %s)", (seconds, stepHex, sha1, sha256, sha512) => {
		const nowUnixMillis = seconds * 1000;

		it("has the listed time step", () => {
			expect(timeStep(nowUnixMillis, 30)).toBe(Number.parseInt(stepHex, 16));
		});

		it.each([
			["SHA1", sha1],
			["SHA256", sha256],
			["SHA512", sha512],
		] as const)("%s gives %s and verifies at the same step", (algorithm, expected) => {
			const options = { algorithm, digits: 8 } as const;
			expect(generateTOTP(SEEDS[algorithm], nowUnixMillis, options)).toBe(expected);
			expect(verifyTOTP(SEEDS[algorithm], expected, nowUnixMillis, options)).toBe(timeStep(nowUnixMillis, 30));
		});
	});
});

describe("STANDARDS.md §8.2 6-digit SHA1 equivalents (computed)", () => {
	it.each(APPENDIX_B.map(([seconds], index) => [seconds, SHA1_SIX_DIGITS[index] as string] as const))(
		"t = %i s gives %s, leading zeros kept",
		(seconds, expected) => {
			expect(generateTOTP(SEEDS.SHA1, seconds * 1000)).toBe(expected);
			expect(verifyTOTP(SEEDS.SHA1, expected, seconds * 1000, { windowSteps: 0 })).toBe(timeStep(seconds * 1000, 30));
		},
	);

	it("rejects the 005924 code with its leading zeros dropped", () => {
		expect(verifyTOTP(SEEDS.SHA1, "5924", 1234567890 * 1000)).toBeNull();
	});
});

describe("STANDARDS.md §8.2 negative control", () => {
	it("SHA256 with the 20-byte seed gives 32247374 at t = 59, not the Appendix B value", () => {
		expect(generateTOTP(SEEDS.SHA1, 59_000, { algorithm: "SHA256", digits: 8 })).toBe("32247374");
		expect(generateTOTP(SEEDS.SHA1, 59_000, { algorithm: "SHA256", digits: 8 })).not.toBe("46119246");
	});
});

describe("STANDARDS.md §8.4 TOTP checks on base32 secrets (SHA1, 6 digits, 30 s)", () => {
	it("JBSWY3DPEHPK3PXP gives 324550 at 1700000000, 996554 at 59 and 282760 at 0", () => {
		const key = decodeBase32("JBSWY3DPEHPK3PXP");
		expect(generateTOTP(key, 1_700_000_000_000)).toBe("324550");
		expect(generateTOTP(key, 59_000)).toBe("996554");
		expect(generateTOTP(key, 0)).toBe("282760");
	});

	it("S46SQCPPTCNPROMHWYBDCTBZXV gives 100172 at 1612380872 (a buggy decoder gives 184825)", () => {
		const key = decodeBase32("S46SQCPPTCNPROMHWYBDCTBZXV");
		expect(generateTOTP(key, 1_612_380_872_000)).toBe("100172");
	});
});
