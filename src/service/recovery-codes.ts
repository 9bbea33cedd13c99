/**
 * Recovery codes: a set of single-use codes issued when 2FA turns on (NIST SP 800-63B §5.1.2).
 * See `domain/recovery-codes` for the format. A code of the current format is stored as an
 * argon2id hash and found by its lookup prefix, so checking one costs exactly one argon2id
 * verification (a dummy one when no unused code has that prefix, so a miss takes as long as a
 * wrong code). Codes issued before migration 0008 are found by their HMAC-SHA-256 hash, as
 * before. Key rings (issue 14): a code is peppered (or hashed) under an HMAC key and cannot be
 * re-keyed, so an argon2id code is checked under the key whose id it keeps, and a legacy hash under
 * every key of the ring, until the owner makes a new set. Every check runs inside a counted attempt (`throttle.ts`); the caller consumes what a
 * check found with one conditional write ({@link consumeRecoveryCode}).
 */
import { generateId } from "../domain/crypto/token.js";
import { hashLegacyRecoveryCode } from "../domain/recovery-codes/legacy-recovery-codes.js";
import {
	fingerprintRecoveryCode,
	generateRecoveryCodes,
	parseRecoveryCode,
	pepperRecoveryCode,
	RECOVERY_CODE_ARGON2,
} from "../domain/recovery-codes/recovery-codes.js";
import type { UnixMillis } from "../platform/clock.js";
import type { RecoveryCodeRecord, Repositories } from "../storage/store.js";
import { KeyUnavailable, TOTPNotEnabled } from "../errors.js";
import { LEGACY_KEY_ID, primaryKey } from "../domain/crypto/key-ring.js";
import { hmacRing, NO_CONTEXT, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

/** The stored code a typed one designates, once checked: consume it to use it. */
export type RecoveryCodeCandidate =
	/** A current-format code whose argon2id hash matched: the row to consume. */
	| { readonly scheme: "argon2id"; readonly id: string }
	/** A well-formed legacy code: its keyed hash, which the conditional write looks up. */
	| { readonly scheme: "hmac-sha256"; readonly codeHash: string };

/** The outcome of {@link checkRecoveryCode}. */
export type RecoveryCodeCheck =
	| { readonly candidate: RecoveryCodeCandidate; readonly refused?: never }
	/** `malformed`: not a recovery code of either format; `mismatch_or_used`: no unused code of the account matches. */
	| { readonly refused: "malformed" | "mismatch_or_used"; readonly candidate?: never };

/** A freshly made set: the plain codes (for display) and the rows to store. */
export interface PreparedRecoveryCodes {
	/** `XXXX-XXXX-XXXX`, shown once; they exist nowhere else afterwards. */
	readonly codes: readonly string[];
	readonly records: readonly RecoveryCodeRecord[];
}

/**
 * Makes a new set of `recoveryCodes.count` codes, peppered with the primary HMAC key (its id is
 * kept with each code), and hashes each with argon2id (about 2 ms each,
 * under the hasher's concurrency cap). Call it before the transaction that stores the set:
 * hashing inside one would hold the database's lock.
 */
export async function prepareRecoveryCodes(deps: ServiceDeps, accountId: string): Promise<PreparedRecoveryCodes> {
	const codes = generateRecoveryCodes(deps.random, deps.config.recoveryCodes.count);
	const ring = hmacRing(deps.keys);
	const now = deps.clock.now();
	const records = await Promise.all(
		codes.map(async (code): Promise<RecoveryCodeRecord> => {
			const id = generateId(deps.random);
			const parsed = parseRecoveryCode(code);
			if (parsed?.format !== "current") throw new Error("a generated recovery code does not parse");
			const codeHash = await deps.passwords.hash(pepperRecoveryCode(primaryKey(ring), parsed.code), RECOVERY_CODE_ARGON2);
			return { id, accountId, codeHash, lookupPrefix: parsed.lookupPrefix, createdAt: now, usedAt: null, hmacKeyId: ring.primaryId };
		}),
	);
	return { codes, records };
}

/**
 * Replaces the account's recovery codes with a prepared set (the old set stops working).
 * @param repositories - the store or a transaction's repositories
 * @returns the plain codes, formatted for display
 */
export async function storeRecoveryCodes(repositories: Repositories, accountId: string, prepared: PreparedRecoveryCodes): Promise<readonly string[]> {
	await repositories.recoveryCodes.replaceRecoveryCodes(accountId, prepared.records);
	return prepared.codes;
}

/**
 * The HMAC key a stored code was made under (its `hmacKeyId`, `default` when none).
 * @throws KeyUnavailable when this instance lacks it (logged `keys.missing`): never a check under another key
 */
function codeHmacKey(deps: ServiceDeps, record: Pick<RecoveryCodeRecord, "hmacKeyId">): Uint8Array {
	const keyId = record.hmacKeyId ?? LEGACY_KEY_ID;
	const key = hmacRing(deps.keys).keys.get(keyId);
	if (key !== undefined) return key;
	deps.logger.error({ event: "keys.missing", kind: "hmac", keyId }, `a recovery code was made under the HMAC key "${keyId}", which this instance does not hold: add it to keys.hmacKeys (keep it until every code made under it is regenerated; see deadbolt keys status)`);
	throw new KeyUnavailable(keyId);
}

/**
 * The account's legacy code (made before migration 0008) for a typed one: its keyed hash under
 * each HMAC key of the ring, primary first (such a hash cannot be re-keyed, so a code stays
 * checkable under every key it may have been made with until its owner makes a new set).
 * @returns the row and its hash, or null when no key's hash is the account's
 */
async function findLegacyCode(deps: ServiceDeps, accountId: string, normalizedCode: string): Promise<{ row: RecoveryCodeRecord; codeHash: string } | null> {
	const ring = hmacRing(deps.keys);
	const ids = [ring.primaryId, ...[...ring.keys.keys()].filter((id) => id !== ring.primaryId)];
	for (const id of ids) {
		const codeHash = hashLegacyRecoveryCode(ring.keys.get(id) as Uint8Array, normalizedCode);
		const row = await deps.store.recoveryCodes.findRecoveryCodeByHash(accountId, codeHash);
		if (row !== null) return { row, codeHash };
	}
	return null;
}

let dummyHash: Promise<string> | null = null;

/** An argon2id hash with the recovery-code costs that no code matches, to verify against on a miss. */
function dummyCodeHash(deps: ServiceDeps): Promise<string> {
	dummyHash ??= deps.passwords.hash("deadbolt-dummy-recovery-code-for-timing", RECOVERY_CODE_ARGON2).catch((error: unknown) => {
		dummyHash = null;
		throw error;
	});
	return dummyHash;
}

/**
 * Checks a typed recovery code against the account's unused codes, without consuming anything.
 * A current-format code costs one read by (account, lookup prefix) and exactly one argon2id
 * verification (against a dummy hash when nothing has that prefix, or only a used code); a legacy
 * code costs one HMAC, and the consuming write decides; a malformed input costs nothing.
 * Call it only inside a counted attempt (`withAttempt`).
 * @param startBy - passed to the hasher: a verification that cannot start by then is not run
 * @throws AttemptsInFlight when the verification could not start by `startBy` (nothing was checked)
 */
export async function checkRecoveryCode(deps: ServiceDeps, accountId: string, input: string, startBy?: number): Promise<RecoveryCodeCheck> {
	const parsed = parseRecoveryCode(input);
	if (parsed === null) return { refused: "malformed" };
	if (parsed.format === "legacy") {
		const found = await findLegacyCode(deps, accountId, parsed.code);
		return { candidate: { scheme: "hmac-sha256", codeHash: found?.codeHash ?? hashLegacyRecoveryCode(deps.keys.hmacKey, parsed.code) } };
	}
	const row = await deps.store.recoveryCodes.findUnusedRecoveryCode(accountId, parsed.lookupPrefix);
	let pepperKey = deps.keys.hmacKey;
	if (row !== null) {
		try {
			pepperKey = codeHmacKey(deps, row);
		} catch (error) {
			if (!(error instanceof KeyUnavailable)) throw error;
			// A code with this prefix exists, under a key this instance lacks (logged keys.missing). Not a
			// 503 (an attempt given back): that would tell a guesser, for free, which prefixes exist. The
			// same work as a miss, and a counted refusal.
			await deps.passwords.verify(await dummyCodeHash(deps), pepperRecoveryCode(deps.keys.hmacKey, parsed.code), startBy);
			return { refused: "mismatch_or_used" };
		}
	}
	const storedHash = row?.codeHash ?? (await dummyCodeHash(deps));
	const matches = await deps.passwords.verify(storedHash, pepperRecoveryCode(pepperKey, parsed.code), startBy);
	return row !== null && matches ? { candidate: { scheme: "argon2id", id: row.id } } : { refused: "mismatch_or_used" };
}

/**
 * Whether a refused recovery code is one of the account's that was already used (so
 * re-authentication can say so; sign-in never tells). Legacy codes by their keyed hash; codes
 * with a lookup prefix by one more verification against the used code of that prefix (only after
 * a refusal, only at re-authentication).
 */
export async function recoveryCodeUsedUp(deps: ServiceDeps, accountId: string, input: string): Promise<boolean> {
	const parsed = parseRecoveryCode(input);
	if (parsed === null) return false;
	if (parsed.format === "legacy") {
		const found = await findLegacyCode(deps, accountId, parsed.code);
		return found !== null && found.row.usedAt !== null;
	}
	const row = await deps.store.recoveryCodes.findRecoveryCodeByPrefix(accountId, parsed.lookupPrefix);
	if (row === null || row.usedAt === null) return false;
	return deps.passwords.verify(row.codeHash, pepperRecoveryCode(codeHmacKey(deps, row), parsed.code));
}

/**
 * Uses a checked code: one conditional write, so of parallel uses exactly one wins.
 * @param repositories - the store or a transaction's repositories
 * @returns true for the one caller that consumed it; false when it was used (or replaced) meanwhile, or a legacy hash matches nothing
 */
export function consumeRecoveryCode(repositories: Repositories, accountId: string, candidate: RecoveryCodeCandidate, now: UnixMillis): Promise<boolean> {
	return candidate.scheme === "argon2id"
		? repositories.recoveryCodes.consumeRecoveryCodeById(accountId, candidate.id, now)
		: repositories.recoveryCodes.consumeRecoveryCode(accountId, candidate.codeHash, now);
}

/**
 * A keyed fingerprint of a typed code (normalized first; HMAC-SHA-256 under the server key), for
 * the dashboard's "type one of your recovery codes back" check (`dashboard/recovery-code-check.ts`).
 * @returns lower-case hex, or null when the input cannot be a recovery code
 */
export function recoveryCodeFingerprint(deps: ServiceDeps, input: string): string | null {
	const parsed = parseRecoveryCode(input);
	return parsed === null ? null : fingerprintRecoveryCode(deps.keys.hmacKey, parsed.code);
}

/** How many of the account's recovery codes are still unused. */
export async function countUnusedRecoveryCodes(deps: ServiceDeps, accountId: string): Promise<number> {
	return deps.store.recoveryCodes.countUnusedRecoveryCodes(accountId);
}

/**
 * Replaces the account's recovery codes with a new set: the old set stops working at once
 * (needs 2FA on and a recent re-authentication).
 * @returns the new codes, shown once
 * @throws TOTPNotEnabled, ReauthenticationRequired
 */
export async function regenerateRecoveryCodes(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<string[]> {
	if ((await deps.store.totpCredentials.findConfirmedTOTPCredential(auth.account.id)) === null) throw new TOTPNotEnabled();
	requireRecentReauthentication(deps, auth.session);
	const prepared = await prepareRecoveryCodes(deps, auth.account.id);
	return deps.store.transaction(async (tx) => {
		const codes = await storeRecoveryCodes(tx, auth.account.id, prepared);
		await recordSecurityEvent(deps, tx, auth.account.id, "recovery_codes.regenerated", context, { count: codes.length });
		return [...codes];
	});
}
