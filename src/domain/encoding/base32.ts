/**
 * Base32 (RFC 4648 §6 alphabet `A-Z2-7`) as used by OTP secrets in `otpauth://` URIs.
 *
 * Encoding is canonical: upper case, no `=` padding (Key Uri Format, "Secret": padding
 * should be omitted). Decoding is forgiving about presentation (case, grouping, padding)
 * because secrets are copied by hand, but strict about content (STANDARDS.md U-09).
 *
 * @see RFC 4648 §6 (base32 alphabet), §10 (test vectors)
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Character code -> 5-bit value; -1 for characters outside the alphabet (either case). */
const DECODE_TABLE: Int8Array = buildDecodeTable();

function buildDecodeTable(): Int8Array {
	const table = new Int8Array(128).fill(-1);
	for (let value = 0; value < ALPHABET.length; value++) {
		const upper = ALPHABET.charCodeAt(value);
		table[upper] = value;
		// Letters also decode in lower case; digits 2-7 have no case.
		if (upper >= 0x41 && upper <= 0x5a) table[upper + 0x20] = value;
	}
	return table;
}

/** Number of data characters modulo 8 that cannot end a base32 string (RFC 4648 §6). */
function isImpossibleRemainder(remainder: number): boolean {
	return remainder === 1 || remainder === 3 || remainder === 6;
}

/**
 * Encodes bytes as base32: RFC 4648 alphabet, upper case, no `=` padding.
 *
 * @param bytes - any bytes, including none (gives `""`)
 * @returns `ceil(bytes.length * 8 / 5)` characters from `A-Z2-7`
 * @throws TypeError when `bytes` is not a `Uint8Array`
 * @see RFC 4648 §6 (alphabet and bit order), §3.2 (padding may be omitted when the
 *   length is known by other means)
 */
export function encodeBase32(bytes: Uint8Array): string {
	if (!(bytes instanceof Uint8Array)) {
		throw new TypeError("encodeBase32 expects a Uint8Array");
	}
	let out = "";
	let buffer = 0;
	let bitCount = 0;
	for (let i = 0; i < bytes.length; i++) {
		buffer = ((buffer << 8) | (bytes[i] as number)) & 0xfff;
		bitCount += 8;
		while (bitCount >= 5) {
			bitCount -= 5;
			out += ALPHABET[(buffer >>> bitCount) & 0x1f];
		}
	}
	if (bitCount > 0) {
		// Left-align the remaining bits; the unused low bits are zero (canonical form).
		out += ALPHABET[(buffer << (5 - bitCount)) & 0x1f];
	}
	return out;
}

/**
 * Decodes base32 text as people and apps actually write it (STANDARDS.md U-09).
 *
 * Accepted and ignored: lower case letters; ASCII spaces, tabs, CR/LF newlines and
 * hyphens anywhere (grouping such as `JBSW Y3DP` or `JBSW-Y3DP`); any number of `=` at
 * the end, including none or too many (`JBSWY3DPEHPK3PXP======`); a length that is not a
 * multiple of 8.
 *
 * Trailing bits: the unused low bits of the last character are ignored even when they
 * are not zero. The stricter "reject non-canonical trailing bits" rule was considered and
 * not taken, because real secrets are not canonical: the STANDARDS.md §8.4 vector
 * `S46SQCPPTCNPROMHWYBDCTBZXV` ends in `V` (`10101`), whose last two unused bits are
 * `01`, and it must decode to `973d2809ef989af8b987b602314c39bd`. Most authenticator
 * apps behave the same way. As a consequence, distinct strings can decode to the same
 * bytes; compare secrets as bytes, never as text.
 *
 * @param text - base32 text
 * @returns the decoded bytes (empty for `""` or separators only)
 * @throws TypeError when `text` is not a string; when it contains any other character
 *   (including `0`, `1`, `8`, `9` and non-ASCII); when `=` is followed by a data
 *   character; or when the number of data characters modulo 8 is 1, 3 or 6, which no
 *   byte string encodes to
 * @see RFC 4648 §6 (alphabet, padding rules), §3.2, §3.3
 */
export function decodeBase32(text: string): Uint8Array {
	if (typeof text !== "string") {
		throw new TypeError("decodeBase32 expects a string");
	}
	const values = new Uint8Array(text.length);
	let valueCount = 0;
	let paddingSeen = false;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code === 0x20 || code === 0x2d || code === 0x0a || code === 0x0d || code === 0x09) {
			continue; // space, hyphen, LF, CR, tab: grouping only
		}
		if (code === 0x3d) {
			paddingSeen = true;
			continue;
		}
		const value = code < 128 ? (DECODE_TABLE[code] as number) : -1;
		if (value < 0) {
			throw new TypeError(`invalid base32 character at index ${i}`);
		}
		if (paddingSeen) {
			throw new TypeError(`base32 padding "=" is only allowed at the end (index ${i})`);
		}
		values[valueCount++] = value;
	}
	if (isImpossibleRemainder(valueCount % 8)) {
		throw new TypeError(`invalid base32 length: ${valueCount} characters cannot encode whole bytes`);
	}
	const bytes = new Uint8Array(Math.floor((valueCount * 5) / 8));
	let buffer = 0;
	let bitCount = 0;
	let byteIndex = 0;
	for (let i = 0; i < valueCount; i++) {
		buffer = ((buffer << 5) | (values[i] as number)) & 0x1fff;
		bitCount += 5;
		if (bitCount >= 8) {
			bitCount -= 8;
			bytes[byteIndex++] = (buffer >>> bitCount) & 0xff;
		}
	}
	// Any bits left over (fewer than 8) are the unused low bits of the last character.
	return bytes;
}
