/**
 * The TOTP key of a credential at rest: sealed with AES-256-GCM under the server's primary
 * encryption key (a key-ring envelope naming the key's id, `domain/crypto/key-ring.ts`) and bound to its row (DESIGN §2, STANDARDS S-03), and the options it is verified with
 * (RFC 6238 §4: algorithm, digits, period; §5.2: the drift window from the config).
 */
import { normalizeOTPInput, type OTPAlgorithm } from "../domain/otp/hotp.js";
import { verifyTOTP } from "../domain/otp/totp.js";
import type { TOTPCredentialRecord } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";
import { openBytes, sealBytes } from "./sealed-text.js";

/** The row-binding of a sealed TOTP key (the AAD). */
export function totpKeyAAD(credential: Pick<TOTPCredentialRecord, "id" | "accountId">): string {
	return `deadbolt:totp_credential:${credential.id}:${credential.accountId}`;
}

/**
 * Seals a new credential's key for its row.
 * @returns the sealed bytes for `TOTPCredentialRecord.secretCiphertext`
 */
export function sealTOTPKey(deps: Pick<ServiceDeps, "keys" | "random">, credential: Pick<TOTPCredentialRecord, "id" | "accountId">, key: Uint8Array): Uint8Array {
	return sealBytes(deps, key, totpKeyAAD(credential));
}

/**
 * Opens a credential's sealed key with the key its envelope names.
 * @throws KeyUnavailable when it was sealed under a key id this instance lacks (logged `keys.missing`)
 * @throws Error when it does not open (another key with that id, or the row was tampered with): a 500, logged
 */
export function openTOTPKey(deps: Pick<ServiceDeps, "keys"> & Partial<Pick<ServiceDeps, "logger">>, credential: Pick<TOTPCredentialRecord, "id" | "accountId" | "secretCiphertext">): Uint8Array {
	return openBytes(deps, credential.secretCiphertext, totpKeyAAD(credential), `the TOTP key of credential ${credential.id}`);
}

/** The verification options of a credential, with the configured drift window. */
export function toTOTPOptions(deps: ServiceDeps, credential: TOTPCredentialRecord): { periodSeconds: number; digits: number; algorithm: OTPAlgorithm; windowSteps: number } {
	return {
		periodSeconds: credential.periodSeconds,
		digits: credential.digits,
		algorithm: credential.algorithm as OTPAlgorithm,
		windowSteps: deps.config.totp.windowSteps,
	};
}

/** A typed code checked against a credential (RFC 6238 §4, drift window §5.2). */
export interface TOTPCodeCheck {
	/** The credential's key, opened (for the clock-skew hints of a refusal). */
	readonly key: Uint8Array;
	/** The code as typed, without spaces. */
	readonly code: string;
	/** The matched time step, or null when no step in the window matches. */
	readonly step: number | null;
}

/**
 * Checks a typed code against a credential at the clock's now. Nothing is consumed: the caller
 * records the step (compare-and-set) where the code is accepted.
 * @throws Error when the key does not open (see {@link openTOTPKey})
 */
export function checkTOTPCode(deps: ServiceDeps, credential: TOTPCredentialRecord, input: string): TOTPCodeCheck {
	const key = openTOTPKey(deps, credential);
	const code = normalizeOTPInput(input);
	return { key, code, step: verifyTOTP(key, code, deps.clock.now(), toTOTPOptions(deps, credential)) };
}

/** A typed code checked against every authenticator of an account. */
export interface TOTPCodeCheckOfAny extends TOTPCodeCheck {
	/**
	 * The authenticator whose key matched; when none did, the one last used (its key and options
	 * explain the refusal: a clock that is off, an app ignoring the settings).
	 */
	readonly credential: TOTPCredentialRecord;
}

/**
 * Checks a typed code against each of the account's authenticators in turn (RFC 6238 §4, drift
 * window §5.2) and stops at the first that matches; every key is opened first. Nothing is consumed: the caller records the
 * step on the account's one replay record (`advanceTOTPStep`), whichever authenticator matched.
 * @param credentials - the account's confirmed authenticators, at least one
 * @throws RangeError when `credentials` is empty; Error when a key does not open ({@link openTOTPKey})
 */
export function checkTOTPCodeOfAny(deps: ServiceDeps, credentials: readonly TOTPCredentialRecord[], input: string): TOTPCodeCheckOfAny {
	if (credentials.length === 0) throw new RangeError("checkTOTPCodeOfAny needs at least one credential");
	// Every key opens before any code is compared: a key the server lacks (KeyUnavailable, an attempt
	// given back, not counted) must never answer after a comparison ran, or a guesser would learn
	// "wrong" (503, free) from "right" (200) without spending attempts.
	const code = normalizeOTPInput(input);
	const keys = credentials.map((credential) => openTOTPKey(deps, credential));
	const now = deps.clock.now();
	let lastUsed = credentials[0]!;
	let lastUsedCheck: TOTPCodeCheck | null = null;
	for (const [index, credential] of credentials.entries()) {
		const key = keys[index]!;
		const checked: TOTPCodeCheck = { key, code, step: verifyTOTP(key, code, now, toTOTPOptions(deps, credential)) };
		if (checked.step !== null) return { ...checked, credential };
		if (lastUsedCheck === null || (credential.lastUsedAt ?? -1) > (lastUsed.lastUsedAt ?? -1)) {
			lastUsed = credential;
			lastUsedCheck = checked;
		}
	}
	return { ...lastUsedCheck!, credential: lastUsed };
}
