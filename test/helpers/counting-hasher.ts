/**
 * The real argon2id hasher (the configured costs and cap), wrapped to count its runs: what proves
 * that checking a recovery code costs exactly one argon2id verification. No mock: every hash and
 * verification still runs.
 */
import { DEFAULT_CONFIG } from "../../src/config/defaults.js";
import type { Argon2Parameters } from "../../src/domain/password/hash.js";
import { createPasswordHasher, type PasswordHasher } from "../../src/service/password-hasher.js";

/** Runs counted so far (reset by assigning 0, or compare before and after). */
export interface HasherCounts {
	/** Hashes made, with the costs each asked for (undefined: the configured password costs). */
	readonly hashes: (Argon2Parameters | undefined)[];
	verifications: number;
}

/** A real hasher with the default password costs, and its counters. */
export function countingHasher(): { readonly hasher: PasswordHasher; readonly counts: HasherCounts } {
	const real = createPasswordHasher(DEFAULT_CONFIG.password.argon2, DEFAULT_CONFIG.password.hashConcurrency);
	const counts: HasherCounts = { hashes: [], verifications: 0 };
	const hasher: PasswordHasher = Object.freeze({
		hash(password: string, parameters?: Argon2Parameters): Promise<string> {
			counts.hashes.push(parameters);
			return parameters === undefined ? real.hash(password) : real.hash(password, parameters);
		},
		verify(passwordHash: string, password: string, startBy?: number): Promise<boolean> {
			counts.verifications++;
			return real.verify(passwordHash, password, startBy);
		},
	});
	return { hasher, counts };
}
