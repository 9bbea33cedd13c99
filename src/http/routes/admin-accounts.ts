/**
 * The admin API's account routes for operators (issue 14 item 1), under `/api/v1/admin` behind the
 * admin key check of `admin.ts` (registered as its child): list and search accounts, show one,
 * disable, enable, unlock, delete, reset two-factor authentication. Each calls the same service
 * function as the CLI (`service/admin-accounts.ts`, `service/admin-actions.ts`) with `via`
 * `"admin_api"`. Every schema is closed and described (the OpenAPI document is generated from them).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { AccountSummary } from "../../service/admin-accounts.js";
import { toISO } from "../../service/deps.js";
import { requestContext } from "../plugins/session.js";
import { errorResponses } from "../openapi/error-responses.js";
import { ADMIN_SECURITY } from "../openapi/document.js";
import type { RouteOptions } from "./context.js";

const closed = { additionalProperties: false } as const;

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = (description: string) => Type.String({ format: "date-time", description });
const NullableInstant = (description: string) => Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description });

const AccountIdParams = Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 128, description: "the account's id (`id` in the list)" }) }, closed);
const Flag = (description: string) => Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")], { description }));
const ReasonSchema = Type.String({ minLength: 1, maxLength: 500, description: "why (a support ticket, ...): one line, at most 500 characters; kept in the account's activity and the webhook event" });
/**
 * The body of an action that needs a reason (delete, 2FA reset). `reason` is required, but checked by
 * the service: no body, no `reason` or a blank one all answer 400 ERR_INVALID_REQUEST with one clear
 * message (field `reason`, rule `required`), never a schema message such as "body must be object".
 */
const RequiredReasonBody = Type.Object(
	{ reason: Type.Optional(Type.String({ maxLength: 500, description: "required: why (a support ticket, ...): one line, at most 500 characters; kept in the account's records and the webhook event" })) },
	{ ...closed, description: "`reason` is required: without it (or without a body) the answer is 400 ERR_INVALID_REQUEST, field `reason`, rule `required`" },
);

/** No body at all is an empty one (the service then says what is missing). */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
	if (request.body === undefined || request.body === null) request.body = {};
}

const DeviceSchema = Type.Object(
	{ browser: nullable(Type.String()), os: nullable(Type.String()), platform: nullable(Type.String()), label: Type.String({ description: "one line for people, e.g. Chrome on Linux" }) },
	{ ...closed, description: "the device, as its User-Agent says" },
);

const AccountSummarySchema = Type.Object(
	{
		id: Type.String(),
		email: Type.String(),
		emailVerified: Type.Boolean({ description: "the owner proved the address with a mailed link" }),
		hasPassword: Type.Boolean({ description: "false for an account created without a password" }),
		twoFactorEnabled: Type.Boolean({ description: "a confirmed authenticator exists" }),
		twoFactorDeadline: NullableInstant("when twoFactorPolicy requires two-factor authentication of this account and it has none: the deadline, past or to come (who has not complied); null when not required or set up"),
		twoFactorOverdue: Type.Boolean({ description: "required, not set up, past the deadline: the account can only set it up (a mailed link or an operator's sign-in link)" }),
		locked: Type.Boolean({ description: "the password or the second factor is locked now (too many failures); POST .../unlock ends it" }),
		lockedUntil: NullableInstant("until when, when locked"),
		disabled: Type.Boolean({ description: "an operator disabled the account: it signs in nowhere" }),
		disabledAt: NullableInstant("when it was disabled"),
		lastSignInAt: NullableInstant("when its newest kept session began (ended sessions are purged some time after they end)"),
		groups: Type.Array(Type.String(), { description: "the account's groups, sorted" }),
		createdAt: Instant("when the account was created"),
	},
	closed,
);

const OutcomeSchema = Type.Object(
	{
		accountId: Type.String(),
		email: Type.String(),
		sessionsRevoked: Type.Integer({ description: "sessions ended" }),
		trustedDevicesRevoked: Type.Integer({ description: "remembered devices forgotten" }),
		accessTokensRevoked: Type.Integer({ description: "personal access tokens revoked" }),
	},
	closed,
);

/** An account summary with its instants as ISO-8601 text. */
function summaryJSON(account: AccountSummary) {
	return {
		...account,
		groups: [...account.groups],
		lockedUntil: account.lockedUntil === null ? null : toISO(account.lockedUntil),
		disabledAt: account.disabledAt === null ? null : toISO(account.disabledAt),
		lastSignInAt: account.lastSignInAt === null ? null : toISO(account.lastSignInAt),
		twoFactorDeadline: account.twoFactorDeadline === null ? null : toISO(account.twoFactorDeadline),
		createdAt: toISO(account.createdAt),
	};
}

function flag(value: "true" | "false" | undefined): boolean | undefined {
	return value === undefined ? undefined : value === "true";
}

/** Account routes under `/api/v1/admin/accounts` (key-checked by the parent). */
export const adminAccountRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt }) => {
	app.get(
		"/admin/accounts",
		{
			schema: {
				summary: "List and search accounts",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Accounts by email ascending, filtered, one page at a time (pass nextCursor back as cursor).",
				querystring: Type.Object(
					{
						search: Type.Optional(Type.String({ maxLength: 254, description: "only emails containing this text (any case)" })),
						prefix: Type.Optional(Type.String({ maxLength: 254, description: "only emails starting with this text (any case); uses the email index" })),
						twoFactor: Flag("true: only accounts with 2FA on; false: only those with 2FA off"),
						locked: Flag("true: only locked accounts; false: only unlocked ones"),
						disabled: Flag("true: only disabled accounts; false: only enabled ones"),
						group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "only accounts in this group" })),
						limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,3}$", description: "accounts per page, 1 to 500 (default 50)" })),
						cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 700, description: "nextCursor of the previous page" })),
					},
					closed,
				),
				response: {
					200: Type.Object({ accounts: Type.Array(AccountSummarySchema), nextCursor: nullable(Type.String({ description: "pass as cursor for the next page; null on the last page" })) }, closed),
					...errorResponses(["admin"], "ERR_GROUP_NAME_INVALID"),
				},
			},
		},
		async (request) => {
			const q = request.query;
			const page = await deadbolt.listAccounts({
				search: q.search,
				prefix: q.prefix,
				twoFactor: flag(q.twoFactor),
				locked: flag(q.locked),
				disabled: flag(q.disabled),
				group: q.group,
				limit: q.limit === undefined ? undefined : Number(q.limit),
				cursor: q.cursor,
			});
			return { accounts: page.accounts.map(summaryJSON), nextCursor: page.nextCursor };
		},
	);

	app.get(
		"/admin/accounts/:accountId",
		{
			schema: {
				summary: "Show one account",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "One account with its live sessions, remembered devices, personal access tokens (never their values), connected OpenID Connect apps and latest 50 security events.",
				params: AccountIdParams,
				response: {
					200: Type.Object(
						{
							account: AccountSummarySchema,
							sessions: Type.Array(Type.Object({ id: Type.String(), aal: Type.Integer({ description: "1: password or link only; 2: with a second factor" }), createdAt: Instant("signed in"), lastActiveAt: Instant("last request"), expiresAt: Instant("absolute end"), ipAddress: nullable(Type.String()), device: DeviceSchema }, closed)),
							trustedDevices: Type.Array(Type.Object({ id: Type.String(), createdAt: Instant("remembered"), lastUsedAt: Instant("last used"), expiresAt: Instant("forgotten then"), ipAddress: nullable(Type.String()), device: DeviceSchema }, closed)),
							accessTokens: Type.Array(
								Type.Object({ id: Type.String(), name: Type.String(), hosts: Type.Array(Type.String()), aal: Type.Integer(), createdAt: Instant("created"), expiresAt: Instant("expires"), lastUsedAt: NullableInstant("last used"), lastUsedIp: nullable(Type.String()) }, closed),
								{ description: "live personal access tokens: names and facts only" },
							),
							connectedApps: Type.Array(Type.Object({ clientId: Type.String(), name: Type.String(), sessions: Type.Integer(), lastUsedAt: NullableInstant("last code or token"), consented: Type.Boolean() }, closed)),
							activity: Type.Array(
								Type.Object({ id: Type.String(), type: Type.String(), createdAt: Instant("when"), ipAddress: nullable(Type.String()), device: DeviceSchema, details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())])) }, closed),
								{ description: "the latest security events, newest first (docs/webhooks.md lists the types)" },
							),
						},
						closed,
					),
					...errorResponses(["admin"]),
				},
			},
		},
		async (request) => {
			const shown = await deadbolt.showAccount({ accountId: request.params.accountId });
			return {
				account: summaryJSON(shown.account),
				sessions: shown.sessions.map((s) => ({ ...s, createdAt: toISO(s.createdAt), lastActiveAt: toISO(s.lastActiveAt), expiresAt: toISO(s.expiresAt) })),
				trustedDevices: shown.trustedDevices.map((d) => ({ ...d, createdAt: toISO(d.createdAt), lastUsedAt: toISO(d.lastUsedAt), expiresAt: toISO(d.expiresAt) })),
				accessTokens: shown.accessTokens.map((t) => ({ ...t, hosts: [...t.hosts], createdAt: toISO(t.createdAt), expiresAt: toISO(t.expiresAt), lastUsedAt: t.lastUsedAt === null ? null : toISO(t.lastUsedAt) })),
				connectedApps: shown.connectedApps.map((a) => ({ ...a, lastUsedAt: a.lastUsedAt === null ? null : toISO(a.lastUsedAt) })),
				activity: shown.activity.map((e) => ({ id: e.id, type: e.type, createdAt: toISO(e.createdAt), ipAddress: e.ipAddress, device: e.device, details: e.details as Record<string, string | number | boolean | string[]> })),
			};
		},
	);

	app.post(
		"/admin/accounts/:accountId/disable",
		{
			schema: {
				summary: "Disable an account",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Disables the account: every session, remembered device, sign-in link, mailed link, personal access token and OpenID Connect grant ends now, and it signs in nowhere until enabled. Disabling a disabled account changes nothing (changed: false).",
				params: AccountIdParams,
				body: Type.Object({ reason: Type.Optional(ReasonSchema) }, { ...closed, description: "optional: no body is the same as {}" }),
				response: { 200: Type.Object({ ...OutcomeSchema.properties, changed: Type.Boolean({ description: "false: it was disabled already" }) }, closed), ...errorResponses(["write", "admin"]) },
			},
			// No body at all is an empty one (the reason is optional here).
			preValidation: async (request) => {
				if (request.body === undefined || request.body === null) request.body = {};
			},
		},
		async (request) => deadbolt.disableAccount({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }, request.body.reason),
	);

	app.post(
		"/admin/accounts/:accountId/enable",
		{
			schema: {
				summary: "Enable an account",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Enables a disabled account again (its owner signs in anew). Enabling an enabled account changes nothing (changed: false).",
				params: AccountIdParams,
				response: { 200: Type.Object({ accountId: Type.String(), email: Type.String(), changed: Type.Boolean({ description: "false: it was not disabled" }) }, closed), ...errorResponses(["write", "admin"]) },
			},
		},
		async (request) => deadbolt.enableAccount({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }),
	);

	app.post(
		"/admin/accounts/:accountId/unlock",
		{
			schema: {
				summary: "Unlock an account",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Ends every lock of the account (password and second factor) and forgets its failure counts.",
				params: AccountIdParams,
				response: { 200: Type.Object({ accountId: Type.String(), email: Type.String() }, closed), ...errorResponses(["write", "admin"]) },
			},
		},
		async (request) => deadbolt.unlockAccount({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }),
	);

	app.delete(
		"/admin/accounts/:accountId",
		{
			schema: {
				summary: "Delete an account",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Deletes the account and everything it owns, after ending every session, token and OpenID Connect grant (apps get their back-channel logout). Kept: a deleted-account record (id, when, via, reason) and the account.deleted webhook event.",
				params: AccountIdParams,
				body: RequiredReasonBody,
				response: { 200: OutcomeSchema, ...errorResponses(["write", "admin"]) },
			},
			preValidation: emptyBodyAsObject,
		},
		async (request) => deadbolt.deleteAccount({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }, request.body.reason),
	);

	app.post(
		"/admin/accounts/:accountId/two-factor/reset",
		{
			schema: {
				summary: "Reset an account's two-factor authentication",
				tags: ["admin"],
				security: ADMIN_SECURITY,
				description: "Resets two-factor authentication for an owner who lost the authenticator and the recovery codes: both are removed, every session, remembered device and token ends, the owner is mailed, and 2FA stays off until they set it up again. 409 ERR_TOTP_NOT_ENABLED when 2FA is off.",
				params: AccountIdParams,
				body: RequiredReasonBody,
				response: { 200: OutcomeSchema, ...errorResponses(["write", "admin"], "ERR_TOTP_NOT_ENABLED") },
			},
			preValidation: emptyBodyAsObject,
		},
		async (request) => deadbolt.resetTwoFactor({ accountId: request.params.accountId }, { via: "admin_api", context: requestContext(request) }, request.body.reason),
	);
};
