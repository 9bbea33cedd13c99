/**
 * What every dashboard route file shares, made once per app by {@link createDashboardContext}:
 * the services and cookie settings, the form token, the session and remembered-device cookies,
 * and the state the Security page is drawn from.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Deadbolt } from "../../deadbolt.js";
import type { CookieSettings } from "../../http/cookies.js";
import type { NewSession, AuthenticatedSession } from "../../service/sessions.js";
import { describeDuration } from "../../platform/duration.js";
import { brandOf } from "../brand.js";
import { ensureCSRFToken, rotateCSRFToken } from "../csrf.js";
import type { Brand } from "../layout.js";
import type { AuthPageContext } from "../pages/auth.js";
import type { SecurityState } from "../pages/security-state.js";
import { SECURITY_EVENTS_SHOWN } from "../pages/security-sections.js";
import { setSessionCookies } from "../../http/session-cookies.js";

/** The dashboard's shared parts (see the file comment). */
export interface DashboardContext {
	readonly deadbolt: Deadbolt;
	readonly config: Deadbolt["config"];
	readonly cookies: CookieSettings;
	/** The product name and look of every page (`branding.*`). */
	readonly brand: Brand;
	/** The name authenticator apps show (`issuer`; by default the product name). */
	readonly issuer: string;
	/** How long "Confirm it's you" lasts, in whole minutes (at least 1), for the dialog's sentence. */
	readonly sudoMinutes: number;
	/** This browser's form token (set in its cookie when it has none). */
	csrfOf(request: FastifyRequest, reply: FastifyReply): string;
	/** What a signed-out page needs: the brand, the issuer and the form token. */
	authPageContext(request: FastifyRequest, reply: FastifyReply): AuthPageContext;
	/** Puts the new session in its cookie, ends the one it replaces, drops the login challenge, and rotates the form token. */
	startSession(request: FastifyRequest, reply: FastifyReply, session: NewSession): Promise<void>;
	/**
	 * Keeps `rd` (when `deadbolt.returnTarget` accepts it) in the short-lived return cookie, for
	 * {@link DashboardContext.afterSignIn}; anything else clears it.
	 */
	keepReturnTarget(reply: FastifyReply, rd: string | null): void;
	/** The return cookie's target, checked again (the rules may have changed); null when none or no longer allowed. */
	returnTargetOf(request: FastifyRequest): string | null;
	/** After a sign-in (or a step-up): 303 to the app the user came from (the return cookie, then cleared), else to `fallback`. */
	afterSignIn(request: FastifyRequest, reply: FastifyReply, fallback: string): FastifyReply;
	/** Puts the session's new token (after a rotation: 2FA on, confirmed it's you, a new password) in its cookie; the old one no longer works. */
	keepRotatedSession(reply: FastifyReply, token: string): void;
	/** This browser's trusted-device token (from "Remember this device"), or null. */
	trustedDeviceOf(request: FastifyRequest): string | null;
	/** Keeps the (new or rotated) trusted-device token in its HttpOnly cookie, as long as it is valid. */
	rememberDevice(reply: FastifyReply, token: string): void;
	/** Clears this browser's trusted-device cookie, if it has one (its device was forgotten). */
	forgetThisDevice(request: FastifyRequest, reply: FastifyReply): void;
	/** Whether the session confirmed it's the user recently enough for sensitive actions (as the services decide). */
	recentlyConfirmed(auth: AuthenticatedSession): boolean;
	/** Everything the Security page shows for this session. */
	securityState(request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession): Promise<SecurityState>;
	/** Whole minutes (at least 1) from now until `expiresAt` (Unix milliseconds). */
	minutesLeft(expiresAt: number): number;
	/** Today's date, `YYYY-MM-DD` (UTC), for the recovery codes' download. */
	today(): string;
}

/** Builds the context of one dashboard plugin. */
export function createDashboardContext(deadbolt: Deadbolt, cookies: CookieSettings): DashboardContext {
	const { config } = deadbolt;
	const issuer = config.issuer;
	const brand = brandOf(deadbolt);
	const linkLifetimes = {
		emailVerification: describeDuration(config.emailVerification.ttlSeconds),
		passwordReset: describeDuration(config.passwordReset.ttlSeconds),
	};
	const csrfOf = (request: FastifyRequest, reply: FastifyReply): string => ensureCSRFToken(request, reply, cookies);
	const trustedDeviceOf = (request: FastifyRequest): string | null => {
		const token = request.cookies[cookies.trustedDeviceName];
		return typeof token === "string" && token !== "" ? token : null;
	};
	const returnTargetOf = (request: FastifyRequest): string | null => {
		const stored = request.cookies[cookies.returnName];
		return typeof stored === "string" && stored !== "" ? deadbolt.returnTarget(stored) : null;
	};
	const recentlyConfirmed = (auth: AuthenticatedSession): boolean => deadbolt.isRecentlyReauthenticated(auth.session);
	// Whether any app behind forward-auth asks for two-factor authentication (then the Two-factor page tells whether the authenticator is confirmed by mail).
	const twoFactorRules = config.accessControl.rules.some((rule) => rule.policy === "two_factor") || config.accessControl.defaultPolicy === "two_factor";
	return {
		deadbolt,
		config,
		cookies,
		brand,
		issuer,
		sudoMinutes: Math.max(1, Math.round(config.session.reauthenticationTtlSeconds / 60)),
		csrfOf,
		authPageContext: (request, reply) => ({ brand, issuer, csrf: csrfOf(request, reply), linkLifetimes }),
		async startSession(request, reply, session) {
			if (request.sessionToken !== null && request.sessionToken !== session.token) await deadbolt.logout(request.sessionToken);
			setSessionCookies(reply, deadbolt, cookies, session.token);
			void reply.clearCookie(cookies.challengeName, cookies.options());
			rotateCSRFToken(request, reply, cookies);
		},
		keepReturnTarget(reply, rd) {
			const target = rd === null ? null : deadbolt.returnTarget(rd);
			if (target === null) void reply.clearCookie(cookies.returnName, cookies.options());
			else void reply.setCookie(cookies.returnName, target, cookies.options(config.loginChallenge.ttlSeconds));
		},
		returnTargetOf,
		afterSignIn(request, reply, fallback) {
			const target = returnTargetOf(request);
			if (request.cookies[cookies.returnName] !== undefined) void reply.clearCookie(cookies.returnName, cookies.options());
			return reply.redirect(target ?? fallback, 303);
		},
		keepRotatedSession(reply, token) {
			setSessionCookies(reply, deadbolt, cookies, token);
		},
		trustedDeviceOf,
		rememberDevice(reply, token) {
			void reply.setCookie(cookies.trustedDeviceName, token, cookies.options(config.trustedDevice.ttlSeconds));
		},
		forgetThisDevice(request, reply) {
			if (trustedDeviceOf(request) !== null) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
		},
		recentlyConfirmed,
		async securityState(request, reply, auth) {
			const twoFactorEnabled = await deadbolt.isTwoFactorEnabled(auth.account.id);
			return {
				brand,
				issuer,
				csrf: csrfOf(request, reply),
				email: auth.account.email,
				hasPassword: auth.account.passwordHash !== null,
				twoFactorEnabled,
				twoFactorRequired: deadbolt.twoFactorRequirementOf(auth.account, twoFactorEnabled).required,
				secondFactorMailConfirmed: twoFactorEnabled && twoFactorRules ? auth.account.secondFactorMailConfirmedAt !== null : null,
				recoveryCodesLeft: await deadbolt.countUnusedRecoveryCodes(auth.account.id),
				recoveryCodesTotal: config.recoveryCodes.count,
				authenticators: twoFactorEnabled ? await deadbolt.listAuthenticators(auth.account.id) : [],
				maxAuthenticators: deadbolt.maxAuthenticators,
				sessions: await deadbolt.listSessions(auth),
				...(deadbolt.oidc.enabled ? { connectedApps: await deadbolt.oidc.listConnectedApps(auth.account.id) } : {}),
				events: await deadbolt.listSecurityEvents(auth.account.id, { limit: SECURITY_EVENTS_SHOWN }),
				passwordMinLength: config.password.minLength,
				passwordForm: { needsCode: twoFactorEnabled && !recentlyConfirmed(auth) },
				compromisedForm: { needsCode: twoFactorEnabled && !recentlyConfirmed(auth) },
				trustedDevices: await deadbolt.listTrustedDevices(auth),
				accessTokens: await deadbolt.listAccessTokens(auth),
				accessTokenForm: { needsPassword: !recentlyConfirmed(auth), needsCode: twoFactorEnabled && !recentlyConfirmed(auth) },
				currentDeviceId: trustedDeviceOf(request)?.split(".")[0] ?? null,
			};
		},
		minutesLeft: (expiresAt) => Math.max(1, Math.round((expiresAt - deadbolt.clock.now()) / 60_000)),
		today: () => new Date(deadbolt.clock.now()).toISOString().slice(0, 10),
	};
}
