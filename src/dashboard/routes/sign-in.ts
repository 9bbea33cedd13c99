/**
 * Signing in and out of the dashboard: `GET/POST /dashboard/sign-in` (the password step),
 * `GET/POST /dashboard/sign-in/code` and `GET/POST /dashboard/sign-in/recovery-code` (the code
 * step, which needs the login-challenge cookie), and `POST /dashboard/sign-out`. "Remember this
 * device" on the code step sets the HttpOnly trusted-device cookie; the password step sends its
 * token, and a remembered device skips the code step (the token is rotated each time; one that
 * no longer works is cleared). A code from a neighbouring time step lands on
 * `/dashboard?clock=ahead|behind`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountDisabled, ChallengeInvalid, InvalidCode, InvalidCredentials, TooManyAttempts, type ChallengeEnd } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { rotateCSRFToken } from "../csrf.js";
import { PATHS } from "../layout.js";
import { checkEmailPage, isSignInFlash, signInCodePage, signInPage, signInRecoveryCodePage, type SignInFlash } from "../pages/auth.js";
import { html } from "../html.js";
import type { DashboardContext } from "./context.js";
import { EMPTY_FIELD, formField, queryParam, seeOther, sendPage, tooManyMessage } from "./forms.js";
import { homeAfterSignIn } from "./home.js";
import { clearSessionCookies, setSessionCookies } from "../../http/session-cookies.js";

/** A code step's form again, with its error and status. */
type CodeStepPage = (request: FastifyRequest, reply: FastifyReply, status: number, error: string) => FastifyReply;

/** Turns the challenge and a code into a session, and answers. */
type CodeStepCompletion = (request: FastifyRequest, reply: FastifyReply, challengeToken: string, code: string) => Promise<FastifyReply>;

/** Keeps a new login challenge in its cookie and sends the browser to the code step. */
export function toCodeStep(reply: FastifyReply, d: DashboardContext, challengeToken: string): FastifyReply {
	void reply.setCookie(d.cookies.challengeName, challengeToken, d.cookies.options(d.config.loginChallenge.ttlSeconds));
	return seeOther(reply, PATHS.signInCode);
}

/** Registers the sign-in steps and sign-out. */
export function registerSignInRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { cookies, deadbolt } = d;

	// ---- Password step -----------------------------------------------------------------

	app.get("/sign-in", async (request, reply) => {
		// From an app behind the forward-auth proxy: back there after the sign-in (allowed targets only).
		const rd = queryParam(request, "rd");
		if (rd !== null) d.keepReturnTarget(reply, rd);
		if (request.auth !== null) {
			const target = rd === null ? null : deadbolt.returnTarget(rd);
			if (target === null || request.sessionToken === null) return reply.redirect(PATHS.home, 302);
			// Signed in already (the app's cookie was missing or stale): a fresh forward-auth cookie, and back.
			setSessionCookies(reply, deadbolt, cookies, request.sessionToken);
			void reply.clearCookie(cookies.returnName, cookies.options());
			return reply.redirect(target, 302);
		}
		const flashParam = queryParam(request, "notice");
		const flash: SignInFlash = isSignInFlash(flashParam) ? flashParam : null;
		return sendPage(reply, 200, signInPage(d.authPageContext(request, reply), { flash }));
	});

	app.post("/sign-in", async (request, reply) => {
		const email = formField(request, "email").trim();
		const password = formField(request, "password");
		const page = (status: number, error: string) => sendPage(reply, status, signInPage(d.authPageContext(request, reply), { email, error }));
		if (email === "" || password === "") return page(400, "Enter your email and password.");
		const trustedDeviceToken = d.trustedDeviceOf(request);
		try {
			const result = await deadbolt.beginLogin(trustedDeviceToken === null ? { email, password } : { email, password, trustedDeviceToken }, requestContext(request));
			if (result.kind === "session") {
				await d.startSession(request, reply, result.session);
				// A remembered device skipped the code step: its token was rotated (a copy works once).
				if (result.trustedDevice !== null) d.rememberDevice(reply, result.trustedDevice.token);
				return d.afterSignIn(request, reply, PATHS.home);
			}
			if (result.kind === "two_factor_setup_required") {
				const lead = "Your administrator requires two-factor authentication for your account, and the time to set it up has passed.";
				return sendPage(reply, 200, checkEmailPage(d.authPageContext(request, reply), lead, `We emailed you a link to set it up. Open it to sign in (it works for ${Math.round(d.config.signInLink.ttlSeconds / 60)} minutes).`, "required-setup-mailed", html`<a href="${PATHS.signIn}">Back to sign in</a>`));
			}
			// The device's token no longer skips the code step (forgotten, expired): drop it. One of
			// another account is kept, for that account's next sign-in on this browser.
			if (trustedDeviceToken !== null && !result.keepTrustedDevice) void reply.clearCookie(cookies.trustedDeviceName, cookies.options());
			return toCodeStep(reply, d, result.challenge.challengeToken);
		} catch (error) {
			if (error instanceof InvalidCredentials) return page(401, error.message);
			if (error instanceof AccountDisabled) return page(403, error.message);
			if (error instanceof TooManyAttempts) return page(429, tooManyMessage(reply, error));
			throw error;
		}
	});

	// ---- Code step (authenticator code or recovery code) --------------------------------------

	const challengeOf = (request: FastifyRequest): string | null => {
		const token = request.cookies[cookies.challengeName];
		return typeof token === "string" && token !== "" ? token : null;
	};

	const rememberDays = Math.max(1, Math.round(d.config.trustedDevice.ttlSeconds / 86_400));

	/**
	 * The challenge is gone: the password step again, in this answer, saying why the sign-in attempt
	 * ended (never from the URL, so a link cannot show a false security message).
	 */
	const restartSignIn = (request: FastifyRequest, reply: FastifyReply, ended: ChallengeEnd): FastifyReply => {
		void reply.clearCookie(cookies.challengeName, cookies.options());
		return sendPage(reply, 401, signInPage(d.authPageContext(request, reply), { flash: ended }));
	};

	/** A code step's page: only with a login challenge, and only when signed out. */
	const codeStepPage = (render: (request: FastifyRequest, reply: FastifyReply) => FastifyReply) => async (request: FastifyRequest, reply: FastifyReply) => {
		if (request.auth !== null) return reply.redirect(PATHS.home, 302);
		if (challengeOf(request) === null) return reply.redirect(PATHS.signIn, 302);
		return render(request, reply);
	};

	/**
	 * A code step's form: the challenge and the code (a blank one is refused with `emptyMessage`),
	 * then `complete`, which answers; a refused code shows the service's message as it is (with the
	 * clock hint when there is one), and a challenge that is gone restarts the sign-in.
	 */
	const codeStepForm =
		(emptyMessage: string, page: CodeStepPage, complete: CodeStepCompletion) =>
		async (request: FastifyRequest, reply: FastifyReply) => {
			const challengeToken = challengeOf(request);
			if (challengeToken === null) return restartSignIn(request, reply, "expired");
			const code = formField(request, "code");
			if (code.trim() === "") return page(request, reply, 400, emptyMessage);
			try {
				return await complete(request, reply, challengeToken, code);
			} catch (error) {
				if (error instanceof InvalidCode) return page(request, reply, 401, error.message);
				if (error instanceof AccountDisabled) return page(request, reply, 403, error.message);
				if (error instanceof ChallengeInvalid) return restartSignIn(request, reply, error.ended);
				if (error instanceof TooManyAttempts) return page(request, reply, 429, tooManyMessage(reply, error));
				throw error;
			}
		};

	const rememberField = (request: FastifyRequest): boolean => formField(request, "rememberDevice") === "on";

	app.get("/sign-in/code", codeStepPage((request, reply) => sendPage(reply, 200, signInCodePage(d.authPageContext(request, reply), { rememberDays }))));

	app.post(
		"/sign-in/code",
		codeStepForm(
			EMPTY_FIELD.authenticatorCode,
			(request, reply, status, error) => sendPage(reply, status, signInCodePage(d.authPageContext(request, reply), { error, rememberDevice: rememberField(request), rememberDays })),
			async (request, reply, challengeToken, code) => {
				const session = await deadbolt.completeLoginWithTOTP({ challengeToken, code, rememberDevice: rememberField(request) }, requestContext(request));
				await d.startSession(request, reply, session);
				if (session.trustedDevice !== null) d.rememberDevice(reply, session.trustedDevice.token);
				return d.afterSignIn(request, reply, homeAfterSignIn({ clock: session.clockSkew === null ? null : session.clockSkew.seconds < 0 ? "behind" : "ahead" }));
			},
		),
	);

	app.get("/sign-in/recovery-code", codeStepPage((request, reply) => sendPage(reply, 200, signInRecoveryCodePage(d.authPageContext(request, reply), {}))));

	app.post(
		"/sign-in/recovery-code",
		codeStepForm(
			"Enter one of your recovery codes.",
			(request, reply, status, error) => sendPage(reply, status, signInRecoveryCodePage(d.authPageContext(request, reply), { error })),
			async (request, reply, challengeToken, code) => {
				const { session } = await deadbolt.completeLoginWithRecoveryCode({ challengeToken, code }, requestContext(request));
				await d.startSession(request, reply, session);
				// The account page first, whatever app the user came from: it says how many codes are left.
				return seeOther(reply, homeAfterSignIn({ recoveryCode: true }));
			},
		),
	);

	// ---- Sign out -----------------------------------------------------------------------

	app.post("/sign-out", async (request, reply) => {
		if (request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
		const challengeToken = challengeOf(request);
		if (challengeToken !== null) await deadbolt.abandonLoginChallenge(challengeToken);
		clearSessionCookies(reply, cookies);
		void reply.clearCookie(cookies.challengeName, cookies.options());
		rotateCSRFToken(request, reply, cookies);
		// From an app's sign-out link (`GET /dashboard/sign-out?rd=`): back to the app, which asks for a new sign-in.
		return d.afterSignIn(request, reply, `${PATHS.signIn}?notice=signed-out`);
	});
}
