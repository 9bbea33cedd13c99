/**
 * The code an authenticator app shows (RFC 6238 defaults: SHA-1, 6 digits, 30-second steps),
 * computed outside deadbolt: by OATH Toolkit's `oathtool` when it is installed, else by the npm
 * package `otpauth` (another independent implementation, a devDependency), so that the browser
 * test runs on a machine with only Node.js. The `interop` suite checks `oathtool` itself.
 */
import { Secret, TOTP } from "otpauth";
import { findOnPath, oathtoolTOTP } from "./system-tools.js";

/** Which implementation {@link authenticatorCode} uses on this machine. */
export const AUTHENTICATOR_CODES_FROM: "oathtool" | "otpauth" = findOnPath("oathtool") === null ? "otpauth" : "oathtool";

/** The 6-digit code for the base32 `secret` at `atUnixMillis` (SHA-1, 30 s steps). */
export function authenticatorCode(secret: string, atUnixMillis: number): string {
	if (AUTHENTICATOR_CODES_FROM === "oathtool") return oathtoolTOTP(secret, atUnixMillis);
	return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30, timestamp: atUnixMillis });
}
