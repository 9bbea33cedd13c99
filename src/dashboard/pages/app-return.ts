/**
 * The pages between an app behind the forward-auth proxy and deadbolt (issue 12): "confirm it's
 * you" when the app asks for a recent code (step-up), "set up two-factor authentication" when it
 * asks for a second factor the account does not have yet, "confirm your authenticator by email"
 * when the account's authenticator was never confirmed by a mailed link, the mailed link's own
 * page, and "sign out?" for the sign-out link apps show. Each names the app by its host, never by
 * anything else from the URL.
 */
import { html, type SafeHtml } from "../html.js";
import { CODE_HINT, codeField, emailText, field, notice, PATHS, postForm } from "../layout.js";
import { authCard, authPage, type AuthPageContext } from "./auth.js";

/** The host of a return target, for the sentence ("app.example.test"); null without one. */
export function appHostOf(target: string | null): string | null {
	return target === null ? null : new URL(target).host;
}

/** What the step-up page shows. */
export interface StepUpState {
	/** The host of the app that asked; null when the page was opened on its own. */
	readonly appHost: string | null;
	readonly passwordError?: string | null;
	readonly codeError?: string | null;
	readonly error?: string | null;
	/** An account without 2FA asked to prove its password again (an OpenID Connect app's `max_age`): no code field. */
	readonly passwordOnly?: boolean;
}

/** `GET/POST /dashboard/step-up` with 2FA on: the password and a fresh code. */
export function stepUpPage(context: AuthPageContext, state: StepUpState): SafeHtml {
	const asker = state.appHost === null ? "This app" : html`<strong>${state.appHost}</strong>`;
	const form = postForm(
		PATHS.stepUp,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "password", name: "password", label: "Password", type: "password", autocomplete: "current-password", autofocus: true, error: state.passwordError ?? null })}
		${state.passwordOnly === true ? html`<input type="hidden" name="password_only" value="1">` : codeField("Code from your authenticator app", { error: state.codeError ?? null, hint: html`The current code for <strong>${context.issuer}</strong>. ${CODE_HINT}`, focus: "if-visible" })}
		<button type="submit" class="button button--primary button--block">Confirm and continue</button>`,
	);
	const lead = state.passwordOnly === true ? html`${asker} asks you to confirm it's you with your password.` : html`${asker} asks you to confirm it's you with your password and a new code from your authenticator app.`;
	return authPage(context, "Confirm it's you", authCard("Confirm it's you", lead, form, html`<a href="${PATHS.home}">Not now: go to your account</a>`));
}

/** `GET /dashboard/step-up` with 2FA off: the app needs it; setting it up is the way on. */
export function twoFactorNeededPage(context: AuthPageContext, appHost: string | null): SafeHtml {
	const asker = appHost === null ? "This app" : html`<strong>${appHost}</strong>`;
	const content = html`<p>It keeps your account safe even if someone learns your password: after the password, you type a code from an authenticator app on your phone.</p>
	<p>Once it is set up, we email you a link to confirm it: only then do apps like this one accept it.</p>
	<p><a class="button button--primary button--block" href="${PATHS.twoFactorSetup}">Set up two-factor authentication</a></p>`;
	return authPage(context, "Two-factor authentication needed", authCard("Two-factor authentication needed", html`${asker} is open only to accounts with two-factor authentication.`, content, html`<a href="${PATHS.home}">Go to your account</a>`));
}

/** What the "confirm your authenticator by email" page shows. */
export interface MailConfirmationState {
	readonly appHost: string | null;
	/** The address the link goes (or went) to. */
	readonly email: string;
	/** Whether the link was just sent. */
	readonly sent: boolean;
	readonly error?: string | null;
}

/**
 * `GET /dashboard/step-up` at AAL2 with an authenticator not confirmed by mail, and
 * `POST /dashboard/step-up/email-link` (which sends the link).
 */
export function mailConfirmationPage(context: AuthPageContext, state: MailConfirmationState): SafeHtml {
	const asker = state.appHost === null ? "Apps that need two-factor authentication" : html`<strong>${state.appHost}</strong>`;
	const error = state.error !== undefined && state.error !== null && notice("error", state.error, "mail-confirmation-error");
	const address = html`<strong>${emailText(state.email)}</strong>`;
	if (state.sent) {
		const again = postForm(PATHS.stepUpEmailLink, context.csrf, html`<button type="submit" class="button button--block">Send the link again</button>`);
		const body = html`${error}${notice("success", html`We sent a link to ${address}. Open it in this browser, where you are signed in: it confirms your authenticator app and brings you back.`, "mail-confirmation-sent")}${again}`;
		return authPage(context, "Check your email", authCard("Check your email", "One last step: confirm your authenticator app from your mailbox.", body, html`<a href="${PATHS.home}">Go to your account</a>`));
	}
	const form = postForm(PATHS.stepUpEmailLink, context.csrf, html`${error}<button type="submit" class="button button--primary button--block" id="send-mail-confirmation" autofocus>Email me the link</button>`);
	const lead = html`${asker} accepts an authenticator app only once its owner confirms it by email: this proves that whoever added it also reads your mail (a stolen password alone is not enough). We send the link to ${address}.`;
	return authPage(context, "Confirm your authenticator app", authCard("Confirm your authenticator app", lead, form, html`<a href="${PATHS.home}">Not now: go to your account</a>`));
}

/** Why a confirmation link cannot be used from this browser as it is. */
export type MailConfirmationLinkProblem = "unusable" | "signed_out" | "other_account" | "no_second_factor";

/** `GET/POST /dashboard/confirm-two-factor?token=...`: the mailed link's page. */
export function confirmTwoFactorLinkPage(context: AuthPageContext, state: { readonly token: string | null; readonly email: string | null; readonly problem: MailConfirmationLinkProblem | null; readonly error?: string | null }): SafeHtml {
	const title = "Confirm your authenticator app";
	const home = html`<a href="${PATHS.home}">Go to your account</a>`;
	if (state.problem === "unusable" || state.token === null || state.email === null) {
		const message = state.error ?? "This link has expired, was already used, or a newer one was sent since (only the newest works). Use the newest email, or open the app again and choose \u201cEmail me the link\u201d.";
		return authPage(context, title, authCard("This link can't be used", "Links from our emails work once, for a limited time.", notice("warning", message, "link-error"), home));
	}
	if (state.problem !== null) {
		const message = {
			signed_out: html`Open this link in the browser where you signed in with a code from your authenticator app, or <a href="${PATHS.signIn}">sign in here</a> with your password and a code, then open the link again.`,
			other_account: html`This browser is signed in to another account. <a href="${PATHS.signOut}">Sign out</a>, sign in to the account this link was mailed to with your password and a code, then open the link again.`,
			no_second_factor: html`This browser is signed in without a code from your authenticator app. <a href="${PATHS.stepUp}">Confirm it's you</a> with your password and a code, then open the link again.`,
		}[state.problem];
		return authPage(context, title, authCard(title, "The link confirms the authenticator app this browser signed in with.", notice("warning", message, "link-problem"), home));
	}
	const form = postForm(
		PATHS.confirmTwoFactor,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		<input type="hidden" name="token" value="${state.token}">
		<button type="submit" class="button button--primary button--block" id="confirm-two-factor" autofocus>Confirm my authenticator app</button>`,
	);
	const lead = html`Confirm that the authenticator app whose code this browser typed (at sign-in or setup) is yours, for <strong>${emailText(state.email)}</strong>. Apps that need two-factor authentication accept it from then on.`;
	return authPage(context, title, authCard(title, lead, form, html`Did not add an authenticator app? Do not confirm: <a href="${PATHS.secureAccount}">secure your account</a>.`));
}

/** `GET /dashboard/sign-out`: the sign-out link apps show asks before it signs out (a link alone cannot sign anyone out). */
export function signOutConfirmPage(context: AuthPageContext, state: { readonly appHost: string | null; readonly signedIn: boolean }): SafeHtml {
	if (!state.signedIn) {
		return authPage(context, "Signed out", authCard("You are signed out", "No one is signed in on this browser.", html`<p><a class="button button--primary button--block" href="${PATHS.signIn}">Sign in</a></p>`));
	}
	const from = state.appHost === null ? "" : html` You came from <strong>${state.appHost}</strong>; you will go back there.`;
	const form = postForm(PATHS.signOut, context.csrf, html`<button type="submit" class="button button--primary button--block">Sign out</button>`);
	return authPage(context, "Sign out", authCard(`Sign out of ${context.brand.productName}?`, html`This ends your session on this browser, for your account and every app it signs you in to.${from}`, form, html`<a href="${PATHS.home}">Stay signed in</a>`));
}
