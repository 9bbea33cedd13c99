/**
 * The pages between an app behind the forward-auth proxy and deadbolt (issue 12): "confirm it's
 * you" when the app asks for a recent code (step-up), "set up two-factor authentication" when it
 * asks for a second factor the account does not have yet, and "sign out?" for the sign-out link
 * apps show. Each names the app by its host, never by anything else from the URL.
 */
import { html, type SafeHtml } from "../html.js";
import { CODE_HINT, codeField, field, notice, PATHS, postForm } from "../layout.js";
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
}

/** `GET/POST /dashboard/step-up` with 2FA on: the password and a fresh code. */
export function stepUpPage(context: AuthPageContext, state: StepUpState): SafeHtml {
	const asker = state.appHost === null ? "This app" : html`<strong>${state.appHost}</strong>`;
	const form = postForm(
		PATHS.stepUp,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "password", name: "password", label: "Password", type: "password", autocomplete: "current-password", autofocus: true, error: state.passwordError ?? null })}
		${codeField("Code from your authenticator app", { error: state.codeError ?? null, hint: html`The current code for <strong>${context.issuer}</strong>. ${CODE_HINT}`, focus: "if-visible" })}
		<button type="submit" class="button button--primary button--block">Confirm and continue</button>`,
	);
	return authPage(context, "Confirm it's you", authCard("Confirm it's you", html`${asker} asks you to confirm it's you with your password and a new code from your authenticator app.`, form, html`<a href="${PATHS.home}">Not now: go to your account</a>`));
}

/** `GET /dashboard/step-up` with 2FA off: the app needs it; setting it up is the way on. */
export function twoFactorNeededPage(context: AuthPageContext, appHost: string | null): SafeHtml {
	const asker = appHost === null ? "This app" : html`<strong>${appHost}</strong>`;
	const content = html`<p>It keeps your account safe even if someone learns your password: after the password, you type a code from an authenticator app on your phone.</p>
	<p><a class="button button--primary button--block" href="${PATHS.twoFactorSetup}">Set up two-factor authentication</a></p>`;
	return authPage(context, "Two-factor authentication needed", authCard("Two-factor authentication needed", html`${asker} is open only to accounts with two-factor authentication.`, content, html`<a href="${PATHS.home}">Go to your account</a>`));
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
