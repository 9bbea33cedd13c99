/**
 * What an OpenID Connect client's metadata may be (docs/oidc.md, "Clients"): the one set of rules
 * for a client declared in the config file (`config/oidc.ts`, checked at start) and for one added
 * through the admin API or the CLI (`service/oidc-client-admin.ts`, checked at once). Pure
 * functions: each returns a problem in a few words, or null; the caller decides what a refusal
 * means (a start that stops, an `ERR_OIDC_CLIENT_INVALID`).
 *
 * Sources: RFC 6749 §2.2 (client_id), §2.3.1 (client secret); RFC 9700 §2.1 and §4.1.1 (exact
 * redirect URIs, no open redirector); OpenID Connect Core §3.1.2.1 (redirect_uri: no fragment);
 * RFC 8252 §7.3 (plain http only to the user's own machine).
 */

/** The longest client_id, in characters. */
export const CLIENT_ID_MAX_LENGTH = 64;

/** The form of a client_id: letters, digits, `.`, `_`, `-` (JSON Schema pattern text: the config schema uses it too). */
export const CLIENT_ID_PATTERN = "^[A-Za-z0-9._-]+$";

/** The longest display name, in characters. */
export const CLIENT_NAME_MAX_LENGTH = 64;

/** The shortest client secret, in characters (RFC 6749 §10.10: secrets must not be guessable). */
export const CLIENT_SECRET_MIN_LENGTH = 32;

/** The longest client secret, in characters. */
export const CLIENT_SECRET_MAX_LENGTH = 256;

/** The form of a client secret: printable ASCII, no space (JSON Schema pattern text). */
export const CLIENT_SECRET_PATTERN = "^[\\x21-\\x7e]+$";

/** The longest redirect, logout or back-channel logout URI, in characters. */
export const CLIENT_URI_MAX_LENGTH = 2_048;

/** The most redirect URIs (and, apart, post-logout redirect URIs) one client may have. */
export const CLIENT_URIS_MAX = 20;

/** Hosts a plain-http redirect may go to: the user's own machine (RFC 8252 §7.3). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

const CLIENT_ID = new RegExp(CLIENT_ID_PATTERN);
const CLIENT_SECRET = new RegExp(CLIENT_SECRET_PATTERN);
/** Control characters (C0, DEL, C1): never in a name shown to users. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Why `id` cannot be a client_id, or null when it can.
 * @param id - the client_id as given
 */
export function clientIdProblem(id: string): string | null {
	if (id.length === 0 || id.length > CLIENT_ID_MAX_LENGTH) return `must have 1 to ${CLIENT_ID_MAX_LENGTH} characters`;
	if (!CLIENT_ID.test(id)) return "may use only letters, digits, '.', '_' and '-'";
	return null;
}

/**
 * Why `name` cannot be a client's display name (consent page, Connected apps), or null when it can.
 * @param name - the name as given (already trimmed by the caller)
 */
export function clientNameProblem(name: string): string | null {
	if (name.length === 0 || name.length > CLIENT_NAME_MAX_LENGTH) return `must have 1 to ${CLIENT_NAME_MAX_LENGTH} characters`;
	if (CONTROL.test(name)) return "must not hold control characters";
	return null;
}

/**
 * Why `secret` cannot be a confidential client's secret, or null when it can.
 * @param secret - the secret as configured (never logged by any caller)
 */
export function clientSecretProblem(secret: string): string | null {
	if (secret.length < CLIENT_SECRET_MIN_LENGTH || secret.length > CLIENT_SECRET_MAX_LENGTH || !CLIENT_SECRET.test(secret)) {
		return `must be ${CLIENT_SECRET_MIN_LENGTH} to ${CLIENT_SECRET_MAX_LENGTH} printable ASCII characters, without spaces`;
	}
	return null;
}

/**
 * Why `text` cannot be a redirect, post-logout redirect or back-channel logout URI, or null when it
 * can: absolute, no fragment, no user name or password, https (plain http only to a loopback host).
 * @param text - the URI as configured
 */
export function clientUriProblem(text: string): string | null {
	if (text.length > CLIENT_URI_MAX_LENGTH) return `is longer than ${CLIENT_URI_MAX_LENGTH} characters`;
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return "is not an absolute URL";
	}
	if (url.hash !== "" || text.includes("#")) return "must not have a fragment (#)";
	if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
	if (url.protocol === "https:") return null;
	if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname) ? null : "must use https (plain http only to localhost, 127.0.0.1 or [::1])";
	return "must be an https URL";
}
