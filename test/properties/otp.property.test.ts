// Property-based tests (fast-check) for the OTP core: round trips and a differential test
// against the `otpauth` package (hectorm/otpauth, dev dependency only, used as an oracle).
import fc from "fast-check";
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateHOTP, verifyHOTP } from "../../src/domain/otp/hotp.js";
import type { OTPAlgorithm } from "../../src/domain/otp/hotp.js";
import { createKeyURI, parseKeyURI } from "../../src/domain/otp/key-uri.js";
import type { KeyURI, KeyURIParams } from "../../src/domain/otp/key-uri.js";
import { generateTOTP, generateTOTPAtStep, timeStep, verifyTOTP } from "../../src/domain/otp/totp.js";

const MAX_COUNTER = 2n ** 64n - 1n;

const keyArbitrary = fc.uint8Array({ minLength: 1, maxLength: 64 });
const algorithmArbitrary = fc.constantFrom<OTPAlgorithm>("SHA1", "SHA256", "SHA512");
const digitsArbitrary = fc.integer({ min: 6, max: 8 });
/** Epoch milliseconds from 1970 to about 2039 (2^41 ms). */
const timeArbitrary = fc.integer({ min: 0, max: 2 ** 41 });
const periodArbitrary = fc.integer({ min: 1, max: 300 });

function toOTPAuthSecret(key: Uint8Array): OTPAuth.Secret {
	// Copy so the Secret sees exactly these bytes, whatever the view's offset.
	return new OTPAuth.Secret({ buffer: key.slice().buffer });
}

describe("round trips", () => {
	it("verifyHOTP accepts what generateHOTP produced for any key, 64-bit counter, digits and algorithm", () => {
		fc.assert(
			fc.property(keyArbitrary, fc.bigInt({ min: 0n, max: MAX_COUNTER }), digitsArbitrary, algorithmArbitrary, (key, counter, digits, algorithm) => {
				const code = generateHOTP(key, counter, { digits, algorithm });
				expect(code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
				expect(verifyHOTP(key, counter, code, { digits, algorithm })).toBe(true);
			}),
		);
	});

	it("verifyTOTP returns the current step for the code generated now", () => {
		fc.assert(
			fc.property(keyArbitrary, timeArbitrary, periodArbitrary, digitsArbitrary, algorithmArbitrary, (key, now, periodSeconds, digits, algorithm) => {
				const options = { periodSeconds, digits, algorithm };
				expect(verifyTOTP(key, generateTOTP(key, now, options), now, options)).toBe(timeStep(now, periodSeconds));
			}),
		);
	});

	it("a code from a step within the window is accepted and the returned step really has that code", () => {
		fc.assert(
			fc.property(
				keyArbitrary,
				timeArbitrary,
				fc.integer({ min: 0, max: 3 }),
				fc.integer({ min: -3, max: 3 }),
				(key, now, windowSteps, offset) => {
					fc.pre(Math.abs(offset) <= windowSteps);
					const step = timeStep(now, 30) + offset;
					fc.pre(step >= 0);
					const code = generateTOTPAtStep(key, step);
					const matched = verifyTOTP(key, code, now, { windowSteps });
					expect(matched).not.toBeNull();
					// Usually `step` itself; an earlier-tried step wins only on a code collision.
					expect(generateTOTPAtStep(key, matched as number)).toBe(code);
					expect(Math.abs((matched as number) - timeStep(now, 30))).toBeLessThanOrEqual(windowSteps);
				},
			),
		);
	});

	it("decodeBase32(encodeBase32(bytes)) returns the bytes, also lower-cased, grouped and padded", () => {
		fc.assert(
			fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), (bytes) => {
				const text = encodeBase32(bytes);
				expect(text).toMatch(/^[A-Z2-7]*$/);
				expect(decodeBase32(text)).toEqual(bytes);
				const sloppy = `${(text.toLowerCase().match(/.{1,4}/g) ?? []).join(" ")}${"=".repeat((8 - (text.length % 8)) % 8)}`;
				expect(decodeBase32(sloppy)).toEqual(bytes);
			}),
		);
	});

	it("parseKeyURI(createKeyURI(u)) returns u", () => {
		const nameCharacter = fc.oneof(
			fc.constantFrom("&", "=", "?", "#", "/", "%", "+", " ", "@", ".", "ü", "€", "😀", "\u0301"),
			fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
		);
		const name = fc.string({ unit: nameCharacter, minLength: 1, maxLength: 16 }).filter((text) => !text.includes(":"));
		const keyURI: fc.Arbitrary<KeyURI> = fc.oneof(
			fc.record({
				type: fc.constant("totp" as const),
				issuer: name,
				accountName: name.filter((text) => !text.startsWith(" ")),
				secret: keyArbitrary,
				algorithm: algorithmArbitrary,
				digits: digitsArbitrary,
				periodSeconds: fc.integer({ min: 1, max: 86_400 }),
				counter: fc.constant(null),
			}),
			fc.record({
				type: fc.constant("hotp" as const),
				issuer: name,
				accountName: name.filter((text) => !text.startsWith(" ")),
				secret: keyArbitrary,
				algorithm: algorithmArbitrary,
				digits: digitsArbitrary,
				periodSeconds: fc.constant(30),
				counter: fc.bigInt({ min: 0n, max: MAX_COUNTER }),
			}),
		);
		fc.assert(
			fc.property(keyURI, (u) => {
				const params: KeyURIParams =
					u.type === "totp"
						? { type: "totp", issuer: u.issuer as string, accountName: u.accountName, secret: u.secret, algorithm: u.algorithm, digits: u.digits, periodSeconds: u.periodSeconds }
						: { type: "hotp", issuer: u.issuer as string, accountName: u.accountName, secret: u.secret, algorithm: u.algorithm, digits: u.digits, counter: u.counter as bigint };
				const uri = createKeyURI(params);
				expect(uri).not.toContain("+");
				expect(parseKeyURI(uri)).toEqual(u);
			}),
			{ numRuns: 300 },
		);
	});
});

describe("differential: agrees with the otpauth package", () => {
	it("TOTP codes agree for random keys (1..64 bytes), times (0..2^41 ms), periods (1..300 s), digits and algorithms", () => {
		fc.assert(
			fc.property(keyArbitrary, timeArbitrary, periodArbitrary, digitsArbitrary, algorithmArbitrary, (key, now, periodSeconds, digits, algorithm) => {
				const theirs = OTPAuth.TOTP.generate({ secret: toOTPAuthSecret(key), algorithm, digits, period: periodSeconds, timestamp: now });
				expect(generateTOTP(key, now, { periodSeconds, digits, algorithm })).toBe(theirs);
			}),
			{ numRuns: 500 },
		);
	});

	it("TOTP time steps agree at step boundaries", () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 2 ** 31 }), periodArbitrary, fc.constantFrom(-1, 0, 1), (step, periodSeconds, deltaMs) => {
				const now = step * periodSeconds * 1000 + deltaMs;
				expect(timeStep(now, periodSeconds)).toBe(OTPAuth.TOTP.counter({ period: periodSeconds, timestamp: now }));
			}),
			{ numRuns: 500 },
		);
	});

	it("TOTP validation agrees: a code from step n + offset is found by both with window 1 exactly when |offset| <= 1", () => {
		fc.assert(
			fc.property(keyArbitrary, timeArbitrary, fc.integer({ min: -3, max: 3 }), algorithmArbitrary, (key, now, offset, algorithm) => {
				const step = timeStep(now, 30) + offset;
				fc.pre(step >= 0);
				const code = generateTOTPAtStep(key, step, { algorithm });
				const theirs = OTPAuth.TOTP.validate({ token: code, secret: toOTPAuthSecret(key), algorithm, timestamp: now, window: 1 });
				const ours = verifyTOTP(key, code, now, { algorithm });
				expect(ours === null ? null : ours - timeStep(now, 30)).toBe(theirs);
			}),
			{ numRuns: 300 },
		);
	});

	// otpauth takes the HOTP counter as a JavaScript number and splits it into bytes with
	// number arithmetic, so it is exact only up to Number.MAX_SAFE_INTEGER (2^53 - 1).
	// The differential is therefore restricted to [0, 2^53 - 1]; counters up to 2^64 - 1
	// are covered by the round-trip property above and the §8.3 vectors.
	it("HOTP codes agree for random keys and counters in [0, 2^53 - 1]", () => {
		fc.assert(
			fc.property(
				keyArbitrary,
				fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
				digitsArbitrary,
				algorithmArbitrary,
				(key, counter, digits, algorithm) => {
					const theirs = OTPAuth.HOTP.generate({ secret: toOTPAuthSecret(key), algorithm, digits, counter: Number(counter) });
					expect(generateHOTP(key, counter, { digits, algorithm })).toBe(theirs);
				},
			),
			{ numRuns: 500 },
		);
	});

	it("HOTP codes agree at counters around 2^31, 2^32 and 2^53", () => {
		const edges = [2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n - 2n, 2n ** 53n - 1n];
		fc.assert(
			fc.property(keyArbitrary, fc.constantFrom(...edges), algorithmArbitrary, (key, counter, algorithm) => {
				const theirs = OTPAuth.HOTP.generate({ secret: toOTPAuthSecret(key), algorithm, digits: 8, counter: Number(counter) });
				expect(generateHOTP(key, counter, { digits: 8, algorithm })).toBe(theirs);
			}),
		);
	});

	it("base32 encoding agrees with otpauth's Secret.base32 (which does not pad)", () => {
		fc.assert(
			fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
				expect(encodeBase32(bytes)).toBe(toOTPAuthSecret(bytes).base32);
				expect(decodeBase32(toOTPAuthSecret(bytes).base32)).toEqual(bytes);
			}),
		);
	});
});
