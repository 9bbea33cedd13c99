/**
 * The address of an account in the dashboard (issue 11 item 4):
 * - `GET/POST /dashboard/verify-email?token=...`: verify the address (signed in or not);
 * - `POST /dashboard/verify-email/resend`: the banner's "Resend email" (signed in);
 * - `GET/POST /dashboard/approve-email-change?token=...`: approve, from the current address, a change
 *   asked by an account whose second factor is not confirmed by mail (signed in or not); the new
 *   address then gets its link;
 * - `GET/POST /dashboard/confirm-email?token=...`: confirm a new address (signed in or not);
 * - `GET/POST /dashboard/sign-up/finish?token=...`: finish a sign-up of mode `verified` with the
 *   password chosen at sign-up (signs in; a wrong one is said next to the field);
 * - `GET/POST /dashboard/settings/email`: ask to change the address (needs "Confirm it's you": the
 *   password, and a code with 2FA on, unless confirmed in the last minutes).
 * Each link's GET shows a button and uses nothing; its POST uses the link. After it, a signed-in
 * browser lands on its account page, any other on the sign-in page, with a fixed notice.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EmailLinkInvalid, EmailTaken, InvalidCredentials, InvalidRequest, MailLimitReached, ReauthenticationRequired } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { PATHS } from "../layout.js";
import { approveEmailChangePage, changeEmailPage, confirmEmailChangePage, finishSignUpPage, verifyEmailPage, type ChangeEmailState, type LinkPageState } from "../pages/email-links.js";
import type { AuthPageContext } from "../pages/auth.js";
import type { SafeHtml } from "../html.js";
import { reauthenticated } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, emptyCredentials, formField, queryParam, seeOther, sendPage, signedInForm, signedInPage, type CredentialErrors } from "./forms.js";
import { homeWithNotice, sendHomePage } from "./home.js";
import { requiredSetupStartPage } from "../pages/required-setup.js";

/** One mailed link's page: how it is described (GET), used (POST), drawn, and where its POST lands. */
interface LinkFlow {
	readonly path: string;
	describe(token: string): Promise<string | null>;
	use(request: FastifyRequest, reply: FastifyReply, token: string): Promise<FastifyReply>;
	page(context: AuthPageContext, state: LinkPageState): SafeHtml;
}

/** Registers a link's GET (describe, button) and POST (use; a refusal shows the page's "can't be used"). */
function registerLinkFlow(app: FastifyInstance, d: DashboardContext, flow: LinkFlow): void {
	const prefix = "/dashboard";
	const route = flow.path.slice(prefix.length);
	app.get(route, async (request, reply) => {
		const token = queryParam(request, "token");
		const email = token === null ? null : await flow.describe(token);
		return sendPage(reply, email === null ? 401 : 200, flow.page(d.authPageContext(request, reply), { token: email === null ? null : token, email }));
	});
	app.post(route, async (request, reply) => {
		const token = formField(request, "token");
		try {
			return await flow.use(request, reply, token);
		} catch (error) {
			if (error instanceof EmailLinkInvalid || error instanceof EmailTaken) return sendPage(reply, error instanceof EmailTaken ? 409 : 401, flow.page(d.authPageContext(request, reply), { token: null, email: null, error: error.message }));
			throw error;
		}
	});
}

/** Where a used link lands: the account page when signed in, else sign-in; with a fixed notice word. */
function afterLink(request: FastifyRequest, reply: FastifyReply, notice: "email-verified" | "email-changed"): FastifyReply {
	return seeOther(reply, request.auth !== null ? homeWithNotice(notice) : `${PATHS.signIn}?notice=${notice}`);
}

/** Registers the address routes. */
export function registerEmailLinkRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt } = d;

	registerLinkFlow(app, d, {
		path: PATHS.verifyEmail,
		describe: async (token) => (await deadbolt.describeEmailVerification(token))?.email ?? null,
		use: async (request, reply, token) => {
			await deadbolt.verifyEmail({ token }, requestContext(request));
			return afterLink(request, reply, "email-verified");
		},
		page: verifyEmailPage,
	});

	registerLinkFlow(app, d, {
		path: PATHS.approveEmailChange,
		describe: async (token) => (await deadbolt.describeEmailChangeApproval(token))?.newEmail ?? null,
		use: async (request, reply, token) => {
			await deadbolt.approveEmailChange({ token }, requestContext(request));
			return seeOther(reply, request.auth !== null ? `${PATHS.changeEmail}?sent=1` : `${PATHS.signIn}?notice=email-change-approved`);
		},
		page: approveEmailChangePage,
	});

	registerLinkFlow(app, d, {
		path: PATHS.confirmEmailChange,
		describe: async (token) => (await deadbolt.describeEmailChange(token))?.newEmail ?? null,
		use: async (request, reply, token) => {
			await deadbolt.confirmEmailChange({ token }, requestContext(request));
			return afterLink(request, reply, "email-changed");
		},
		page: confirmEmailChangePage,
	});

	registerLinkFlow(app, d, {
		path: PATHS.finishSignUp,
		describe: async (token) => (await deadbolt.describeSignUp(token))?.email ?? null,
		use: async (request, reply, token) => {
			const password = formField(request, "password");
			// A missing or wrong password shows the page again with the link still usable.
			const again = async (status: number, passwordError: string) => {
				const email = (await deadbolt.describeSignUp(token))?.email ?? null;
				return sendPage(reply, email === null ? 401 : status, finishSignUpPage(d.authPageContext(request, reply), { token: email === null ? null : token, email, passwordError }));
			};
			if (password === "") return again(400, "Enter the password you chose when you signed up.");
			try {
				const { session, setup } = await deadbolt.finishSignUp({ token, password }, requestContext(request));
				// Two-factor authentication required at once: the setup's first step, with its token (no session before it).
				if (session === null) return sendPage(reply, 200, requiredSetupStartPage(d.authPageContext(request, reply), setup.setupToken));
				await d.startSession(request, reply, session);
			} catch (error) {
				if (error instanceof InvalidCredentials) return again(401, error.message);
				throw error;
			}
			return seeOther(reply, PATHS.home);
		},
		page: finishSignUpPage,
	});

	app.post(
		"/verify-email/resend",
		signedInForm(async (request, reply, auth) => {
			try {
				const outcome = await deadbolt.resendVerificationMail(auth, requestContext(request));
				return seeOther(reply, homeWithNotice(outcome === "sent" ? "verification-sent" : "email-verified"));
			} catch (error) {
				if (!(error instanceof MailLimitReached)) throw error;
				void reply.header("retry-after", String(error.retryAfterSeconds));
				return sendHomePage(d, request, reply, auth.account, 429, { verificationError: error.message });
			}
		}),
	);

	// ---- Change email --------------------------------------------------------------------------

	const changePage = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, status: number, extra: Partial<ChangeEmailState>): Promise<FastifyReply> => {
		const state: ChangeEmailState = {
			brand: d.brand,
			csrf: d.csrfOf(request, reply),
			email: auth.account.email,
			confirmed: d.recentlyConfirmed(auth),
			twoFactorEnabled: await deadbolt.isTwoFactorEnabled(auth.account.id),
			approvalNeeded: deadbolt.emailChangeNeedsApproval(auth.account),
			...extra,
		};
		return sendPage(reply, status, changeEmailPage(state));
	};

	app.get(
		"/settings/email",
		signedInPage(async (request, reply, auth) => {
			const sent = queryParam(request, "sent");
			return changePage(request, reply, auth, 200, { sent: sent === "1", approvalSent: sent === "approval" });
		}),
	);

	app.post(
		"/settings/email",
		signedInForm(async (request, reply, auth) => {
			const newEmail = formField(request, "newEmail").trim();
			const password = formField(request, "password");
			const code = formField(request, "code");
			const page = (status: number, errors: CredentialErrors & { newEmailError?: string | null }) => changePage(request, reply, auth, status, { newEmail, ...errors });
			if (newEmail === "") return page(400, { newEmailError: "Enter the new email address." });
			let actor = auth;
			if (!d.recentlyConfirmed(auth)) {
				const twoFactorEnabled = await deadbolt.isTwoFactorEnabled(auth.account.id);
				const empty = emptyCredentials(password, code, twoFactorEnabled);
				if (empty !== null) return page(400, empty);
				try {
					actor = await reauthenticated(d, request, reply, auth, { password, code, twoFactorEnabled });
				} catch (error) {
					const refusal = credentialRefusal(reply, error);
					if (refusal !== null) return page(refusal.status, refusal.errors);
					if (error instanceof InvalidRequest) return page(400, error.violations.some((v) => v.field === "password") ? { passwordError: error.message } : { codeError: error.message });
					throw error;
				}
			}
			let outcome: Awaited<ReturnType<typeof deadbolt.requestEmailChange>>;
			try {
				outcome = await deadbolt.requestEmailChange(actor, { newEmail }, requestContext(request));
			} catch (error) {
				if (error instanceof InvalidRequest) return changePage(request, reply, actor, 400, { newEmail, newEmailError: error.message });
				if (error instanceof ReauthenticationRequired) return changePage(request, reply, actor, 403, { newEmail, error: error.message });
				if (error instanceof MailLimitReached) {
					void reply.header("retry-after", String(error.retryAfterSeconds));
					return changePage(request, reply, actor, 429, { newEmail, error: error.message });
				}
				throw error;
			}
			return seeOther(reply, `${PATHS.changeEmail}?sent=${outcome === "approval_sent" ? "approval" : "1"}`);
		}),
	);
}
