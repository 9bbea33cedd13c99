/**
 * Error pages: a refused form (CSRF), the database being unavailable, an unknown page. Each
 * keeps the header (and its sign-out button) when the user is signed in.
 */
import { html, type SafeHtml } from "../html.js";
import { PATHS, renderPage } from "../layout.js";

/** Who is looking at the error page. */
export interface ErrorPageContext {
	readonly issuer: string;
	/** The signed-in email, or null. */
	readonly email: string | null;
	/** The CSRF token for the header's sign-out form (when signed in). */
	readonly csrf: string | null;
}

function errorPage(context: ErrorPageContext, title: string, message: string, actions: SafeHtml): SafeHtml {
	return renderPage({
		title,
		issuer: context.issuer,
		email: context.email,
		csrf: context.csrf,
		narrow: true,
		body: html`<section class="card card--auth card--error" aria-labelledby="page-title">
	<h1 class="card__title" id="page-title">${title}</h1>
	<p class="card__lead" id="error-message">${message}</p>
	<div class="actions actions--start">${actions}</div>
</section>`,
	});
}

/** The message of a refused form. */
export const CSRF_REJECTED_MESSAGE = "This form expired or did not come from this site. Reload and try again.";

/** 403: the form's token did not match, or it came from another site. Nothing was changed. */
export function csrfRejectedPage(context: ErrorPageContext, backTo: string): SafeHtml {
	return errorPage(context, "Please try again", CSRF_REJECTED_MESSAGE, html`<a class="button button--primary" href="${backTo}">Reload the page</a>`);
}

/** 503: the database cannot be reached. */
export function unavailablePage(context: ErrorPageContext): SafeHtml {
	return errorPage(
		context,
		"Temporarily unavailable",
		"We can't reach our database right now, so nothing was changed. Please try again in a moment.",
		html`<a class="button button--primary" href="${PATHS.home}">Try again</a>`,
	);
}

/** 404: no such dashboard page. */
export function notFoundPage(context: ErrorPageContext): SafeHtml {
	return errorPage(context, "Page not found", "There is no page at this address.", html`<a class="button button--primary" href="${PATHS.home}">Go to your account</a>`);
}

/** Too many attempts from this network (the per-IP limit), with when to try again. */
export function tooManyRequestsPage(context: ErrorPageContext, message: string): SafeHtml {
	return errorPage(context, "Please wait a moment", message, html`<a class="button button--primary" href="/dashboard/sign-in">Back to sign in</a>`);
}
