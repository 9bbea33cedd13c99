/**
 * Randomness as the rest of deadbolt sees it: a {@link RandomSource} is passed in, never
 * imported (DESIGN.md rule 3), so tests can make it deterministic.
 */
import { createHash, randomFillSync } from "node:crypto";

/** A source of random bytes. Production uses the operating system's CSPRNG. */
export interface RandomSource {
	/** Fills `bytes` with random bytes, in place. */
	fill(bytes: Uint8Array): void;
}

/** The CSPRNG of `node:crypto` (`randomFillSync`). */
export const nodeRandom: RandomSource = Object.freeze({
	fill(bytes: Uint8Array): void {
		randomFillSync(bytes);
	},
});

/**
 * Returns `length` fresh random bytes from `random`.
 * @param length - number of bytes, an integer >= 0
 */
export function randomBytes(random: RandomSource, length: number): Uint8Array {
	const bytes = new Uint8Array(length);
	random.fill(bytes);
	return bytes;
}

/**
 * Returns a string of `length` characters drawn uniformly from `alphabet`, by rejection
 * sampling (no modulo bias; oslo-project/crypto `generateRandomString`).
 * @param alphabet - distinct characters, 2 to 256 of them
 * @param length - number of characters
 * @throws RangeError when the alphabet is shorter than 2 or longer than 256 characters
 */
export function randomString(random: RandomSource, alphabet: string, length: number): string {
	const size = alphabet.length;
	if (size < 2 || size > 256) {
		throw new RangeError("alphabet must have 2 to 256 characters");
	}
	// Smallest mask 2^k - 1 >= size - 1; draws above size - 1 are rejected.
	let mask = 1;
	while (mask < size - 1) mask = (mask << 1) | 1;
	let out = "";
	const buffer = new Uint8Array(Math.max(16, length * 2));
	while (out.length < length) {
		random.fill(buffer);
		for (const byte of buffer) {
			const value = byte & mask;
			if (value < size) {
				out += alphabet[value];
				if (out.length === length) break;
			}
		}
	}
	return out;
}

/**
 * A deterministic {@link RandomSource} for tests: bytes come from a counter-mode SHA-256
 * stream over `seed`, so every run sees the same sequence. Never use it in production.
 * @param seed - any string; different seeds give unrelated streams
 */
export function sequenceRandom(seed: string): RandomSource {
	let counter = 0;
	let pool = new Uint8Array(0);
	let offset = 0;
	return {
		fill(bytes: Uint8Array): void {
			for (let i = 0; i < bytes.length; i++) {
				if (offset >= pool.length) {
					pool = new Uint8Array(hashSync(`${seed}:${counter++}`));
					offset = 0;
				}
				bytes[i] = pool[offset++] as number;
			}
		},
	};
}

function hashSync(input: string): Buffer {
	return createHash("sha256").update(input).digest();
}
