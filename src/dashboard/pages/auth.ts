/**
 * The signed-out pages: sign up, sign in (password step), and the code step with an
 * authenticator code or a recovery code (the seed article's login: "1. Enter email and
 * password, 2. Enter the 6-digit authenticator code").
 */
import { CHALLENGE_END_MESSAGES, type ChallengeEnd } from "../../errors.js";
import { html, type SafeHtml } from "../html.js";
import { type Brand, CODE_HINT, codeField, field, newPasswordHint, notice, PATHS, postForm, renderPage, supportLink } from "../layout.js";

/** What every signed-out page needs. */
export interface AuthPageContext {
	/** The product name and look (`branding.*`). */
	readonly brand: Brand;
	/** The name the authenticator app shows (`issuer`). */
	readonly issuer: string;
	readonly csrf: string;
	/** How long mailed links work, in words ("1 day", "30 minutes"), from `emailVerification.ttlSeconds` and `passwordReset.ttlSeconds`. */
	readonly linkLifetimes: { readonly emailVerification: string; readonly passwordReset: string };
}

/**
 * "Check your email": the page after a link was (or would have been) mailed.
 * @param noticeId - the id of the hint's notice, for tests and assistive links
 */
export function checkEmailPage(context: AuthPageContext, lead: string, hint: string, noticeId: string, footer: SafeHtml): SafeHtml {
	return authPage(context, "Check your email", authCard("Check your email", lead, notice("success", hint, noticeId), footer));
}

/** A signed-out page's one card: an optional icon, the title (the page's `h1`), a lead, the content and a footer. */
export function authCard(title: string, lead: SafeHtml | string, content: SafeHtml, footer?: SafeHtml, icon?: SafeHtml): SafeHtml {
	return html`<section class="card card--auth" aria-labelledby="page-title">
	${icon !== undefined && html`<div class="auth-icon" aria-hidden="true">${icon}</div>`}
	<h1 class="card__title" id="page-title">${title}</h1>
	<p class="card__lead">${lead}</p>
	${content}
	${footer !== undefined && html`<div class="card__footer">${footer}</div>`}
</section>`;
}

/** A signed-out page: narrow, no account menu, one card (and the help link under it, when the operator gave one). */
export function authPage(context: AuthPageContext, title: string, card: SafeHtml): SafeHtml {
	const help = supportLink(context.brand);
	const body = help === null ? card : html`${card}
<p class="auth-help">Trouble signing in? ${help}</p>`;
	return renderPage({ title, brand: context.brand, email: null, csrf: null, narrow: true, body });
}

/** Sign-up form state. */
export interface SignUpState {
	/** `signUp.mode`: `closed` shows no form; `verified` says a link will be mailed. Default `open`. */
	readonly mode?: "open" | "verified" | "closed";
	/** Mode `verified`, after the form was sent: "Check your email" (the same for every address). */
	readonly sent?: boolean;
	readonly email?: string;
	readonly emailError?: string | null;
	readonly passwordErrors?: readonly string[];
	readonly error?: string | null;
	readonly minLength: number;
}

/** `GET/POST /dashboard/sign-up`. */
export function signUpPage(context: AuthPageContext, state: SignUpState): SafeHtml {
	if (state.mode === "closed") {
		return authPage(
			context,
			"Create your account",
			authCard(
				"Accounts are created by invitation",
				html`New accounts for ${context.brand.productName} are created by its operators, not by sign-up. Ask them for an account; you'll get a link to sign in.`,
				notice("info", "Sign-up is closed on this service.", "sign-up-closed"),
				html`Already have an account? <a href="${PATHS.signIn}">Sign in</a>`,
			),
		);
	}
	if (state.sent === true) {
		return checkEmailPage(
			context,
			`We sent a link to finish creating your account. Open it within ${context.linkLifetimes.emailVerification}. If this address already has an account, we sent its owner a note instead.`,
			"Didn't get it? Check your spam folder, or try again in a few minutes.",
			"sign-up-sent",
			html`Already have an account? <a href="${PATHS.signIn}">Sign in</a>`,
		);
	}
	const passwordError = state.passwordErrors !== undefined && state.passwordErrors.length > 0 ? state.passwordErrors.join(" ") : null;
	const form = postForm(
		PATHS.signUp,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "email", name: "email", label: "Email", type: "email", autocomplete: "email", inputmode: "email", value: state.email ?? "", error: state.emailError ?? null, autofocus: state.email === undefined || state.email === "" || (state.emailError ?? null) !== null, plain: true })}
		${field({
			id: "password",
			name: "password",
			label: "Password",
			type: "password",
			autocomplete: "new-password",
			hint: newPasswordHint(state.minLength),
			error: passwordError,
			autofocus: state.email !== undefined && state.email !== "" && (state.emailError ?? null) === null,
			minlength: state.minLength,
		})}
		<button type="submit" class="button button--primary button--block">Create account</button>`,
	);
	return authPage(context, "Create your account", authCard("Create your account", html`Get started with ${context.brand.productName}. You can turn on two-factor authentication right after.`, form, html`Already have an account? <a href="${PATHS.signIn}">Sign in</a>`));
}

/** Messages the sign-in page can show after a redirect. */
/** What the sign-in page says first: a sign-out, or why the last sign-in attempt ended. */
export type SignInFlash = "signed-out" | "signed-out-everywhere" | "email-verified" | "email-changed" | "email-change-approved" | "password-reset" | ChallengeEnd | null;

/** The notices of a finished mailed-link flow, shown on the sign-in page after it (fixed text; only the word travels). */
const LINK_FLASHES: Readonly<Record<"email-verified" | "email-changed" | "email-change-approved" | "password-reset", string>> = Object.freeze({
	"email-verified": "Your email address is verified. Sign in to continue.",
	"email-changed": "Your email address was changed. Sign in with your new address.",
	"email-change-approved": "The change of address is approved: the new address got a link to confirm it. Your address changes when it is opened.",
	"password-reset": "Your password was reset, and every session and remembered device was signed out. Sign in with your new password.",
});

/** Whether a `notice` word is one the sign-in page shows. */
export function isSignInFlash(value: string | null): value is Exclude<SignInFlash, ChallengeEnd | null> {
	return value === "signed-out" || value === "signed-out-everywhere" || value === "email-verified" || value === "email-changed" || value === "email-change-approved" || value === "password-reset";
}

/** Sign-in form state. */
export interface SignInState {
	readonly email?: string;
	readonly error?: string | null;
	readonly flash?: SignInFlash;
}

/** `GET/POST /dashboard/sign-in` (the password step). */
export function signInPage(context: AuthPageContext, state: SignInState): SafeHtml {
	const hasEmail = state.email !== undefined && state.email !== "";
	const flash =
		state.flash === "signed-out"
			? notice("success", "You have signed out.")
			: state.flash === "signed-out-everywhere"
				? notice("success", "You have signed out everywhere: every session on every device has ended. Sign in again to continue.")
				: state.flash === null || state.flash === undefined
					? null
					: state.flash === "email-verified" || state.flash === "email-changed" || state.flash === "email-change-approved" || state.flash === "password-reset"
						? notice("success", LINK_FLASHES[state.flash], "sign-in-notice")
						: notice("warning", CHALLENGE_END_MESSAGES[state.flash], "sign-in-ended");
	const form = postForm(
		PATHS.signIn,
		context.csrf,
		html`${flash}
		${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${field({ id: "email", name: "email", label: "Email", type: "email", autocomplete: "email", inputmode: "email", value: state.email ?? "", autofocus: !hasEmail, plain: true })}
		${field({ id: "password", name: "password", label: "Password", type: "password", autocomplete: "current-password", autofocus: hasEmail })}
		<p class="form__aside"><a href="${PATHS.forgotPassword}" id="forgot-password-link">Forgot password?</a></p>
		<button type="submit" class="button button--primary button--block">Sign in</button>`,
	);
	return authPage(context, "Sign in", authCard(`Sign in to ${context.brand.productName}`, "Enter your email and password.", form, html`New here? <a href="${PATHS.signUp}">Create an account</a>`));
}

/**
 * The "Remember this device" checkbox of the code step (a native checkbox: keyboard, screen
 * readers and the label click work without the script).
 */
function rememberDeviceField(checked: boolean, days: number): SafeHtml {
	return html`<div class="check">
	<input class="check__input" type="checkbox" id="remember-device" name="rememberDevice" value="on" aria-describedby="remember-device-hint"${checked ? html` checked` : ""}>
	<div class="check__text">
		<label class="check__label" for="remember-device">Remember this device for ${days} days</label>
		<p class="check__hint" id="remember-device-hint">You'll still need your password. Don't use this on a shared computer.</p>
	</div>
</div>`;
}

/** A code step's page (titled as its card): its form, the way to the other kind of code, and "Start over". */
function codeStepPage(context: AuthPageContext, title: string, lead: string, form: SafeHtml, otherKind: SafeHtml, icon: SafeHtml): SafeHtml {
	return authPage(
		context,
		title,
		authCard(
			title,
			lead,
			form,
			html`<p>${otherKind}</p>
			<p class="muted">Not you, or wrong account? <a href="${PATHS.signIn}">Start over</a></p>`,
			icon,
		),
	);
}

/** What the code step shows. */
export interface SignInCodeState {
	readonly error?: string | null;
	/** The checkbox as the user left it (after a refused code). */
	readonly rememberDevice?: boolean;
	/** How long a remembered device skips the code step, in days. */
	readonly rememberDays: number;
}

/** `GET/POST /dashboard/sign-in/code` (the code step with an authenticator code). */
export function signInCodePage(context: AuthPageContext, state: SignInCodeState): SafeHtml {
	const form = postForm(
		PATHS.signInCode,
		context.csrf,
		html`${codeField("Enter the 6-digit code from your authenticator app", {
			error: state.error ?? null,
			hint: html`Open your authenticator app and enter the current code for <strong>${context.issuer}</strong>. ${CODE_HINT}`,
		})}
		${rememberDeviceField(state.rememberDevice === true, state.rememberDays)}
		<button type="submit" class="button button--primary button--block">Verify</button>`,
	);
	return codeStepPage(context, "Two-factor authentication", "One more step to prove it's you.", form, html`<a href="${PATHS.signInRecoveryCode}">Use a recovery code instead</a>`, PHONE_ICON);
}

/** `GET/POST /dashboard/sign-in/recovery-code`. */
export function signInRecoveryCodePage(context: AuthPageContext, state: { error?: string | null }): SafeHtml {
	const form = postForm(
		PATHS.signInRecoveryCode,
		context.csrf,
		html`${field({
			id: "recovery-code",
			name: "code",
			label: "Recovery code",
			autocomplete: "one-time-code",
			hint: "One of the codes you saved when you turned on two-factor authentication. Each code works once.",
			error: state.error ?? null,
			autofocus: true,
			plain: true,
			maxlength: 64,
			inputClass: "input--mono",
		})}
		<button type="submit" class="button button--primary button--block">Sign in with recovery code</button>`,
	);
	return codeStepPage(context, "Use a recovery code", "Lost access to your authenticator app? Enter one of your recovery codes.", form, html`<a href="${PATHS.signInCode}">Use your authenticator app instead</a>`, KEY_ICON);
}

const PHONE_ICON = html`<svg viewBox="0 0 24 24" width="40" height="40" focusable="false"><rect x="6" y="2" width="12" height="20" rx="2.5" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M10 18.5h4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/><path d="M9 9.5l2 2 4-4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const KEY_ICON = html`<svg viewBox="0 0 24 24" width="40" height="40" focusable="false"><circle cx="8" cy="15" r="4.2" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M11 12l8.5-8.5M16.5 6.5l2.5 2.5M14.5 8.5l2 2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>`;

/** What the sign-in link page shows. */
export interface SignInLinkState {
	/** The link's token, carried in a hidden field to the POST that uses it; null when not usable. */
	readonly token: string | null;
	/** Whom the link signs in; null when the link is unknown, expired or used. */
	readonly email: string | null;
	readonly error?: string | null;
}

/**
 * `GET /dashboard/sign-in-link?token=...`: "Continue as ...?" A click (a POST) uses the link, so
 * a mail scanner or a link preview that only fetches the page does not spend it.
 */
export function signInLinkPage(context: AuthPageContext, state: SignInLinkState): SafeHtml {
	const usable = state.token !== null && state.email !== null;
	const content = usable
		? postForm(
				PATHS.signInLink,
				context.csrf,
				html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		<input type="hidden" name="token" value="${state.token}">
		<button type="submit" class="button button--primary button--block" id="continue-sign-in" autofocus>Continue</button>`,
			)
		: notice("warning", state.error ?? "This sign-in link has expired or was already used. Ask for a new one.", "sign-in-link-error");
	return authPage(
		context,
		"Sign in",
		authCard(
			usable ? "Continue signing in" : "This link can't be used",
			usable ? html`Sign in to ${context.brand.productName} as <strong>${state.email}</strong>. If two-factor authentication is on, you'll enter your code next.` : html`Sign-in links work once, for a limited time.`,
			content,
			html`Have a password? <a href="${PATHS.signIn}">Sign in with your password</a>`,
		),
	);
}
