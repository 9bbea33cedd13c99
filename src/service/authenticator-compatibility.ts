/**
 * Authenticator apps that ignore the TOTP settings. The key URI carries `algorithm`, `digits` and
 * `period`, but several apps (Google Authenticator: "currently ignored", Key Uri Format wiki;
 * Microsoft Authenticator) always show SHA-1, 6-digit, 30-second codes. With other settings in
 * `totp.*`, the setup warns about it up front, and a refused setup code that is exactly what such
 * an app shows (same key, within the drift window) is explained, with what to do, instead of
 * "wrong code, try again" forever. Like the clock-skew hint beside it, this only explains a
 * refusal: such a code is never accepted.
 */
import { InvalidCode, type TOTPSettingName } from "../errors.js";
import { DEFAULT_OTP_ALGORITHM, DEFAULT_OTP_DIGITS, type OTPAlgorithm } from "../domain/otp/hotp.js";
import { DEFAULT_TOTP_PERIOD_SECONDS, verifyTOTP } from "../domain/otp/totp.js";
import type { TOTPCredentialRecord } from "../storage/store.js";
import type { ServiceDeps } from "./deps.js";

/** The settings of a TOTP credential that an app may ignore. */
export interface TOTPSettings {
	readonly algorithm: OTPAlgorithm;
	readonly digits: number;
	readonly periodSeconds: number;
}

/** What every authenticator app shows (RFC 6238 defaults; the Key Uri Format's defaults). */
export const DEFAULT_TOTP_SETTINGS: TOTPSettings = Object.freeze({ algorithm: DEFAULT_OTP_ALGORITHM, digits: DEFAULT_OTP_DIGITS, periodSeconds: DEFAULT_TOTP_PERIOD_SECONDS });

/** Apps known to honour the algorithm, digits and period of the key URI, named in the advice. */
export const APPS_HONOURING_SETTINGS = Object.freeze(["Aegis", "2FAS", "FreeOTP"]);

const SETTING_NAMES: readonly TOTPSettingName[] = Object.freeze(["algorithm", "digits", "periodSeconds"]);

/** The settings of a credential (its stored algorithm is one of the configured ones). */
function settingsOf(credential: Pick<TOTPCredentialRecord, "algorithm" | "digits" | "periodSeconds">): TOTPSettings {
	return { algorithm: credential.algorithm as OTPAlgorithm, digits: credential.digits, periodSeconds: credential.periodSeconds };
}

/** The settings that differ from {@link DEFAULT_TOTP_SETTINGS}, in a fixed order (empty: all default). */
export function nonDefaultTOTPSettings(settings: TOTPSettings): TOTPSettingName[] {
	return SETTING_NAMES.filter((name) => settings[name] !== DEFAULT_TOTP_SETTINGS[name]);
}

/** A person's words for one setting's value: "SHA-256", "8 digits", "a new code every 60 seconds". */
function describeSetting(name: TOTPSettingName, settings: TOTPSettings): string {
	switch (name) {
		case "algorithm":
			return settings.algorithm.replace(/^SHA/, "SHA-");
		case "digits":
			return `${settings.digits} digits`;
		case "periodSeconds":
			return `a new code every ${settings.periodSeconds} seconds`;
	}
}

/** What an app ignoring one setting shows instead: "SHA-1 instead of SHA-256", "6 digits instead of 8". */
function describeInsteadOf(name: TOTPSettingName, shown: TOTPSettings, settings: TOTPSettings): string {
	switch (name) {
		case "algorithm":
			return `${describeSetting(name, shown)} instead of ${describeSetting(name, settings)}`;
		case "digits":
			return `${shown.digits} digits instead of ${settings.digits}`;
		case "periodSeconds":
			return `a new code every ${shown.periodSeconds} seconds instead of every ${settings.periodSeconds}`;
	}
}

/** "a, b and c" (or "a, b or c"). */
function listOf(items: readonly string[], conjunction: "and" | "or" = "and"): string {
	return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)!}`;
}

/** What to do: an app that honours the settings, or the administrator. */
const ADVICE = `Add the key to an app that supports them, such as ${listOf(APPS_HONOURING_SETTINGS, "or")}, or ask your administrator.`;

/**
 * The warning shown with a setup whose settings some apps ignore.
 * @returns the sentence, or null when the settings are the defaults every app shows
 */
export function compatibilityWarning(settings: TOTPSettings): string | null {
	const differing = nonDefaultTOTPSettings(settings);
	if (differing.length === 0) return null;
	const described = listOf(differing.map((name) => describeSetting(name, settings)));
	return `This setup uses ${described}. Some authenticator apps, including Google Authenticator and Microsoft Authenticator, ignore these settings and show codes that will not work. ${ADVICE}`;
}

/** Every non-empty subset of `names`, the whole set first, then by falling size. */
function subsetsLargestFirst(names: readonly TOTPSettingName[]): TOTPSettingName[][] {
	const subsets: TOTPSettingName[][] = [];
	for (let mask = (1 << names.length) - 1; mask > 0; mask--) subsets.push(names.filter((_, index) => (mask & (1 << index)) !== 0));
	return subsets.sort((a, b) => b.length - a.length);
}

/**
 * The error for a refused setup code that is what an app ignoring some of the settings shows:
 * the same key with those settings at their defaults (SHA-1, 6 digits, 30 s), within the drift
 * window (`totp.windowSteps`). Tries ignoring all of them first, then fewer (some apps honour
 * the digits but not the algorithm). Call it only after the code was refused with the real
 * settings; the answer is always a refusal.
 * Costs up to 7 × (2 × windowSteps + 1) HMACs, and none with default settings.
 * @returns the `InvalidCode` (with `ignoredSettings`) to throw, or null when it is not such a code
 */
export function ignoredSettingsRefusal(deps: ServiceDeps, key: Uint8Array, code: string, credential: TOTPCredentialRecord): InvalidCode | null {
	const settings = settingsOf(credential);
	const now = deps.clock.now();
	for (const ignored of subsetsLargestFirst(nonDefaultTOTPSettings(settings))) {
		const shown: TOTPSettings = { ...settings, ...Object.fromEntries(ignored.map((name) => [name, DEFAULT_TOTP_SETTINGS[name]])) };
		if (verifyTOTP(key, code, now, { ...shown, windowSteps: deps.config.totp.windowSteps }) === null) continue;
		const instead = listOf(ignored.map((name) => describeInsteadOf(name, shown, settings)));
		const message = `That code is what an app shows when it ignores this setup's settings: yours seems to use ${instead}. Its codes will not work, and two-factor authentication is not on yet. ${ADVICE}`;
		return new InvalidCode(message, { reason: "app_ignores_settings", refusal: "app_ignores_settings", ignoredSettings: ignored });
	}
	return null;
}
