// Source: Google Authenticator "Key Uri Format" wiki page (github.com/google/
// google-authenticator/wiki/Key-Uri-Format; sections Types, Label, Parameters, Examples),
// as summarised in /work/shared/STANDARDS.md §3 (U-01..U-09) and §8.4.
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { createKeyURI, parseKeyURI } from "../../src/domain/otp/key-uri.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";

/** The spec's full example (KUF "Examples"). */
const SPEC_EXAMPLE =
	"otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";
/** The spec's minimal example (KUF "Examples"). */
const SPEC_MINIMAL = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

describe("Key Uri Format examples", () => {
	it("parses the full ACME Co example", () => {
		const parsed = parseKeyURI(SPEC_EXAMPLE);
		expect(parsed).toEqual({
			type: "totp",
			issuer: "ACME Co",
			accountName: "john.doe@email.com",
			secret: decodeBase32("HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"),
			algorithm: "SHA1",
			digits: 6,
			periodSeconds: 30,
			counter: null,
		});
		expect(parsed.secret.length).toBe(20);
	});

	it("re-creates the full example, with @ percent-encoded by encodeURIComponent", () => {
		const parsed = parseKeyURI(SPEC_EXAMPLE);
		expect(createKeyURI({ ...parsed, issuer: "ACME Co", counter: null })).toBe(
			"otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
		);
	});

	it("parses the minimal example with defaults, and its secret is 'Hello!' + DEADBEEF", () => {
		const parsed = parseKeyURI(SPEC_MINIMAL);
		expect(parsed).toMatchObject({ issuer: "Example", accountName: "alice@google.com", algorithm: "SHA1", digits: 6, periodSeconds: 30 });
		expect(Buffer.from(parsed.secret).toString("hex")).toBe("48656c6c6f21deadbeef");
		expect(generateTOTP(parsed.secret, 1_700_000_000_000)).toBe("324550");
	});
});

describe("label and issuer escaping (KUF Label, Issuer; STANDARDS.md U-02, U-04)", () => {
	it("encodes issuer 'Acme Co' and account 'a b@x.y' with %20, never +", () => {
		const uri = createKeyURI({ issuer: "Acme Co", accountName: "a b@x.y", secret: decodeBase32("JBSWY3DPEHPK3PXP") });
		expect(uri).toBe(
			"otpauth://totp/Acme%20Co:a%20b%40x.y?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30",
		);
		expect(uri).not.toContain("+");
	});

	it("UTF-8 percent-encodes the Unicode issuer Zürich as Z%C3%BCrich in label and parameter", () => {
		const uri = createKeyURI({ issuer: "Zürich", accountName: "bob", secret: decodeBase32("JBSWY3DPEHPK3PXP") });
		expect(uri).toBe(
			"otpauth://totp/Z%C3%BCrich:bob?secret=JBSWY3DPEHPK3PXP&issuer=Z%C3%BCrich&algorithm=SHA1&digits=6&period=30",
		);
		expect(parseKeyURI(uri).issuer).toBe("Zürich");
	});

	it("encodes reserved characters in names (& = ? # / % +) so the URI still parses back", () => {
		const issuer = "A&B=C?D#E/F%G+H";
		const accountName = "x&y=z?#/%+";
		const uri = createKeyURI({ issuer, accountName, secret: decodeBase32("JBSWY3DPEHPK3PXP") });
		expect(uri).toContain("otpauth://totp/A%26B%3DC%3FD%23E%2FF%25G%2BH:x%26y%3Dz%3F%23%2F%25%2B?");
		expect(parseKeyURI(uri)).toMatchObject({ issuer, accountName });
	});

	it("accepts the encoded separator %3A and %20 spaces before the account name", () => {
		expect(parseKeyURI("otpauth://totp/ACME%20Co%3A%20john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co")).toMatchObject({
			issuer: "ACME Co",
			accountName: "john.doe@email.com",
		});
	});

	it("treats + in the issuer parameter as a space but keeps + literal in the label", () => {
		expect(parseKeyURI("otpauth://totp/ACME%20Co:bob?secret=JBSWY3DPEHPK3PXP&issuer=ACME+Co").issuer).toBe("ACME Co");
		expect(() => parseKeyURI("otpauth://totp/ACME+Co:bob?secret=JBSWY3DPEHPK3PXP&issuer=ACME+Co")).toThrow(TypeError);
	});

	it("refuses to create a label whose issuer or account contains a colon", () => {
		const secret = decodeBase32("JBSWY3DPEHPK3PXP");
		expect(() => createKeyURI({ issuer: "ACME:Co", accountName: "bob", secret })).toThrow(TypeError);
		expect(() => createKeyURI({ issuer: "ACME", accountName: "bob:admin", secret })).toThrow(TypeError);
	});
});

describe("rejects (STANDARDS.md U-01..U-08)", () => {
	it.each([
		["a label issuer that differs from the issuer parameter", "otpauth://totp/ACME%20Co:bob?secret=JBSWY3DPEHPK3PXP&issuer=Evil%20Co"],
		["an otpauth URI of another type", "otpauth://yaotp/ACME:bob?secret=JBSWY3DPEHPK3PXP"],
		["a URI without secret", "otpauth://totp/ACME:bob?issuer=ACME"],
		["a secret with characters outside base32", "otpauth://totp/ACME:bob?secret=JBSWY3DPEHPK3PX8"],
		["digits 7.5", "otpauth://totp/ACME:bob?secret=JBSWY3DPEHPK3PXP&digits=7.5"],
		["digits 10", "otpauth://totp/ACME:bob?secret=JBSWY3DPEHPK3PXP&digits=10"],
		["algorithm SHA3-256", "otpauth://totp/ACME:bob?secret=JBSWY3DPEHPK3PXP&algorithm=SHA3-256"],
		["hotp without counter", "otpauth://hotp/ACME:bob?secret=JBSWY3DPEHPK3PXP&issuer=ACME"],
		["a colon in the account name", "otpauth://totp/ACME:bob:admin?secret=JBSWY3DPEHPK3PXP"],
		["an encoded colon in the account name", "otpauth://totp/ACME%3Abob%3Aadmin?secret=JBSWY3DPEHPK3PXP"],
	])("%s", (_what, uri) => {
		expect(() => parseKeyURI(uri)).toThrow(TypeError);
	});
});
