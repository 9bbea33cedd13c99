/**
 * "Type one of your recovery codes to finish" at the end of the two-factor setup. The codes are
 * shown only once and the dashboard keeps no copy of them, so the step-4 page carries their proof
 * in the form itself: a random per-render nonce and, for each code, `sha256(fingerprint + ":" +
 * nonce)`, where the fingerprint is keyed with the server's key (`Deadbolt.recoveryCodeFingerprint`,
 * the same on every instance). The POST hashes what the user typed the same way and looks for it
 * among the submitted hashes; nothing is stored and no code is consumed.
 *
 * This is a usability check, NOT a security boundary: the browser sends both the nonce and the
 * hashes, so a client can make any code "match". It only helps an honest user notice that the
 * copy they saved is missing or wrong, before they need it. The hashes reveal nothing usable about
 * the codes: without the server's key nobody can test a guess against them (a code has 58.9 bits,
 * too few to put a fast unkeyed hash of it in a page that is sent again on a wrong answer).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const HEX_64 = /^[0-9a-f]{64}$/;
/** More hashes than any sane code count is a tampered form. */
const MAX_HASHES = 50;

/** What the step-4 form carries in hidden fields. */
export interface RecoveryCodeProof {
	/** 32 random bytes, lower-case hex. */
	readonly nonce: string;
	/** One lower-case hex SHA-256 per code, in the order shown. */
	readonly hashes: readonly string[];
}

/**
 * The keyed fingerprint of a typed recovery code (`Deadbolt.recoveryCodeFingerprint`: normalized,
 * then HMAC-SHA-256 under the server key); null when it cannot be a code.
 */
export type RecoveryCodeFingerprinter = (input: string) => string | null;

function hashOf(fingerprint: string, nonce: string): string {
	return createHash("sha256").update(`${fingerprint}:${nonce}`, "utf8").digest("hex");
}

/** The proof of a freshly shown set of codes (a new nonce each time). */
export function recoveryCodeProof(codes: readonly string[], fingerprint: RecoveryCodeFingerprinter): RecoveryCodeProof {
	const nonce = randomBytes(32).toString("hex");
	const hashes = codes.map((code) => {
		const print = fingerprint(code);
		// Every code shown is well formed; a malformed one could never be typed back: a hash nothing matches.
		return print === null ? randomBytes(32).toString("hex") : hashOf(print, nonce);
	});
	return { nonce, hashes };
}

/** The hidden `hashes` field: the hashes joined by dots. */
export function joinHashes(hashes: readonly string[]): string {
	return hashes.join(".");
}

/** Reads the proof back from the form's hidden fields; null when missing or malformed. */
export function parseRecoveryCodeProof(nonce: string, hashes: string): RecoveryCodeProof | null {
	if (!HEX_64.test(nonce)) return null;
	const list = hashes.split(".");
	if (list.length === 0 || list.length > MAX_HASHES || !list.every((hash) => HEX_64.test(hash))) return null;
	return { nonce, hashes: list };
}

/** Whether the typed code is one of the codes the proof was made from. */
export function matchesRecoveryCodeProof(typed: string, proof: RecoveryCodeProof, fingerprint: RecoveryCodeFingerprinter): boolean {
	const print = fingerprint(typed);
	if (print === null) return false;
	const candidate = Buffer.from(hashOf(print, proof.nonce), "hex");
	let found = false;
	for (const hash of proof.hashes) {
		if (timingSafeEqual(candidate, Buffer.from(hash, "hex"))) found = true;
	}
	return found;
}
