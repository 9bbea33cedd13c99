/**
 * The server's key rings as the configuration gives them (issue 14, "Keys"; docs/config.md,
 * "Keys"): `keys.encryptionKeys` / `keys.hmacKeys` (`[{id, key}]`, or the environment's
 * `DEADBOLT_ENCRYPTION_KEYS="id:base64,id:base64"`), the single keys of before (`keys.encryptionKey`,
 * `keys.hmacKey`), which join the ring with the id `default` (a ring of one when alone), and the
 * primary ids. Checked strictly at load: ids unique, every key 32 bytes, the primary present.
 */
import { KEY_ID_PATTERN, LEGACY_KEY_ID, type KeyRing } from "../domain/crypto/key-ring.js";

/** One configured key, as text. */
export interface KeyRingEntryText {
	readonly id: string;
	readonly key: string;
}

/** The `keys.*` settings the rings are made of (part of `Config["keys"]`). */
export interface KeyRingSettings {
	readonly encryptionKey: string | null;
	readonly hmacKey: string | null;
	readonly encryptionKeys: readonly KeyRingEntryText[];
	readonly hmacKeys: readonly KeyRingEntryText[];
	readonly primaryEncryptionKeyId: string | null;
	readonly primaryHmacKeyId: string | null;
}

/** The two kinds of ring. */
export type KeyRingKind = "encryption" | "hmac";

/** The setting names of a kind, for messages. */
const NAMES: Readonly<Record<KeyRingKind, { single: string; ring: string; primary: string; env: string }>> = Object.freeze({
	encryption: { single: "keys.encryptionKey (DEADBOLT_ENCRYPTION_KEY)", ring: "keys.encryptionKeys (DEADBOLT_ENCRYPTION_KEYS)", primary: "keys.primaryEncryptionKeyId (DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID)", env: "DEADBOLT_ENCRYPTION_KEYS" },
	hmac: { single: "keys.hmacKey (DEADBOLT_HMAC_KEY)", ring: "keys.hmacKeys (DEADBOLT_HMAC_KEYS)", primary: "keys.primaryHmacKeyId (DEADBOLT_PRIMARY_HMAC_KEY_ID)", env: "DEADBOLT_HMAC_KEYS" },
});

/**
 * Reads the environment form of a ring: `id:base64` entries separated by commas (spaces around
 * them ignored). Base64 has no `:` or `,`, so the first `:` ends the id.
 * @returns the entries; an entry without `:` gets an empty id (refused by the checks with a clear message)
 */
export function parseKeyRingText(text: string): KeyRingEntryText[] {
	return text
		.split(",")
		.map((part) => part.trim())
		.filter((part) => part !== "")
		.map((part) => {
			const colon = part.indexOf(":");
			return colon < 0 ? { id: "", key: part } : { id: part.slice(0, colon).trim(), key: part.slice(colon + 1).trim() };
		});
}

/** The entries of one kind: the ring's, then the single key as `default`. */
function entriesOf(settings: KeyRingSettings, kind: KeyRingKind): KeyRingEntryText[] {
	const single = kind === "encryption" ? settings.encryptionKey : settings.hmacKey;
	const ring = kind === "encryption" ? settings.encryptionKeys : settings.hmacKeys;
	return [...ring, ...(single === null ? [] : [{ id: LEGACY_KEY_ID, key: single }])];
}

/** The primary id of a kind as configured or implied; null when it cannot be decided. */
function primaryIdOf(settings: KeyRingSettings, kind: KeyRingKind, ids: readonly string[]): string | null {
	const configured = kind === "encryption" ? settings.primaryEncryptionKeyId : settings.primaryHmacKeyId;
	if (configured !== null) return configured;
	if (ids.includes(LEGACY_KEY_ID)) return LEGACY_KEY_ID;
	return ids.length === 1 ? (ids[0] as string) : null;
}

/**
 * The primary key id of a kind as configured or implied (`default` when the single key is set,
 * the only id of a ring of one); null when no key of the kind is configured or it cannot be decided.
 */
export function effectivePrimaryKeyId(settings: KeyRingSettings, kind: KeyRingKind): string | null {
	const ids = entriesOf(settings, kind).map((entry) => entry.id);
	return ids.length === 0 ? null : primaryIdOf(settings, kind, ids);
}

/**
 * Every problem of the configured rings, one sentence each (never a key's value).
 * @param decodeKey - the 32-byte base64 decoder of `load.ts`
 */
export function keyRingIssues(settings: KeyRingSettings, decodeKey: (text: string) => Uint8Array | null): string[] {
	const issues: string[] = [];
	const configured: Record<KeyRingKind, boolean> = { encryption: false, hmac: false };
	for (const kind of ["encryption", "hmac"] as const) {
		const names = NAMES[kind];
		const entries = entriesOf(settings, kind);
		configured[kind] = entries.length > 0;
		const seen = new Set<string>();
		for (const entry of entries) {
			if (!KEY_ID_PATTERN.test(entry.id)) issues.push(`${names.ring}: the key id "${entry.id}" must be 1 to 32 letters, digits, ".", "_" or "-" (environment form: id:base64,id:base64)`);
			else if (seen.has(entry.id)) issues.push(`${names.ring}: the key id "${entry.id}" appears twice${entry.id === LEGACY_KEY_ID ? ` (${names.single} is the key "${LEGACY_KEY_ID}")` : ""}`);
			seen.add(entry.id);
			if (decodeKey(entry.key) === null) issues.push(`${entry.id === LEGACY_KEY_ID && !(kind === "encryption" ? settings.encryptionKeys : settings.hmacKeys).some((e) => e.id === LEGACY_KEY_ID) ? names.single : `${names.ring}, key "${entry.id}"`}: must be 32 bytes in base64 (generate one with: openssl rand -base64 32)`);
		}
		const configuredPrimary = kind === "encryption" ? settings.primaryEncryptionKeyId : settings.primaryHmacKeyId;
		if (entries.length === 0) {
			if (configuredPrimary !== null) issues.push(`${names.primary}: set, but there is no key (${names.ring} is empty)`);
			continue;
		}
		const primary = primaryIdOf(settings, kind, entries.map((entry) => entry.id));
		if (primary === null) issues.push(`${names.primary}: must name the key that seals new values when the ring has several keys and none is "${LEGACY_KEY_ID}"`);
		else if (!seen.has(primary)) issues.push(`${names.primary}: "${primary}" is not a key id of ${names.ring}`);
	}
	if (configured.encryption !== configured.hmac) {
		issues.push("keys: set both an encryption key (DEADBOLT_ENCRYPTION_KEY or DEADBOLT_ENCRYPTION_KEYS) and an HMAC key (DEADBOLT_HMAC_KEY or DEADBOLT_HMAC_KEYS), or neither (development keys in the data directory)");
	}
	return issues;
}

/**
 * The configured ring of a kind, decoded; null when none is configured (development keys).
 * @throws Error when the settings did not pass {@link keyRingIssues} (loadConfig refuses them first)
 */
export function configuredKeyRing(settings: KeyRingSettings, kind: KeyRingKind, decodeKey: (text: string) => Uint8Array | null): KeyRing | null {
	const entries = entriesOf(settings, kind);
	if (entries.length === 0) return null;
	const keys = new Map<string, Uint8Array>();
	for (const entry of entries) {
		const key = decodeKey(entry.key);
		if (key === null || keys.has(entry.id)) throw new Error(`${NAMES[kind].ring}: invalid (checked at load)`);
		keys.set(entry.id, key);
	}
	const primaryId = primaryIdOf(settings, kind, [...keys.keys()]);
	if (primaryId === null || !keys.has(primaryId)) throw new Error(`${NAMES[kind].primary}: invalid (checked at load)`);
	return Object.freeze({ primaryId, keys });
}
