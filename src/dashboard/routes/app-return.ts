/**
 * The way back to an app behind the forward-auth proxy (issue 12):
 *
 * - `GET /dashboard/step-up?rd=URL`: the app asks for a (recent) second factor. Signed out: the
 *   sign-in page, which then returns to the app (whose next check decides again). With 2FA on: password and a fresh code (`deadbolt.reauthenticate`, which records when the
 *   second factor was proven), then back to `rd`. With 2FA off: a page that leads to the setup.
 *   At AAL2 with an authenticator not confirmed by mail: "Email me the link"
 *   (`POST /dashboard/step-up/email-link`, `deadbolt.requestTwoFactorMailConfirmation`).
 * - `GET/POST /dashboard/confirm-two-factor?token=`: the mailed link. Its GET shows a button (or
 *   why this browser cannot use it: signed out, another account, no code proved); its POST
 *   confirms, then returns to the app (the return cookie) or the account page.
 * - `GET /dashboard/sign-out?rd=URL`: the sign-out link apps show. It asks first (a link alone
 *   never signs anyone out), then `POST /dashboard/sign-out` signs out and returns to `rd`.
 *
 * `rd` is kept in the short-lived return cookie only when `deadbolt.returnTarget` accepts it (the
 * host of a rule that is not `deny`, the public URL's scheme, no user info); anything else is
 * dropped and the user lands on the dashboard (no open redirect).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EmailLinkInvalid, EmailNotVerified, InvalidRequest, MailLimitReached, SecondFactorRequired, TOTPNotEnabled } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { appHostOf, confirmTwoFactorLinkPage, mailConfirmationPage, signOutConfirmPage, stepUpPage, twoFactorNeededPage, type MailConfirmationLinkProblem } from "../pages/app-return.js";
import { homeWithNotice } from "./home.js";
import { reauthenticated } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, emptyCredentials, formField, queryParam, seeOther, sendPage, signedInForm, type CredentialErrors } from "./forms.js";

/** Registers the step-up page and the sign-out confirmation. */
export function registerAppReturnRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt } = d;
	const interactionPrefix = `${deadbolt.publicOrigin}/oidc/interaction/`;
	/** Whether the way back is an OpenID Connect sign-in on deadbolt's own origin (only those ask for a password alone). */
	const passwordOnlyTarget = (target: string | null): boolean => target !== null && target.startsWith(interactionPrefix);
	/** Who asks, in the page's words: the app's host, or for an OpenID Connect sign-in the app's name (not deadbolt's own host). */
	const askerOf = async (target: string | null): Promise<string | null> => {
		if (target === null || !target.startsWith(interactionPrefix) || !deadbolt.oidc.enabled) return appHostOf(target);
		return (await deadbolt.oidc.appNameOfInteraction(target.slice(interactionPrefix.length))) ?? "The app";
	};

	app.get("/step-up", async (request, reply) => {
		// `?sent=1`: where "Email me the link" lands (after its POST): the return cookie stays as it is.
		const sent = queryParam(request, "sent") === "1";
		const rd = queryParam(request, "rd");
		if (!sent) d.keepReturnTarget(reply, rd);
		const target = sent ? d.returnTargetOf(request) : rd === null ? null : deadbolt.returnTarget(rd);
		if (request.auth === null) return reply.redirect(PATHS.signIn, 302);
		const context = d.authPageContext(request, reply);
		if (!(await deadbolt.isTwoFactorEnabled(request.auth.account.id))) {
			// An OpenID Connect app's max_age for an account without 2FA: the password again (its interaction decides what is enough).
			if (queryParam(request, "password") === "only" && passwordOnlyTarget(target)) return sendPage(reply, 200, stepUpPage(context, { appHost: await askerOf(target), passwordOnly: true }));
			return sendPage(reply, 200, twoFactorNeededPage(context, await askerOf(target)));
		}
		const { account, session } = request.auth;
		if (session.aal >= 2 && account.secondFactorMailConfirmedAt === null && account.emailVerifiedAt !== null) {
			return sendPage(reply, 200, mailConfirmationPage(context, { appHost: await askerOf(target), email: account.email, sent }));
		}
		return sendPage(reply, 200, stepUpPage(context, { appHost: await askerOf(target) }));
	});

	app.post(
		"/step-up/email-link",
		signedInForm(async (request, reply, auth) => {
			const appHost = await askerOf(d.returnTargetOf(request));
			// The way back waits for the mail: the return cookie starts its life again.
			d.keepReturnTarget(reply, d.returnTargetOf(request));
			const page = (status: number, sent: boolean, error: string | null = null) => sendPage(reply, status, mailConfirmationPage(d.authPageContext(request, reply), { appHost, email: auth.account.email, sent, error }));
			try {
				const outcome = await deadbolt.requestTwoFactorMailConfirmation(auth, requestContext(request));
				// Post/redirect/get: reloading "Check your email" sends no second mail (which would end the first link).
				return outcome === "sent" ? seeOther(reply, `${PATHS.stepUp}?sent=1`) : d.afterSignIn(request, reply, homeWithNotice("two-factor-confirmed"));
			} catch (error) {
				if (error instanceof MailLimitReached) {
					void reply.header("retry-after", String(error.retryAfterSeconds));
					return page(429, false, error.message);
				}
				// A password-only session, 2FA off, an unverified address: the step-up page says what comes first.
				if (error instanceof SecondFactorRequired || error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.stepUp);
				if (error instanceof EmailNotVerified) return seeOther(reply, PATHS.home);
				throw error;
			}
		}),
	);

	const linkPage = async (request: FastifyRequest, reply: FastifyReply, token: string | null, status: number, error: string | null = null): Promise<FastifyReply> => {
		const described = token === null ? null : await deadbolt.describeTwoFactorMailConfirmation(token);
		const context = d.authPageContext(request, reply);
		if (described === null) return sendPage(reply, 401, confirmTwoFactorLinkPage(context, { token: null, email: null, problem: "unusable", error }));
		const auth = request.auth;
		const problem: MailConfirmationLinkProblem | null = auth === null ? "signed_out" : auth.account.id !== described.accountId ? "other_account" : auth.session.aal < 2 ? "no_second_factor" : null;
		return sendPage(reply, problem === null ? status : 403, confirmTwoFactorLinkPage(context, { token, email: described.email, problem, error }));
	};

	app.get("/confirm-two-factor", async (request, reply) => linkPage(request, reply, queryParam(request, "token"), 200));

	app.post("/confirm-two-factor", async (request, reply) => {
		const token = formField(request, "token");
		if (request.auth === null) return linkPage(request, reply, token, 403);
		try {
			await deadbolt.confirmTwoFactorByMail(request.auth, { token }, requestContext(request));
		} catch (error) {
			if (error instanceof EmailLinkInvalid) return linkPage(request, reply, token, 401, error.message);
			if (error instanceof SecondFactorRequired) return linkPage(request, reply, token, 403);
			if (error instanceof TOTPNotEnabled || error instanceof EmailNotVerified) return linkPage(request, reply, token, 409, error.message);
			throw error;
		}
		return d.afterSignIn(request, reply, homeWithNotice("two-factor-confirmed"));
	});

	app.post(
		"/step-up",
		signedInForm(async (request, reply, auth) => {
			const target = d.returnTargetOf(request);
			const appHost = await askerOf(target);
			const twoFactorEnabled = await deadbolt.isTwoFactorEnabled(auth.account.id);
			const passwordOnly = !twoFactorEnabled && formField(request, "password_only") === "1" && passwordOnlyTarget(target);
			const page = (status: number, errors: CredentialErrors) => sendPage(reply, status, stepUpPage(d.authPageContext(request, reply), { appHost, passwordOnly, ...errors }));
			if (!twoFactorEnabled && !passwordOnly) return reply.redirect(PATHS.stepUp, 303);
			const password = formField(request, "password");
			const code = formField(request, "code");
			const empty = emptyCredentials(password, code, twoFactorEnabled);
			if (empty !== null) return page(400, empty);
			try {
				await reauthenticated(d, request, reply, auth, { password, code, twoFactorEnabled });
			} catch (error) {
				const refusal = credentialRefusal(reply, error);
				if (refusal !== null) return page(refusal.status, refusal.errors);
				if (error instanceof InvalidRequest) return page(400, { codeError: error.message });
				throw error;
			}
			return d.afterSignIn(request, reply, PATHS.home);
		}),
	);

	app.get("/sign-out", async (request, reply) => {
		const rd = queryParam(request, "rd");
		d.keepReturnTarget(reply, rd);
		const target = rd === null ? null : deadbolt.returnTarget(rd);
		return sendPage(reply, 200, signOutConfirmPage(d.authPageContext(request, reply), { appHost: await askerOf(target), signedIn: request.auth !== null }));
	});
}
