/**
 * The signed-in user's security settings (protected): re-authentication, sessions, password,
 * recovery codes, turning 2FA off, security activity. Sensitive actions need a recent
 * re-authentication (`POST /reauthenticate`) and answer `ERR_REAUTH_REQUIRED` otherwise.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { InvalidRequest, NotFound } from "../../errors.js";
import { toISO } from "../../service/deps.js";
import { authOf, requestContext, requireSession } from "../plugins/session.js";
import { deliverRotatedSession } from "../deliver.js";
import { CodeSchema, PasswordSchema, RotatedSessionSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { SESSION_SECURITY } from "../openapi/document.js";
import { clearSessionCookies } from "../session-cookies.js";

const closed = { additionalProperties: false } as const;

const DeviceSchema = Type.Object({ browser: Type.Union([Type.String(), Type.Null()]), os: Type.Union([Type.String(), Type.Null()]), platform: Type.Union([Type.String(), Type.Null()]), label: Type.String() }, closed);

const SessionListSchema = Type.Object(
	{
		sessions: Type.Array(
			Type.Object(
				{
					id: Type.String(),
					current: Type.Boolean(),
					aal: Type.Integer(),
					createdAt: Type.String({ format: "date-time" }),
					lastActiveAt: Type.String({ format: "date-time" }),
					expiresAt: Type.String({ format: "date-time" }),
					idleExpiresAt: Type.String({ format: "date-time" }),
					ipAddress: Type.Union([Type.String(), Type.Null()]),
					device: DeviceSchema,
					/** Connected apps: hosts behind the forward-auth proxy this session reached recently, newest first. */
					apps: Type.Array(Type.Object({ host: Type.String(), lastUsedAt: Type.String({ format: "date-time" }) }, closed)),
				},
				closed,
			),
		),
	},
	closed,
);

const SecurityEventListSchema = Type.Object(
	{
		events: Type.Array(
			Type.Object(
				{
					id: Type.String(),
					type: Type.String(),
					createdAt: Type.String({ format: "date-time" }),
					ipAddress: Type.Union([Type.String(), Type.Null()]),
					device: DeviceSchema,
					details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())])),
				},
				closed,
			),
		),
	},
	closed,
);

/** Security-settings routes. */
export const accountSecurityRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	app.addHook("onRequest", requireSession);

	app.post(
		"/reauthenticate",
		{
			schema: {
				summary: "Confirm it's you (re-authenticate)",
				description: "The password, and with 2FA on a current code or a recovery code: sensitive actions are then allowed for 5 minutes. The session goes on under a new token. A refused code says why (`reason`).",
				tags: ["login"],
				security: SESSION_SECURITY,
				body: Type.Object({ password: PasswordSchema, code: Type.Optional(CodeSchema) }, { ...closed, examples: [{ password: "correct horse battery staple", code: "123456" }] }),
				response: { 200: Type.Object({ reauthenticatedAt: Type.String({ format: "date-time" }), expiresAt: Type.String({ format: "date-time" }), session: RotatedSessionSchema }, closed), ...errorResponses(["write", "session", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_INVALID_CODE", "ERR_TOO_MANY_ATTEMPTS") },
			},
		},
		async (request, reply) => {
			const { password, code } = request.body;
			const auth = authOf(request);
			const result = await deadbolt.reauthenticate(auth, code === undefined ? { password } : { password, code }, requestContext(request));
			const session = deliverRotatedSession(request, reply, deadbolt, cookies, auth.session.id, result.sessionToken);
			return { reauthenticatedAt: toISO(result.reauthenticatedAt), expiresAt: toISO(result.expiresAt), session };
		},
	);

	app.get("/sessions", { schema: {
				summary: "List your sessions",
				description: "Newest first, with the device (parsed from the User-Agent, for display), IP address and the apps behind the forward-auth proxy each reached.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: { 200: SessionListSchema, ...errorResponses(["session"]) } } }, async (request) => {
		const sessions = await deadbolt.listSessions(authOf(request));
		return {
			sessions: sessions.map((s) => ({
				id: s.id,
				current: s.current,
				aal: s.aal,
				createdAt: toISO(s.createdAt),
				lastActiveAt: toISO(s.lastActiveAt),
				expiresAt: toISO(s.expiresAt),
				idleExpiresAt: toISO(s.idleExpiresAt),
				ipAddress: s.ipAddress,
				device: s.device,
				apps: s.apps.map((app) => ({ host: app.host, lastUsedAt: toISO(app.lastUsedAt) })),
			})),
		};
	});

	app.delete(
		"/sessions/:id",
		{ schema: {
				summary: "Sign out one session",
				description: "One of your sessions (404 otherwise); its token is refused at once.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 204: Type.Null(), ...errorResponses(["write", "session"], "ERR_NOT_FOUND") } } },
		async (request, reply) => {
			const auth = authOf(request);
			await deadbolt.revokeSession(auth, request.params.id, requestContext(request));
			if (request.params.id === auth.session.id && request.authVia === "cookie") clearSessionCookies(reply, cookies);
			return reply.status(204).send(null);
		},
	);

	// The apps signed in with OpenID Connect (issue 13 item 4): listed beside the sessions; disconnect one.
	const ConnectedAppSchema = Type.Object(
		{ clientId: Type.String(), name: Type.String(), sessions: Type.Integer(), lastUsedAt: Type.Union([Type.String(), Type.Null()]), consented: Type.Boolean() },
		closed,
	);
	app.get("/apps", { schema: {
				summary: "List the apps signed in with OpenID Connect",
				description: "On how many sessions now, the last use, whether consent is remembered. Empty when no client is configured.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ apps: Type.Array(ConnectedAppSchema) }, closed), ...errorResponses(["session"]) } } }, async (request) => {
		const apps = deadbolt.oidc.enabled ? await deadbolt.oidc.listConnectedApps(authOf(request).account.id) : [];
		return { apps: apps.map((app) => ({ ...app, lastUsedAt: app.lastUsedAt === null ? null : toISO(app.lastUsedAt) })) };
	});
	app.delete(
		"/apps/:clientId",
		{ schema: {
				summary: "Disconnect an app",
				description: "Its grants, codes and tokens end at once, it is sent a back-channel logout, its consent is forgotten.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				params: Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Type.Object({ grantsEnded: Type.Integer() }, closed), ...errorResponses(["write", "session"], "ERR_NOT_FOUND") } } },
		async (request) => {
			if (!deadbolt.oidc.enabled) throw new NotFound("No such connected app.");
			return { grantsEnded: await deadbolt.oidc.revokeApp(authOf(request), request.params.clientId, requestContext(request)) };
		},
	);

	app.delete("/sessions", { schema: {
				summary: "Sign out every other session",
				description: "Needs a recent re-authentication.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ revoked: Type.Integer() }, closed), ...errorResponses(["write", "session"], "ERR_REAUTH_REQUIRED") } } }, async (request) => {
		return { revoked: await deadbolt.revokeOtherSessions(authOf(request), requestContext(request)) };
	});

	app.post(
		"/sign-out-everywhere",
		{ schema: {
				summary: "Sign out everywhere",
				description: "Ends every session including this one and forgets every trusted device. Needs a recent re-authentication.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ sessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer() }, closed), ...errorResponses(["write", "session"], "ERR_REAUTH_REQUIRED") } } },
		async (request, reply) => {
			const result = await deadbolt.signOutEverywhere(authOf(request), requestContext(request));
			clearSessionCookies(reply, cookies);
			return result;
		},
	);

	app.get(
		"/trusted-devices",
		{
			schema: {
				summary: "List remembered devices",
				description: "The devices that skip the code step at sign-in (\"remember this device\").",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: {
					200: Type.Object(
						{
							trustedDevices: Type.Array(
								Type.Object(
									{
										id: Type.String(),
										createdAt: Type.String({ format: "date-time" }),
										lastUsedAt: Type.String({ format: "date-time" }),
										expiresAt: Type.String({ format: "date-time" }),
										ipAddress: Type.Union([Type.String(), Type.Null()]),
										device: DeviceSchema,
									},
									closed,
								),
							),
						},
						closed,
					),
					...errorResponses(["session"]),
				},
			},
		},
		async (request) => {
			const devices = await deadbolt.listTrustedDevices(authOf(request));
			return { trustedDevices: devices.map((d) => ({ id: d.id, createdAt: toISO(d.createdAt), lastUsedAt: toISO(d.lastUsedAt), expiresAt: toISO(d.expiresAt), ipAddress: d.ipAddress, device: d.device })) };
		},
	);

	app.delete(
		"/trusted-devices/:id",
		{ schema: {
				summary: "Forget one remembered device",
				description: "Its token no longer skips the code step.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 204: Type.Null(), ...errorResponses(["write", "session"], "ERR_NOT_FOUND") } } },
		async (request, reply) => {
			await deadbolt.revokeTrustedDevice(authOf(request), request.params.id, requestContext(request));
			return reply.status(204).send(null);
		},
	);

	app.delete("/trusted-devices", { schema: {
				summary: "Forget every remembered device",
				description: "Needs a recent re-authentication.",
				tags: ["sessions"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ revoked: Type.Integer() }, closed), ...errorResponses(["write", "session"], "ERR_REAUTH_REQUIRED") } } }, async (request) => {
		return { revoked: await deadbolt.revokeAllTrustedDevices(authOf(request), requestContext(request)) };
	});

	app.put(
		"/password",
		{
			schema: {
				summary: "Change the password (or set the first one)",
				description: "`currentPassword` and `newPassword` (sign-up rules, must differ); with 2FA on, also a recent re-authentication. Other sessions and trusted devices end; this session goes on under a new token. An account without a password sends `newPassword` alone, in a fresh session.",
				tags: ["account"],
				security: SESSION_SECURITY,
				body: Type.Object({ currentPassword: Type.Optional(PasswordSchema), newPassword: PasswordSchema }, closed),
				response: { 200: Type.Object({ otherSessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer(), session: RotatedSessionSchema }, closed), ...errorResponses(["write", "session", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_REAUTH_REQUIRED", "ERR_TOO_MANY_ATTEMPTS") },
			},
		},
		async (request, reply) => {
			const auth = authOf(request);
			const change = await deadbolt.changePassword(auth, request.body, requestContext(request));
			const session = deliverRotatedSession(request, reply, deadbolt, cookies, auth.session.id, change.sessionToken);
			return { otherSessionsRevoked: change.otherSessionsRevoked, trustedDevicesRevoked: change.trustedDevicesRevoked, session };
		},
	);

	app.post(
		"/secure-account",
		{
			schema: {
				summary: "\"I think my account is compromised\"",
				description: "In one step: a new password, every other session ended, every trusted device forgotten, every personal access token revoked and, with 2FA on, new recovery codes (shown once). Needs a recent re-authentication.",
				tags: ["account"],
				security: SESSION_SECURITY,
				body: Type.Object({ currentPassword: PasswordSchema, newPassword: PasswordSchema }, closed),
				response: {
					200: Type.Object(
						{
							passwordChanged: Type.Boolean(),
							otherSessionsRevoked: Type.Integer(),
							trustedDevicesRevoked: Type.Integer(),
							accessTokensRevoked: Type.Integer(),
							recoveryCodes: Type.Union([Type.Array(Type.String()), Type.Null()]),
							twoFactorEnabled: Type.Boolean(),
							session: RotatedSessionSchema,
						},
						closed,
					),
					...errorResponses(["write", "session", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_REAUTH_REQUIRED", "ERR_TOO_MANY_ATTEMPTS"),
				},
			},
		},
		async (request, reply) => {
			const auth = authOf(request);
			const { sessionToken, ...summary } = await deadbolt.secureCompromisedAccount(auth, request.body, requestContext(request));
			const session = deliverRotatedSession(request, reply, deadbolt, cookies, auth.session.id, sessionToken);
			return { ...summary, recoveryCodes: summary.recoveryCodes === null ? null : [...summary.recoveryCodes], session };
		},
	);

	app.get("/two-factor/recovery-codes", { schema: {
				summary: "Count unused recovery codes",
				description: "How many of the account's recovery codes are left.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				response: { 200: Type.Object({ unused: Type.Integer() }, closed), ...errorResponses(["session"]) } } }, async (request) => {
		return { unused: await deadbolt.countUnusedRecoveryCodes(authOf(request).account.id) };
	});

	app.post("/two-factor/recovery-codes", { schema: {
				summary: "Generate new recovery codes",
				description: "A new set of 10, shown once; the old set stops working at once. Needs 2FA on and a recent re-authentication.",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				response: { 201: Type.Object({ recoveryCodes: Type.Array(Type.String()) }, closed), ...errorResponses(["write", "session"], "ERR_REAUTH_REQUIRED", "ERR_TOTP_NOT_ENABLED") } } }, async (request, reply) => {
		const recoveryCodes = await deadbolt.regenerateRecoveryCodes(authOf(request), requestContext(request));
		return reply.status(201).send({ recoveryCodes });
	});

	app.delete(
		"/two-factor/totp",
		{
			schema: {
				summary: "Turn two-factor authentication off",
				description: "The password and a current code or a recovery code. The key, the recovery codes, trusted devices and personal access tokens are removed and other sessions end. A refused code says why (`reason`).",
				tags: ["two-factor"],
				security: SESSION_SECURITY,
				body: Type.Object({ password: PasswordSchema, code: CodeSchema }, closed),
				response: { 200: Type.Object({ otherSessionsRevoked: Type.Integer(), trustedDevicesRevoked: Type.Integer(), accessTokensRevoked: Type.Integer() }, closed), ...errorResponses(["write", "session", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_INVALID_CODE", "ERR_TOTP_NOT_ENABLED", "ERR_TOO_MANY_ATTEMPTS", "ERR_TWO_FACTOR_REQUIRED") },
			},
		},
		async (request) => deadbolt.disableTOTP(authOf(request), request.body, requestContext(request)),
	);

	app.get(
		"/security-events",
		{
			schema: {
				summary: "Security activity",
				description: "Sign-ins, failures and changes, newest first: at most `limit` (default 50, at most 100), before `before` (exclusive) for the next page. Details never hold a secret, code or token.",
				tags: ["account"],
				security: SESSION_SECURITY,
				querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,3}$" })), before: Type.Optional(Type.String({ format: "date-time" })) }, closed),
				response: { 200: SecurityEventListSchema, ...errorResponses(["session"]) },
			},
		},
		async (request) => {
			const { limit, before } = request.query;
			// A date-time the format accepts but Date cannot hold (a leap second, 23:59:60) is a 400.
			if (before !== undefined && !Number.isFinite(Date.parse(before))) throw new InvalidRequest("`before` must be a date and time, e.g. 2026-11-29T21:00:00Z.");
			const events = await deadbolt.listSecurityEvents(authOf(request).account.id, {
				...(limit === undefined ? {} : { limit: Number(limit) }),
				...(before === undefined ? {} : { before: Date.parse(before) }),
			});
			return { events: events.map((e) => ({ id: e.id, type: e.type, createdAt: toISO(e.createdAt), ipAddress: e.ipAddress, device: e.device, details: e.details as Record<string, string | number | boolean | string[]> })) };
		},
	);
};
