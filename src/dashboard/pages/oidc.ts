/**
 * The pages of a sign-in to an app through OpenID Connect (issue 13; `oidc/interactions.ts`):
 * consent for an app that is not first-party, the refusal of an app that is not for this account
 * (a page that says why, never a protocol error), a sign-in that cannot continue, and the
 * provider's own pages (RP-initiated logout, its errors) in deadbolt's look.
 */
import { html, raw, type SafeHtml } from "../html.js";
import { type Brand, PATHS, renderPage, supportLink } from "../layout.js";

/** Who looks at the page. */
export interface OidcPageContext {
	readonly brand: Brand;
	/** The signed-in address, or null. */
	readonly email: string | null;
}

/** What a scope lets the app see, in a user's words. */
const SCOPE_WORDS: Readonly<Record<string, string>> = Object.freeze({
	openid: "Who you are on this site (an id that stays the same)",
	email: "Your email address, and whether it is verified",
	groups: "The groups your account is in",
	offline_access: "Stay connected while you are away (until you sign out)",
});

function card(context: OidcPageContext, title: string, content: SafeHtml): SafeHtml {
	return renderPage({
		title,
		brand: context.brand,
		email: context.email,
		csrf: null,
		narrow: true,
		body: html`<section class="card card--auth" aria-labelledby="page-title">
	<h1 class="card__title" id="page-title">${title}</h1>
	${content}
</section>`,
	});
}

/** Consent: which app asks, for what, as whom; Allow or Deny (POSTs to `action`, field `decision`). */
export function oidcConsentPage(context: OidcPageContext & { readonly email: string }, options: { readonly appName: string; readonly scopes: readonly string[]; readonly action: string }): SafeHtml {
	const items = options.scopes.filter((scope) => SCOPE_WORDS[scope] !== undefined);
	return card(
		context,
		`Sign in to ${options.appName}?`,
		html`<p class="card__lead">${options.appName} asks to use your ${context.brand.productName} account <strong>${context.email}</strong>. It will see:</p>
	<ul class="list" id="consent-scopes">${items.map((scope) => html`<li data-scope="${scope}">${SCOPE_WORDS[scope] ?? scope}</li>`)}</ul>
	<p class="hint">It never sees your password or your codes. You can disconnect it any time under Security, Sessions.</p>
	<form method="post" action="${options.action}" class="form">
		<div class="actions">
			<button type="submit" name="decision" value="allow" class="button button--primary button--wrap" id="consent-allow">Allow</button>
			<button type="submit" name="decision" value="deny" class="button button--secondary button--wrap" id="consent-deny">Deny</button>
		</div>
	</form>`,
	);
}

/** An app this account may not use (its groups or accounts): say so; sign out to use another account, or go back to the app. */
export function oidcRefusedPage(context: OidcPageContext & { readonly email: string }, options: { readonly appName: string; readonly abortAction: string; readonly signOutHref: string }): SafeHtml {
	return card(
		context,
		`You can't use ${options.appName} with this account`,
		html`<p class="card__lead" id="oidc-refusal">${options.appName} is open to some accounts only, and <strong>${context.email}</strong> is not one of them. If you have another account that may use it, sign out and sign in with that one; otherwise ask the people who run ${context.brand.productName}.</p>
	<form method="post" action="${options.abortAction}" class="form" id="oidc-back-form">
		<div class="actions actions--start">
			<a class="button button--primary button--wrap" href="${options.signOutHref}">Sign in with another account</a>
			<button type="submit" class="button button--secondary button--wrap" id="oidc-back-to-app">Back to ${options.appName}</button>
			${supportLink(context.brand, "button button--secondary")}
		</div>
	</form>`,
	);
}

/** A sign-in that cannot continue (its interaction is gone, expired or of another browser). */
export function oidcSignInGonePage(context: OidcPageContext): SafeHtml {
	return card(
		context,
		"This sign-in has expired",
		html`<p class="card__lead" id="error-message">It took too long, or it was started in another browser. Nothing happened. Go back to the app and sign in again.</p>
	<div class="actions actions--start"><a class="button button--primary" href="${PATHS.home}">Go to your account</a></div>`,
	);
}

/** The provider's error page (oidc-provider `renderError`): an app sent a request deadbolt refuses. Only the error code and its safe description are shown. */
export function oidcErrorPage(context: OidcPageContext, options: { readonly error: string; readonly description: string | null }): SafeHtml {
	return card(
		context,
		"This app's sign-in request was refused",
		html`<p class="card__lead" id="error-message">${options.description ?? "The request is not valid."}</p>
	<p class="hint">Error: <code id="oidc-error">${options.error}</code>. If this keeps happening, tell the people who run the app: its OpenID Connect settings do not match ${context.brand.productName}'s.</p>
	<div class="actions actions--start"><a class="button button--primary" href="${PATHS.home}">Go to your account</a></div>`,
	);
}

/**
 * RP-initiated logout's question (oidc-provider `logoutSource`): `providerForm` is the library's
 * hidden form (its action and anti-forgery field), which the buttons submit.
 */
export function oidcLogoutPage(context: OidcPageContext, options: { readonly appName: string | null; readonly providerForm: string }): SafeHtml {
	return card(
		context,
		`Sign out of ${context.brand.productName}?`,
		html`${raw(options.providerForm)}
	<p class="card__lead">${options.appName === null ? "An app" : options.appName} asks to sign you out. Signing out of ${context.brand.productName} signs you out of every app you reached with it in this browser.</p>
	<div class="actions">
		<button type="submit" form="op.logoutForm" name="logout" value="yes" class="button button--primary button--wrap" id="logout-everywhere" autofocus>Sign out</button>
		<button type="submit" form="op.logoutForm" class="button button--secondary button--wrap" id="logout-app-only">Only ${options.appName ?? "this app"}, stay signed in</button>
	</div>`,
	);
}

/** After RP-initiated logout, when the app gave no way back (oidc-provider `postLogoutSuccessSource`). */
export function oidcLoggedOutPage(context: OidcPageContext, options: { readonly appName: string | null }): SafeHtml {
	return card(
		context,
		"You are signed out",
		html`<p class="card__lead" id="logged-out">${options.appName === null ? "You" : html`You signed out of ${options.appName}, and you`} can close this tab.</p>
	<div class="actions actions--start"><a class="button button--primary" href="${PATHS.signIn}">Sign in again</a></div>`,
	);
}
