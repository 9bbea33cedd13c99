import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../encoding/base32.js";
import { createKeyURI, parseKeyURI } from "./key-uri.js";
import type { KeyURI } from "./key-uri.js";

const SECRET = decodeBase32("JBSWY3DPEHPK3PXP");

describe("createKeyURI", () => {
	it("writes label, unpadded secret, issuer and explicit defaults for totp", () => {
		expect(createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET })).toBe(
			"otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme&algorithm=SHA1&digits=6&period=30",
		);
	});

	it("never writes padding even when the secret length is not a multiple of 5 bytes", () => {
		const uri = createKeyURI({ issuer: "Acme", accountName: "alice", secret: new Uint8Array(16) });
		expect(uri).toContain("?secret=AAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=");
		expect(uri).not.toMatch(/==|=&/);
	});

	it("percent-encodes spaces as %20, never +", () => {
		const uri = createKeyURI({ issuer: "Acme Co", accountName: "a b+c@x.y", secret: SECRET });
		expect(uri.startsWith("otpauth://totp/Acme%20Co:a%20b%2Bc%40x.y?")).toBe(true);
		expect(uri).toContain("&issuer=Acme%20Co&");
		expect(uri.includes("+")).toBe(false);
	});

	it("writes the counter for hotp and no period", () => {
		expect(createKeyURI({ type: "hotp", issuer: "Acme", accountName: "alice", secret: SECRET, counter: 2n ** 63n })).toBe(
			"otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme&algorithm=SHA1&digits=6&counter=9223372036854775808",
		);
	});

	it("writes non-default algorithm, digits and period", () => {
		expect(
			createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET, algorithm: "SHA512", digits: 8, periodSeconds: 60 }),
		).toBe("otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme&algorithm=SHA512&digits=8&period=60");
	});

	it("rejects a colon in issuer or account name with TypeError", () => {
		expect(() => createKeyURI({ issuer: "Acme:Co", accountName: "alice", secret: SECRET })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "Acme", accountName: "a:lice", secret: SECRET })).toThrow(TypeError);
	});

	it("rejects empty names, a leading space in the account and lone surrogates with TypeError", () => {
		expect(() => createKeyURI({ issuer: "", accountName: "alice", secret: SECRET })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "Acme", accountName: "", secret: SECRET })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "Acme", accountName: " alice", secret: SECRET })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "Acme\ud800", accountName: "alice", secret: SECRET })).toThrow(TypeError);
	});

	it("rejects an empty secret or unknown algorithm with TypeError", () => {
		expect(() => createKeyURI({ issuer: "Acme", accountName: "alice", secret: new Uint8Array(0) })).toThrow(TypeError);
		expect(() =>
			createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET, algorithm: "MD5" as "SHA1" }),
		).toThrow(TypeError);
	});

	it("rejects hotp without counter, totp with counter and hotp with period (TypeError)", () => {
		expect(() => createKeyURI({ type: "hotp", issuer: "Acme", accountName: "alice", secret: SECRET })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET, counter: 1n })).toThrow(TypeError);
		expect(() =>
			createKeyURI({ type: "hotp", issuer: "Acme", accountName: "alice", secret: SECRET, counter: 1n, periodSeconds: 30 }),
		).toThrow(TypeError);
	});

	it("rejects bad digits, period and counter ranges with RangeError", () => {
		expect(() => createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET, digits: 5 })).toThrow(RangeError);
		expect(() => createKeyURI({ issuer: "Acme", accountName: "alice", secret: SECRET, periodSeconds: 0 })).toThrow(RangeError);
		expect(() =>
			createKeyURI({ type: "hotp", issuer: "Acme", accountName: "alice", secret: SECRET, counter: -1n }),
		).toThrow(RangeError);
		expect(() =>
			createKeyURI({ type: "hotp", issuer: "Acme", accountName: "alice", secret: SECRET, counter: 2n ** 64n }),
		).toThrow(RangeError);
	});
});

describe("parseKeyURI", () => {
	const base: KeyURI = {
		type: "totp",
		issuer: "Acme",
		accountName: "alice",
		secret: SECRET,
		algorithm: "SHA1",
		digits: 6,
		periodSeconds: 30,
		counter: null,
	};

	it("fills in defaults when optional parameters are absent", () => {
		expect(parseKeyURI("otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP")).toEqual(base);
	});

	it("accepts %3A as the separator and spaces after it", () => {
		expect(parseKeyURI("otpauth://totp/Acme%3Aalice?secret=JBSWY3DPEHPK3PXP")).toEqual(base);
		expect(parseKeyURI("otpauth://totp/Acme%3a%20%20alice?secret=JBSWY3DPEHPK3PXP")).toEqual(base);
		expect(parseKeyURI("otpauth://totp/Acme: alice?secret=JBSWY3DPEHPK3PXP")).toEqual(base);
	});

	it("takes the issuer from the parameter when the label has no prefix, and null when neither exists", () => {
		expect(parseKeyURI("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme")).toEqual(base);
		expect(parseKeyURI("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")).toEqual({ ...base, issuer: null });
	});

	it("tolerates a sloppy secret, lower-case algorithm, + for space, reordered and unknown parameters", () => {
		expect(
			parseKeyURI("OTPAUTH://totp/Acme%20Co:alice?image=https%3A%2F%2Fx.y%2Fa.png&issuer=Acme+Co&algorithm=sha256&secret=jbsw%20y3dp%20ehpk%203pxp%3D%3D%3D"),
		).toEqual({ ...base, issuer: "Acme Co", algorithm: "SHA256" });
	});

	it("parses hotp with a 64-bit counter and ignores period", () => {
		expect(
			parseKeyURI("otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615&period=0"),
		).toEqual({ ...base, type: "hotp", counter: 2n ** 64n - 1n });
	});

	it("ignores counter on totp", () => {
		expect(parseKeyURI("otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&counter=x")).toEqual(base);
	});

	it.each([
		["wrong scheme", "http://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP"],
		["no scheme", "totp/Acme:alice?secret=JBSWY3DPEHPK3PXP"],
		["unknown type", "otpauth://motp/Acme:alice?secret=JBSWY3DPEHPK3PXP"],
		["upper-case type", "otpauth://TOTP/Acme:alice?secret=JBSWY3DPEHPK3PXP"],
		["no label", "otpauth://totp?secret=JBSWY3DPEHPK3PXP"],
		["empty label", "otpauth://totp/?secret=JBSWY3DPEHPK3PXP"],
		["empty account", "otpauth://totp/Acme:?secret=JBSWY3DPEHPK3PXP"],
		["spaces-only account", "otpauth://totp/Acme:%20?secret=JBSWY3DPEHPK3PXP"],
		["empty issuer prefix", "otpauth://totp/:alice?secret=JBSWY3DPEHPK3PXP"],
		["two colons", "otpauth://totp/Acme:Co:alice?secret=JBSWY3DPEHPK3PXP"],
		["bad percent-encoding in label", "otpauth://totp/Acme%ZZ:alice?secret=JBSWY3DPEHPK3PXP"],
		["bad percent-encoding in query", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=%E0%A4"],
		["fragment", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP#x"],
		["missing query", "otpauth://totp/Acme:alice"],
		["missing secret", "otpauth://totp/Acme:alice?issuer=Acme"],
		["empty secret", "otpauth://totp/Acme:alice?secret="],
		["padding-only secret", "otpauth://totp/Acme:alice?secret=%3D%3D"],
		["bad base32 character", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PX1"],
		["impossible base32 length", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXPA"],
		["duplicate secret", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&secret=MZXW6YTB"],
		["issuer mismatch", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Evil"],
		["issuer case mismatch", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=acme"],
		["empty issuer parameter", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer="],
		["unknown algorithm", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5"],
		["digits 5", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&digits=5"],
		["digits 9", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&digits=9"],
		["digits not decimal", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&digits=6.0"],
		["digits empty", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&digits="],
		["period 0", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&period=0"],
		["period negative", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&period=-30"],
		["period huge", "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&period=99999999999999999999"],
		["hotp without counter", "otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP"],
		["hotp counter negative", "otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP&counter=-1"],
		["hotp counter 2^64", "otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616"],
		["hotp counter hex", "otpauth://hotp/Acme:alice?secret=JBSWY3DPEHPK3PXP&counter=0x10"],
	])("rejects %s with TypeError", (_name, uri) => {
		expect(() => parseKeyURI(uri)).toThrow(TypeError);
	});

	it("rejects a non-string with TypeError", () => {
		expect(() => parseKeyURI(null as unknown as string)).toThrow(TypeError);
	});
});
