/**
 * "Forgot password?" (issue 11 item 5): the form that asks for the address, the one answer it
 * always gives, and the pages behind the reset link: the code step first for an account with
 * two-factor authentication (an authenticator code or a recovery code), then the new password.
 * Opening the link (GET) uses nothing.
 */
import { html, type SafeHtml } from "../html.js";
import { emailText, field, newPasswordField, notice, PATHS, postForm, secondFactorField } from "../layout.js";
import { authCard, authPage, checkEmailPage, type AuthPageContext } from "./auth.js";

/** What the forgot-password page shows. */
export interface ForgotPasswordState {
	readonly email?: string;
	readonly emailError?: string | null;
	readonly error?: string | null;
	/** After a request: the one answer, whether or not the address has an account. */
	readonly sent?: boolean;
}

/** `GET/POST /dashboard/forgot-password`. */
export function forgotPasswordPage(context: AuthPageContext, state: ForgotPasswordState): SafeHtml {
	const footer = html`Remembered it? <a href="${PATHS.signIn}">Sign in</a>`;
	if (state.sent === true) {
		return checkEmailPage(
			context,
			`If an account exists for that address, we sent a link to reset its password. The link works once, for ${context.linkLifetimes.passwordReset}.`,
			"Didn't get it? Check your spam folder, or make sure you typed the address you signed up with.",
			"reset-requested",
			footer,
		);
	}
	const form = postForm(
		PATHS.forgotPassword,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "email", name: "email", label: "Email", type: "email", autocomplete: "email", inputmode: "email", value: state.email ?? "", error: state.emailError ?? null, autofocus: true, plain: true })}
		<button type="submit" class="button button--primary button--block" id="send-reset-link">Send reset link</button>`,
	);
	return authPage(context, "Reset your password", authCard("Reset your password", "Enter the email address of your account and we'll send you a link to choose a new password.", form, footer));
}

/** What a reset link's pages show. */
export interface ResetLinkState {
	/** The link's token (hidden field); null when the link is not usable. */
	readonly token: string | null;
	readonly email: string | null;
	readonly error?: string | null;
}

/** The page of a reset link that cannot be used. */
export function resetLinkUnusablePage(context: AuthPageContext, message?: string | null): SafeHtml {
	return authPage(
		context,
		"Reset your password",
		authCard("This link can't be used", `Reset links work once, for ${context.linkLifetimes.passwordReset}.`, notice("warning", message ?? "This password reset link has expired or was already used. Ask for a new one.", "link-error"), html`<a href="${PATHS.forgotPassword}">Ask for a new link</a>`),
	);
}

/** `GET /dashboard/reset-password?token=...` (account with 2FA) and `POST /dashboard/reset-password/code`: the code step, before anything changes. */
export function resetPasswordCodePage(context: AuthPageContext, state: ResetLinkState & { readonly token: string; readonly email: string }): SafeHtml {
	const form = postForm(
		PATHS.resetPasswordCode,
		context.csrf,
		html`<input type="hidden" name="token" value="${state.token}">
		${secondFactorField({ id: "reset-code", error: state.error, autofocus: true, hint: "Two-factor authentication is on for this account: enter the 6-digit code from your authenticator app, or one of your recovery codes." })}
		<button type="submit" class="button button--primary button--block" id="reset-code-submit">Continue</button>`,
	);
	return authPage(
		context,
		"Reset your password",
		authCard("Confirm it's you", html`Resetting the password of <strong>${emailText(state.email)}</strong>. Two-factor authentication stays on.`, form, html`<a href="${PATHS.signIn}">Back to sign in</a>`),
	);
}

/** The new-password step of a reset link (after the code, for an account with 2FA). */
export function resetPasswordPage(context: AuthPageContext, state: ResetLinkState & { readonly token: string; readonly email: string; readonly minLength: number; readonly passwordError?: string | null }): SafeHtml {
	const form = postForm(
		PATHS.resetPassword,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		<input type="hidden" name="token" value="${state.token}">
		<input type="text" name="username" value="${state.email}" autocomplete="username" hidden>
		${newPasswordField({ minLength: state.minLength, error: state.passwordError ?? null, autofocus: true })}
		<button type="submit" class="button button--primary button--block" id="reset-password-submit">Set new password</button>`,
	);
	return authPage(
		context,
		"Choose a new password",
		authCard(
			"Choose a new password",
			html`For <strong>${emailText(state.email)}</strong>. Every session and remembered device will be signed out; then sign in with the new password.`,
			form,
			html`<a href="${PATHS.signIn}">Back to sign in</a>`,
		),
	);
}
