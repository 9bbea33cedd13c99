/**
 * "Forgot password?" in the dashboard (issue 11 item 5):
 * - `GET/POST /dashboard/forgot-password`: the address; the POST always lands on the same "Check your
 *   email" page (303 to `?sent=1`), whether or not the address has an account (only too many requests
 *   from this network answer otherwise: 429, which says nothing about the address);
 * - `GET /dashboard/reset-password?token=...`: uses nothing; an account with 2FA gets the code step,
 *   any other (or one whose link proved the code) the new-password form;
 * - `POST /dashboard/reset-password/code`: the authenticator or recovery code (before anything changes);
 * - `POST /dashboard/reset-password`: the new password; then every session ends, and the browser is
 *   sent to sign in (no session is made by a reset: the code is asked again at sign-in).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountDisabled, EmailLinkInvalid, InvalidCode, InvalidRequest, MailLimitReached, TooManyAttempts } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { forgotPasswordPage, resetLinkUnusablePage, resetPasswordCodePage, resetPasswordPage } from "../pages/password-reset.js";
import type { DashboardContext } from "./context.js";
import { EMPTY_FIELD, formField, queryParam, seeOther, sendPage, tooManyMessage } from "./forms.js";
import { clearSessionCookies } from "../../http/session-cookies.js";

/** Registers the forgot-password routes. */
export function registerPasswordResetRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt, cookies } = d;
	const minLength = d.config.password.minLength;

	app.get("/forgot-password", async (request, reply) => sendPage(reply, 200, forgotPasswordPage(d.authPageContext(request, reply), { sent: queryParam(request, "sent") === "1" })));

	app.post("/forgot-password", async (request, reply) => {
		const email = formField(request, "email").trim();
		const page = (status: number, errors: { emailError?: string | null; error?: string | null }) => sendPage(reply, status, forgotPasswordPage(d.authPageContext(request, reply), { email, ...errors }));
		if (email === "") return page(400, { emailError: "Enter your email address." });
		try {
			await deadbolt.requestPasswordReset({ email }, requestContext(request));
		} catch (error) {
			if (error instanceof InvalidRequest) return page(400, { emailError: error.message });
			if (error instanceof MailLimitReached) {
				void reply.header("retry-after", String(error.retryAfterSeconds));
				return page(429, { error: error.message });
			}
			throw error;
		}
		return seeOther(reply, `${PATHS.forgotPassword}?sent=1`);
	});

	/** The step a live link is at: the code first (2FA, not yet proved), else the new password. */
	const linkStep = async (request: FastifyRequest, reply: FastifyReply, token: string, status: number, errors: { codeError?: string | null; passwordError?: string | null; error?: string | null } = {}): Promise<FastifyReply> => {
		const context = d.authPageContext(request, reply);
		let view: Awaited<ReturnType<typeof deadbolt.describePasswordReset>>;
		try {
			view = await deadbolt.describePasswordReset(token);
		} catch (error) {
			if (error instanceof AccountDisabled) return disabled(request, reply, error);
			throw error;
		}
		if (view === null) return sendPage(reply, 401, resetLinkUnusablePage(context));
		if (view.needsSecondFactor) return sendPage(reply, status, resetPasswordCodePage(context, { token, email: view.email, error: errors.codeError ?? errors.error ?? null }));
		return sendPage(reply, status, resetPasswordPage(context, { token, email: view.email, minLength, passwordError: errors.passwordError ?? null, error: errors.error ?? null }));
	};

	const unusable = (request: FastifyRequest, reply: FastifyReply, error: EmailLinkInvalid): FastifyReply => sendPage(reply, 401, resetLinkUnusablePage(d.authPageContext(request, reply), error.message));
	/** The link's account is disabled: the link works for nothing (403, as the right password's answer). */
	const disabled = (request: FastifyRequest, reply: FastifyReply, error: AccountDisabled): FastifyReply => sendPage(reply, 403, resetLinkUnusablePage(d.authPageContext(request, reply), error.message));

	app.get("/reset-password", async (request, reply) => {
		const token = queryParam(request, "token");
		if (token === null) return sendPage(reply, 401, resetLinkUnusablePage(d.authPageContext(request, reply)));
		return linkStep(request, reply, token, 200);
	});

	app.post("/reset-password/code", async (request, reply) => {
		const token = formField(request, "token");
		const code = formField(request, "code");
		if (code.trim() === "") return linkStep(request, reply, token, 400, { codeError: EMPTY_FIELD.secondFactor });
		try {
			await deadbolt.provePasswordResetSecondFactor({ token, code }, requestContext(request));
		} catch (error) {
			if (error instanceof EmailLinkInvalid) return unusable(request, reply, error);
			if (error instanceof AccountDisabled) return disabled(request, reply, error);
			if (error instanceof InvalidCode) return linkStep(request, reply, token, 401, { codeError: error.message });
			if (error instanceof TooManyAttempts) return linkStep(request, reply, token, 429, { codeError: tooManyMessage(reply, error) });
			throw error;
		}
		return linkStep(request, reply, token, 200);
	});

	app.post("/reset-password", async (request, reply) => {
		const token = formField(request, "token");
		const newPassword = formField(request, "newPassword");
		if (newPassword === "") return linkStep(request, reply, token, 400, { passwordError: EMPTY_FIELD.newPassword });
		try {
			await deadbolt.resetPassword({ token, newPassword }, requestContext(request));
		} catch (error) {
			if (error instanceof EmailLinkInvalid) return unusable(request, reply, error);
			if (error instanceof AccountDisabled) return disabled(request, reply, error);
			if (error instanceof InvalidRequest) {
				const needsCode = error.violations.some((v) => v.field === "code");
				return linkStep(request, reply, token, 400, needsCode ? { codeError: error.message } : { passwordError: error.violations.length > 0 ? error.violations.map((v) => v.message).join(" ") : error.message });
			}
			throw error;
		}
		// Every session ended with the reset: this browser's too (if it had one).
		clearSessionCookies(reply, cookies);
		void reply.clearCookie(cookies.challengeName, cookies.options());
		return seeOther(reply, `${PATHS.signIn}?notice=password-reset`);
	});
}
