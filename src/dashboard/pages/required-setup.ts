/**
 * The two-factor setup an operator requires, past the account's deadline (`service/required-two-factor.ts`):
 * signed-out pages, since no session exists before it is done. The setup token travels in a hidden
 * field from page to page (never in a cookie: the mailed link is the only way in).
 * 1. "Set up two-factor authentication": why, and Continue (a link preview does not start it).
 * 2. The key (open in the app, type it, or scan the QR code) and the code.
 * 3. Done: the recovery codes, shown once, and the way to the account.
 */
import type { PendingEnrollment } from "../../service/totp-enrollment.js";
import { html, raw, type SafeHtml } from "../html.js";
import { CODE_HINT, codeField, emailText, notice, PATHS, postForm } from "../layout.js";
import { authCard, authPage, type AuthPageContext } from "./auth.js";
import { recoveryCodesList } from "./recovery-codes.js";

/** Step 1: the link opened (or an operator's sign-in link used); Continue starts the setup. */
export function requiredSetupStartPage(context: AuthPageContext, setupToken: string | null, error: string | null = null): SafeHtml {
	if (setupToken === null) {
		return authPage(
			context,
			"Link not valid",
			authCard("This link can't be used", "It was already used, has expired, or was replaced by a newer one.", notice("warning", error ?? "Sign in again with your password: we will email you a new link.", "required-setup-error"), html`<a href="${PATHS.signIn}">Sign in</a>`),
		);
	}
	const form = postForm(PATHS.requiredTwoFactorSetup, context.csrf, html`<input type="hidden" name="token" value="${setupToken}">
	<button type="submit" class="button button--primary button--block" id="required-setup-continue">Continue</button>`);
	return authPage(context, "Set up two-factor authentication", authCard("Set up two-factor authentication", "Your administrator requires two-factor authentication for your account. Set it up now to sign in: you need an authenticator app on your phone.", form));
}

/** Step 2: the key for the app, and the code that proves the app has it. */
export function requiredSetupScanPage(context: AuthPageContext, setupToken: string, pending: PendingEnrollment & { readonly email: string }, error: string | null = null): SafeHtml {
	const content = html`${pending.compatibilityWarning !== null && notice("warning", pending.compatibilityWarning, "app-compatibility-warning")}
<p><a class="button button--secondary open-in-app" id="open-in-app" href="${pending.keyURI}">Open in authenticator app</a></p>
<div class="manual-key">
	<h2 class="manual-key__title">Or enter the key in the app</h2>
	<dl class="facts facts--compact">
		<div><dt>Account</dt><dd>${emailText(pending.email)}</dd></div>
		<div><dt>Issuer</dt><dd>${context.issuer}</dd></div>
	</dl>
	<code id="secret-key" class="secret-key" aria-label="Secret key">${pending.secretGroups}</code>
	<p class="manual-key__meta">Time-based · ${pending.digits} digits · new code every ${pending.periodSeconds} seconds</p>
</div>
<div id="qr-code" class="qr" role="img" aria-label="QR code that adds ${context.issuer} (${pending.email}) to your authenticator app">${raw(pending.qrSvg)}</div>
${postForm(
	PATHS.requiredTwoFactorSetupConfirm,
	context.csrf,
	html`<input type="hidden" name="token" value="${setupToken}">
	${codeField(`Enter the ${pending.digits}-digit code from your authenticator app`, { error, hint: CODE_HINT, append: html`<button type="submit" class="button button--primary">Verify and sign in</button>` })}`,
	"form form--separated",
)}`;
	return authPage(context, "Connect your authenticator app", authCard("Connect your authenticator app", "Add the account to your app in one of these ways, then enter the code it shows.", content));
}

/** Step 3: two-factor authentication is on and the account signed in; its recovery codes, shown this once. */
export function requiredSetupDonePage(context: AuthPageContext, email: string, generatedOn: string, recoveryCodes: readonly string[]): SafeHtml {
	const content = html`${notice("success", "Two-factor authentication is on. From now on, signing in asks for your password and a code from your authenticator app.", "required-setup-done")}
<h2 class="setup-heading">Save your recovery codes</h2>
<p>If you lose your phone, each of these codes lets you sign in once. <strong>This is the only time they are shown:</strong> store them in a password manager or print them.</p>
${recoveryCodesList({ issuer: context.issuer, email }, generatedOn, recoveryCodes, null)}
<p><a class="button button--primary" id="required-setup-finish" href="${PATHS.home}">I have saved them: go to my account</a></p>`;
	return authPage(context, "Two-factor authentication is on", authCard("You're all set", "Your account is protected with two-factor authentication.", content));
}
