/**
 * Comparison whose running time does not depend on where two equal-length inputs differ.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

function toBytes(value: Uint8Array | string): Uint8Array | null {
	if (typeof value === "string") return encoder.encode(value);
	if (value instanceof Uint8Array) return value;
	return null;
}

/**
 * Compares two byte strings (or UTF-8 encoded strings) in constant time.
 *
 * Strings are compared as their UTF-8 bytes, so a string and the `Uint8Array` of its UTF-8
 * encoding are equal. The time taken depends on the lengths only, never on the content:
 * lengths are treated as public (a mismatch returns `false` at once) and equal-length
 * inputs go through `crypto.timingSafeEqual`. Unlike that function this one never throws
 * (DESIGN.md §5: a compare that throws on length mismatch invites bugs).
 *
 * @param a - bytes or a string
 * @param b - bytes or a string
 * @returns `true` when the byte sequences are identical; `false` when they differ, when
 *   their lengths differ, or when either argument is neither a string nor a `Uint8Array`
 * @see OWASP Authentication Cheat Sheet, "Compare Password Hashes Using Safe Functions"
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
	const left = toBytes(a);
	const right = toBytes(b);
	if (left === null || right === null) return false;
	if (left.byteLength !== right.byteLength) return false;
	return timingSafeEqual(left, right);
}

/**
 * Whether a presented secret (an API key) equals a configured one, in a time that depends on
 * neither's content nor length: both are hashed with SHA-256 first, then compared with
 * {@link constantTimeEqual} (the length of the configured key is not revealed either).
 * @param presented - what the client sent
 * @param configured - the key from the config
 */
export function secretKeyMatches(presented: string, configured: string): boolean {
	const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
	return constantTimeEqual(digest(presented), digest(configured));
}
