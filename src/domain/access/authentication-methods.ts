/**
 * How a session was proven, in the words of assertions, introspection and (later) OpenID Connect:
 * the factors of a sign-in become an assurance level (NIST SP 800-63B §4) and authentication method
 * references (`amr`, RFC 8176 §2 where a value exists).
 *
 * | factor | `amr` |
 * | --- | --- |
 * | password | `pwd` (RFC 8176) |
 * | TOTP code | `otp` (RFC 8176) |
 * | recovery code | `rc` (deadbolt's own: a NIST "look-up secret") |
 * | sign-in link | `link` (deadbolt's own: a mailed one-time link) |
 * | remembered device | `dev` (deadbolt's own: a device trusted earlier stood in for the code) |
 * | a code besides the first factor | `mfa` (RFC 8176) |
 * | a personal access token (instead of a session) | `pat` (deadbolt's own: `service/access.ts`, never combined with another) |
 * @see https://www.rfc-editor.org/rfc/rfc8176#section-2 (Authentication Method Reference Values)
 */

/** What the holder of a session proved at sign-in (the names of the security activity). */
export type SignInFactor = "password" | "sign_in_link" | "totp" | "recovery_code" | "trusted_device";

const AMR_OF: Readonly<Record<SignInFactor, string>> = Object.freeze({ password: "pwd", sign_in_link: "link", totp: "otp", recovery_code: "rc", trusted_device: "dev" });

/** Whether a code (TOTP or recovery code) was typed: a second factor proven at this moment. */
export function typedSecondFactor(factors: readonly SignInFactor[]): boolean {
	return factors.includes("totp") || factors.includes("recovery_code");
}

/**
 * The assurance level of a sign-in: 2 with a second factor, typed or stood in for by a remembered
 * device (deadbolt's rule since the start: a remembered device skips the code, not the level), else 1.
 */
export function aalOf(factors: readonly SignInFactor[]): 1 | 2 {
	return typedSecondFactor(factors) || factors.includes("trusted_device") ? 2 : 1;
}

/**
 * The `amr` values of the factors, space-separated, in a fixed order, `mfa` last when a code was typed
 * besides a first factor.
 */
export function amrOf(factors: readonly SignInFactor[]): string {
	const values = (Object.keys(AMR_OF) as SignInFactor[]).filter((factor) => factors.includes(factor)).map((factor) => AMR_OF[factor]);
	if (typedSecondFactor(factors) && (factors.includes("password") || factors.includes("sign_in_link"))) values.push("mfa");
	return values.join(" ");
}

/** `amr` as a list (`""` is none). */
export function amrList(amr: string): string[] {
	return amr === "" ? [] : amr.split(" ");
}

/** The `amr` of a session after it typed a code again (a re-authentication): what it had, plus `pwd`, the code's value and `mfa`. */
export function amrAfterSecondFactor(amr: string, code: "totp" | "recovery_code"): string {
	const factors = new Set<SignInFactor>(["password", code]);
	for (const [factor, value] of Object.entries(AMR_OF) as [SignInFactor, string][]) if (amrList(amr).includes(value)) factors.add(factor);
	return amrOf([...factors]);
}

/**
 * The `amr` of a session whose account no longer has a second factor (2FA turned off in it): what it
 * had, without the second factor's values (`otp`, `rc`, `dev`, `mfa`); the first factor stays.
 */
export function amrWithoutSecondFactor(amr: string): string {
	const secondFactorValues = new Set([AMR_OF.totp, AMR_OF.recovery_code, AMR_OF.trusted_device, "mfa"]);
	return amrList(amr).filter((value) => !secondFactorValues.has(value)).join(" ");
}

/** The `acr` values deadbolt issues (OpenID Connect Core §2; published in discovery): the session's authenticator assurance level (NIST SP 800-63B §4). */
export const ACR_VALUES = Object.freeze({ aal1: "urn:deadbolt:aal1", aal2: "urn:deadbolt:aal2" } as const);

/** The `acr` of an assurance level. */
export function acrOf(aal: 1 | 2): string {
	return aal === 2 ? ACR_VALUES.aal2 : ACR_VALUES.aal1;
}

/**
 * The least assurance level an `acr_values` request asks for (OpenID Connect Core §3.1.2.1: values
 * in order of preference, any of them satisfies): 2 when every value deadbolt knows is aal2, else 1.
 * Unknown values are ignored; none known asks for nothing (1).
 */
export function aalAskedBy(acrValues: string | null | undefined): 1 | 2 {
	const known = (acrValues ?? "").split(" ").filter((value) => value === ACR_VALUES.aal1 || value === ACR_VALUES.aal2);
	return known.length > 0 && known.every((value) => value === ACR_VALUES.aal2) ? 2 : 1;
}
