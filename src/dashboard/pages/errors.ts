/**
 * Error pages: a refused form (CSRF), the database being unavailable, an unknown page. Each
 * keeps the header (and its sign-out button) when the user is signed in.
 */
import type { CSRFRejection } from "../csrf.js";
import { html, type SafeHtml } from "../html.js";
import { type Brand, PATHS, renderPage, supportLink } from "../layout.js";

/** Who is looking at the error page. */
export interface ErrorPageContext {
	/** The product name and look (`branding.*`). */
	readonly brand: Brand;
	/** The signed-in email, or null. */
	readonly email: string | null;
	/** The CSRF token for the header's sign-out form (when signed in). */
	readonly csrf: string | null;
}

function errorPage(context: ErrorPageContext, title: string, message: string, actions: SafeHtml): SafeHtml {
	return renderPage({
		title,
		brand: context.brand,
		email: context.email,
		csrf: context.csrf,
		narrow: true,
		body: html`<section class="card card--auth card--error" aria-labelledby="page-title">
	<h1 class="card__title" id="page-title">${title}</h1>
	<p class="card__lead" id="error-message">${message}</p>
	<div class="actions actions--start">${actions}${supportLink(context.brand, "button button--secondary")}</div>
</section>`,
	});
}

/** The title, message and next step of a refused form, for each reason (docs/errors.md). */
export const CSRF_REJECTIONS: Readonly<Record<CSRFRejection, { title: string; message: string; action: string }>> = Object.freeze({
	stale_form: {
		title: "This form was already sent or is out of date",
		message: "Nothing was changed this time. A reload sends a form again, and signing in or out (or seeing new recovery codes) in another tab renews every open form. Go back to the page and continue from there.",
		action: "Go back to the page",
	},
	no_cookie: {
		title: "Your browser did not send this site's cookie",
		message: "Nothing was changed. deadbolt needs cookies for this site to accept forms: allow them, then open the page again and retry.",
		action: "Open the page again",
	},
	foreign_origin: {
		title: "This form came from another site",
		message: "It was refused and nothing was changed: another website tried to send it in your name. If you meant to do this, open the page here and do it again.",
		action: "Open the page here",
	},
});

/** 403: a refused form, saying why (see {@link CSRF_REJECTIONS}), with the way back. Nothing was changed. */
export function csrfRejectedPage(context: ErrorPageContext, rejection: CSRFRejection, backTo: string): SafeHtml {
	const { title, message, action } = CSRF_REJECTIONS[rejection];
	return errorPage(context, title, message, html`<a class="button button--primary" href="${backTo}">${action}</a>`);
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
