/**
 * `otpauth://` key URIs (Google Authenticator "Key Uri Format"), the text behind the
 * enrollment QR code.
 *
 * Form: `otpauth://TYPE/LABEL?PARAMETERS`, e.g.
 * `otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30`.
 *
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format ("KUF" below)
 * @see STANDARDS.md §3 (U-01..U-09)
 */
import { decodeBase32, encodeBase32 } from "../encoding/base32.js";
import { assertOTPDigits, DEFAULT_OTP_ALGORITHM, DEFAULT_OTP_DIGITS, isOTPAlgorithm } from "./hotp.js";
import type { OTPAlgorithm } from "./hotp.js";
import { DEFAULT_TOTP_PERIOD_SECONDS } from "./totp.js";

/** Everything an `otpauth://` URI says about a credential, decoded. */
export interface KeyURI {
	/** `"totp"` (RFC 6238) or `"hotp"` (RFC 4226). KUF "Types". */
	type: "totp" | "hotp";
	/**
	 * Provider name, decoded (e.g. `"ACME Co"`): the `issuer` parameter or else the label
	 * prefix; `null` when the URI has neither. KUF "Label", "Issuer".
	 */
	issuer: string | null;
	/** Account name from the label, decoded, without the spaces allowed after `:`. Never empty. */
	accountName: string;
	/** Shared secret K as bytes (the `secret` parameter, base32-decoded). Never empty. */
	secret: Uint8Array;
	/** HMAC algorithm; `"SHA1"` when the parameter is absent. */
	algorithm: OTPAlgorithm;
	/** Code length, 6 to 8; 6 when the parameter is absent. */
	digits: number;
	/**
	 * TOTP time step in seconds, a positive integer; 30 when absent. For `hotp` it is always
	 * 30 and carries no meaning (the `period` parameter is ignored).
	 */
	periodSeconds: number;
	/** HOTP initial counter in [0, 2^64) for `hotp`; `null` for `totp` (the `counter` parameter is ignored). */
	counter: bigint | null;
}

/** Input of {@link createKeyURI}. */
export interface KeyURIParams {
	/** @default "totp" */
	type?: "totp" | "hotp";
	/** Provider name shown in the app, non-empty, no `:` (e.g. `"ACME Co"`, `"Zürich"`). */
	issuer: string;
	/** Account name, non-empty, no `:`, not starting with a space (e.g. an email address). */
	accountName: string;
	/** Shared secret K, non-empty (deadbolt uses 20 bytes, see `generateOTPKey`). */
	secret: Uint8Array;
	/** @default "SHA1" */
	algorithm?: OTPAlgorithm;
	/** Code length, an integer 6 to 8. @default 6 */
	digits?: number;
	/** TOTP time step in seconds, a positive integer; `totp` only. @default 30 */
	periodSeconds?: number;
	/** HOTP initial counter in [0, 2^64); required for `hotp`, absent or `null` for `totp`. */
	counter?: bigint | null;
}

const SCHEME = "otpauth://";
const TWO_POW_64 = 1n << 64n;
const DECIMAL = /^[0-9]+$/;

function encodeComponent(value: string, what: string): string {
	try {
		return encodeURIComponent(value);
	} catch {
		throw new TypeError(`${what} is not well-formed Unicode (lone surrogate)`);
	}
}

function decodeComponent(value: string, what: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		throw new TypeError(`key URI ${what} has an invalid percent-encoding`);
	}
}

function assertLabelPart(value: string, what: string): void {
	if (typeof value !== "string" || value.length === 0) {
		throw new TypeError(`${what} must be a non-empty string`);
	}
	if (value.includes(":")) {
		throw new TypeError(`${what} must not contain ":" (it separates issuer and account in the label)`);
	}
}

/**
 * Builds an `otpauth://` URI for an authenticator app.
 *
 * The label is `issuer:accountName`, each part percent-encoded with `encodeURIComponent`
 * (UTF-8; space is `%20`, never `+`; `@` becomes `%40`). The `issuer` parameter repeats
 * the label prefix, as KUF recommends. Parameters always appear in the order `secret`
 * (base32, upper case, no padding), `issuer`, `algorithm`, `digits`, then `period` (totp)
 * or `counter` (hotp), all explicit even when they equal the defaults.
 *
 * @param params - see {@link KeyURIParams}; defaults: type "totp", algorithm "SHA1",
 *   digits 6, periodSeconds 30
 * @returns the URI, e.g.
 *   `otpauth://totp/Z%C3%BCrich:bob?secret=JBSWY3DPEHPK3PXP&issuer=Z%C3%BCrich&algorithm=SHA1&digits=6&period=30`
 * @throws TypeError when `issuer` or `accountName` is empty, contains `:` or a lone
 *   surrogate, when `accountName` starts with a space (parsers strip it), when `secret`
 *   is not a non-empty `Uint8Array`, when `algorithm` or `type` is unknown, when a `hotp`
 *   URI has no `counter`, a `totp` URI has a `counter`, or a `hotp` URI has a
 *   `periodSeconds`; RangeError when `digits` is not 6..8, `periodSeconds` is not a
 *   positive integer, or `counter` is outside [0, 2^64)
 * @see KUF "Label", "Parameters"; STANDARDS.md U-02..U-08
 */
export function createKeyURI(params: KeyURIParams): string {
	const type = params.type ?? "totp";
	if (type !== "totp" && type !== "hotp") {
		throw new TypeError(`key URI type must be "totp" or "hotp", got ${String(type)}`);
	}
	assertLabelPart(params.issuer, "issuer");
	assertLabelPart(params.accountName, "accountName");
	if (params.accountName.startsWith(" ")) {
		throw new TypeError("accountName must not start with a space (parsers strip spaces after the issuer)");
	}
	if (!(params.secret instanceof Uint8Array) || params.secret.length === 0) {
		throw new TypeError("secret must be a non-empty Uint8Array");
	}
	const algorithm = params.algorithm ?? DEFAULT_OTP_ALGORITHM;
	if (!isOTPAlgorithm(algorithm)) {
		throw new TypeError(`algorithm must be "SHA1", "SHA256" or "SHA512", got ${String(algorithm)}`);
	}
	const digits = params.digits ?? DEFAULT_OTP_DIGITS;
	assertOTPDigits(digits);

	const issuer = encodeComponent(params.issuer, "issuer");
	const accountName = encodeComponent(params.accountName, "accountName");
	let uri =
		`${SCHEME}${type}/${issuer}:${accountName}` +
		`?secret=${encodeBase32(params.secret)}&issuer=${issuer}&algorithm=${algorithm}&digits=${digits}`;

	if (type === "totp") {
		if (params.counter !== undefined && params.counter !== null) {
			throw new TypeError("counter applies to hotp key URIs only");
		}
		const periodSeconds = params.periodSeconds ?? DEFAULT_TOTP_PERIOD_SECONDS;
		if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) {
			throw new RangeError(`periodSeconds must be a positive integer, got ${String(periodSeconds)}`);
		}
		uri += `&period=${periodSeconds}`;
	} else {
		if (params.periodSeconds !== undefined) {
			throw new TypeError("periodSeconds applies to totp key URIs only");
		}
		const counter = params.counter;
		if (typeof counter !== "bigint") {
			throw new TypeError("hotp key URIs require a bigint counter (KUF: counter is REQUIRED for hotp)");
		}
		if (counter < 0n || counter >= TWO_POW_64) {
			throw new RangeError("counter must be in [0, 2^64)");
		}
		uri += `&counter=${counter.toString()}`;
	}
	return uri;
}

/** Splits the query into decoded name -> value, rejecting duplicates. `+` in values is a space. */
function parseQuery(query: string): Map<string, string> {
	const parameters = new Map<string, string>();
	for (const pair of query.split("&")) {
		if (pair.length === 0) continue;
		const equals = pair.indexOf("=");
		const rawName = equals < 0 ? pair : pair.slice(0, equals);
		const rawValue = equals < 0 ? "" : pair.slice(equals + 1);
		const name = decodeComponent(rawName, "parameter name");
		const value = decodeComponent(rawValue.replace(/\+/g, " "), `parameter "${name}"`);
		if (parameters.has(name)) {
			throw new TypeError(`key URI has more than one "${name}" parameter`);
		}
		parameters.set(name, value);
	}
	return parameters;
}

function parseDecimal(value: string, what: string): number {
	if (!DECIMAL.test(value)) {
		throw new TypeError(`key URI ${what} must be a decimal integer, got "${value}"`);
	}
	return Number(value);
}

/**
 * Parses an `otpauth://` URI (for example one scanned from another service, or in tests
 * to read back what {@link createKeyURI} produced).
 *
 * Accepted: the scheme in any case; label separator `:` or `%3A`, optionally followed by
 * spaces (`%20`); a label without issuer prefix; `+` as a space in parameter values;
 * `algorithm` in any case; parameters in any order; unknown parameters (e.g. `image`),
 * which are ignored; for `hotp` the `period` parameter is ignored, for `totp` the
 * `counter` parameter is ignored. The secret goes through `decodeBase32`, so lower case,
 * spaces and padding are tolerated.
 *
 * @param uri - the URI text
 * @returns the decoded {@link KeyURI}; defaults filled in (algorithm "SHA1", digits 6,
 *   periodSeconds 30); `issuer` is `null` when neither label prefix nor parameter exists
 * @throws TypeError for anything malformed: not a string; scheme other than `otpauth://`;
 *   type other than `totp`/`hotp` (lower case); a fragment (`#`); missing or empty label,
 *   issuer prefix or account name; more than one `:` in the label; invalid
 *   percent-encoding; a repeated parameter; missing, empty or invalid base32 `secret`;
 *   empty `issuer` parameter or one that differs from the label prefix; unknown
 *   `algorithm`; `digits` not 6..8; `period` not a positive integer; `hotp` without a
 *   decimal `counter` in [0, 2^64)
 * @see KUF "Types", "Label", "Parameters"; STANDARDS.md U-01..U-09
 */
export function parseKeyURI(uri: string): KeyURI {
	if (typeof uri !== "string") {
		throw new TypeError("key URI must be a string");
	}
	if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
		throw new TypeError('key URI must start with "otpauth://"');
	}
	const rest = uri.slice(SCHEME.length);
	if (rest.includes("#")) {
		throw new TypeError("key URI must not have a fragment (an unencoded # in the label or a parameter?)");
	}
	const questionMark = rest.indexOf("?");
	const path = questionMark < 0 ? rest : rest.slice(0, questionMark);
	const query = questionMark < 0 ? "" : rest.slice(questionMark + 1);

	const slash = path.indexOf("/");
	const type = slash < 0 ? path : path.slice(0, slash);
	if (type !== "totp" && type !== "hotp") {
		throw new TypeError(`key URI type must be "totp" or "hotp", got "${type}"`);
	}
	const rawLabel = slash < 0 ? "" : path.slice(slash + 1);
	const label = decodeComponent(rawLabel, "label");
	const labelParts = label.split(":");
	if (labelParts.length > 2) {
		throw new TypeError('key URI label has more than one ":"');
	}
	const labelIssuer = labelParts.length === 2 ? (labelParts[0] as string) : null;
	const accountName = (labelParts[labelParts.length - 1] as string).replace(/^ +/, "");
	if (labelIssuer !== null && labelIssuer.length === 0) {
		throw new TypeError('key URI label has an empty issuer before ":"');
	}
	if (accountName.length === 0) {
		throw new TypeError("key URI label has no account name");
	}

	const parameters = parseQuery(query);

	const secretText = parameters.get("secret");
	if (secretText === undefined || secretText.length === 0) {
		throw new TypeError('key URI has no "secret" parameter');
	}
	let secret: Uint8Array;
	try {
		secret = decodeBase32(secretText);
	} catch (error) {
		throw new TypeError(`key URI "secret" is not valid base32: ${(error as Error).message}`, { cause: error });
	}
	if (secret.length === 0) {
		throw new TypeError('key URI "secret" is empty');
	}

	const issuerParameter = parameters.get("issuer");
	if (issuerParameter !== undefined && issuerParameter.length === 0) {
		throw new TypeError('key URI "issuer" parameter is empty');
	}
	if (issuerParameter !== undefined && labelIssuer !== null && issuerParameter !== labelIssuer) {
		throw new TypeError('key URI "issuer" parameter differs from the label prefix');
	}
	const issuer = issuerParameter ?? labelIssuer;

	const algorithmText = parameters.get("algorithm");
	const algorithm = algorithmText === undefined ? DEFAULT_OTP_ALGORITHM : algorithmText.toUpperCase();
	if (!isOTPAlgorithm(algorithm)) {
		throw new TypeError(`key URI "algorithm" must be SHA1, SHA256 or SHA512, got "${String(algorithmText)}"`);
	}

	const digitsText = parameters.get("digits");
	const digits = digitsText === undefined ? DEFAULT_OTP_DIGITS : parseDecimal(digitsText, '"digits"');
	if (digits < 6 || digits > 8) {
		throw new TypeError(`key URI "digits" must be 6 to 8, got ${digits}`);
	}

	let periodSeconds = DEFAULT_TOTP_PERIOD_SECONDS;
	let counter: bigint | null = null;
	if (type === "totp") {
		const periodText = parameters.get("period");
		if (periodText !== undefined) {
			periodSeconds = parseDecimal(periodText, '"period"');
			if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) {
				throw new TypeError(`key URI "period" must be a positive integer, got "${periodText}"`);
			}
		}
	} else {
		const counterText = parameters.get("counter");
		if (counterText === undefined) {
			throw new TypeError('hotp key URI has no "counter" parameter');
		}
		if (!DECIMAL.test(counterText)) {
			throw new TypeError(`key URI "counter" must be a decimal integer, got "${counterText}"`);
		}
		counter = BigInt(counterText);
		if (counter >= TWO_POW_64) {
			throw new TypeError('key URI "counter" must be below 2^64');
		}
	}

	return { type, issuer, accountName, secret, algorithm, digits, periodSeconds, counter };
}
