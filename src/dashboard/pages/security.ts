/**
 * Settings > Security, optionally with a dialog over it (the two-factor setup of
 * `two-factor-setup.ts`, "Confirm it's you" and the other dialogs of `security-dialogs.ts`).
 */
import type { SecurityEventView } from "../../service/security-events.js";
import type { SessionView } from "../../service/sessions.js";
import { html, type SafeHtml } from "../html.js";
import { type Brand, notice, PATHS, plural, postForm, renderPage } from "../layout.js";
import type { TrustedDeviceView } from "../../service/trusted-devices.js";
import { compromisedCard } from "./compromised.js";
import { activityCard, passwordCard, sessionsCard, trustedDevicesCard, type CardFlash, type PasswordFormState } from "./security-sections.js";

/** Recovery codes left at or below which the user is warned. */
export const FEW_RECOVERY_CODES = 3;

/** The On/Off pill. */
export function statusBadge(on: boolean): SafeHtml {
	return on ? html`<span class="badge badge--on">On</span>` : html`<span class="badge badge--off">Off</span>`;
}

/** What the security page shows behind (or without) the dialog. */
export interface SecurityState {
	/** The product name and look (`branding.*`). */
	readonly brand: Brand;
	/** The name the authenticator app shows (`issuer`). */
	readonly issuer: string;
	readonly csrf: string;
	readonly email: string;
	/** false for an account created without a password: step 1 of the setup sets one. Default true. */
	readonly hasPassword?: boolean;
	readonly twoFactorEnabled: boolean;
	readonly recoveryCodesLeft: number;
	readonly recoveryCodesTotal: number;
	/** A notice above the cards (e.g. after setup was refused). */
	readonly message?: SafeHtml | null;
	/** The account's active sessions (the card is left out when not given). */
	readonly sessions?: readonly SessionView[];
	/** The latest security events, newest first (the card is left out when not given). */
	readonly events?: readonly SecurityEventView[];
	/** The password policy's minimum length (the password card is left out when not given). */
	readonly passwordMinLength?: number;
	/** The password form after a refused change. */
	readonly passwordForm?: PasswordFormState;
	/** A notice inside one card, after an action there. */
	readonly flash?: CardFlash | null;
	/** The remembered devices (the card is left out when not given). */
	readonly trustedDevices?: readonly TrustedDeviceView[];
	/** The id of this browser's remembered device, if it is one. */
	readonly currentDeviceId?: string | null;
	/** "I think my account is compromised" after a refused POST (the card needs `passwordMinLength`). */
	readonly compromisedForm?: PasswordFormState;
}

/**
 * The warning shown when few recovery codes are left (null when there are enough). It only asks
 * for what the user can do in this version: keep the remaining codes and the authenticator safe.
 */
export function fewRecoveryCodesWarning(left: number): SafeHtml | null {
	if (left > FEW_RECOVERY_CODES) return null;
	if (left === 0) {
		return notice(
			"warning",
			html`<strong>You have no recovery codes left.</strong> Your authenticator app is now the only way to sign in: keep your phone safe, and transfer the authenticator entry before you change phones.`,
			"recovery-codes-warning",
		);
	}
	const rest = left === 1 ? "it" : "the rest";
	return notice(
		"warning",
		html`<strong>Only ${plural(left, "recovery code")} left.</strong> Each code works once: keep ${rest} somewhere safe, such as a password manager.`,
		"recovery-codes-warning",
	);
}

/** `GET /dashboard/settings/security`, optionally with the setup dialog over it. */
export function securityPage(state: SecurityState, dialog: SafeHtml | null = null): SafeHtml {
	const twoFactor = state.twoFactorEnabled
		? html`<p class="status-line" id="two-factor-status"><span class="status-dot status-dot--on" aria-hidden="true"></span>Two-factor authentication is on</p>
			<p>Signing in asks for your password and a 6-digit code from your authenticator app.</p>
			<dl class="facts">
				<div><dt>Authenticator app</dt><dd>Connected</dd></div>
				<div><dt>Recovery codes</dt><dd id="recovery-codes-left">${state.recoveryCodesLeft} of ${state.recoveryCodesTotal} left</dd></div>
			</dl>
			${fewRecoveryCodesWarning(state.recoveryCodesLeft)}
			<div class="actions actions--start two-factor-actions">
				${postForm(PATHS.recoveryCodes, state.csrf, html`<button type="submit" class="button button--secondary button--wrap">Generate new recovery codes</button>`, "inline-form")}
				${postForm(PATHS.twoFactorReplace, state.csrf, html`<button type="submit" class="button button--secondary button--wrap" id="move-to-new-phone">Move to a new phone</button>`, "inline-form")}
				<a class="button button--ghost button--wrap button--danger-text" id="turn-off-two-factor" href="${PATHS.twoFactorDisable}">Turn off two-factor authentication</a>
			</div>
			<p class="muted small">New recovery codes replace all of your current ones: the old codes stop working at once.</p>
			<h3 class="card__subtitle">Keep access to your account</h3>
			<ul class="advice" id="two-factor-advice">
				<li><strong>Keep your recovery codes safe,</strong> for example in a password manager or on paper. Each code signs you in once if you can't use your authenticator app.</li>
				<li><strong>Changing phones?</strong> Choose <em>Move to a new phone</em> while you still have the old one (or a recovery code): scan the new QR code with the new phone, and the old phone's codes stop working. Your recovery codes stay the same.</li>
			</ul>`
		: html`<p class="status-line" id="two-factor-status"><span class="status-dot status-dot--off" aria-hidden="true"></span>Two-factor authentication is off</p>
			<p>Add a second lock to your account: besides your password, signing in will ask for a 6-digit code from an authenticator app on your phone. Even if someone learns your password, they can't sign in without it.</p>
			<p><a class="button button--primary button--wrap" id="setup-two-factor" href="${PATHS.twoFactorSetup}">Set up two-factor authentication</a></p>`;
	const body = html`<div class="page-header">
	<h1 class="page-title">Security</h1>
	<p class="page-lead">How you sign in to ${state.issuer}, where you're signed in, and what happened on your account.</p>
</div>
${state.message ?? null}
<div class="stack">
	<section class="card" id="two-factor" aria-labelledby="two-factor-title">
		<div class="card__heading">
			<h2 class="card__title" id="two-factor-title">Two-factor authentication</h2>
			${statusBadge(state.twoFactorEnabled)}
		</div>
		${state.flash?.card === "two-factor" && state.flash.content}
		${twoFactor}
	</section>
	${state.passwordMinLength !== undefined && passwordCard(state.csrf, state.email, state.passwordMinLength, state.passwordForm ?? {}, state.flash, state.hasPassword ?? true)}
	${state.sessions !== undefined && sessionsCard(state.csrf, state.sessions, state.flash)}
	${state.trustedDevices !== undefined && trustedDevicesCard(state.csrf, state.trustedDevices, state.currentDeviceId ?? null, state.flash)}
	${state.events !== undefined && activityCard(state.events)}
	${state.passwordMinLength !== undefined && state.hasPassword !== false && compromisedCard(state.csrf, state.email, state.passwordMinLength, state.twoFactorEnabled, state.compromisedForm ?? {})}
	<section class="card card--quiet" aria-labelledby="apps-title">
		<h2 class="card__title" id="apps-title">Authenticator apps</h2>
		<p>Any app that shows 6-digit time-based codes works, for example:</p>
		<ul class="app-list">
			<li>Google Authenticator</li><li>Authy</li><li>Microsoft Authenticator</li><li>1Password</li><li>FreeOTP</li>
		</ul>
		<p class="muted">Never share your codes with anyone, not even support.</p>
	</section>
</div>
${dialog}`;
	return renderPage({ title: "Security", brand: state.brand, email: state.email, csrf: state.csrf, section: "security", modal: dialog !== null, body });
}
