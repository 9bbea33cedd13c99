/**
 * The error answers of the JSON API as OpenAPI documents them: for each route, the statuses it may
 * answer with and, per status, the stable `code`s (an `enum` on the error body's `code`). Every
 * code's status comes from the one table `plugins/status-codes.ts`, so a route cannot document a
 * code under the wrong status. Used in the route schemas (`response: { ...errorResponses(...) }`):
 * Fastify also serializes the error bodies by them, and `enum` only documents (fast-json-stringify
 * writes any string). Checked against real answers by `test/http/openapi.test.ts`.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { CODE_REFUSAL_REASONS, type DeadboltErrorCode } from "../../errors.js";
import { STATUS_BY_CODE } from "../plugins/status-codes.js";

/** The code of an unexpected failure (a bug): always 500, generic message (`plugins/error-handler.ts`). */
export const INTERNAL_ERROR_CODE = "ERR_INTERNAL";

/** A code a JSON API route may answer with: a deadbolt error's, or the generic 500's. */
export type APIErrorCode = DeadboltErrorCode | typeof INTERNAL_ERROR_CODE;

/**
 * What each code means to a client, in one sentence (docs/errors.md says more). `satisfies` makes
 * it exhaustive: a new code does not compile until it is described here.
 */
export const ERROR_CODE_MEANINGS = Object.freeze({
	ERR_INVALID_REQUEST: "The request is malformed (bad URL, not JSON, a missing, wrongly typed or unknown field) or its content is refused (see `violations`). 413: the body is over the size limit; 415: the body is not application/json.",
	ERR_INVALID_CREDENTIALS: "The email or password is incorrect (unknown email, wrong password and a locked password step are not told apart).",
	ERR_INVALID_CODE: "The TOTP or recovery code is wrong, already used or malformed (at setup and re-authentication `reason` says which).",
	ERR_CHALLENGE_INVALID: "The login challenge cannot go on (expired, used, out of attempts, or ended): start the sign-in again.",
	ERR_SIGN_IN_LINK_INVALID: "The one-time sign-in link is unknown, expired or already used.",
	ERR_EMAIL_LINK_INVALID: "The mailed link is unknown, expired, already used, or not for this account.",
	ERR_UNAUTHENTICATED: "No valid credential: no session (or it expired or was revoked), or a wrong or missing admin or introspection key.",
	ERR_REAUTH_REQUIRED: "A sensitive action needs the factors proved within the last 5 minutes: call POST /api/v1/reauthenticate, then retry.",
	ERR_CSRF_REJECTED: "A request that changes something came with a foreign Origin, or with a cookie and no same-origin Origin. Nothing was changed.",
	ERR_NOT_FOUND: "No such route or resource (or it belongs to someone else); the admin API and introspection answer it when no key is configured.",
	ERR_EMAIL_TAKEN: "An account with this email exists.",
	ERR_SIGN_UP_CLOSED: "Sign-up is closed (`signUp.mode` is `closed`): operators create accounts.",
	ERR_PROXY_NOT_TRUSTED: "A forward-auth request from an address not in `http.trustedProxies`.",
	ERR_FORWARDED_REQUEST_INVALID: "A forward-auth request without (or with repeated or malformed) original-request headers.",
	ERR_ACCESS_DENIED: "An access rule refuses the request, or a personal access token is not for this host or assurance.",
	ERR_SECOND_FACTOR_REQUIRED: "The request needs a (recent, or mail-confirmed) second factor this session has not proved.",
	ERR_EMAIL_NOT_VERIFIED: "The account's address is not verified yet.",
	ERR_TOTP_ALREADY_ENABLED: "Two-factor authentication was turned on meanwhile (by another session).",
	ERR_TOTP_NOT_ENABLED: "The action needs two-factor authentication on, and it is off.",
	ERR_ENROLLMENT_INVALID: "No setup in progress for this session (none, expired, or started by another session): start again.",
	ERR_TOO_MANY_ATTEMPTS: "Too many attempts (per account, or per client IP on credential routes): wait `retryAfterSeconds` (also `Retry-After`).",
	ERR_WEBHOOK_TARGET_REFUSED: "The webhook URL's host is, or resolves to, a non-public address that `webhooks.allowedNetworks` does not list.",
	ERR_DELIVERY_NOT_RETRYABLE: "The delivery cannot be retried by hand (still pending, or of a removed endpoint).",
	ERR_GROUP_NAME_INVALID: "A group name is not one (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit), or there are more than 100.",
	ERR_OIDC_DISABLED: "The OpenID Connect provider is off.",
	ERR_OIDC_CLIENT_EXISTS: "An OpenID Connect client with this id exists (in the config file or added).",
	ERR_OIDC_CLIENT_READ_ONLY: "The OpenID Connect client is declared in the config file: change it there.",
	ERR_MAIL_LIMIT: "Too many mails asked for (per account, or password-reset requests per client IP): wait `retryAfterSeconds` (also `Retry-After`).",
	ERR_LAST_AUTHENTICATOR: "The account's only authenticator cannot be removed: that is turning two-factor authentication off (password and code).",
	ERR_TWO_FACTOR_REQUIRED: "The operator's policy requires two-factor authentication of this account: it cannot be turned off.",
	ERR_KEY_UNAVAILABLE: "A secret was sealed under an encryption key this instance lacks (a key rotation in progress): retry later.",
	ERR_KEY_IN_USE: "The key id cannot be retired: it is primary, or something still depends on it.",
	ERR_ACCOUNT_DISABLED: "The account is disabled by an operator (said only after the right password or a live link).",
	ERR_STORAGE_UNAVAILABLE: "The database cannot be reached or did not answer in time: retry after `Retry-After` (5 s).",
	ERR_CONFIG_INVALID: "Startup only: the configuration is invalid (never answered while serving).",
	ERR_INTERNAL: "An unexpected failure on the server (a bug): a generic message, never internals.",
} as const satisfies Record<APIErrorCode, string>);

/** The HTTP status of a code (`ERR_INTERNAL`: 500). */
export function statusOfCode(code: APIErrorCode): number {
	return code === INTERNAL_ERROR_CODE ? 500 : STATUS_BY_CODE[code];
}

/** The error body's fields (`plugins/error-handler.ts` ErrorBody), `code` limited to `codes`. */
function errorBodySchema(status: number, codes: readonly APIErrorCode[]): TSchema {
	const sorted = [...new Set(codes)].sort();
	return Type.Object(
		{
			statusCode: Type.Integer({ enum: [status] }),
			code: Type.String({ enum: sorted, description: "The stable code: branch on it, never on `message`." }),
			error: Type.String({ description: "The status's reason phrase." }),
			message: Type.String({ description: "For people; may change." }),
			violations: Type.Optional(Type.Array(Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() }), { description: "ERR_INVALID_REQUEST: each refused field, with its rule." })),
			retryAfterSeconds: Type.Optional(Type.Integer({ description: "ERR_TOO_MANY_ATTEMPTS, ERR_MAIL_LIMIT: also in `Retry-After`." })),
			clockSkewSeconds: Type.Optional(Type.Integer({ description: "ERR_INVALID_CODE: how far the authenticator's clock looks off." })),
			ignoredSettings: Type.Optional(Type.Array(Type.Union([Type.Literal("algorithm"), Type.Literal("digits"), Type.Literal("periodSeconds")]), { description: "ERR_INVALID_CODE at setup: the TOTP settings the app seems to ignore." })),
			reason: Type.Optional(Type.String({ enum: [...CODE_REFUSAL_REASONS], description: "ERR_INVALID_CODE at setup and re-authentication (never at sign-in): why the code was refused." })),
		},
		{
			description: sorted.map((code) => `\`${code}\`: ${ERROR_CODE_MEANINGS[code]}`).join("\n\n"),
			examples: [{ statusCode: status, code: sorted[0], error: STATUS_PHRASES[status] ?? "Error", message: EXAMPLE_MESSAGES[sorted[0] as APIErrorCode] ?? "See the code's meaning." }],
		},
	);
}

const STATUS_PHRASES: Readonly<Record<number, string>> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable" };

const EXAMPLE_MESSAGES: Partial<Record<APIErrorCode, string>> = {
	ERR_INVALID_REQUEST: "Invalid request: body must have required property 'email'",
	ERR_INVALID_CREDENTIALS: "The email or password is incorrect.",
	ERR_INVALID_CODE: "That code is not valid. Check your authenticator app and try again.",
	ERR_UNAUTHENTICATED: "Sign in first.",
	ERR_NOT_FOUND: "Not found.",
	ERR_INTERNAL: "Something went wrong on our side. Try again later.",
};

/**
 * Which of the API's common refusals a route can give besides its own:
 * - `public`: the answers of any route (400 malformed, 500, 503);
 * - `write`: a POST, PUT or DELETE in the CSRF-checked API scope: also 403 `ERR_CSRF_REJECTED`,
 *   413 (body too large) and 415 (not JSON);
 * - `session`: a route that needs a session: also 401 `ERR_UNAUTHENTICATED`;
 * - `credential`: a route that counts toward the per-IP limit (`plugins/rate-limit.ts`): 429;
 * - `admin`: behind the admin key: 401 (wrong key), 404 (no key configured).
 */
export type ErrorTrait = "public" | "write" | "session" | "credential" | "admin";

const TRAIT_CODES: Readonly<Record<ErrorTrait, readonly APIErrorCode[]>> = {
	public: ["ERR_INVALID_REQUEST", "ERR_STORAGE_UNAVAILABLE", INTERNAL_ERROR_CODE],
	write: ["ERR_CSRF_REJECTED"],
	session: ["ERR_UNAUTHENTICATED"],
	credential: ["ERR_TOO_MANY_ATTEMPTS"],
	admin: ["ERR_UNAUTHENTICATED", "ERR_NOT_FOUND"],
};

/**
 * The error responses of one route, by status: the codes of its `traits` (every route has
 * `public`) and its own `codes`.
 * @returns a `response` map fragment: `{ 400: schema, 401: schema, ... }`
 */
export function errorResponses(traits: readonly ErrorTrait[], ...codes: APIErrorCode[]): Record<number, TSchema> {
	const all = [...TRAIT_CODES.public, ...traits.flatMap((trait) => TRAIT_CODES[trait]), ...codes];
	const byStatus = new Map<number, APIErrorCode[]>();
	for (const code of all) byStatus.set(statusOfCode(code), [...(byStatus.get(statusOfCode(code)) ?? []), code]);
	// The body-level refusals of ERR_INVALID_REQUEST, with their own statuses (`plugins/csrf.ts`, Fastify's body limit).
	if (traits.includes("write")) {
		byStatus.set(413, ["ERR_INVALID_REQUEST"]);
		byStatus.set(415, ["ERR_INVALID_REQUEST"]);
	}
	return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [status, errorBodySchema(status, list)]));
}

/**
 * Every code with its status and meaning: the `ErrorCode` schema of the document's components
 * (one `const` per code).
 */
export function errorCodeCatalogue(): TSchema {
	const codes = Object.keys(ERROR_CODE_MEANINGS) as APIErrorCode[];
	return Type.Union(
		codes.map((code) => Type.Literal(code, { "x-http-status": statusOfCode(code), description: `HTTP ${code === "ERR_CONFIG_INVALID" ? "500 (startup only)" : String(statusOfCode(code))}: ${ERROR_CODE_MEANINGS[code]}` })),
		{ description: "Every stable error code of deadbolt (src/errors.ts) with its HTTP status (src/http/plugins/status-codes.ts); docs/errors.md says what a client should do about each." },
	);
}
