/**
 * A text secret kept at rest sealed under the server's encryption key ring (AES-256-GCM,
 * `domain/crypto/key-ring.ts`) and bound to the row that holds it: the associated data is
 * `deadbolt/<purpose>/v1:<rowId>`, so a sealed value moved to another row, or to another purpose,
 * does not open. Used for the link tokens of queued mails, the signing secrets of webhook
 * endpoints, the secrets of OpenID Connect clients added through the admin API
 * (`oidc-client-admin.ts`) and the private keys assertions are signed with (`signing-keys.ts`; TOTP keys have
 * their own binding, `totp-key.ts`). {@link sealBytes} and {@link openBytes} are the ring's
 * sealing and opening for every sealed value: under the primary key; with the key the value names.
 */
import { openWithRing, sealWithRing } from "../domain/crypto/key-ring.js";
import { KeyUnavailable } from "../errors.js";
import { encryptionRing, type ServiceDeps } from "./deps.js";

/** What a sealed text is: part of its binding. */
export type SealedTextPurpose = "delivery-secret" | "webhook-secret" | "signing-key" | "oidc-client-secret";

/** The associated data binding a sealed text to its purpose and row. */
export function sealedTextBinding(purpose: SealedTextPurpose, rowId: string): string {
	return `deadbolt/${purpose}/v1:${rowId}`;
}

/** Seals bytes under the primary encryption key, bound to `aad`. @returns a key-ring envelope naming the key id */
export function sealBytes(deps: Pick<ServiceDeps, "keys" | "random">, plaintext: Uint8Array, aad: string): Uint8Array {
	return sealWithRing(encryptionRing(deps.keys), plaintext, aad, deps.random);
}

/**
 * Opens a sealed value with the key its envelope names.
 * @param what - what the value is, for the error and the log line (never the value)
 * @throws KeyUnavailable when the value names a key this instance lacks (logged as `keys.missing` when a logger is given)
 * @throws Error when it does not open under its key (another row, a tampered value): a 500, logged
 */
export function openBytes(deps: Pick<ServiceDeps, "keys"> & Partial<Pick<ServiceDeps, "logger">>, sealed: Uint8Array, aad: string, what: string): Uint8Array {
	const opened = openWithRing(encryptionRing(deps.keys), sealed, aad);
	if (opened.kind === "opened") return opened.plaintext;
	if (opened.kind === "missing-key") {
		const message = `${what} is sealed under the encryption key "${opened.keyId}", which this instance does not hold: add it to keys.encryptionKeys (every instance holds every key before one becomes primary)`;
		deps.logger?.error({ event: "keys.missing", kind: "encryption", keyId: opened.keyId }, message);
		throw new KeyUnavailable(opened.keyId, undefined, { cause: new Error(message) });
	}
	throw new Error(`${what} does not open${opened.keyId === null ? "" : ` under the encryption key "${opened.keyId}"`}: another key with that id, or a tampered row`);
}

/** Seals `text` for the row `rowId`. @returns the sealed bytes (a key-ring envelope) */
export function sealText(deps: Pick<ServiceDeps, "keys" | "random">, purpose: SealedTextPurpose, rowId: string, text: string): Uint8Array {
	return sealBytes(deps, new TextEncoder().encode(text), sealedTextBinding(purpose, rowId));
}

/**
 * Opens a text sealed by {@link sealText} for the same purpose and row.
 * @throws KeyUnavailable when it names a key this instance lacks
 * @throws Error when it does not open (another server key, another row, or a tampered value): a 500, logged
 */
export function openText(deps: Pick<ServiceDeps, "keys"> & Partial<Pick<ServiceDeps, "logger">>, purpose: SealedTextPurpose, rowId: string, sealed: Uint8Array): string {
	return new TextDecoder().decode(openBytes(deps, sealed, sealedTextBinding(purpose, rowId), `the ${purpose} of row ${rowId}`));
}
