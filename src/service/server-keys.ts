/**
 * The server-key check (docs/decisions.md, "Keys"), per key id: every key of the instance's key
 * rings is proved against the database. The keys `default` of both kinds (the single keys of
 * before key rings) keep their proof in `server_key_check` (a keyed hash under the HMAC key, a
 * fixed text sealed under the encryption key); every other id has its own `server_key` row, written
 * by the first instance that starts with it. An instance whose key for an id differs from the
 * recorded one (a typo, another environment's keys, per-machine development keys on a shared
 * PostgreSQL) refuses to start, instead of answering 500 to valid codes or writing secrets the
 * other instances cannot open. Keys are checked per id, so instances with different rings (a
 * rolling rotation: A holds {k1, k2} primary k1, B holds {k1, k2} primary k2) both start.
 */
import { createHmac } from "node:crypto";
import { ConfigInvalid } from "../errors.js";
import { openSecret, sealSecret } from "../domain/crypto/secret-box.js";
import { LEGACY_KEY_ID } from "../domain/crypto/key-ring.js";
import type { ServerKeyRecord } from "../storage/store.js";
import { encryptionRing, hmacRing, type ServiceDeps } from "./deps.js";

const HMAC_CHECK_TEXT = "deadbolt:server-key-check:v1";
const SEALED_CHECK_TEXT = "deadbolt server-key check v1";
const SEALED_CHECK_AAD = "deadbolt:server-key-check";

/** The keyed proof of an HMAC key. */
function hmacProof(key: Uint8Array): string {
	return createHmac("sha256", key).update(HMAC_CHECK_TEXT, "utf8").digest("hex");
}

/** Whether a sealed proof opens under `key` to the fixed text. */
function sealedProofOpens(key: Uint8Array, sealed: Uint8Array): boolean {
	const opened = openSecret(key, sealed, SEALED_CHECK_AAD);
	return opened !== null && new TextDecoder().decode(opened) === SEALED_CHECK_TEXT;
}

/**
 * What a key of a kind is called in messages, with where it comes from: an entry of the ring
 * (`keys.encryptionKeys`, `DEADBOLT_ENCRYPTION_KEYS`), the single key (`keys.encryptionKey`,
 * `DEADBOLT_ENCRYPTION_KEY`, the id `default`), or the development keys file.
 */
function keyName(deps: ServiceDeps, kind: ServerKeyRecord["kind"], keyId: string): string {
	const encryption = kind === "encryption";
	const name = `the ${encryption ? "encryption" : "HMAC"} key "${keyId}"`;
	const settings = deps.config.keys;
	const ring = encryption ? settings.encryptionKeys : settings.hmacKeys;
	if (ring.some((entry) => entry.id === keyId)) return `${name} (${encryption ? "keys.encryptionKeys, DEADBOLT_ENCRYPTION_KEYS" : "keys.hmacKeys, DEADBOLT_HMAC_KEYS"})`;
	if (keyId === LEGACY_KEY_ID && (encryption ? settings.encryptionKey : settings.hmacKey) !== null) return `${name} (${encryption ? "keys.encryptionKey, DEADBOLT_ENCRYPTION_KEY" : "keys.hmacKey, DEADBOLT_HMAC_KEY"})`;
	if (deps.keys.developmentKeysFile !== undefined) return `${name} (${encryption ? "encryptionKey" : "hmacKey"} of the development keys file ${deps.keys.developmentKeysFile})`;
	// Keys the embedding passed to createDeadbolt itself.
	return `${name} (given to createDeadbolt)`;
}

/** Checks the `default` keys against `server_key_check`, writing it when there is none and the instance holds both. */
async function checkLegacyKeys(deps: ServiceDeps, problems: string[]): Promise<void> {
	const encryption = encryptionRing(deps.keys).keys.get(LEGACY_KEY_ID);
	const hmac = hmacRing(deps.keys).keys.get(LEGACY_KEY_ID);
	if (encryption === undefined && hmac === undefined) return;
	let existing = await deps.store.serverKeyCheck.findServerKeyCheck();
	if (existing === null && encryption !== undefined && hmac !== undefined) {
		const sealedCheck = sealSecret(encryption, new TextEncoder().encode(SEALED_CHECK_TEXT), SEALED_CHECK_AAD, deps.random);
		if (await deps.store.serverKeyCheck.insertServerKeyCheck({ hmacCheck: hmacProof(hmac), sealedCheck, createdAt: deps.clock.now() })) {
			deps.logger.info({ event: "keys.check_written" }, "server keys recorded for this database (later starts must use the same keys)");
			return;
		}
		existing = await deps.store.serverKeyCheck.findServerKeyCheck();
		if (existing === null) throw new Error("server key check neither inserted nor found");
	}
	if (existing === null) return;
	if (encryption !== undefined && !sealedProofOpens(encryption, existing.sealedCheck)) {
		problems.push(`${keyName(deps, "encryption", LEGACY_KEY_ID)}: not the key this database was set up with; every instance must use the same key (2FA secrets sealed with it would not open)`);
	}
	if (hmac !== undefined && existing.hmacCheck !== hmacProof(hmac)) {
		problems.push(`${keyName(deps, "hmac", LEGACY_KEY_ID)}: not the key this database was set up with; every instance must use the same key (recovery codes would not match)`);
	}
}

/**
 * Checks every key of the process's rings against the database's proofs, writing the proof of
 * an id met for the first time. Two instances starting at once with a new id: one writes, the
 * other checks against it. A retired id in a ring is logged (warn); a retired primary is refused.
 * @throws ConfigInvalid naming each key that differs (the CLI exits with 78)
 * @throws StorageUnavailable when the database cannot be reached
 */
export async function verifyServerKeys(deps: ServiceDeps): Promise<void> {
	const problems: string[] = [];
	await checkLegacyKeys(deps, problems);
	const recorded = new Map((await deps.store.serverKeyCheck.listServerKeys()).map((record) => [`${record.kind}:${record.keyId}`, record]));
	for (const [kind, ring] of [["encryption", encryptionRing(deps.keys)], ["hmac", hmacRing(deps.keys)]] as const) {
		for (const [keyId, key] of ring.keys) {
			let record = recorded.get(`${kind}:${keyId}`) ?? null;
			if (record === null && keyId === LEGACY_KEY_ID) continue;
			if (record === null) {
				const checkValue = kind === "hmac" ? hmacProof(key) : Buffer.from(sealSecret(key, new TextEncoder().encode(SEALED_CHECK_TEXT), SEALED_CHECK_AAD, deps.random)).toString("base64");
				const created: ServerKeyRecord = { kind, keyId, checkValue, createdAt: deps.clock.now(), retiredAt: null };
				if (await deps.store.serverKeyCheck.insertServerKey(created)) {
					deps.logger.info({ event: "keys.key_recorded", kind, keyId }, `${keyName(deps, kind, keyId)} recorded for this database (every instance must use the same key under this id)`);
					continue;
				}
				record = (await deps.store.serverKeyCheck.listServerKeys()).find((candidate) => candidate.kind === kind && candidate.keyId === keyId) ?? null;
				if (record === null) throw new Error("server key proof neither inserted nor found");
			}
			// A key retired while no instance had recorded its proof has an empty one.
			const matches = record.checkValue === "" ? true : kind === "hmac" ? record.checkValue === hmacProof(key) : sealedProofOpens(key, new Uint8Array(Buffer.from(record.checkValue, "base64")));
			if (!matches) problems.push(`${keyName(deps, kind, keyId)}: not the key recorded under this id for this database; every instance must use the same key under one id (a new key needs a new id)`);
			if (record.retiredAt !== null) {
				if (keyId === ring.primaryId) problems.push(`${keyName(deps, kind, keyId)}: retired ("deadbolt keys retire"); it cannot be primary again: make another key primary`);
				else deps.logger.warn({ event: "keys.retired_key_configured", kind, keyId }, `${keyName(deps, kind, keyId)} was retired; remove it from the configuration`);
			}
		}
	}
	if (problems.length > 0) throw new ConfigInvalid(problems);
}
