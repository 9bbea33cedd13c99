/**
 * The dashboard's page shell and the small building blocks every page shares (form fields,
 * notices, buttons). Everything goes through the escaping `html` tag; there is no inline script
 * and no `style` attribute anywhere, so the strict CSP (`script-src 'self'; style-src 'self'`)
 * holds. Scripts only enhance: every flow works as plain forms.
 */
import { csrfField } from "./csrf.js";
import { html, type HtmlValue, type SafeHtml } from "./html.js";

/** Every dashboard URL, in one place (the plugin is registered under `/dashboard`). */
export const PATHS = Object.freeze({
	home: "/dashboard",
	signUp: "/dashboard/sign-up",
	signIn: "/dashboard/sign-in",
	signInCode: "/dashboard/sign-in/code",
	signInRecoveryCode: "/dashboard/sign-in/recovery-code",
	signInLink: "/dashboard/sign-in-link",
	signOut: "/dashboard/sign-out",
	/** Forward-auth: an app behind the proxy asks for a (recent) second factor, or for 2FA to be set up (`http/routes/authz.ts` sends browsers here). */
	stepUp: "/dashboard/step-up",
	/** "Forgot password?" and the mailed links' pages (`service/email-links.ts` names the same paths). */
	forgotPassword: "/dashboard/forgot-password",
	resetPassword: "/dashboard/reset-password",
	resetPasswordCode: "/dashboard/reset-password/code",
	verifyEmail: "/dashboard/verify-email",
	resendVerification: "/dashboard/verify-email/resend",
	confirmEmailChange: "/dashboard/confirm-email",
	finishSignUp: "/dashboard/sign-up/finish",
	changeEmail: "/dashboard/settings/email",
	/** The link mailed to the current address that approves a change of address. */
	approveEmailChange: "/dashboard/approve-email-change",
	/** The mailed link that confirms the second factor for apps behind `two_factor` rules. */
	confirmTwoFactor: "/dashboard/confirm-two-factor",
	/** The mailed link (or an operator's sign-in link) to the two-factor setup an operator requires, past its deadline. */
	requiredTwoFactorSetup: "/dashboard/two-factor/required-setup",
	requiredTwoFactorSetupConfirm: "/dashboard/two-factor/required-setup/confirm",
	/** The step-up page's "Email me the link" (asks for that link). */
	stepUpEmailLink: "/dashboard/step-up/email-link",
	security: "/dashboard/settings/security",
	securityTwoFactor: "/dashboard/settings/security/two-factor",
	securitySessions: "/dashboard/settings/security/sessions",
	securityActivity: "/dashboard/settings/security/activity",
	twoFactorSetup: "/dashboard/settings/security/two-factor/setup",
	twoFactorConfirm: "/dashboard/settings/security/two-factor/confirm",
	twoFactorDisable: "/dashboard/settings/security/two-factor/disable",
	twoFactorSaved: "/dashboard/settings/security/two-factor/saved",
	twoFactorReplace: "/dashboard/settings/security/two-factor/replace",
	addAuthenticator: "/dashboard/settings/security/two-factor/add",
	renameAuthenticator: "/dashboard/settings/security/two-factor/authenticators/rename",
	removeAuthenticator: "/dashboard/settings/security/two-factor/authenticators/remove",
	recoveryCodes: "/dashboard/settings/security/recovery-codes",
	password: "/dashboard/settings/security/password",
	revokeSession: "/dashboard/settings/security/sessions/revoke",
	revokeOtherSessions: "/dashboard/settings/security/sessions/revoke-others",
	signOutEverywhere: "/dashboard/settings/security/sessions/sign-out-everywhere",
	reauthenticate: "/dashboard/settings/security/confirm",
	forgetDevice: "/dashboard/settings/security/devices/forget",
	disconnectApp: "/dashboard/settings/security/apps/disconnect",
	forgetAllDevices: "/dashboard/settings/security/devices/forget-all",
	secureAccount: "/dashboard/settings/security/compromised",
	/** Personal access tokens: the list, and the create form's POST. */
	securityAccessTokens: "/dashboard/settings/security/access-tokens",
	revokeAccessToken: "/dashboard/settings/security/access-tokens/revoke",
	revokeAllAccessTokens: "/dashboard/settings/security/access-tokens/revoke-all",
	stylesheet: "/dashboard/assets/dashboard.css",
	script: "/dashboard/assets/dashboard.js",
	favicon: "/dashboard/assets/favicon.svg",
	/** The accent colours of `branding.accentColor` (served only when set). */
	brandStylesheet: "/dashboard/assets/brand.css",
	/** The operator's logo, `branding.logoFile` (served only when set). */
	logo: "/dashboard/assets/logo",
});

/**
 * How the operator presents the dashboard (`branding.*` in the config, docs/config.md), as the
 * page shell shows it. {@link DEFAULT_BRAND} is deadbolt's own.
 */
export interface Brand {
	/** The product's name: in the header, after every page title, on the sign-in pages. */
	readonly productName: string;
	/** Whether the logo is served at `PATHS.logo` (shown instead of the padlock). */
	readonly hasLogo: boolean;
	/** Whether the accent stylesheet is served at `PATHS.brandStylesheet` (linked after the dashboard's). */
	readonly hasAccent: boolean;
	/** The "Get help" link (an http(s) URL, checked at start), or null for none. */
	readonly supportUrl: string | null;
	/** The footer's plain text, or null for deadbolt's sentence. */
	readonly footerText: string | null;
}

/** deadbolt's own look: no logo, the default colours, no help link, the default footer. */
export const DEFAULT_BRAND: Brand = Object.freeze({ productName: "deadbolt", hasLogo: false, hasAccent: false, supportUrl: null, footerText: null });

/** Which top-level section a page belongs to (highlighted in the navigation). */
export type Section = "home" | "security";

/** What the shell needs to know about the page. */
export interface PageOptions {
	/** The page title (before " · " and the product name). */
	readonly title: string;
	/** The product name, logo, colours, help link and footer (`branding.*`). */
	readonly brand: Brand;
	/** The signed-in account's email, or null on the sign-in pages. */
	readonly email: string | null;
	/** The CSRF form token; required when signed in (the sign-out button is a form). */
	readonly csrf: string | null;
	/** The page content, inside `<main>`. */
	readonly body: SafeHtml;
	/** The highlighted navigation entry. */
	readonly section?: Section;
	/** A centered, narrow layout (sign-in, sign-up and error pages). */
	readonly narrow?: boolean;
	/** The page shows a modal dialog (dims the page behind it until the script upgrades it). */
	readonly modal?: boolean;
}

/** The padlock mark of the header (inline SVG: no style attributes, colours from CSS; `assets/favicon.svg` is the same padlock). */
const PADLOCK = html`<svg class="brand__mark" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><rect x="3" y="10" width="18" height="12" rx="3" fill="currentColor"/><path d="M7.5 10V7.5a4.5 4.5 0 0 1 9 0V10" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/><circle cx="12" cy="15.4" r="1.7" class="brand__keyhole"/><rect x="11.1" y="16" width="1.8" height="3.2" rx=".9" class="brand__keyhole"/></svg>`;

function navLink(href: string, label: string, current: boolean): SafeHtml {
	return html`<a class="nav__link" href="${href}"${current ? html` aria-current="page"` : ""}>${label}</a>`;
}

/** The header's mark: the operator's logo (decorative: the product name follows it), or the padlock. */
function brandMark(brand: Brand): SafeHtml {
	return brand.hasLogo ? html`<img class="brand__logo" src="${PATHS.logo}" alt="" height="28">` : PADLOCK;
}

/**
 * The "Get help" link of `branding.supportUrl`, or nothing when none is set. The URL was checked
 * at start to be http(s), and is escaped here like every value.
 */
export function supportLink(brand: Brand, className = "support-link"): SafeHtml | null {
	return brand.supportUrl === null ? null : html`<a class="${className}" href="${brand.supportUrl}">Get help</a>`;
}

/** The footer: the operator's text (escaped) or deadbolt's sentence, and the help link. */
function footer(brand: Brand): SafeHtml {
	const text = brand.footerText ?? html`Secured by <strong>deadbolt</strong> · two-factor authentication with any authenticator app`;
	const help = supportLink(brand, "site-footer__help");
	return html`<footer class="site-footer">
	<p>${text}${help !== null && html` · ${help}`}</p>
</footer>`;
}

/** A full HTML document around `options.body`. */
export function renderPage(options: PageOptions): SafeHtml {
	const { title, brand, email, csrf } = options;
	const signedIn = email !== null;
	const bodyClass = options.modal === true ? html` class="has-modal"` : null;
	return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<title>${title} · ${brand.productName}</title>
<link rel="icon" href="${PATHS.favicon}" type="image/svg+xml">
<link rel="stylesheet" href="${PATHS.stylesheet}">
${brand.hasAccent && html`<link rel="stylesheet" href="${PATHS.brandStylesheet}">`}
<script src="${PATHS.script}" defer></script>
</head>
<body${bodyClass}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
	<div class="site-header__inner">
		<a class="brand" href="${PATHS.home}">${brandMark(brand)}<span class="brand__name">${brand.productName}</span></a>
		${signedIn &&
		html`<nav class="nav" aria-label="Main">
			${navLink(PATHS.home, "Account", options.section === "home")}
			${navLink(PATHS.security, "Security", options.section === "security")}
		</nav>
		<div class="account-menu">
			<span class="account-menu__email" title="Signed in as ${email}">${email}</span>
			${csrf !== null &&
			html`<form method="post" action="${PATHS.signOut}" class="account-menu__form">
				${csrfField(csrf)}
				<button type="submit" class="button button--ghost button--small">Sign out</button>
			</form>`}
		</div>`}
	</div>
</header>
<main id="main" class="main${options.narrow === true ? " main--narrow" : ""}" tabindex="-1">
${options.body}
</main>
${footer(brand)}
</body>
</html>
`;
}

/** The kinds of notice, each with its ARIA role: errors interrupt, the others are polite. */
export type NoticeKind = "error" | "warning" | "success" | "info";

/** A notice box. Errors use `role="alert"` so screen readers announce them after a POST. */
export function notice(kind: NoticeKind, content: HtmlValue, id?: string): SafeHtml {
	const role = kind === "error" ? "alert" : "status";
	return html`<div class="notice notice--${kind}" role="${role}"${id === undefined ? "" : html` id="${id}"`}>${content}</div>`;
}

/** A labelled input with an optional hint and error, wired with `aria-describedby`. */
export interface FieldOptions {
	readonly id: string;
	readonly name: string;
	readonly label: string;
	readonly type?: "text" | "email" | "password";
	readonly autocomplete: string;
	readonly value?: string;
	readonly hint?: HtmlValue;
	readonly error?: string | null;
	readonly inputmode?: "numeric" | "text" | "email";
	readonly autofocus?: boolean;
	/** Instead of `autofocus`: the script focuses the input only if that scrolls nothing (`data-focus-if-visible`). */
	readonly focusIfVisible?: boolean;
	readonly required?: boolean;
	readonly minlength?: number;
	readonly maxlength?: number;
	readonly pattern?: string;
	/** Extra classes on the input (e.g. `input--code`). */
	readonly inputClass?: string;
	/** For codes: no spell checking, no capitalisation. */
	readonly plain?: boolean;
	/** Markup placed on the same row as the input (e.g. its submit button). */
	readonly append?: SafeHtml;
}

/** The hint under every new-password field (NIST SP 800-63B §5.1.1.2: length, no composition rules). */
export function newPasswordHint(minLength: number): string {
	return `At least ${minLength} characters. A long passphrase is easiest to remember; avoid common passwords.`;
}

/** A "New password" field (`name="newPassword"`, `autocomplete="new-password"`) with the policy hint. */
export function newPasswordField(options: { id?: string; minLength: number; error: string | null; autofocus?: boolean; hint?: string }): SafeHtml {
	return field({
		id: options.id ?? "new-password",
		name: "newPassword",
		label: "New password",
		type: "password",
		autocomplete: "new-password",
		hint: options.hint ?? newPasswordHint(options.minLength),
		error: options.error,
		minlength: options.minLength,
		...(options.autofocus === true ? { autofocus: true } : {}),
	});
}

/**
 * The field for a second factor in a confirmation: a TOTP code or a recovery code (`name="code"`).
 * @param options.hint - default: "The 6-digit code from your authenticator app, or one of your recovery codes."
 */
export function secondFactorField(options: { id: string; error: string | null | undefined; autofocus?: boolean; hint?: string }): SafeHtml {
	return field({
		id: options.id,
		name: "code",
		label: "Authenticator code or recovery code",
		autocomplete: "one-time-code",
		hint: options.hint ?? "The 6-digit code from your authenticator app, or one of your recovery codes.",
		error: options.error ?? null,
		plain: true,
		maxlength: 64,
		inputClass: "input--mono",
		...(options.autofocus === undefined ? {} : { autofocus: options.autofocus }),
	});
}

/** "Confirm it's you" inside a form (a code asked with the form's own fields). */
export function inlineConfirmation(codeField: SafeHtml): SafeHtml {
	return html`<div class="confirm-inline">
			<p class="confirm-inline__title">Confirm it's you</p>
			${codeField}
		</div>`;
}

/** One form field: label, input, hint, error. */
export function field(options: FieldOptions): SafeHtml {
	const { id, name, label } = options;
	const hintId = `${id}-hint`;
	const errorId = `${id}-error`;
	const hasError = options.error !== undefined && options.error !== null && options.error !== "";
	const describedBy = [options.hint !== undefined ? hintId : null, hasError ? errorId : null].filter((x) => x !== null).join(" ");
	const attributes = [
		html` type="${options.type ?? "text"}" autocomplete="${options.autocomplete}"`,
		options.value !== undefined && options.value !== "" && html` value="${options.value}"`,
		options.inputmode !== undefined && html` inputmode="${options.inputmode}"`,
		options.required !== false && html` required`,
		options.minlength !== undefined && html` minlength="${options.minlength}"`,
		options.maxlength !== undefined && html` maxlength="${options.maxlength}"`,
		options.pattern !== undefined && html` pattern="${options.pattern}"`,
		options.plain === true && html` spellcheck="false" autocapitalize="none" autocorrect="off"`,
		options.autofocus === true && html` autofocus`,
		options.focusIfVisible === true && html` data-focus-if-visible`,
		describedBy !== "" && html` aria-describedby="${describedBy}"`,
		hasError && html` aria-invalid="true"`,
	];
	const inputClass = options.inputClass === undefined ? "input" : `input ${options.inputClass}`;
	const input = html`<input class="${inputClass}" id="${id}" name="${name}"${attributes}>`;
	return html`<div class="field${hasError ? " field--invalid" : ""}">
	<label class="field__label" for="${id}">${label}</label>
	${options.hint !== undefined && html`<p class="field__hint" id="${hintId}">${options.hint}</p>`}
	${options.append === undefined ? input : html`<div class="field__row">${input}${options.append}</div>`}
	${hasError && html`<p class="field__error" id="${errorId}">${options.error}</p>`}
</div>`;
}

/** A POST form to `action` with the CSRF field. */
export function postForm(action: string, csrf: string, content: SafeHtml, className = "form"): SafeHtml {
	return html`<form method="post" action="${action}" class="${className}" novalidate>
	${csrfField(csrf)}
	${content}
</form>`;
}

/** What the 6-digit code field shows besides its label. */
export interface CodeFieldOptions {
	readonly error?: string | null;
	readonly hint?: HtmlValue;
	/** Markup on the same row as the input (the submit button). */
	readonly append?: SafeHtml;
	/**
	 * `"always"` (the default): the browser focuses the field on load. `"if-visible"` (the setup
	 * dialog): no `autofocus`, because on a phone focusing the field would scroll the QR code out
	 * of view; the script focuses it only when it is already in view without scrolling.
	 */
	readonly focus?: "always" | "if-visible";
}

/** The 6-digit code field used at sign-in and during setup (id `code`). */
export function codeField(label: string, options: CodeFieldOptions = {}): SafeHtml {
	return field({
		id: "code",
		name: "code",
		label,
		autocomplete: "one-time-code",
		inputmode: "numeric",
		maxlength: 12,
		error: options.error ?? null,
		autofocus: options.focus !== "if-visible",
		focusIfVisible: options.focus === "if-visible",
		plain: true,
		inputClass: "input--code",
		...(options.hint === undefined ? {} : { hint: options.hint }),
		...(options.append === undefined ? {} : { append: options.append }),
	});
}

/** The hint under every 6-digit code field: a refused code is usually one already used. */
export const CODE_HINT = "If a code is refused, wait for the next one: each code works once.";

/**
 * An email address for display, so that a narrow column wraps it sensibly: "frank3" and
 * "@example.com" each go to the next line whole (never "frank3@example.c / om"); a part longer
 * than a whole line wraps before one of its dots (`<wbr>`), and only then anywhere (CSS).
 */
export function emailText(email: string): SafeHtml {
	const at = email.lastIndexOf("@");
	const parts = at <= 0 ? [email] : [email.slice(0, at), email.slice(at)];
	const part = (text: string): SafeHtml => html`<span class="email__part">${text.split(/(?=\.)/).map((piece, index) => (index === 0 ? piece : html`<wbr>${piece}`))}</span>`;
	return html`<span class="email">${parts.map((text, index) => (index === 0 ? part(text) : html`<wbr>${part(text)}`))}</span>`;
}

/** Plural helper: `plural(1, "code")` = "1 code", `plural(3, "code")` = "3 codes". */
export function plural(count: number, word: string): string {
	return `${count} ${word}${count === 1 ? "" : "s"}`;
}
