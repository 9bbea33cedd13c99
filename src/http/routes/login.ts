/**
 * Sign-in and sign-out: `POST /api/v1/login` (password step), `/login/link` (a one-time sign-in
 * link in place of the password), `/login/totp` and
 * `/login/recovery-code` (code step, with the login challenge), `POST /api/v1/logout`.
 */
import { Type, type Static } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ChallengeInvalid } from "../../errors.js";
import { toISO } from "../../service/deps.js";
import { deliverSession, isBrowserRequest } from "../deliver.js";
import { requestContext } from "../plugins/session.js";
import { CodeSchema, EmailSchema, NewSessionSchema, PasswordSchema, requiredSetupAnswer, RequiredSetupAnswerSchema, TokenSchema } from "../schemas.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";
import { NO_SECURITY, OPTIONAL_SESSION_SECURITY } from "../openapi/document.js";
import type { IssuedTrustedDevice } from "../../service/trusted-devices.js";
import type { BeginLoginResult } from "../../service/login.js";
import { clearSessionCookies } from "../session-cookies.js";

const closed = { additionalProperties: false } as const;

/** The answer of the first factor (password, or sign-in link): signed in, or the code step next. */
const FirstFactorResponseSchema = Type.Union([
	Type.Object({ status: Type.Literal("authenticated"), session: NewSessionSchema, trustedDeviceToken: Type.Optional(Type.String()) }, closed),
	RequiredSetupAnswerSchema,
	Type.Object(
		{
			status: Type.Literal("two_factor_required"),
			challenge: Type.Object(
				{
					challengeToken: Type.Optional(Type.String()),
					methods: Type.Array(Type.String()),
					expiresAt: Type.String({ format: "date-time" }),
				},
				closed,
			),
		},
		closed,
	),
]);

/** Login routes. */
export const loginRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	/** The challenge token from the body (API clients) or the challenge cookie (browsers). */
	function challengeTokenOf(request: FastifyRequest, fromBody: string | undefined): string {
		const token = fromBody ?? request.cookies[cookies.challengeName];
		if (token === undefined) throw new ChallengeInvalid("unknown", { reason: "missing" });
		return token;
	}

	/** A trusted-device token: a browser gets it as a cookie, an API client in the body. */
	function deliverTrustedDevice(request: FastifyRequest, reply: FastifyReply, device: IssuedTrustedDevice | null): { trustedDeviceToken?: string } {
		if (device === null) return {};
		if (!isBrowserRequest(request)) return { trustedDeviceToken: device.token };
		void reply.setCookie(cookies.trustedDeviceName, device.token, cookies.options(deadbolt.config.trustedDevice.ttlSeconds));
		return {};
	}

	function clearChallengeOnFatal(reply: FastifyReply, error: unknown): void {
		if (error instanceof ChallengeInvalid) void reply.clearCookie(cookies.challengeName, cookies.options());
	}

	/** The answer to a proved first factor (password or sign-in link): a session, or the code step. */
	async function answerFirstFactor(request: FastifyRequest, reply: FastifyReply, result: BeginLoginResult): Promise<Static<typeof FirstFactorResponseSchema>> {
		if (result.kind === "session") {
			const session = await deliverSession(request, reply, deadbolt, cookies, result.session);
			const device = deliverTrustedDevice(request, reply, result.trustedDevice);
			return { status: "authenticated" as const, session, ...device };
		}
		if (result.kind === "two_factor_setup_required") {
			return requiredSetupAnswer(result.setup);
		}
		const { challenge } = result;
		const view = { methods: [...challenge.methods], expiresAt: toISO(challenge.expiresAt) };
		if (isBrowserRequest(request)) {
			void reply.setCookie(cookies.challengeName, challenge.challengeToken, cookies.options(deadbolt.config.loginChallenge.ttlSeconds));
			return { status: "two_factor_required" as const, challenge: view };
		}
		return { status: "two_factor_required" as const, challenge: { ...view, challengeToken: challenge.challengeToken } };
	}

	app.post(
		"/login",
		{
			schema: {
				summary: "Sign in: the password step",
				description: "Without 2FA: `authenticated` with a session (AAL1). With 2FA: `two_factor_required` with a login challenge (10 minutes, 5 code attempts) and **no session yet**: send a code to `/login/totp` or `/login/recovery-code`. A trusted-device token (cookie, or `trustedDeviceToken`) of this account stands in for the code step. Unknown email, wrong password and a locked password step answer alike (401).",
				tags: ["login"],
				security: NO_SECURITY,
				body: Type.Object({ email: EmailSchema, password: PasswordSchema, trustedDeviceToken: Type.Optional(TokenSchema) }, { ...closed, examples: [{ email: "ada@example.com", password: "correct horse battery staple" }] }),
				response: { 200: FirstFactorResponseSchema, ...errorResponses(["write", "credential"], "ERR_INVALID_CREDENTIALS", "ERR_ACCOUNT_DISABLED") },
			},
		},
		async (request, reply) => {
			const { email, password } = request.body;
			const trustedDeviceToken = request.body.trustedDeviceToken ?? request.cookies[cookies.trustedDeviceName];
			const result = await deadbolt.beginLogin(trustedDeviceToken === undefined ? { email, password } : { email, password, trustedDeviceToken }, requestContext(request));
			// A presented device token that did not stand in for the code step is of no use any more.
			// (One of another account is kept: it still serves that account on this browser.)
			if (result.kind === "challenge" && !result.keepTrustedDevice && isBrowserRequest(request) && request.cookies[cookies.trustedDeviceName] !== undefined) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
			return answerFirstFactor(request, reply, result);
		},
	);

	app.post(
		"/login/link",
		{
			schema: {
				summary: "Sign in with a one-time sign-in link",
				description: "The link's token (from the admin API or `deadbolt account sign-in-link`) in place of the password; the same answers as `POST /api/v1/login`.",
				tags: ["login"],
				security: NO_SECURITY,
				body: Type.Object({ token: TokenSchema }, closed),
				response: { 200: FirstFactorResponseSchema, ...errorResponses(["write", "credential"], "ERR_SIGN_IN_LINK_INVALID", "ERR_ACCOUNT_DISABLED") },
			},
		},
		async (request, reply) => answerFirstFactor(request, reply, await deadbolt.redeemSignInLink({ token: request.body.token }, requestContext(request))),
	);

	app.post(
		"/login/totp",
		{
			schema: {
				summary: "Sign in: the code step (TOTP)",
				description: "The authenticator's 6-digit code with the challenge (`challengeToken`, or the challenge cookie). Each 30-second step is accepted once per account. `rememberDevice: true` also trusts this device (30 days). Wrong, reused and malformed codes answer alike; `clockSkewSeconds` on an accepted code from a neighbouring step.",
				tags: ["login"],
				security: NO_SECURITY,
				body: Type.Object({ code: CodeSchema, challengeToken: Type.Optional(TokenSchema), rememberDevice: Type.Optional(Type.Boolean()) }, { ...closed, examples: [{ code: "123456", challengeToken: "AbCdEfGhIjKlMnOp.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b", rememberDevice: false }] }),
				response: {
					200: Type.Object({ status: Type.Literal("authenticated"), session: NewSessionSchema, trustedDeviceToken: Type.Optional(Type.String()), clockSkewSeconds: Type.Optional(Type.Integer()), clockSkewAdvice: Type.Optional(Type.String()) }, closed),
					...errorResponses(["write", "credential"], "ERR_INVALID_CODE", "ERR_CHALLENGE_INVALID", "ERR_ACCOUNT_DISABLED"),
				},
			},
		},
		async (request, reply) => {
			try {
				const { code, rememberDevice } = request.body;
				const session = await deadbolt.completeLoginWithTOTP({ challengeToken: challengeTokenOf(request, request.body.challengeToken), code, rememberDevice: rememberDevice === true }, requestContext(request));
				const view = await deliverSession(request, reply, deadbolt, cookies, session);
				const skew = session.clockSkew === null ? {} : { clockSkewSeconds: session.clockSkew.seconds, clockSkewAdvice: session.clockSkew.advice };
				return { status: "authenticated" as const, session: view, ...deliverTrustedDevice(request, reply, session.trustedDevice), ...skew };
			} catch (error) {
				clearChallengeOnFatal(reply, error);
				throw error;
			}
		},
	);

	app.post(
		"/login/recovery-code",
		{
			schema: {
				summary: "Sign in: the code step (recovery code)",
				description: "One recovery code (`XXXX-XXXX-XXXX`; case, spaces and hyphens do not matter), used up by this sign-in; `recoveryCodesLeft` says how many remain.",
				tags: ["login"],
				security: NO_SECURITY,
				body: Type.Object({ code: CodeSchema, challengeToken: Type.Optional(TokenSchema) }, { ...closed, examples: [{ code: "K7M2-QZ4B-9HCW", challengeToken: "AbCdEfGhIjKlMnOp.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b" }] }),
				response: {
					200: Type.Object({ status: Type.Literal("authenticated"), session: NewSessionSchema, recoveryCodesLeft: Type.Integer() }, closed),
					...errorResponses(["write", "credential"], "ERR_INVALID_CODE", "ERR_CHALLENGE_INVALID", "ERR_ACCOUNT_DISABLED"),
				},
			},
		},
		async (request, reply) => {
			try {
				const result = await deadbolt.completeLoginWithRecoveryCode({ challengeToken: challengeTokenOf(request, request.body.challengeToken), code: request.body.code }, requestContext(request));
				return { status: "authenticated" as const, session: await deliverSession(request, reply, deadbolt, cookies, result.session), recoveryCodesLeft: result.recoveryCodesLeft };
			} catch (error) {
				clearChallengeOnFatal(reply, error);
				throw error;
			}
		},
	);

	app.post("/logout", { schema: {
				summary: "Sign out",
				description: "Ends the session presented (cookie or Bearer) and any open sign-in of this browser; always succeeds.",
				tags: ["login"],
				security: OPTIONAL_SESSION_SECURITY,
				response: { 204: Type.Null(), ...errorResponses(["write"]) } } }, async (request, reply) => {
		if (request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
		const challengeToken = request.cookies[cookies.challengeName];
		if (challengeToken !== undefined) await deadbolt.abandonLoginChallenge(challengeToken);
		clearSessionCookies(reply, cookies);
		void reply.clearCookie(cookies.challengeName, cookies.options());
		return reply.status(204).send(null);
	});
};
