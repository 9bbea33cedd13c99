/**
 * A text secret kept at rest sealed under the server's encryption key (AES-256-GCM,
 * `domain/crypto/secret-box.ts`) and bound to the row that holds it: the associated data is
 * `deadbolt/<purpose>/v1:<rowId>`, so a sealed value moved to another row, or to another purpose,
 * does not open. Used for the link tokens of queued mails, the signing secrets of webhook
 * endpoints, the secrets of OpenID Connect clients added through the admin API
 * (`oidc-client-admin.ts`) and the private keys assertions are signed with (`signing-keys.ts`; TOTP keys have
 * their own binding, `totp-key.ts`).
 */
import { openSecret, sealSecret } from "../domain/crypto/secret-box.js";
import type { ServiceDeps } from "./deps.js";

/** What a sealed text is: part of its binding. */
export type SealedTextPurpose = "delivery-secret" | "webhook-secret" | "signing-key" | "oidc-client-secret";

/** The associated data binding a sealed text to its purpose and row. */
function binding(purpose: SealedTextPurpose, rowId: string): string {
	return `deadbolt/${purpose}/v1:${rowId}`;
}

/** Seals `text` for the row `rowId`. @returns the sealed bytes (nonce, ciphertext, tag) */
export function sealText(deps: Pick<ServiceDeps, "keys" | "random">, purpose: SealedTextPurpose, rowId: string, text: string): Uint8Array {
	return sealSecret(deps.keys.encryptionKey, new TextEncoder().encode(text), binding(purpose, rowId), deps.random);
}

/**
 * Opens a text sealed by {@link sealText} for the same purpose and row.
 * @throws Error when it does not open (another server key, another row, or a tampered value): a 500, logged
 */
export function openText(deps: Pick<ServiceDeps, "keys">, purpose: SealedTextPurpose, rowId: string, sealed: Uint8Array): string {
	const plain = openSecret(deps.keys.encryptionKey, sealed, binding(purpose, rowId));
	if (plain === null) throw new Error(`the ${purpose} of row ${rowId} does not open: wrong DEADBOLT_ENCRYPTION_KEY or tampered row`);
	return new TextDecoder().decode(plain);
}
