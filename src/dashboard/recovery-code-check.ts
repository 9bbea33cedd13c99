/**
 * "Type one of your recovery codes to finish" at the end of the two-factor setup. The codes are
 * shown only once and the dashboard keeps no copy of them, so the step-4 page carries their proof
 * in the form itself: a random per-render nonce and, for each code, `sha256(normalized + ":" +
 * nonce)`. The POST hashes what the user typed the same way and looks for it among the submitted
 * hashes; nothing is stored and no code is consumed.
 *
 * This is a usability check, NOT a security boundary: the browser sends both the nonce and the
 * hashes, so a client can make any code "match". It only helps an honest user notice that the
 * copy they saved is missing or wrong, before they need it. (Each code has 120 bits, so the
 * hashes reveal nothing usable about the codes, and the page held the codes anyway.)
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

/** Normalizes a typed recovery code (the service's rules, `Deadbolt.normalizeRecoveryCode`); null when it cannot be one. */
export type RecoveryCodeNormalizer = (input: string) => string | null;

function hashOf(normalizedCode: string, nonce: string): string {
	return createHash("sha256").update(`${normalizedCode}:${nonce}`, "utf8").digest("hex");
}

/** The proof of a freshly shown set of codes (a new nonce each time). */
export function recoveryCodeProof(codes: readonly string[], normalize: RecoveryCodeNormalizer): RecoveryCodeProof {
	const nonce = randomBytes(32).toString("hex");
	const hashes = codes.map((code) => hashOf(normalize(code) ?? code, nonce));
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
export function matchesRecoveryCodeProof(typed: string, proof: RecoveryCodeProof, normalize: RecoveryCodeNormalizer): boolean {
	const normalized = normalize(typed);
	if (normalized === null) return false;
	const candidate = Buffer.from(hashOf(normalized, proof.nonce), "hex");
	let found = false;
	for (const hash of proof.hashes) {
		if (timingSafeEqual(candidate, Buffer.from(hash, "hex"))) found = true;
	}
	return found;
}
