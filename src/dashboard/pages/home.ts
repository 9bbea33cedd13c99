/**
 * The account home (`GET /dashboard`): who is signed in (and in which groups, when an operator put
 * the account in some), whether two-factor authentication is on, the way to Security settings, and
 * after a sign-in with a recovery code, how many are left.
 */
import { html, type SafeHtml } from "../html.js";
import { type Brand, emailText, notice, PATHS, plural, renderPage } from "../layout.js";
import { FEW_RECOVERY_CODES, statusBadge } from "./security-state.js";
import { verificationBanner } from "./email-links.js";


/** What the home page shows. */
export interface HomeState {
	/** The product name and look (`branding.*`). */
	readonly brand: Brand;
	readonly csrf: string;
	readonly email: string;
	/** Whether the address is verified; until it is, a banner asks for it (with "Resend email"). */
	readonly emailVerified: boolean;
	/** A fixed notice after a mailed-link flow or "Resend email". */
	readonly notice?: HomeNotice | null;
	/** The banner's refusal (too many resends). */
	readonly verificationError?: string | null;
	/** The account's creation date, formatted for display. */
	readonly memberSince: string;
	/** The account's groups, set by an operator (shown as "Groups: a, b"; the row is left out when none). */
	readonly groups?: readonly string[];
	readonly twoFactorEnabled: boolean;
	readonly recoveryCodesLeft: number;
	/** Set right after a sign-in with a recovery code. */
	readonly signedInWithRecoveryCode: boolean;
	/** Set right after a code sign-in whose code came from a neighbouring time step. */
	readonly clock?: ClockDirection | null;
	/** The operator requires 2FA of this account and it is off: the deadline, formatted ("December 21, 2026"); null otherwise. */
	readonly twoFactorDeadline?: string | null;
}

/** The notices the account page shows after a mailed-link flow or the banner's "Resend email". */
export type HomeNotice = "verification-sent" | "email-verified" | "email-changed" | "two-factor-confirmed" | "verify-for-app";

/** Which way the phone's clock seems to be off. */
export type ClockDirection = "ahead" | "behind";

/**
 * The notice after a code that worked but came from the previous or next 30-second step. Fixed
 * text: only the direction comes from the URL (one of two words), never any of its wording.
 */
export function clockNotice(direction: ClockDirection): SafeHtml {
	return notice(
		"info",
		html`<strong>Your device's clock seems to be a little ${direction}.</strong> The code worked, but to keep codes working, turn on automatic date and time in your phone's settings.`,
		"clock-notice",
	);
}

/**
 * A notice after a sign-in with a recovery code: how many are left, and what to do next (the
 * phone may be lost: move to a new one; the codes run out: make new ones), each a link to its
 * place on the Two-factor page.
 */
export function recoveryCodesLeftNotice(left: number): SafeHtml {
	const next = html`<p>If you no longer have your phone, move two-factor authentication to a new one now, while you're signed in.</p>
<div class="notice__actions">
	<a class="button button--secondary button--small button--wrap" href="${PATHS.securityTwoFactor}#authenticator-title" id="recovery-next-new-phone">Move to a new phone</a>
	<a class="button button--secondary button--small button--wrap" href="${PATHS.securityTwoFactor}#recovery-codes-title" id="recovery-next-codes">Generate new recovery codes</a>
</div>`;
	if (left === 0) {
		return notice("warning", html`<p><strong>You signed in with your last recovery code.</strong> You have no recovery codes left: generate a new set now.</p>${next}`, "recovery-notice");
	}
	if (left <= FEW_RECOVERY_CODES) {
		return notice("warning", html`<p><strong>You signed in with a recovery code. Only ${plural(left, "recovery code")} left.</strong> Each code works once.</p>${next}`, "recovery-notice");
	}
	return notice("info", html`<p>You signed in with a recovery code. That code can't be used again; you have <strong>${plural(left, "recovery code")} left</strong>.</p>${next}`, "recovery-notice");
}

/** `GET /dashboard` when signed in. */
export function homePage(state: HomeState): SafeHtml {
	const body = html`<div class="page-header">
	<h1 class="page-title">Your account</h1>
	<p class="page-lead">Signed in as <strong>${emailText(state.email)}</strong>.</p>
</div>
${state.notice === "email-verified" && notice("success", "Your email address is verified.", "home-notice")}
${state.notice === "email-changed" && notice("success", "Your email address was changed. Your previous address was told.", "home-notice")}
${state.notice === "two-factor-confirmed" && notice("success", "Your authenticator app is confirmed: apps that need two-factor authentication let you in now.", "home-notice")}
${state.notice === "verify-for-app" && !state.emailVerified && notice("warning", "The app you came from signs in only accounts with a verified email address. Open the link we emailed you (or send a new one below), then sign in to the app again.", "home-notice")}
${!state.emailVerified && verificationBanner(state.csrf, state.email, { sent: state.notice === "verification-sent", error: state.verificationError ?? null })}
${state.twoFactorDeadline !== undefined && state.twoFactorDeadline !== null && notice("warning", html`<p><strong>Set up two-factor authentication by ${state.twoFactorDeadline}.</strong> Your administrator requires it: after that date, signing in needs a code from an authenticator app.</p><div class="notice__actions"><a class="button button--primary button--small button--wrap" id="required-setup-link" href="${PATHS.twoFactorSetup}">Set up two-factor authentication</a></div>`, "two-factor-deadline")}
${state.signedInWithRecoveryCode && recoveryCodesLeftNotice(state.recoveryCodesLeft)}
${state.clock !== undefined && state.clock !== null && clockNotice(state.clock)}
<div class="grid">
	<section class="card" aria-labelledby="account-title">
		<h2 class="card__title" id="account-title">Account</h2>
		<dl class="facts">
			<div><dt>Email</dt><dd>${emailText(state.email)} <a href="${PATHS.changeEmail}" id="change-email-link">Change<span class="visually-hidden"> email address</span></a></dd></div>
			<div><dt>Member since</dt><dd>${state.memberSince}</dd></div>
			${state.groups !== undefined && state.groups.length > 0 && html`<div id="account-groups"><dt>Groups</dt><dd>${state.groups.join(", ")}</dd></div>`}
		</dl>
	</section>
	<section class="card" aria-labelledby="two-factor-title">
		<div class="card__heading">
			<h2 class="card__title" id="two-factor-title">Two-factor authentication</h2>
			${statusBadge(state.twoFactorEnabled)}
		</div>
		${
			state.twoFactorEnabled
				? html`<p id="two-factor-status">Two-factor authentication is on. Signing in asks for your password and a code from your authenticator app.</p>
				<p class="muted">${plural(state.recoveryCodesLeft, "recovery code")} left.</p>`
				: html`<p id="two-factor-status">Two-factor authentication is off. Add a second lock: even with your password, nobody can sign in without the code from your phone.</p>`
		}
		<p><a class="button ${state.twoFactorEnabled ? "button--secondary" : "button--primary"}" href="${PATHS.security}">Security settings</a></p>
	</section>
</div>`;
	return renderPage({ title: "Your account", brand: state.brand, email: state.email, csrf: state.csrf, section: "home", body });
}
