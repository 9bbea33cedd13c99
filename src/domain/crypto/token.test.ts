import { describe, expect, it } from "vitest";
import { sequenceRandom } from "../../platform/random.js";
import { ACCESS_TOKEN_PREFIX, generateAccessToken, generateToken, hasAccessTokenPrefix, hashTokenSecret, parseAccessToken, parseToken, verifyTokenSecret } from "./token.js";

describe("personal access tokens", () => {
	it("are dbpat_<16>.<43> in base64url, and only the secret's hash is meant for storage", () => {
		const generated = generateAccessToken(sequenceRandom("pat"));
		expect(generated.token).toMatch(/^dbpat_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
		expect(generated.token).toHaveLength(66);
		expect(generated.token).toBe(`${ACCESS_TOKEN_PREFIX}${generated.id}.${generated.secret}`);
		expect(generated.secretHash).toBe(hashTokenSecret(generated.secret));
		expect(generated.secretHash).not.toContain(generated.secret);
		expect(verifyTokenSecret(generated.secret, generated.secretHash)).toBe(true);
	});

	it("parse back to their id and secret", () => {
		const generated = generateAccessToken(sequenceRandom("pat-parse"));
		expect(parseAccessToken(generated.token)).toEqual({ id: generated.id, secret: generated.secret });
		expect(hasAccessTokenPrefix(generated.token)).toBe(true);
	});

	it("are never taken for session tokens, nor session tokens for them", () => {
		const pat = generateAccessToken(sequenceRandom("pat-a"));
		const session = generateToken(sequenceRandom("session-a"));
		expect(parseToken(pat.token)).toBeNull();
		expect(parseAccessToken(session.token)).toBeNull();
		expect(hasAccessTokenPrefix(session.token)).toBe(false);
	});

	it.each([
		["", "empty"],
		["dbpat_", "prefix only"],
		["DBPAT_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "upper-case prefix"],
		["dbpat_AAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "short id"],
		["dbpat_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "long secret"],
		["dbpat_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "padding"],
		[" dbpat_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "leading space"],
		["dbpat_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "trailing line break"],
	])("refuses %j (%s)", (text) => {
		expect(parseAccessToken(text)).toBeNull();
	});
});
