/**
 * Key rotation without downtime (issue 14, "Keys"; docs/operations.md, "Key rotation"):
 *
 * - {@link keyStatus}: what depends on each key id: sealed values per table, unused recovery codes
 *   (and their accounts) per HMAC key, the recorded key ids, the signing keys.
 * - {@link resealUnderPrimary}: re-seals every sealed value (TOTP keys, pending and confirmed;
 *   OIDC client secrets; signing keys; webhook secrets; queued link tokens) that is not under the
 *   primary encryption key, in pages by id. Each row is replaced with one conditional update on its
 *   old sealed bytes, so a concurrent change of the row (a new secret, a removal) wins, and
 *   several instances (or two runs) may re-seal at once. Resumable: a run interrupted anywhere
 *   leaves every row either old or new, both open, and the next run finishes.
 * - {@link retireKey}: refuses while the key is primary or anything depends on it; otherwise marks
 *   it retired (an instance will refuse it as primary).
 * - {@link rotateSigningKey}: a new signing generation, published in the JWKS ahead of signing;
 *   generations whose successor has signed for longer than the longest token life are retired.
 *
 * Recovery codes cannot be re-sealed (an argon2id hash of a code peppered with an HMAC key, or a
 * legacy HMAC of it): they depend on their HMAC key until their owners make a new set.
 */
import { sealedKeyId, sealWithRing, openWithRing } from "../domain/crypto/key-ring.js";
import { LEGACY_KEY_ID } from "../domain/crypto/key-ring.js";
import { KeyInUse, NotFound } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { SealedValueRecord, SealedValueSource, ServerKeyRecord } from "../storage/store.js";
import { encryptionRing, hmacRing, secondsToMillis, type ServiceDeps } from "./deps.js";
import { OIDC_CLIENT_SECRET_PURPOSE } from "./oidc-clients.js";
import { sealedTextBinding } from "./sealed-text.js";
import { ASSERTION_TTL_SECONDS, createNextSigningKey, LOGOUT_TOKEN_TTL_SECONDS } from "./signing-keys.js";
import { totpKeyAAD } from "./totp-key.js";

/** Every table with sealed values, in the order they are re-sealed. */
export const SEALED_VALUE_SOURCES: readonly SealedValueSource[] = Object.freeze(["totp_credential", "oidc_client", "signing_key", "webhook_endpoint", "delivery"]);

/** The id {@link keyStatus} counts values under when their envelope names no key. */
export const UNREADABLE = "(unreadable)";

/** Rows read per page while re-sealing or counting. */
export const DEFAULT_RESEAL_BATCH_SIZE = 200;

/** The binding (AAD) of a sealed value of a source. */
function bindingOf(source: SealedValueSource, record: SealedValueRecord): string {
	switch (source) {
		case "totp_credential":
			return totpKeyAAD({ id: record.id, accountId: record.accountId ?? "" });
		case "oidc_client":
			return sealedTextBinding(OIDC_CLIENT_SECRET_PURPOSE, record.id);
		case "signing_key":
			return sealedTextBinding("signing-key", record.id);
		case "webhook_endpoint":
			return sealedTextBinding("webhook-secret", record.id);
		case "delivery":
			return sealedTextBinding("delivery-secret", record.id);
	}
}

/** Every sealed value of a source, page by page. */
async function* sealedValues(deps: ServiceDeps, source: SealedValueSource, batchSize: number): AsyncGenerator<SealedValueRecord[]> {
	let after = "";
	for (;;) {
		const page = await deps.store.sealedValues.listSealedValues(source, after, batchSize);
		if (page.length === 0) return;
		yield page;
		after = (page[page.length - 1] as SealedValueRecord).id;
		if (page.length < batchSize) return;
	}
}

/** What {@link keyStatus} reports. */
export interface KeyStatus {
	readonly encryption: {
		readonly primaryId: string;
		/** The ids this instance holds, in configuration order. */
		readonly keyIds: readonly string[];
		/** Sealed values per key id, per table (ids this instance lacks included). */
		readonly sealedValues: Readonly<Record<string, Readonly<Partial<Record<SealedValueSource, number>>>>>;
	};
	readonly hmac: {
		readonly primaryId: string;
		readonly keyIds: readonly string[];
		/** Unused recovery codes, and the accounts that have some, per key id. */
		readonly recoveryCodes: Readonly<Record<string, { readonly codes: number; readonly accounts: number }>>;
	};
	/** Every key id recorded for the database (`server_key`), retired ones too. */
	readonly recorded: readonly Pick<ServerKeyRecord, "kind" | "keyId" | "createdAt" | "retiredAt">[];
	/** The signing keys of the JWKS, newest first, with when each signs from. */
	readonly signingKeys: readonly { readonly kid: string; readonly generation: number; readonly activatesAt: UnixMillis; readonly active: boolean }[];
}

/**
 * Counts what depends on each key id (reads every sealed value once, in pages).
 * @throws StorageUnavailable when the database cannot be reached
 */
export async function keyStatus(deps: ServiceDeps, batchSize: number = DEFAULT_RESEAL_BATCH_SIZE): Promise<KeyStatus> {
	const encryption = encryptionRing(deps.keys);
	const hmac = hmacRing(deps.keys);
	const sealed: Record<string, Partial<Record<SealedValueSource, number>>> = {};
	for (const id of encryption.keys.keys()) sealed[id] = {};
	for (const source of SEALED_VALUE_SOURCES) {
		for await (const page of sealedValues(deps, source, batchSize)) {
			for (const record of page) {
				const id = sealedKeyId(record.sealed) ?? UNREADABLE;
				const counts = (sealed[id] ??= {});
				counts[source] = (counts[source] ?? 0) + 1;
			}
		}
	}
	const codes: Record<string, { codes: number; accounts: number }> = {};
	for (const id of hmac.keys.keys()) codes[id] = { codes: 0, accounts: 0 };
	for (const use of await deps.store.recoveryCodes.countRecoveryCodesByHmacKey()) {
		const entry = (codes[use.hmacKeyId ?? LEGACY_KEY_ID] ??= { codes: 0, accounts: 0 });
		entry.codes += use.codes;
		// An account with codes of both schemes under one key is counted twice; it has one set, so at most one scheme.
		entry.accounts += use.accounts;
	}
	const now = deps.clock.now();
	const signing = await deps.store.signingKeys.listSigningKeys();
	return {
		encryption: { primaryId: encryption.primaryId, keyIds: [...encryption.keys.keys()], sealedValues: sealed },
		hmac: { primaryId: hmac.primaryId, keyIds: [...hmac.keys.keys()], recoveryCodes: codes },
		recorded: (await deps.store.serverKeyCheck.listServerKeys()).map(({ kind, keyId, createdAt, retiredAt }) => ({ kind, keyId, createdAt, retiredAt })),
		signingKeys: signing.map((record) => {
			const activatesAt = record.activatesAt ?? record.createdAt;
			return { kid: record.kid, generation: record.generation, activatesAt, active: activatesAt <= now };
		}),
	};
}

/** A key id the database depends on and this instance's ring lacks, with what depends on it. */
export type MissingKey =
	| { readonly kind: "encryption"; readonly keyId: string; readonly sealedValues: Readonly<Partial<Record<SealedValueSource, number>>> }
	| { readonly kind: "hmac"; readonly keyId: string; readonly recoveryCodes: number; readonly accounts: number };

/**
 * The key ids the database depends on that this instance's rings do not hold: encryption key ids
 * that seal values (TOTP keys, OpenID Connect client secrets, signing keys, webhook secrets,
 * queued link tokens), and HMAC key ids of unused recovery codes. Such values fail at use
 * (`KeyUnavailable`, 503) until the key is back in the ring. Values whose envelope names no key
 * (unreadable bytes) are not a missing key and are left out. `deadbolt restore` refuses a
 * database with any (docs/operations.md, "Backups and restore"). Reads every sealed value once.
 * @returns the missing ids, encryption ones first, each kind in id order; empty when none
 * @throws StorageUnavailable when the database cannot be reached
 */
export async function keysMissingFromRings(deps: ServiceDeps, batchSize: number = DEFAULT_RESEAL_BATCH_SIZE): Promise<MissingKey[]> {
	const status = await keyStatus(deps, batchSize);
	const missing: MissingKey[] = [];
	const encryptionIds = new Set(status.encryption.keyIds);
	for (const [keyId, sealedValues] of Object.entries(status.encryption.sealedValues).sort(([a], [b]) => a.localeCompare(b))) {
		if (encryptionIds.has(keyId) || keyId === UNREADABLE) continue;
		if (Object.values(sealedValues).some((count) => (count ?? 0) > 0)) missing.push({ kind: "encryption", keyId, sealedValues });
	}
	const hmacIds = new Set(status.hmac.keyIds);
	for (const [keyId, uses] of Object.entries(status.hmac.recoveryCodes).sort(([a], [b]) => a.localeCompare(b))) {
		if (!hmacIds.has(keyId) && uses.codes > 0) missing.push({ kind: "hmac", keyId, recoveryCodes: uses.codes, accounts: uses.accounts });
	}
	return missing;
}

/** What a re-sealing run did. */
export interface ResealReport {
	/** Values re-sealed under the primary key by this run. */
	resealed: number;
	/** Values already under the primary key. */
	current: number;
	/** Values another writer changed (or removed) between the read and the update: theirs won. */
	changedMeanwhile: number;
	/** Values under a key id this instance lacks (left as they are; the run reports them, never guesses). */
	missingKey: number;
	/** Values that do not open under the key they name (tampered, or another key under that id). */
	unopenable: number;
}

/** One page's progress, for the CLI's output. */
export interface ResealProgress {
	readonly source: SealedValueSource;
	/** Rows of this source seen so far. */
	readonly seen: number;
	readonly report: Readonly<ResealReport>;
}

/**
 * Re-seals every sealed value not under the primary encryption key (see the module comment).
 * @param options.batchSize - rows per page (default {@link DEFAULT_RESEAL_BATCH_SIZE})
 * @param options.onProgress - called after every page
 * @param options.stopAfter - stop after this many re-sealed values (tests of an interrupted run)
 * @throws StorageUnavailable when the database cannot be reached (a re-run finishes the work)
 */
export async function resealUnderPrimary(
	deps: ServiceDeps,
	options: { readonly batchSize?: number; readonly onProgress?: (progress: ResealProgress) => void; readonly stopAfter?: number } = {},
): Promise<ResealReport> {
	const ring = encryptionRing(deps.keys);
	const batchSize = options.batchSize ?? DEFAULT_RESEAL_BATCH_SIZE;
	const report: ResealReport = { resealed: 0, current: 0, changedMeanwhile: 0, missingKey: 0, unopenable: 0 };
	for (const source of SEALED_VALUE_SOURCES) {
		let seen = 0;
		for await (const page of sealedValues(deps, source, batchSize)) {
			for (const record of page) {
				seen++;
				if (options.stopAfter !== undefined && report.resealed >= options.stopAfter) return report;
				if (sealedKeyId(record.sealed) === ring.primaryId && record.sealed[0] !== 1) {
					report.current++;
					continue;
				}
				const aad = bindingOf(source, record);
				const opened = openWithRing(ring, record.sealed, aad);
				if (opened.kind === "missing-key") {
					report.missingKey++;
					deps.logger.error({ event: "keys.missing", kind: "encryption", keyId: opened.keyId, table: source, rowId: record.id }, `a value of ${source} ${record.id} is sealed under the encryption key "${opened.keyId}", which this instance does not hold: add it to keys.encryptionKeys and run again`);
					continue;
				}
				if (opened.kind === "invalid") {
					report.unopenable++;
					deps.logger.error({ event: "keys.reseal_unopenable", table: source, rowId: record.id }, `a value of ${source} ${record.id} does not open under the key it names; left as it is`);
					continue;
				}
				const next = sealWithRing(ring, opened.plaintext, aad, deps.random);
				if (await deps.store.sealedValues.replaceSealedValue(source, record.id, record.sealed, next)) report.resealed++;
				else report.changedMeanwhile++;
			}
			options.onProgress?.({ source, seen, report: { ...report } });
		}
	}
	deps.logger.info({ event: "keys.resealed", primaryId: ring.primaryId, ...report }, `re-sealed ${report.resealed} values under the encryption key "${ring.primaryId}"`);
	return report;
}

/**
 * Retires a key id: refuses while it is a primary of this instance or anything depends on it
 * (sealed values under an encryption key; unused recovery codes under an HMAC key), then marks it
 * retired in the database (instances then refuse it as primary and warn while they still hold it).
 * @returns the status it was decided on
 * @throws NotFound when neither ring of this instance holds the id and the database never recorded it
 * @throws KeyInUse when it is primary or still used (the message has the counts); nothing is changed
 */
export async function retireKey(deps: ServiceDeps, kind: ServerKeyRecord["kind"], keyId: string): Promise<KeyStatus> {
	const status = await keyStatus(deps);
	const ring = kind === "encryption" ? encryptionRing(deps.keys) : hmacRing(deps.keys);
	const recorded = status.recorded.find((record) => record.kind === kind && record.keyId === keyId);
	if (!ring.keys.has(keyId) && recorded === undefined && keyId !== LEGACY_KEY_ID) throw new NotFound(`No ${kind} key "${keyId}" is configured or recorded.`);
	if (ring.primaryId === keyId) throw new KeyInUse(`The ${kind} key "${keyId}" is the primary key: make another key primary first.`);
	if (kind === "encryption") {
		const uses = status.encryption.sealedValues[keyId] ?? {};
		const total = Object.values(uses).reduce((sum, count) => sum + (count ?? 0), 0);
		if (total > 0) throw new KeyInUse(`The encryption key "${keyId}" still seals ${total} value(s) (${Object.entries(uses).map(([source, count]) => `${source}: ${count}`).join(", ")}): run "deadbolt keys rotate" first.`);
	} else {
		const uses = status.hmac.recoveryCodes[keyId] ?? { codes: 0, accounts: 0 };
		if (uses.codes > 0) throw new KeyInUse(`The HMAC key "${keyId}" still keys ${uses.codes} unused recovery code(s) of ${uses.accounts} account(s): they work until their owners make a new set; keep the key until then.`);
	}
	if (recorded === undefined) await deps.store.serverKeyCheck.insertServerKey({ kind, keyId, checkValue: "", createdAt: deps.clock.now(), retiredAt: null });
	if (await deps.store.serverKeyCheck.retireServerKey(kind, keyId, deps.clock.now())) {
		deps.logger.info({ event: "keys.retired", kind, keyId }, `the ${kind} key "${keyId}" is retired: remove it from every instance's configuration`);
	}
	return status;
}

/** The longest life of a token signed with a signing key, in seconds: what a retired key must outlive. */
export function longestSignedTokenSeconds(deps: Pick<ServiceDeps, "config">): number {
	return Math.max(ASSERTION_TTL_SECONDS, LOGOUT_TOKEN_TTL_SECONDS, deps.config.oidc.idTokenTtlSeconds, deps.config.oidc.accessTokenTtlSeconds);
}

/** What {@link rotateSigningKey} did. */
export interface SigningRotation {
	/** The new generation's key id, or null when one is already waiting to sign (published ahead). */
	readonly createdKid: string | null;
	/** When the newest key signs from. */
	readonly activatesAt: UnixMillis;
	/** Older keys removed from the JWKS by this call. */
	readonly retired: number;
}

/**
 * Rotates the signing key of assertions, logout tokens and ID tokens: adds generation n+1,
 * published in the JWKS at once and signing from `now + keys.signingKeyPublishAheadSeconds`
 * (unless a newer key is still waiting, then nothing is added); every key older than the one in
 * use whose successor has signed for longer than {@link longestSignedTokenSeconds} leaves the JWKS.
 * Run it again later to retire the old key. Instances pick the new key up within
 * `keys.signingKeyRefreshSeconds`, without a restart.
 * @throws StorageUnavailable when the database cannot be reached
 */
export async function rotateSigningKey(deps: ServiceDeps, options: { readonly create?: boolean } = {}): Promise<SigningRotation> {
	const now = deps.clock.now();
	const newest = await deps.store.signingKeys.findNewestSigningKey();
	let createdKid: string | null = null;
	let activatesAt = newest === null ? now : (newest.activatesAt ?? newest.createdAt);
	if ((options.create ?? true) && (newest === null || activatesAt <= now)) {
		const created = await createNextSigningKey(deps, (newest?.generation ?? 0) + 1, newest === null ? now : now + secondsToMillis(deps.config.keys.signingKeyPublishAheadSeconds));
		createdKid = created?.kid ?? null;
		activatesAt = created?.activatesAt ?? activatesAt;
	}
	const current = await deps.store.signingKeys.findCurrentSigningKey(now);
	let retired = 0;
	if (current !== null && (current.activatesAt ?? current.createdAt) + secondsToMillis(longestSignedTokenSeconds(deps)) <= now) {
		retired = await deps.store.signingKeys.retireSigningKeysBelow(current.generation, now);
		if (retired > 0) deps.logger.info({ event: "signing_key.retired", below: current.generation, retired }, `${retired} older signing key(s) left the JWKS`);
	}
	return { createdKid, activatesAt, retired };
}
