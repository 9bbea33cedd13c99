/**
 * Shared TypeBox schemas of the JSON API. Response schemas are allow-lists: Fastify serializes
 * only the fields named here, so nothing else (hashes, ciphertexts, other tokens) can leave the
 * server by accident (DESIGN.md §3.7).
 */
import { Type, type Static } from "@sinclair/typebox";
import { CODE_REFUSAL_REASONS } from "../errors.js";
import { toISO } from "../service/deps.js";
import type { RequiredSetup } from "../service/required-two-factor.js";

const closed = { additionalProperties: false } as const;

/**
 * The key of a pending TOTP enrollment as the API answers it (`enrollmentView` in
 * `routes/totp.ts`): the Base32 secret, its key URI and QR code (SVG), the settings of the key URI
 * (RFC 6238 §4: algorithm, digits, time step in seconds), a warning for settings some apps ignore,
 * and when the pending enrollment lapses. Spread into each route's answer object.
 */
export const PENDING_TOTP_KEY_PROPERTIES = {
	secret: Type.String(),
	keyUri: Type.String(),
	qrSvg: Type.String(),
	algorithm: Type.String(),
	digits: Type.Integer(),
	periodSeconds: Type.Integer(),
	compatibilityWarning: Type.Union([Type.String(), Type.Null()], { description: "With settings other than SHA1, 6 digits, 30 s: show it; several apps ignore them. null otherwise." }),
	expiresAt: Type.String({ format: "date-time" }),
};

/** The error body (fastify's own shape) with deadbolt's stable code. */
export const ErrorBodySchema = Type.Object({
	statusCode: Type.Integer(),
	code: Type.String(),
	error: Type.String(),
	message: Type.String(),
	violations: Type.Optional(Type.Array(Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() }))),
	retryAfterSeconds: Type.Optional(Type.Integer()),
	clockSkewSeconds: Type.Optional(Type.Integer()),
	ignoredSettings: Type.Optional(Type.Array(Type.Union([Type.Literal("algorithm"), Type.Literal("digits"), Type.Literal("periodSeconds")]))),
	reason: Type.Optional(Type.Union(CODE_REFUSAL_REASONS.map((reason) => Type.Literal(reason)), { description: "Why a code was refused: only at setup and re-authentication (never at sign-in)." })),
});

/** Emails: bounded; the service checks the form. */
export const EmailSchema = Type.String({ minLength: 3, maxLength: 254 });
/** Passwords: bounded in characters before any hashing (OWASP Authentication CS: cap input length). */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: 1024 });
/** A TOTP or recovery code as typed: the service normalizes it. */
export const CodeSchema = Type.String({ minLength: 1, maxLength: 64 });
/** A session or challenge token. */
export const TokenSchema = Type.String({ minLength: 1, maxLength: 128 });

/** A new session, as given to the client. `token` only for API clients (browsers get a cookie). */
export const NewSessionSchema = Type.Object(
	{
		id: Type.String(),
		token: Type.Optional(Type.String({ description: "`<id>.<secret>`: send as `Authorization: Bearer <token>`. Absent for browsers, which get an HttpOnly cookie." })),
		aal: Type.Integer(),
		expiresAt: Type.String({ format: "date-time" }),
	},
	{ ...closed, examples: [{ id: "AbCdEfGhIjKlMnOp", token: "AbCdEfGhIjKlMnOp.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b", aal: 2, expiresAt: "2026-12-14T10:00:00.000Z" }] },
);
export type NewSessionView = Static<typeof NewSessionSchema>;

/**
 * The session a request went on under a new token (rotation when it gained privilege: 2FA on,
 * re-authentication, a new password). `token` only for clients that sent it as a Bearer token;
 * a cookie client gets the cookie replaced.
 */
export const RotatedSessionSchema = Type.Object(
	{
		id: Type.String(),
		token: Type.Optional(Type.String({ description: "`<id>.<secret>`: the session's new token; the one sent with this request no longer works. Absent when the session came in a cookie (the cookie is replaced)." })),
	},
	closed,
);
export type RotatedSessionView = Static<typeof RotatedSessionSchema>;

/** An account as its owner sees it. */
export const AccountSchema = Type.Object(
	{
		id: Type.String(),
		email: Type.String(),
		twoFactorEnabled: Type.Boolean(),
		hasPassword: Type.Boolean({ description: "false for an account created without a password (operator or admin API): step 1 of the setup sets one (`newPassword`)" }),
		emailVerified: Type.Optional(Type.Boolean({ description: "whether the owner proved the address (a mailed link); false until then. Integrations treat an unverified address as unknown." })),
		groups: Type.Array(Type.String(), { description: "the account's groups (sorted; empty for none), set by operators: the admin API (`PUT /api/v1/admin/accounts/:accountId/groups`) or `deadbolt account groups`" }),
		twoFactorRequired: Type.Optional(
			Type.Object(
				{
					deadline: Type.String({ format: "date-time", description: "set up two-factor authentication by then; after it, signing in needs it (the operator's `twoFactorPolicy`)" }),
				},
				{ additionalProperties: false, description: "present when the operator requires two-factor authentication of this account" },
			),
		),
	},
	closed,
);

/** The current session's facts. */
export const SessionSchema = Type.Object(
	{
		id: Type.String(),
		aal: Type.Integer(),
		createdAt: Type.String({ format: "date-time" }),
		reauthenticatedAt: Type.String({ format: "date-time" }),
		expiresAt: Type.String({ format: "date-time" }),
		idleExpiresAt: Type.String({ format: "date-time" }),
	},
	closed,
);

/** Default error responses of every route. */
export const ERROR_RESPONSES = {
	400: ErrorBodySchema,
	401: ErrorBodySchema,
	403: ErrorBodySchema,
	404: ErrorBodySchema,
	409: ErrorBodySchema,
	429: ErrorBodySchema,
	503: ErrorBodySchema,
} as const;

/**
 * The answer of a first factor (or a sign-up) that made no session because the account must set
 * up two-factor authentication first (`twoFactorPolicy`, past its deadline): where the setup goes on.
 */
export const RequiredSetupAnswerSchema = Type.Object(
	{
		status: Type.Literal("two_factor_setup_required"),
		setup: Type.Object(
			{
				deadline: Type.String({ format: "date-time", description: "when two-factor authentication became required for this account (it has passed)" }),
				mailed: Type.Boolean({ description: "true: a setup link was mailed to the account's address (a password sign-in, or an open sign-up); false: `setupToken` is here (an operator's sign-in link, or a sign-up link just used)" }),
				setupToken: Type.Optional(Type.String({ description: "for POST /api/v1/two-factor/totp/required-setup; only when not mailed" })),
				expiresAt: Type.String({ format: "date-time", description: "until when the setup link (or token) works" }),
			},
			{ additionalProperties: false },
		),
	},
	{ additionalProperties: false },
);

/** {@link RequiredSetupAnswerSchema}'s body for a setup (instants as ISO 8601). */
export function requiredSetupAnswer(setup: RequiredSetup): Static<typeof RequiredSetupAnswerSchema> {
	return { status: "two_factor_setup_required", setup: { deadline: toISO(setup.deadline), mailed: setup.setupToken === null, ...(setup.setupToken === null ? {} : { setupToken: setup.setupToken }), expiresAt: toISO(setup.expiresAt) } };
}
