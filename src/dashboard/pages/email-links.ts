/**
 * The pages behind mailed links about an address (issue 11 item 4): verify it, confirm a new one,
 * finish a sign-up; and the signed-in "Change email" page. A link's page (GET) only shows what it
 * will do and a button: its POST uses the link, so mail scanners and link previews that fetch the
 * page do not spend it (as `signInLinkPage`).
 */
import { csrfField } from "../csrf.js";
import { html, type SafeHtml } from "../html.js";
import { emailText, field, inlineConfirmation, notice, PATHS, postForm, renderPage, secondFactorField, type Brand } from "../layout.js";
import { authCard, authPage, type AuthPageContext } from "./auth.js";

/** What a mailed link's confirm page shows. */
export interface LinkPageState {
	/** The link's token, carried in a hidden field to the POST that uses it; null when the link is not usable. */
	readonly token: string | null;
	/** The address concerned; null when the link is not usable. */
	readonly email: string | null;
	readonly error?: string | null;
	/** The sign-up page only: the refusal of the password typed, shown next to its field (the link stays usable). */
	readonly passwordError?: string | null;
}

/** The page of a link that cannot be used (unknown, expired, used), with where to go next. */
function unusableLink(context: AuthPageContext, title: string, message: string, next: SafeHtml): SafeHtml {
	return authPage(context, title, authCard("This link can't be used", "Links from our emails work once, for a limited time.", notice("warning", message, "link-error"), next));
}

/** A confirm page: the lead, and a form with the token and one button. */
function confirmLink(
	context: AuthPageContext,
	options: { title: string; lead: SafeHtml; action: string; token: string; button: string; buttonId: string; error?: string | null | undefined; fields?: SafeHtml; footer: SafeHtml },
): SafeHtml {
	const form = postForm(
		options.action,
		context.csrf,
		html`${options.error !== undefined && options.error !== null && notice("error", options.error)}
		<input type="hidden" name="token" value="${options.token}">
		${options.fields}
		<button type="submit" class="button button--primary button--block" id="${options.buttonId}"${options.fields === undefined && html` autofocus`}>${options.button}</button>`,
	);
	return authPage(context, options.title, authCard(options.title, options.lead, form, options.footer));
}

/** `GET/POST /dashboard/verify-email?token=...`. */
export function verifyEmailPage(context: AuthPageContext, state: LinkPageState): SafeHtml {
	if (state.token === null || state.email === null) {
		return unusableLink(context, "Verify your email", state.error ?? "This verification link has expired or was already used. Sign in and choose \u201cResend\u201d for a new one.", html`<a href="${PATHS.home}">Go to your account</a>`);
	}
	return confirmLink(context, {
		title: "Verify your email",
		lead: html`Confirm that <strong>${emailText(state.email)}</strong> is your address for ${context.brand.productName}.`,
		action: PATHS.verifyEmail,
		token: state.token,
		button: "Verify email address",
		buttonId: "verify-email",
		error: state.error,
		footer: html`Not you? You can ignore this: nothing changes until the button is pressed.`,
	});
}

/** `GET/POST /dashboard/approve-email-change?token=...` (the current address approves a change). */
export function approveEmailChangePage(context: AuthPageContext, state: LinkPageState): SafeHtml {
	if (state.token === null || state.email === null) {
		return unusableLink(context, "Approve the new email", state.error ?? "This approval link has expired or was already used. Ask for the change again from your account.", html`<a href="${PATHS.changeEmail}">Change your email address</a>`);
	}
	return confirmLink(context, {
		title: "Approve the new email",
		lead: html`Let your ${context.brand.productName} account move to <strong>${emailText(state.email)}</strong>? That address then gets a link to confirm it.`,
		action: PATHS.approveEmailChange,
		token: state.token,
		button: "Approve the change",
		buttonId: "approve-email-change",
		error: state.error,
		footer: html`Didn't ask for this? Don't approve: someone knows your password. <a href="${PATHS.forgotPassword}">Reset it</a>.`,
	});
}

/** `GET/POST /dashboard/confirm-email?token=...` (the new address of a change). */
export function confirmEmailChangePage(context: AuthPageContext, state: LinkPageState): SafeHtml {
	if (state.token === null || state.email === null) {
		return unusableLink(context, "Confirm your new email", state.error ?? "This confirmation link has expired or was already used. Ask for the change again from your account.", html`<a href="${PATHS.changeEmail}">Change your email address</a>`);
	}
	return confirmLink(context, {
		title: "Confirm your new email",
		lead: html`Use <strong>${emailText(state.email)}</strong> as the email address of your ${context.brand.productName} account. Your old address will be told.`,
		action: PATHS.confirmEmailChange,
		token: state.token,
		button: "Confirm new address",
		buttonId: "confirm-email-change",
		error: state.error,
		footer: html`Didn't ask for this? Ignore this page: nothing changes.`,
	});
}

/** `GET/POST /dashboard/sign-up/finish?token=...` (mode `verified`). */
export function finishSignUpPage(context: AuthPageContext, state: LinkPageState): SafeHtml {
	if (state.token === null || state.email === null) {
		return unusableLink(context, "Finish creating your account", state.error ?? "This sign-up link has expired or was already used. Sign up again, or sign in if you already have an account.", html`<a href="${PATHS.signUp}">Sign up</a> · <a href="${PATHS.signIn}">Sign in</a>`);
	}
	return confirmLink(context, {
		title: "Finish creating your account",
		lead: html`Create your ${context.brand.productName} account for <strong>${emailText(state.email)}</strong>: enter the password you chose when you signed up.`,
		action: PATHS.finishSignUp,
		token: state.token,
		button: "Create account",
		buttonId: "finish-sign-up",
		error: state.error,
		fields: html`<input type="email" name="username" autocomplete="username" value="${state.email}" hidden readonly>
		${field({ id: "sign-up-password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: state.passwordError ?? null, autofocus: true })}`,
		footer: html`Didn't sign up? Ignore this page: no account is made.`,
	});
}

/** The "verify your email" banner of the account home (shown until the address is verified). */
export function verificationBanner(csrf: string, email: string, state: { readonly sent?: boolean; readonly error?: string | null }): SafeHtml {
	const body = html`<p><strong>Verify your email address.</strong> We sent a link to ${emailText(email)}. Until you open it, we don't send security alerts to this address, and apps that use this account to sign you in won't let you in.</p>
${state.sent === true && html`<p id="verification-resent">We sent a new link. It may take a minute to arrive.</p>`}
${state.error !== undefined && state.error !== null && html`<p class="field__error" id="verification-error">${state.error}</p>`}
<form method="post" action="${PATHS.resendVerification}" class="notice__actions">
	${csrfField(csrf)}
	<button type="submit" class="button button--secondary button--small" id="resend-verification">Resend email</button>
</form>`;
	return notice("warning", body, "verify-email-banner");
}

/** What the "Change email" page shows. */
export interface ChangeEmailState {
	readonly brand: Brand;
	readonly csrf: string;
	readonly email: string;
	/** The new address as typed (after a refusal). */
	readonly newEmail?: string;
	/** The session confirmed it's the user recently: no password needed. */
	readonly confirmed: boolean;
	readonly twoFactorEnabled: boolean;
	readonly newEmailError?: string | null;
	readonly passwordError?: string | null;
	readonly codeError?: string | null;
	readonly error?: string | null;
	/** After the request: "check the new address" (the same whether or not the address is free). */
	readonly sent?: boolean;
	/** After the request of an account whose second factor is not confirmed by mail: "approve it from your current address first". */
	readonly approvalSent?: boolean;
	/** Whether a change is approved from the current address first (`service/email-change.ts`). */
	readonly approvalNeeded?: boolean;
}

/** `GET/POST /dashboard/settings/email`: change the address (confirmed at the new one). */
export function changeEmailPage(state: ChangeEmailState): SafeHtml {
	const confirmation = state.confirmed
		? null
		: html`${field({ id: "current-password", name: "password", label: "Current password", type: "password", autocomplete: "current-password", error: state.passwordError ?? null })}
		${state.twoFactorEnabled && inlineConfirmation(secondFactorField({ id: "email-code", error: state.codeError }))}`;
	const form = postForm(
		PATHS.changeEmail,
		state.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "new-email", name: "newEmail", label: "New email address", type: "email", autocomplete: "email", inputmode: "email", value: state.newEmail ?? "", error: state.newEmailError ?? null, autofocus: true, plain: true })}
		${confirmation}
		<button type="submit" class="button button--primary" id="change-email-submit">Send confirmation link</button>`,
	);
	const body = html`<div class="page-header">
	<h1 class="page-title">Change email address</h1>
	<p class="page-lead">Your address is <strong>${emailText(state.email)}</strong>. ${
		state.approvalNeeded === true
			? "We'll first send a link to your current address to approve the change (your authenticator app is not confirmed by email, so your password alone is not enough); then the new address gets a link, and the change happens when you confirm it there."
			: "We'll send a link to the new address; the change happens when you confirm it there, and your current address is told."
	}</p>
</div>
${state.sent === true && notice("success", "Check the new address: we sent it a link to confirm the change. Until you open it, nothing changes.", "change-email-sent")}
${state.approvalSent === true && notice("success", html`Check your current address, <strong>${emailText(state.email)}</strong>: we sent it a link to approve the change (your password alone is not enough to move your account to another mailbox). Then the new address gets its own link.`, "change-email-approval-sent")}
<section class="card" aria-labelledby="change-email-title">
	<h2 class="card__title" id="change-email-title">New address</h2>
	${form}
</section>`;
	return renderPage({ title: "Change email address", brand: state.brand, email: state.email, csrf: state.csrf, section: "home", body });
}
