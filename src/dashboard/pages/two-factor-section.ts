/**
 * Settings > Security > Two-factor authentication: whether it is on, the authenticator apps
 * (`authenticator-list.ts`: each named, added, renamed, removed; moving to a new phone), the
 * recovery codes left (and new ones), turning it off; or, when it is off,
 * the way to set it up. The destructive actions ask first (`confirmations.ts`).
 */
import { html, type SafeHtml } from "../html.js";
import { emailText, PATHS, postForm } from "../layout.js";
import { confirmableButton, turnOffTwoFactorLink } from "./confirmations.js";
import { authenticatorApps } from "./authenticator-list.js";
import { confirmationFacts, FEW_RECOVERY_CODES, fewRecoveryCodesWarning, statusBadge, type SecurityState } from "./security-state.js";

function onContent(state: SecurityState): SafeHtml {
	const facts = confirmationFacts(state);
	return html`<p class="status-line" id="two-factor-status"><span class="status-dot status-dot--on" aria-hidden="true"></span>Two-factor authentication is on</p>
	<p>Signing in asks for your password and a 6-digit code from your authenticator app.</p>
	${authenticatorApps(state)}
	${state.secondFactorMailConfirmed === false && mailConfirmationContent(state)}
	${state.secondFactorMailConfirmed === true && html`<p class="muted small" id="mail-confirmed">Confirmed by email: apps that need two-factor authentication accept it.</p>`}
	<h3 class="card__subtitle" id="recovery-codes-title">Recovery codes</h3>
	<dl class="facts">
		<div><dt>Left</dt><dd id="recovery-codes-left">${state.recoveryCodesLeft} of ${state.recoveryCodesTotal}</dd></div>
	</dl>
	<p>Each code signs you in once if you can't use your authenticator app. Keep them somewhere safe, such as a password manager or on paper.</p>
	${fewRecoveryCodesWarning(state)}
	${
		state.recoveryCodesLeft > FEW_RECOVERY_CODES &&
		html`<div class="actions actions--start">
		${confirmableButton(state.csrf, "regenerate-recovery-codes", facts, "Generate new recovery codes", "button button--secondary button--wrap", "regenerate-recovery-codes")}
	</div>`
	}
	<p class="muted small">New recovery codes replace all of your current ones: the old codes stop working at once.</p>
	<h3 class="card__subtitle" id="turn-off-title">Turn off</h3>
	${
		state.twoFactorRequired === true
			? html`<p id="two-factor-required">Your administrator requires two-factor authentication for your account, so it can't be turned off. To change phones, add the new one, then remove the old one.</p>`
			: html`<p>Without two-factor authentication, your password alone signs you in.</p>
	<div class="actions actions--start">
		${turnOffTwoFactorLink(state.csrf, facts)}
	</div>`
	}`;
}

/** 2FA on, not yet confirmed by mail, and apps behind forward-auth need it: what to do. */
function mailConfirmationContent(state: SecurityState): SafeHtml {
	return html`<div class="notice notice--warning" role="status" id="mail-confirmation-needed">
		<p>Apps that need two-factor authentication accept your authenticator app once you confirm it with a link we email to <strong>${emailText(state.email)}</strong> (open it in this browser).</p>
		${postForm(PATHS.stepUpEmailLink, state.csrf, html`<button type="submit" class="button button--secondary button--wrap">Email me the link</button>`)}
	</div>`;
}

function offContent(): SafeHtml {
	return html`<p class="status-line" id="two-factor-status"><span class="status-dot status-dot--off" aria-hidden="true"></span>Two-factor authentication is off</p>
	<p>Add a second lock to your account: besides your password, signing in will ask for a 6-digit code from an authenticator app on your phone. Even if someone learns your password, they can't sign in without it.</p>
	<p><a class="button button--primary button--wrap" id="setup-two-factor" href="${PATHS.twoFactorSetup}">Set up two-factor authentication</a></p>`;
}

/** The Two-factor page's content. */
export function twoFactorSection(state: SecurityState): SafeHtml {
	return html`<div class="stack">
	<section class="card" id="two-factor" aria-labelledby="two-factor-title">
		<div class="card__heading">
			<h2 class="card__title" id="two-factor-title">Two-factor authentication</h2>
			${statusBadge(state.twoFactorEnabled)}
		</div>
		${state.flash?.card === "two-factor" && state.flash.content}
		${state.twoFactorEnabled ? onContent(state) : offContent()}
	</section>
	<section class="card card--quiet" aria-labelledby="apps-title">
		<h2 class="card__title" id="apps-title">Which app to use</h2>
		<p>Any app that shows 6-digit time-based codes works, for example:</p>
		<ul class="app-list">
			<li>Google Authenticator</li><li>Authy</li><li>Microsoft Authenticator</li><li>1Password</li><li>FreeOTP</li>
		</ul>
		<p class="muted">Never share your codes with anyone, not even support.</p>
	</section>
</div>`;
}
