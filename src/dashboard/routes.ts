/**
 * The end-user dashboard under `/dashboard` (DESIGN.md §2, §3.7): server-rendered HTML from the
 * same Fastify app, calling the deadbolt services directly (not the JSON API). Every flow is a
 * plain form that POSTs to its own path; scripts only enhance. Successful POSTs redirect (303),
 * failed ones re-render the form with the error inline and the user's email kept.
 *
 * Pages:
 * - `GET /dashboard`: the account home (signed in) or a redirect to sign-in;
 * - `GET/POST /dashboard/sign-up`, `GET/POST /dashboard/sign-in` (password step),
 *   `GET/POST /dashboard/sign-in/code`, `GET/POST /dashboard/sign-in/recovery-code` (code step,
 *   needs the login-challenge cookie), `POST /dashboard/sign-out`. "Remember this device" on the
 *   code step sets the HttpOnly trusted-device cookie; the password step sends its token, and a
 *   remembered device skips the code step (the token is rotated each time; one that no longer
 *   works is cleared). A code from a neighbouring time step lands on `/dashboard?clock=ahead|behind`;
 * - `GET /dashboard/settings/security`, and the two-factor setup as a dialog over it:
 *   `GET/POST .../two-factor/setup` (step 1, then 2-3 in the POST answer) and
 *   `POST .../two-factor/confirm` (step 3, then 4 with the recovery codes, shown only there);
 * - on the Security page too: the sessions ("Where you're signed in": `POST .../sessions/revoke`,
 *   `.../sessions/revoke-others`, `.../sessions/sign-out-everywhere`), `POST .../password`,
 *   `POST .../recovery-codes` (the new set shown only in that answer), `GET/POST
 *   .../two-factor/disable`, the remembered devices (`POST .../devices/forget`, `.../devices/forget-all`),
 *   "I think my account is compromised" (`POST .../compromised`: the summary, and the new recovery
 *   codes, only in that answer), and the latest security events. Sign out others / everywhere and new
 *   recovery codes need a recent confirmation ("sudo mode"): without one the answer is the
 *   "Confirm it's you" dialog, which POSTs to `.../confirm` with the action as one word of a fixed
 *   allow-list, re-authenticates, then performs the action. The password form asks for the code
 *   itself when 2FA is on and the session has no recent confirmation;
 * - `GET /dashboard/assets/dashboard.css|dashboard.js|favicon.svg` (the favicon: the padlock of
 *   the header; every page links it, so browsers never ask for `/favicon.ico`).
 *
 * Security: every POST passes the double-submit token check and a same-origin check first
 * (`csrf.ts`); the session and login-challenge cookies are HttpOnly and SameSite=Lax (set by
 * `http/cookies.ts`); responses are `no-store` with a CSP that forbids inline script and style
 * (`http/plugins/security-headers.ts`). A database outage renders a 503 page; any error this
 * file does not expect goes on to the app's error handler (a generic 500).
 */
import { readFileSync } from "node:fs";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ChallengeInvalid, SignInLinkInvalid, EmailTaken, EnrollmentInvalid, InvalidCode, InvalidCredentials, InvalidRequest, NotFound, ReauthenticationRequired, StorageUnavailable, TooManyAttempts, TOTPAlreadyEnabled, TOTPNotEnabled } from "../errors.js";
import { requestContext } from "../http/plugins/session.js";
import type { RouteOptions } from "../http/routes/context.js";
import type { NewSession, AuthenticatedSession } from "../service/sessions.js";
import { ensureCSRFToken, isValidCSRFSubmission, rotateCSRFToken } from "./csrf.js";
import { html, type SafeHtml } from "./html.js";
import { notice, PATHS, plural } from "./layout.js";
import { signInCodePage, signInLinkPage, signInPage, signInRecoveryCodePage, signUpPage, type SignInFlash } from "./pages/auth.js";
import { csrfRejectedPage, notFoundPage, tooManyRequestsPage, unavailablePage } from "./pages/errors.js";
import { homePage, type ClockDirection } from "./pages/home.js";
import { securityPage, setupDoneStep, setupPasswordStep, setupSavedCheckStep, setupScanStep, type SecurityState } from "./pages/security.js";
import { matchesRecoveryCodeProof, parseRecoveryCodeProof, recoveryCodeProof } from "./recovery-code-check.js";
import { accountSecuredDialog, disableTwoFactorDialog, isSudoAction, newRecoveryCodesDialog, reauthDialog, type ReauthState, type SudoAction } from "./pages/security-dialogs.js";
import { SECURITY_EVENTS_SHOWN, type CardFlash, type PasswordFormState } from "./pages/security-sections.js";

/** The static files served under `/dashboard/assets/`, with their content types. */
const ASSET_TYPES: Readonly<Record<string, string>> = Object.freeze({
	"dashboard.css": "text/css; charset=utf-8",
	"dashboard.js": "text/javascript; charset=utf-8",
	"favicon.svg": "image/svg+xml",
});

/** A static file, read once at startup. */
interface Asset {
	readonly body: Buffer;
	readonly contentType: string;
}

/**
 * Reads the assets from the folder next to this file (`src/dashboard/assets` under tsx/vitest,
 * `dist/dashboard/assets` after `npm run build`, which copies them).
 * @throws Error naming the missing file, so a broken build fails at startup
 */
function loadAssets(): ReadonlyMap<string, Asset> {
	const folder = new URL("./assets/", import.meta.url);
	const assets = new Map<string, Asset>();
	for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
		const url = new URL(name, folder);
		try {
			assets.set(name, { body: readFileSync(url), contentType });
		} catch (error) {
			throw new Error(`dashboard asset missing: ${url.pathname} (does the build copy src/dashboard/assets?)`, { cause: error });
		}
	}
	return assets;
}

/** Query flag on the home page after a sign-in with a recovery code. */
const RECOVERY_FLAG = "signed-in-with";
const RECOVERY_FLAG_VALUE = "recovery-code";

/**
 * Query flag on the home page after a code sign-in whose code came from a neighbouring time step
 * (`?clock=ahead|behind`): only the direction travels; the sentence is fixed text (home.ts).
 */
const CLOCK_FLAG = "clock";

/** The clock direction of the home page's query (null for anything but the two words). */
function clockFlagOf(value: string | null): ClockDirection | null {
	return value === "ahead" || value === "behind" ? value : null;
}

/** One string field of a urlencoded form body ("" when missing or repeated). */
function formField(request: FastifyRequest, name: string): string {
	const body = request.body;
	if (typeof body !== "object" || body === null) return "";
	const value = (body as Record<string, unknown>)[name];
	return typeof value === "string" ? value : "";
}

/** One string query parameter (null when missing or repeated). */
function queryParam(request: FastifyRequest, name: string): string | null {
	const query = request.query;
	if (typeof query !== "object" || query === null) return null;
	const value = (query as Record<string, unknown>)[name];
	return typeof value === "string" ? value : null;
}

function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
	return reply.status(status).type("text/html; charset=utf-8").send(page.value);
}

/** Redirect after a POST (the browser follows with a GET). */
function seeOther(reply: FastifyReply, url: string): FastifyReply {
	return reply.redirect(url, 303);
}

const DATE_FORMAT = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });

/**
 * Where the "form expired" page sends the user back to: the page that showed the form (a POST-only
 * path of the Security page has no page of its own).
 */
function reloadPathFor(path: string): string {
	if (path === PATHS.signOut) return PATHS.home;
	if (path === PATHS.twoFactorConfirm) return PATHS.twoFactorSetup;
	if (path === PATHS.twoFactorSetup || path === PATHS.twoFactorDisable) return path;
	if (path.startsWith(`${PATHS.security}/`)) return PATHS.security;
	return path;
}

/** The notice after an action on the Security page (`?done=<word>&n=<count>`), from a fixed list. */
function flashOf(done: string | null, countParam: string | null): CardFlash | null {
	const parsed = countParam !== null && /^\d{1,6}$/.test(countParam) ? Number(countParam) : 0;
	switch (done) {
		case "session-revoked":
			return { card: "sessions", content: notice("success", "Signed out that session. That device has to sign in again.", "sessions-notice") };
		case "session-gone":
			return { card: "sessions", content: notice("info", "That session had already ended.", "sessions-notice") };
		case "others-signed-out":
			return {
				card: "sessions",
				content: notice("success", parsed === 0 ? "There were no other sessions to sign out." : `Signed out ${plural(parsed, "other session")}. Only this device is still signed in.`, "sessions-notice"),
			};
		case "password-changed":
			return {
				card: "password",
				content: notice(
					"success",
					html`<strong>Your password has been changed.</strong>${parsed > 0 ? ` For your security, we signed you out on ${plural(parsed, "other session")}.` : ""}`,
					"password-notice",
				),
			};
		case "password-set":
			return { card: "password", content: notice("success", html`<strong>Your password is set.</strong> You can now sign in with your email and password.`, "password-notice") };
		case "signed-in-with-link":
			return { card: "password", content: notice("info", "You're signed in. Set a password for your account here, or set up two-factor authentication, which sets one as its first step.", "password-notice") };
		case "authenticator-replaced":
			return {
				card: "two-factor",
				content: notice("success", html`<strong>Your new phone is set up.</strong> Codes from the old one no longer work. Your recovery codes are unchanged; remembered devices were forgotten.`, "two-factor-notice"),
			};
		case "replace-expired":
			return { card: "two-factor", content: notice("warning", "Moving to a new phone timed out before you entered a code. Your old phone still works; start again when you're ready.", "two-factor-notice") };
		case "device-forgotten":
			return { card: "devices", content: notice("success", "Forgot that device. Its next sign-in asks for a code again.", "devices-notice") };
		case "device-gone":
			return { card: "devices", content: notice("info", "That device had already been forgotten.", "devices-notice") };
		case "devices-forgotten":
			return {
				card: "devices",
				content: notice("success", parsed === 0 ? "There were no remembered devices to forget." : `Forgot ${plural(parsed, "remembered device")}. Each asks for a code at its next sign-in.`, "devices-notice"),
			};
		case "two-factor-on":
			return { card: "two-factor", content: notice("success", "Two-factor authentication is on. Keep your recovery codes safe.", "two-factor-notice") };
		case "two-factor-off":
			return {
				card: "two-factor",
				content: notice(
					"success",
					html`<strong>Two-factor authentication is off.</strong> Your authenticator app's codes and your recovery codes no longer work${parsed > 0 ? `, and we signed you out on ${plural(parsed, "other session")}` : ""}. You can delete its entry from your authenticator app.`,
					"two-factor-notice",
				),
			};
		default:
			return null;
	}
}

/** The dashboard plugin; registered by `buildApp` with `{ prefix: "/dashboard" }`. */
export const dashboardRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deadbolt, cookies }) => {
	const { config } = deadbolt;
	const issuer = config.issuer;
	const assets = loadAssets();

	const csrfOf = (request: FastifyRequest, reply: FastifyReply): string => ensureCSRFToken(request, reply, cookies);

	/** The signed-in session, or null. */
	const authOf = (request: FastifyRequest): AuthenticatedSession | null => request.auth;

	const errorContext = (request: FastifyRequest, reply: FastifyReply) => {
		const auth = authOf(request);
		return { issuer, email: auth?.account.email ?? null, csrf: auth === null ? null : csrfOf(request, reply) };
	};

	/** Puts the new session in its cookie, ends the one it replaces, drops the login challenge. */
	const startSession = async (request: FastifyRequest, reply: FastifyReply, session: NewSession): Promise<void> => {
		if (request.sessionToken !== null && request.sessionToken !== session.token) await deadbolt.logout(request.sessionToken);
		void reply.setCookie(cookies.sessionName, session.token, cookies.options(config.session.absoluteTtlSeconds));
		void reply.clearCookie(cookies.challengeName, cookies.options());
		rotateCSRFToken(request, reply, cookies);
	};

	/** This browser's trusted-device token (from "Remember this device"), or null. */
	const trustedDeviceOf = (request: FastifyRequest): string | null => {
		const token = request.cookies[cookies.trustedDeviceName];
		return typeof token === "string" && token !== "" ? token : null;
	};

	/** Keeps the (new or rotated) trusted-device token in its HttpOnly cookie, as long as it is valid. */
	const rememberDevice = (reply: FastifyReply, token: string): void => {
		void reply.setCookie(cookies.trustedDeviceName, token, cookies.options(config.trustedDevice.ttlSeconds));
	};

	const tooMany = (reply: FastifyReply, error: TooManyAttempts): string => {
		void reply.header("retry-after", String(error.retryAfterSeconds));
		return error.message;
	};

	const sudoMinutes = Math.max(1, Math.round(config.session.reauthenticationTtlSeconds / 60));

	/** Whether the session confirmed it's the user recently enough for sensitive actions (as the services decide). */
	const recentlyConfirmed = (auth: AuthenticatedSession): boolean => deadbolt.isRecentlyReauthenticated(auth.session);

	const securityState = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession): Promise<SecurityState> => {
		const twoFactorEnabled = await deadbolt.isTwoFactorEnabled(auth.account.id);
		return {
			issuer,
			csrf: csrfOf(request, reply),
			email: auth.account.email,
			hasPassword: auth.account.passwordHash !== null,
			twoFactorEnabled,
			recoveryCodesLeft: await deadbolt.countUnusedRecoveryCodes(auth.account.id),
			recoveryCodesTotal: config.recoveryCodes.count,
			sessions: await deadbolt.listSessions(auth),
			events: await deadbolt.listSecurityEvents(auth.account.id, { limit: SECURITY_EVENTS_SHOWN }),
			passwordMinLength: config.password.minLength,
			passwordForm: { needsCode: twoFactorEnabled && !recentlyConfirmed(auth) },
			compromisedForm: { needsCode: twoFactorEnabled && !recentlyConfirmed(auth) },
			trustedDevices: await deadbolt.listTrustedDevices(auth),
			currentDeviceId: trustedDeviceOf(request)?.split(".")[0] ?? null,
		};
	};

	const minutesLeft = (expiresAt: number): number => Math.max(1, Math.round((expiresAt - deadbolt.clock.now()) / 60_000));

	// A database outage gets a friendly page; anything else goes on to the app's error handler.
	app.setErrorHandler(async (error, request, reply) => {
		if (error instanceof StorageUnavailable) {
			request.log.error({ errorCode: error.code, reason: error.reason, err: error.cause }, "dashboard: storage unavailable");
			void reply.header("retry-after", "5");
			return sendPage(reply, 503, unavailablePage(errorContext(request, reply)));
		}
		if (error instanceof TooManyAttempts) {
			request.log.info({ errorCode: error.code, reason: error.reason }, "dashboard: too many attempts");
			void reply.header("retry-after", String(error.retryAfterSeconds));
			return sendPage(reply, 429, tooManyRequestsPage(errorContext(request, reply), error.message));
		}
		throw error;
	});

	app.setNotFoundHandler(async (request, reply) => sendPage(reply, 404, notFoundPage(errorContext(request, reply))));

	// Every POST: the form token must match its cookie, and the Origin must not be foreign.
	app.addHook("preHandler", async (request, reply) => {
		if (request.method !== "POST") return;
		if (isValidCSRFSubmission(request, config, cookies)) return;
		// The matched route, never the raw request line (which may be an absolute URL to another host,
		// or carry a token): in the log and in the way back.
		const path = (request.routeOptions.url ?? PATHS.home).replace(/\/+$/, "");
		request.log.warn({ event: "dashboard.csrf_rejected", route: path, origin: request.headers.origin ?? null }, "dashboard form refused");
		const backTo = reloadPathFor(path);
		await sendPage(reply, 403, csrfRejectedPage(errorContext(request, reply), backTo));
		return reply;
	});

	app.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
		const asset = Object.hasOwn(ASSET_TYPES, request.params.name) ? assets.get(request.params.name) : undefined;
		if (asset === undefined) return reply.callNotFound();
		return reply.type(asset.contentType).send(asset.body);
	});

	// ---- Account home -------------------------------------------------------------------

	app.get("/", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return reply.redirect(PATHS.signIn, 302);
		const { account } = auth;
		return sendPage(
			reply,
			200,
			homePage({
				issuer,
				csrf: csrfOf(request, reply),
				email: account.email,
				memberSince: DATE_FORMAT.format(new Date(account.createdAt)),
				twoFactorEnabled: await deadbolt.isTwoFactorEnabled(account.id),
				recoveryCodesLeft: await deadbolt.countUnusedRecoveryCodes(account.id),
				signedInWithRecoveryCode: queryParam(request, RECOVERY_FLAG) === RECOVERY_FLAG_VALUE,
				clock: clockFlagOf(queryParam(request, CLOCK_FLAG)),
			}),
		);
	});

	// ---- Sign up ------------------------------------------------------------------------

	const minLength = config.password.minLength;

	app.get("/sign-up", async (request, reply) => {
		if (authOf(request) !== null) return reply.redirect(PATHS.home, 302);
		return sendPage(reply, 200, signUpPage({ issuer, csrf: csrfOf(request, reply) }, { minLength }));
	});

	app.post("/sign-up", async (request, reply) => {
		const email = formField(request, "email").trim();
		const password = formField(request, "password");
		const page = (status: number, errors: { emailError?: string | null; passwordErrors?: string[]; error?: string | null }) =>
			sendPage(reply, status, signUpPage({ issuer, csrf: csrfOf(request, reply) }, { email, minLength, ...errors }));
		if (email === "" || password === "") {
			return page(400, { emailError: email === "" ? "Enter your email address." : null, passwordErrors: password === "" ? ["Choose a password."] : [] });
		}
		try {
			const { session } = await deadbolt.registerAccount({ email, password }, requestContext(request));
			if (session === null) return seeOther(reply, PATHS.signIn);
			await startSession(request, reply, session);
			return seeOther(reply, PATHS.home);
		} catch (error) {
			if (error instanceof InvalidRequest) {
				const emailErrors = error.violations.filter((v) => v.field === "email").map((v) => v.message);
				const passwordErrors = error.violations.filter((v) => v.field === "password").map((v) => v.message);
				const other = error.violations.length === 0 ? error.message : null;
				return page(400, { emailError: emailErrors.length > 0 ? emailErrors.join(" ") : null, passwordErrors, error: other });
			}
			if (error instanceof EmailTaken) return page(409, { emailError: error.message });
			throw error;
		}
	});

	// ---- Sign in: password step -----------------------------------------------------------

	app.get("/sign-in", async (request, reply) => {
		if (authOf(request) !== null) return reply.redirect(PATHS.home, 302);
		const flashParam = queryParam(request, "notice");
		const flash: SignInFlash = flashParam === "signed-out" || flashParam === "signed-out-everywhere" || flashParam === "expired" ? flashParam : null;
		return sendPage(reply, 200, signInPage({ issuer, csrf: csrfOf(request, reply) }, { flash }));
	});

	app.post("/sign-in", async (request, reply) => {
		const email = formField(request, "email").trim();
		const password = formField(request, "password");
		const page = (status: number, error: string) => sendPage(reply, status, signInPage({ issuer, csrf: csrfOf(request, reply) }, { email, error }));
		if (email === "" || password === "") return page(400, "Enter your email and password.");
		const trustedDeviceToken = trustedDeviceOf(request);
		try {
			const result = await deadbolt.beginLogin(trustedDeviceToken === null ? { email, password } : { email, password, trustedDeviceToken }, requestContext(request));
			if (result.kind === "session") {
				await startSession(request, reply, result.session);
				// A remembered device skipped the code step: its token was rotated (a copy works once).
				if (result.trustedDevice !== null) rememberDevice(reply, result.trustedDevice.token);
				return seeOther(reply, PATHS.home);
			}
			// The device's token no longer skips the code step (forgotten, expired): drop it. One of
			// another account is kept, for that account's next sign-in on this browser.
			if (trustedDeviceToken !== null && !result.keepTrustedDevice) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
			void reply.setCookie(cookies.challengeName, result.challenge.challengeToken, cookies.options(config.loginChallenge.ttlSeconds));
			return seeOther(reply, PATHS.signInCode);
		} catch (error) {
			if (error instanceof InvalidCredentials) return page(401, error.message);
			if (error instanceof TooManyAttempts) return page(429, tooMany(reply, error));
			throw error;
		}
	});

	// ---- Sign in: code step (authenticator code or recovery code) -----------------------------

	const challengeOf = (request: FastifyRequest): string | null => {
		const token = request.cookies[cookies.challengeName];
		return typeof token === "string" && token !== "" ? token : null;
	};

	const rememberDays = Math.max(1, Math.round(config.trustedDevice.ttlSeconds / 86_400));

	/** The challenge is gone (expired, used up, unknown): back to the password step. */
	const restartSignIn = (reply: FastifyReply): FastifyReply => {
		void reply.clearCookie(cookies.challengeName, cookies.options());
		return seeOther(reply, `${PATHS.signIn}?notice=expired`);
	};

	app.get("/sign-in/code", async (request, reply) => {
		if (authOf(request) !== null) return reply.redirect(PATHS.home, 302);
		if (challengeOf(request) === null) return reply.redirect(PATHS.signIn, 302);
		return sendPage(reply, 200, signInCodePage({ issuer, csrf: csrfOf(request, reply) }, { rememberDays }));
	});

	app.post("/sign-in/code", async (request, reply) => {
		const challengeToken = challengeOf(request);
		if (challengeToken === null) return restartSignIn(reply);
		const code = formField(request, "code");
		const remember = formField(request, "rememberDevice") === "on";
		// A refused code shows the service's message as it is (with the clock hint when there is one).
		const page = (status: number, error: string) => sendPage(reply, status, signInCodePage({ issuer, csrf: csrfOf(request, reply) }, { error, rememberDevice: remember, rememberDays }));
		if (code.trim() === "") return page(400, "Enter the 6-digit code from your authenticator app.");
		try {
			const session = await deadbolt.completeLoginWithTOTP({ challengeToken, code, rememberDevice: remember }, requestContext(request));
			await startSession(request, reply, session);
			if (session.trustedDevice !== null) rememberDevice(reply, session.trustedDevice.token);
			const clock = session.clockSkew === null ? null : session.clockSkew.seconds < 0 ? "behind" : "ahead";
			return seeOther(reply, clock === null ? PATHS.home : `${PATHS.home}?${CLOCK_FLAG}=${clock}`);
		} catch (error) {
			if (error instanceof InvalidCode) return page(401, error.message);
			if (error instanceof ChallengeInvalid) return restartSignIn(reply);
			if (error instanceof TooManyAttempts) return page(429, tooMany(reply, error));
			throw error;
		}
	});

	app.get("/sign-in/recovery-code", async (request, reply) => {
		if (authOf(request) !== null) return reply.redirect(PATHS.home, 302);
		if (challengeOf(request) === null) return reply.redirect(PATHS.signIn, 302);
		return sendPage(reply, 200, signInRecoveryCodePage({ issuer, csrf: csrfOf(request, reply) }, {}));
	});

	app.post("/sign-in/recovery-code", async (request, reply) => {
		const challengeToken = challengeOf(request);
		if (challengeToken === null) return restartSignIn(reply);
		const code = formField(request, "code");
		const page = (status: number, error: string) => sendPage(reply, status, signInRecoveryCodePage({ issuer, csrf: csrfOf(request, reply) }, { error }));
		if (code.trim() === "") return page(400, "Enter one of your recovery codes.");
		try {
			const { session } = await deadbolt.completeLoginWithRecoveryCode({ challengeToken, code }, requestContext(request));
			await startSession(request, reply, session);
			return seeOther(reply, `${PATHS.home}?${RECOVERY_FLAG}=${RECOVERY_FLAG_VALUE}`);
		} catch (error) {
			if (error instanceof InvalidCode) return page(401, error.message);
			if (error instanceof ChallengeInvalid) return restartSignIn(reply);
			if (error instanceof TooManyAttempts) return page(429, tooMany(reply, error));
			throw error;
		}
	});

	// ---- Sign in with a one-time link (operator or admin API) -----------------------------------

	app.get("/sign-in-link", async (request, reply) => {
		const token = queryParam(request, "token");
		const email = token === null ? null : ((await deadbolt.describeSignInLink(token))?.email ?? null);
		const status = email === null ? 401 : 200;
		return sendPage(reply, status, signInLinkPage({ issuer, csrf: csrfOf(request, reply) }, { token: email === null ? null : token, email }));
	});

	app.post("/sign-in-link", async (request, reply) => {
		const token = formField(request, "token");
		const page = (status: number, error: string) => sendPage(reply, status, signInLinkPage({ issuer, csrf: csrfOf(request, reply) }, { token: null, email: null, error }));
		try {
			const result = await deadbolt.redeemSignInLink({ token }, requestContext(request));
			if (result.kind === "challenge") {
				if (request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
				void reply.clearCookie(cookies.sessionName, cookies.options());
				void reply.setCookie(cookies.challengeName, result.challenge.challengeToken, cookies.options(config.loginChallenge.ttlSeconds));
				return seeOther(reply, PATHS.signInCode);
			}
			await startSession(request, reply, result.session);
			return seeOther(reply, `${PATHS.security}?done=signed-in-with-link#password`);
		} catch (error) {
			if (error instanceof SignInLinkInvalid) return page(401, error.message);
			throw error;
		}
	});

	// ---- Sign out -----------------------------------------------------------------------

	app.post("/sign-out", async (request, reply) => {
		if (request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
		const challengeToken = challengeOf(request);
		if (challengeToken !== null) await deadbolt.abandonLoginChallenge(challengeToken);
		void reply.clearCookie(cookies.sessionName, cookies.options());
		void reply.clearCookie(cookies.challengeName, cookies.options());
		rotateCSRFToken(request, reply, cookies);
		return seeOther(reply, `${PATHS.signIn}?notice=signed-out`);
	});

	// ---- Settings > Security, and the two-factor setup dialog ----------------------------------

	app.get("/settings/security", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return reply.redirect(PATHS.signIn, 302);
		const flash = flashOf(queryParam(request, "done"), queryParam(request, "n"));
		return sendPage(reply, 200, securityPage({ ...(await securityState(request, reply, auth)), flash }));
	});

	app.get("/settings/security/two-factor/setup", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return reply.redirect(PATHS.signIn, 302);
		const state = await securityState(request, reply, auth);
		if (state.twoFactorEnabled) return reply.redirect(PATHS.security, 302);
		return sendPage(reply, 200, securityPage(state, setupPasswordStep(state, { minLength })));
	});

	// Step 1 (password) -> steps 2 and 3 (QR code, key, code form), rendered in this response.
	app.post("/settings/security/two-factor/setup", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const state = await securityState(request, reply, auth);
		if (state.twoFactorEnabled) return seeOther(reply, PATHS.security);
		const stepOne = (status: number, error: string) => sendPage(reply, status, securityPage(state, setupPasswordStep(state, { error, minLength })));
		// An account without a password sets one here ("enter or set a password").
		const fieldName = state.hasPassword === false ? "newPassword" : "password";
		const password = formField(request, fieldName);
		if (password === "") return stepOne(400, state.hasPassword === false ? "Choose a password." : "Enter your password.");
		try {
			const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { [fieldName]: password }, requestContext(request));
			return sendPage(reply, 200, securityPage({ ...state, hasPassword: true }, setupScanStep(state, pending, { minutesLeft: minutesLeft(pending.expiresAt) })));
		} catch (error) {
			if (error instanceof InvalidCredentials || error instanceof ReauthenticationRequired) return stepOne(401, error.message);
			if (error instanceof InvalidRequest) return stepOne(400, error.violations.length > 0 ? error.violations.map((v) => v.message).join(" ") : error.message);
			if (error instanceof TooManyAttempts) return stepOne(429, tooMany(reply, error));
			if (error instanceof TOTPAlreadyEnabled) return seeOther(reply, PATHS.security);
			throw error;
		}
	});

	// Reloading the confirm URL (or arriving without a form) starts the setup from step 1.
	app.get("/settings/security/two-factor/confirm", async (_request, reply) => reply.redirect(PATHS.twoFactorSetup, 302));

	// Step 3 (code) -> step 4 (done, recovery codes shown only here).
	app.post("/settings/security/two-factor/confirm", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const state = await securityState(request, reply, auth);
		// With 2FA on, this confirms a move to a new phone, if this session started one.
		const replacing = state.twoFactorEnabled;
		if (replacing && (await deadbolt.getPendingTOTPEnrollment(auth.account, auth.session)) === null) return seeOther(reply, `${PATHS.security}?done=replace-expired#two-factor`);
		const setup = { ...state, replacing };
		const code = formField(request, "code");

		/** Shows steps 2-3 again with an error, or step 1 when the pending setup is gone. */
		const retry = async (status: number, error: string): Promise<FastifyReply> => {
			const pending = await deadbolt.getPendingTOTPEnrollment(auth.account, auth.session);
			if (pending === null && replacing) return seeOther(reply, `${PATHS.security}?done=replace-expired#two-factor`);
			if (pending === null) return sendPage(reply, 409, securityPage(state, setupPasswordStep(state, { notice: new EnrollmentInvalid().message, minLength })));
			return sendPage(reply, status, securityPage(state, setupScanStep(setup, pending, { error, minutesLeft: minutesLeft(pending.expiresAt) })));
		};

		if (code.trim() === "") return retry(400, "Enter the 6-digit code from your authenticator app.");
		try {
			const confirmed = await deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code }, requestContext(request));
			if (confirmed.replaced) {
				// The remembered devices were forgotten with the old authenticator, this browser's too.
				if (trustedDeviceOf(request) !== null) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
				return seeOther(reply, `${PATHS.security}?done=authenticator-replaced#two-factor`);
			}
			const done = setupDoneStep(state, {
				recoveryCodes: confirmed.recoveryCodes,
				otherSessionsRevoked: confirmed.otherSessionsRevoked,
				generatedOn: new Date(deadbolt.clock.now()).toISOString().slice(0, 10),
				proof: recoveryCodeProof(confirmed.recoveryCodes, deadbolt.normalizeRecoveryCode),
			});
			return sendPage(reply, 200, securityPage({ ...state, twoFactorEnabled: true, recoveryCodesLeft: confirmed.recoveryCodes.length }, done));
		} catch (error) {
			if (error instanceof InvalidCode) return retry(401, error.message);
			if (error instanceof EnrollmentInvalid) {
				if (replacing) return seeOther(reply, `${PATHS.security}?done=replace-expired#two-factor`);
				return sendPage(reply, 409, securityPage(state, setupPasswordStep(state, { notice: error.message, minLength })));
			}
			if (error instanceof TOTPAlreadyEnabled) return seeOther(reply, PATHS.security);
			if (error instanceof TooManyAttempts) return retry(429, tooMany(reply, error));
			throw error;
		}
	});
	// Step 4's "type one of your recovery codes to finish". A usability check, not a security
	// boundary (the form carries its own proof; see recovery-code-check.ts): nothing is stored,
	// no code is used up, and the codes are never sent again.
	app.get("/settings/security/two-factor/saved", async (_request, reply) => reply.redirect(PATHS.security, 302));
	app.post("/settings/security/two-factor/saved", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const proof = parseRecoveryCodeProof(formField(request, "nonce"), formField(request, "hashes"));
		if (proof === null) return seeOther(reply, PATHS.security);
		const state = await securityState(request, reply, auth);
		if (!state.twoFactorEnabled) return seeOther(reply, PATHS.security);
		const code = formField(request, "code");
		if (matchesRecoveryCodeProof(code, proof, deadbolt.normalizeRecoveryCode)) return seeOther(reply, `${PATHS.security}?done=two-factor-on#two-factor`);
		const error = code.trim() === "" ? "Type one of your recovery codes." : "That doesn't match any of your recovery codes. Check the copy you saved.";
		return sendPage(reply, 400, securityPage(state, setupSavedCheckStep(state, { proof, error })));
	});

	// ---- Settings > Security: sessions, password, recovery codes, turning 2FA off --------------

	/** Ends this browser's session cookies after "sign out everywhere" (the session itself is already revoked). */
	const endedEverywhere = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
		void reply.clearCookie(cookies.sessionName, cookies.options());
		void reply.clearCookie(cookies.challengeName, cookies.options());
		rotateCSRFToken(request, reply, cookies);
		return seeOther(reply, `${PATHS.signIn}?notice=signed-out-everywhere`);
	};

	/**
	 * Performs a sensitive action.
	 * @throws ReauthenticationRequired without a recent confirmation
	 */
	const performSudoAction = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, action: SudoAction): Promise<FastifyReply> => {
		const context = requestContext(request);
		switch (action) {
			case "revoke-others": {
				const count = await deadbolt.revokeOtherSessions(auth, context);
				return seeOther(reply, `${PATHS.security}?done=others-signed-out&n=${count}#sessions`);
			}
			case "sign-out-everywhere":
				await deadbolt.signOutEverywhere(auth, context);
				return endedEverywhere(request, reply);
			case "regenerate-recovery-codes": {
				let recoveryCodes: string[];
				try {
					recoveryCodes = await deadbolt.regenerateRecoveryCodes(auth, context);
				} catch (error) {
					if (error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.security);
					throw error;
				}
				// A page shown once, as the answer to a POST: a new form token makes a reload (which
				// re-sends the old one) a refused form instead of yet another set of codes.
				rotateCSRFToken(request, reply, cookies);
				const state = await securityState(request, reply, auth);
				const dialog = newRecoveryCodesDialog(state, { recoveryCodes, generatedOn: new Date(deadbolt.clock.now()).toISOString().slice(0, 10) });
				return sendPage(reply, 200, securityPage(state, dialog));
			}
			case "forget-all-devices": {
				const count = await deadbolt.revokeAllTrustedDevices(auth, context);
				return seeOther(reply, `${PATHS.security}?done=devices-forgotten&n=${count}#devices`);
			}
			case "replace-authenticator": {
				// Moving to a new phone: both factors proved recently (the service checks), then steps 2-3.
				const state = await securityState(request, reply, auth);
				if (!state.twoFactorEnabled) return seeOther(reply, PATHS.twoFactorSetup);
				const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, {}, context);
				return sendPage(reply, 200, securityPage(state, setupScanStep({ ...state, replacing: true }, pending, { minutesLeft: minutesLeft(pending.expiresAt) })));
			}
		}
	};

	/** The Security page with "Confirm it's you" over it. */
	const confirmPrompt = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, status: number, action: SudoAction, errors: Pick<ReauthState, "passwordError" | "codeError" | "error"> = {}): Promise<FastifyReply> => {
		const state = await securityState(request, reply, auth);
		return sendPage(reply, status, securityPage(state, reauthDialog(state, { action, twoFactorEnabled: state.twoFactorEnabled, minutes: sudoMinutes, ...errors })));
	};

	/** A sensitive action's own POST: performed at once in sudo mode, otherwise "Confirm it's you" first. */
	const sudoRoute = (action: SudoAction) => async (request: FastifyRequest, reply: FastifyReply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		try {
			return await performSudoAction(request, reply, auth, action);
		} catch (error) {
			if (error instanceof ReauthenticationRequired) return confirmPrompt(request, reply, auth, 200, action);
			throw error;
		}
	};

	app.post("/settings/security/sessions/revoke-others", sudoRoute("revoke-others"));
	app.post("/settings/security/sessions/sign-out-everywhere", sudoRoute("sign-out-everywhere"));
	app.post("/settings/security/recovery-codes", sudoRoute("regenerate-recovery-codes"));
	app.post("/settings/security/devices/forget-all", sudoRoute("forget-all-devices"));
	app.post("/settings/security/two-factor/replace", sudoRoute("replace-authenticator"));
	app.get("/settings/security/two-factor/replace", async (_request, reply) => reply.redirect(PATHS.security, 302));

	// Forget one remembered device (its cookie, if it is this browser's, stops working at the next sign-in, which clears it).
	app.post("/settings/security/devices/forget", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const id = formField(request, "device");
		if (id === "") return seeOther(reply, `${PATHS.security}#devices`);
		try {
			await deadbolt.revokeTrustedDevice(auth, id, requestContext(request));
		} catch (error) {
			if (error instanceof NotFound) return seeOther(reply, `${PATHS.security}?done=device-gone#devices`);
			throw error;
		}
		return seeOther(reply, `${PATHS.security}?done=device-forgotten#devices`);
	});

	/** The fields of a password form (the Password card, "I think my account is compromised"). */
	interface PasswordFormInput {
		readonly currentPassword: string;
		readonly newPassword: string;
	}

	/**
	 * A form that changes the password: current and new password, and, with 2FA on and no recent
	 * confirmation, a code in the same form ("Confirm it's you" inline). Re-authenticates first when
	 * `confirmFirst` says so, then runs `act`; a refusal re-renders the card (`form`) with the error.
	 */
	const passwordFormRoute = async (
		request: FastifyRequest,
		reply: FastifyReply,
		auth: AuthenticatedSession,
		options: {
			readonly form: "passwordForm" | "compromisedForm";
			readonly confirmFirst: (twoFactorEnabled: boolean, code: string) => boolean;
			readonly act: (actor: AuthenticatedSession, input: PasswordFormInput) => Promise<FastifyReply>;
		},
	): Promise<FastifyReply> => {
		const currentPassword = formField(request, "currentPassword");
		const newPassword = formField(request, "newPassword");
		const code = formField(request, "code").trim();
		const state = await securityState(request, reply, auth);
		let actor = auth;
		const page = async (status: number, form: PasswordFormState) => {
			const fresh = actor === auth ? state : await securityState(request, reply, actor);
			const needsCode = state.twoFactorEnabled && !recentlyConfirmed(actor);
			return sendPage(reply, status, securityPage({ ...fresh, [options.form]: { needsCode, ...form } }));
		};
		const needsCode = state.twoFactorEnabled && !recentlyConfirmed(auth);
		if (currentPassword === "" || newPassword === "" || (needsCode && code === "")) {
			return page(400, {
				currentError: currentPassword === "" ? "Enter your current password." : null,
				newErrors: newPassword === "" ? ["Choose a new password."] : [],
				codeError: needsCode && code === "" ? "Enter the code from your authenticator app, or a recovery code." : null,
			});
		}
		try {
			if (options.confirmFirst(state.twoFactorEnabled, code)) {
				const result = await deadbolt.reauthenticate(auth, state.twoFactorEnabled ? { password: currentPassword, code } : { password: currentPassword }, requestContext(request));
				actor = { ...auth, session: { ...auth.session, reauthenticatedAt: result.reauthenticatedAt } };
			}
			return await options.act(actor, { currentPassword, newPassword });
		} catch (error) {
			if (error instanceof InvalidCredentials) return page(401, { currentError: error.message });
			if (error instanceof InvalidCode) return page(401, { codeError: error.message });
			if (error instanceof InvalidRequest) {
				const newErrors = error.violations.filter((v) => v.field === "newPassword").map((v) => v.message);
				const codeErrors = error.violations.filter((v) => v.field === "code").map((v) => v.message);
				const other = newErrors.length === 0 && codeErrors.length === 0 ? error.message : null;
				return page(400, { newErrors, codeError: codeErrors.length > 0 ? codeErrors.join(" ") : null, error: other });
			}
			if (error instanceof ReauthenticationRequired) return page(403, { error: "Confirm it's you: enter a code from your authenticator app (or a recovery code) with your passwords." });
			if (error instanceof TooManyAttempts) return page(429, { error: tooMany(reply, error) });
			throw error;
		}
	};

	// "I think my account is compromised": confirm it's you (in the same form), then secure the account and show the summary.
	app.post("/settings/security/compromised", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		return passwordFormRoute(request, reply, auth, {
			form: "compromisedForm",
			// Securing the account always needs a recent confirmation (both factors with 2FA on).
			confirmFirst: (twoFactorEnabled, code) => !recentlyConfirmed(auth) && (!twoFactorEnabled || code !== ""),
			act: async (actor, input) => {
				const summary = await deadbolt.secureCompromisedAccount(actor, input, requestContext(request));
				// Every remembered device is forgotten, this browser's too.
				if (trustedDeviceOf(request) !== null) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
				// Shown once: a reload must not secure the account (and replace the codes) again.
				rotateCSRFToken(request, reply, cookies);
				const after = await securityState(request, reply, actor);
				const dialog = accountSecuredDialog(after, {
					otherSessionsRevoked: summary.otherSessionsRevoked,
					trustedDevicesRevoked: summary.trustedDevicesRevoked,
					recoveryCodes: summary.recoveryCodes,
					generatedOn: new Date(deadbolt.clock.now()).toISOString().slice(0, 10),
				});
				return sendPage(reply, 200, securityPage({ ...after, trustedDevices: [], currentDeviceId: null }, dialog));
			},
		});
	});

	// "Confirm it's you": re-authenticate, then perform the action named by the form (allow-list only).
	app.post("/settings/security/confirm", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const action = formField(request, "action");
		if (!isSudoAction(action)) return seeOther(reply, PATHS.security);
		const password = formField(request, "password");
		const code = formField(request, "code");
		const twoFactorEnabled = await deadbolt.isTwoFactorEnabled(auth.account.id);
		const prompt = (status: number, errors: Pick<ReauthState, "passwordError" | "codeError" | "error">) => confirmPrompt(request, reply, auth, status, action, errors);
		const missingCode = twoFactorEnabled && code.trim() === "";
		if (password === "" || missingCode) {
			return prompt(400, { passwordError: password === "" ? "Enter your password." : null, codeError: missingCode ? "Enter the code from your authenticator app, or a recovery code." : null });
		}
		let confirmed: AuthenticatedSession;
		try {
			const result = await deadbolt.reauthenticate(auth, twoFactorEnabled ? { password, code } : { password }, requestContext(request));
			confirmed = { ...auth, session: { ...auth.session, reauthenticatedAt: result.reauthenticatedAt } };
		} catch (error) {
			if (error instanceof InvalidCredentials) return prompt(401, { passwordError: error.message });
			if (error instanceof InvalidCode) return prompt(401, { codeError: error.message });
			if (error instanceof InvalidRequest) return prompt(400, error.violations.some((v) => v.field === "password") ? { passwordError: error.message } : { codeError: error.message });
			if (error instanceof TooManyAttempts) return prompt(429, { error: tooMany(reply, error) });
			throw error;
		}
		return performSudoAction(request, reply, confirmed, action);
	});

	// Sign out one session (any of the account's; this one is signing out).
	app.post("/settings/security/sessions/revoke", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const id = formField(request, "session");
		if (id === "") return seeOther(reply, `${PATHS.security}#sessions`);
		try {
			await deadbolt.revokeSession(auth, id, requestContext(request));
		} catch (error) {
			if (error instanceof NotFound) return seeOther(reply, `${PATHS.security}?done=session-gone#sessions`);
			throw error;
		}
		if (id === auth.session.id) {
			void reply.clearCookie(cookies.sessionName, cookies.options());
			rotateCSRFToken(request, reply, cookies);
			return seeOther(reply, `${PATHS.signIn}?notice=signed-out`);
		}
		return seeOther(reply, `${PATHS.security}?done=session-revoked#sessions`);
	});

	// Change the password; with 2FA on and no recent confirmation, the same form carries the code.
	app.post("/settings/security/password", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		if (auth.account.passwordHash === null) {
			// The first password of an account created without one (no current password to confirm).
			const newPassword = formField(request, "newPassword");
			const page = async (status: number, form: PasswordFormState) => sendPage(reply, status, securityPage({ ...(await securityState(request, reply, auth)), passwordForm: form }));
			if (newPassword === "") return page(400, { newErrors: ["Choose a password."] });
			try {
				const changed = await deadbolt.changePassword(auth, { newPassword }, requestContext(request));
				return seeOther(reply, `${PATHS.security}?done=password-set&n=${changed.otherSessionsRevoked}#password`);
			} catch (error) {
				if (error instanceof InvalidRequest) return page(400, { newErrors: error.violations.length > 0 ? error.violations.map((v) => v.message) : [error.message] });
				if (error instanceof ReauthenticationRequired) return page(403, { error: error.message });
				throw error;
			}
		}
		return passwordFormRoute(request, reply, auth, {
			form: "passwordForm",
			// A password change needs a recent confirmation only with 2FA on; the code comes in the form.
			confirmFirst: (twoFactorEnabled, code) => twoFactorEnabled && code !== "",
			act: async (actor, input) => {
				const changed = await deadbolt.changePassword(actor, input, requestContext(request));
				return seeOther(reply, `${PATHS.security}?done=password-changed&n=${changed.otherSessionsRevoked}#password`);
			},
		});
	});

	// Turn two-factor authentication off: a dialog asking for the password and a code.
	app.get("/settings/security/two-factor/disable", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return reply.redirect(PATHS.signIn, 302);
		const state = await securityState(request, reply, auth);
		if (!state.twoFactorEnabled) return reply.redirect(PATHS.security, 302);
		return sendPage(reply, 200, securityPage(state, disableTwoFactorDialog(state, {})));
	});

	app.post("/settings/security/two-factor/disable", async (request, reply) => {
		const auth = authOf(request);
		if (auth === null) return seeOther(reply, PATHS.signIn);
		const password = formField(request, "password");
		const code = formField(request, "code");
		const page = async (status: number, errors: { passwordError?: string | null; codeError?: string | null; error?: string | null }) => {
			const state = await securityState(request, reply, auth);
			if (!state.twoFactorEnabled) return seeOther(reply, PATHS.security);
			return sendPage(reply, status, securityPage(state, disableTwoFactorDialog(state, errors)));
		};
		if (password === "" || code.trim() === "") {
			return page(400, { passwordError: password === "" ? "Enter your password." : null, codeError: code.trim() === "" ? "Enter the code from your authenticator app, or a recovery code." : null });
		}
		try {
			const result = await deadbolt.disableTOTP(auth, { password, code }, requestContext(request));
			return seeOther(reply, `${PATHS.security}?done=two-factor-off&n=${result.otherSessionsRevoked}#two-factor`);
		} catch (error) {
			if (error instanceof InvalidCredentials) return page(401, { passwordError: error.message });
			if (error instanceof InvalidCode) return page(401, { codeError: error.message });
			if (error instanceof TooManyAttempts) return page(429, { error: tooMany(reply, error) });
			if (error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.security);
			throw error;
		}
	});
};
