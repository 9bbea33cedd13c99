/**
 * Password hashing with argon2id (OWASP Password Storage Cheat Sheet: m = 19456 KiB, t = 2,
 * p = 1 at least), as PHC strings that carry their own parameters, so costs can be raised later
 * and old hashes upgraded at the next sign-in (`needsRehash`). Hashing runs on libuv's thread
 * pool (`@node-rs/argon2`), never on the event loop. Passwords are NFKC-normalized first so the
 * same password typed composed or decomposed matches (NIST SP 800-63B §5.1.1.2).
 */
import { hash, verify } from "@node-rs/argon2";

/** `Algorithm.Argon2id` of `@node-rs/argon2` (a const enum, which verbatimModuleSyntax cannot import). */
const ARGON2ID = 2;

/** argon2id cost parameters. */
export interface Argon2Parameters {
	/** Memory in KiB (m); >= 19456 for passwords (the config enforces it; recovery codes use 8192). */
	readonly memoryKiB: number;
	/** Passes over memory (t); >= 2 at 19 MiB for passwords. */
	readonly iterations: number;
	/** Lanes (p). */
	readonly parallelism: number;
}

/** Normalizes a password before hashing: Unicode NFKC; nothing is trimmed or truncated. */
export function normalizePassword(password: string): string {
	return password.normalize("NFKC");
}

/**
 * Hashes a password.
 * @returns a PHC string `$argon2id$v=19$m=...,t=...,p=...$salt$hash` (16-byte random salt)
 */
export async function hashPassword(password: string, parameters: Argon2Parameters): Promise<string> {
	return hash(normalizePassword(password), {
		algorithm: ARGON2ID,
		memoryCost: parameters.memoryKiB,
		timeCost: parameters.iterations,
		parallelism: parameters.parallelism,
	});
}

/**
 * Checks a password against a PHC string, in constant time (the library's own compare).
 * @returns false on mismatch and on a malformed hash; never throws for those
 */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, normalizePassword(password));
	} catch {
		return false;
	}
}

/**
 * Whether a stored hash is weaker than `parameters` (another algorithm, or lower m, t or p)
 * and should be replaced at the next successful sign-in (OWASP Password Storage, "Upgrading").
 */
export function needsRehash(passwordHash: string, parameters: Argon2Parameters): boolean {
	const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
	if (match === null) return true;
	return Number(match[1]) < parameters.memoryKiB || Number(match[2]) < parameters.iterations || Number(match[3]) < parameters.parallelism;
}
