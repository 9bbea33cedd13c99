/**
 * The dialogs of Settings > Security besides the two-factor setup: "Confirm it's you" (sudo
 * mode, as GitHub does it: a sensitive action without a recent confirmation asks for the
 * password, and the code when 2FA is on, then performs the action), the new recovery codes
 * (shown once), and turning two-factor authentication off. Each is a `<dialog open>` drawn over
 * the Security page, with plain forms; the script upgrades it to a true modal.
 */
import { html, type SafeHtml } from "../html.js";
import { field, notice, PATHS, plural, postForm, secondFactorField } from "../layout.js";
import { recoveryCodesList } from "./recovery-codes.js";

/**
 * The actions "Confirm it's you" can lead to: the form carries one of these words in a hidden
 * field (never a URL), and anything else is refused. A `targeted` action is on one item of the
 * account's (an authenticator app): the forms carry its id in {@link SUDO_TARGET_FIELD} too, and
 * every POST looks it up among the account's own before it asks, checks or does anything.
 */
export const SUDO_ACTIONS = Object.freeze({
	"revoke-others": { purpose: "sign out your other sessions", button: "Confirm and sign out other sessions", back: `${PATHS.securitySessions}#sign-out-others`, targeted: false },
	"sign-out-everywhere": { purpose: "sign out everywhere", button: "Confirm and sign out everywhere", back: `${PATHS.securitySessions}#sign-out-everywhere`, targeted: false },
	"regenerate-recovery-codes": { purpose: "generate new recovery codes", button: "Confirm and generate codes", back: `${PATHS.securityTwoFactor}#regenerate-recovery-codes`, targeted: false },
	"forget-all-devices": { purpose: "forget all remembered devices", button: "Confirm and forget all devices", back: `${PATHS.securitySessions}#forget-all-devices`, targeted: false },
	"replace-authenticator": { purpose: "move two-factor authentication to a new phone", button: "Confirm and continue", back: `${PATHS.securityTwoFactor}#move-to-new-phone`, targeted: false },
	"add-authenticator": { purpose: "add another authenticator app", button: "Confirm and continue", back: `${PATHS.securityTwoFactor}#add-authenticator`, targeted: false },
	"remove-authenticator": { purpose: "remove the authenticator app", button: "Confirm and remove", back: `${PATHS.securityTwoFactor}#authenticator-title`, targeted: true },
});

/** One of {@link SUDO_ACTIONS}. */
export type SudoAction = keyof typeof SUDO_ACTIONS;

/** Whether a submitted value is one of the allowed actions. */
export function isSudoAction(value: string): value is SudoAction {
	return Object.hasOwn(SUDO_ACTIONS, value);
}

/** The form field with the id of a targeted action's item. */
export const SUDO_TARGET_FIELD = "target";

/** The item a targeted action is on, as found among the account's own (never as submitted). */
export interface SudoTarget {
	/** Its id (one of the account's, so safe in a form field, an element id and a fragment). */
	readonly id: string;
	/** What the user calls it (shown as text, never as HTML). */
	readonly name: string;
}

/** Where Cancel goes: the action's opener (for a targeted action, the item's own). */
export function sudoBack(action: SudoAction, target: SudoTarget | null): string {
	return target === null ? SUDO_ACTIONS[action].back : `${PATHS.securityTwoFactor}#${action}-${target.id}`;
}

/** The hidden field that carries a targeted action's item through a form (nothing without one). */
export function sudoTargetField(target: SudoTarget | null | undefined): SafeHtml | null {
	return target === null || target === undefined ? null : html`<input type="hidden" name="${SUDO_TARGET_FIELD}" value="${target.id}">`;
}

/**
 * A dialog drawn open over a Security page: eyebrow, title, content; with a close link when
 * `cancellable` (to `back`), the title focused when `focusTitle` (a result shown once).
 */
export function actionDialog(options: { id: string; eyebrow: string; title: string; content: SafeHtml; cancellable: boolean; focusTitle: boolean; back: string }): SafeHtml {
	const { id, eyebrow, title, content, cancellable, focusTitle, back } = options;
	return html`<dialog open class="modal modal--narrow" id="${id}" aria-labelledby="${id}-title" aria-modal="true"${cancellable ? html` data-cancel-href="${back}"` : ""}>
	<div class="modal__header">
		<div>
			<p class="modal__eyebrow">${eyebrow}</p>
			<h2 class="modal__title" id="${id}-title"${focusTitle ? html` tabindex="-1" autofocus` : ""}>${title}</h2>
		</div>
		${cancellable && html`<a class="modal__close" href="${back}" aria-label="Cancel" title="Cancel">×</a>`}
	</div>
	<div class="modal__body">
		${content}
	</div>
</dialog>`;
}

/** What the "Confirm it's you" form shows. */
export interface ReauthState {
	readonly action: SudoAction;
	/** The item of a targeted action (found among the account's own); null otherwise. */
	readonly target?: SudoTarget | null;
	readonly twoFactorEnabled: boolean;
	readonly minutes: number;
	readonly passwordError?: string | null;
	readonly codeError?: string | null;
	readonly error?: string | null;
}

/** "Confirm it's you", then the action. */
export function reauthDialog(context: { csrf: string; email: string }, state: ReauthState): SafeHtml {
	const action = SUDO_ACTIONS[state.action];
	const target = state.target ?? null;
	const back = sudoBack(state.action, target);
	const codeFirst = state.twoFactorEnabled && (state.codeError ?? null) !== null && (state.passwordError ?? null) === null;
	const form = postForm(
		PATHS.reauthenticate,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		<p>To ${action.purpose}${target !== null && ` “${target.name}”`}, enter your password${state.twoFactorEnabled ? " and a code from your authenticator app" : ""}. You won't be asked again for the next ${state.minutes} minutes.</p>
		<input type="hidden" name="action" value="${state.action}">
		${sudoTargetField(target)}
		<input type="hidden" name="confirmed" value="yes">
		<input type="email" name="username" autocomplete="username" value="${context.email}" hidden readonly>
		${field({ id: "reauth-password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: state.passwordError ?? null, autofocus: !codeFirst })}
		${state.twoFactorEnabled && secondFactorField({ id: "reauth-code", error: state.codeError, autofocus: codeFirst })}
		<div class="actions">
			<a class="button button--secondary" href="${back}">Cancel</a>
			<button type="submit" class="button button--primary button--wrap">${action.button}</button>
		</div>`,
	);
	return actionDialog({ id: "reauthenticate", eyebrow: "Security check", title: "Confirm it's you", content: form, cancellable: true, focusTitle: false, back });
}

/** The new recovery codes, shown only in the answer to the POST that made them. */
export function newRecoveryCodesDialog(context: { issuer: string; email: string }, state: { recoveryCodes: readonly string[]; generatedOn: string }): SafeHtml {
	const content = html`${notice("success", html`<strong>Your old recovery codes no longer work.</strong> These ${state.recoveryCodes.length} new codes replace them.`)}
<p>Each code signs you in once if you can't use your authenticator app. <strong>This is the only time they are shown:</strong> store them in a password manager or print them, and keep them somewhere safe.</p>
${recoveryCodesList(context, state.generatedOn, state.recoveryCodes, html`<a class="button button--primary" id="recovery-codes-done" href="${PATHS.securityTwoFactor}">Done</a>`)}`;
	return actionDialog({ id: "new-recovery-codes", eyebrow: "Recovery codes", title: "Save your new recovery codes", content, cancellable: false, focusTitle: true, back: PATHS.securityTwoFactor });
}

/** "Turn off two-factor authentication": the password and a code (or a recovery code). */
export function disableTwoFactorDialog(context: { csrf: string; email: string }, state: { passwordError?: string | null; codeError?: string | null; error?: string | null }): SafeHtml {
	const codeFirst = (state.codeError ?? null) !== null && (state.passwordError ?? null) === null;
	const form = postForm(
		PATHS.twoFactorDisable,
		context.csrf,
		html`${state.error !== undefined && state.error !== null && notice("error", state.error)}
		${notice("warning", html`Signing in will need only your password. Your authenticator app's code and your recovery codes stop working, and you'll be signed out on your other devices.`)}
		<input type="email" name="username" autocomplete="username" value="${context.email}" hidden readonly>
		${field({ id: "disable-password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: state.passwordError ?? null, autofocus: !codeFirst })}
		${secondFactorField({ id: "disable-code", error: state.codeError, autofocus: codeFirst })}
		<div class="actions">
			<a class="button button--secondary" href="${PATHS.securityTwoFactor}#turn-off-two-factor">Keep it on</a>
			<button type="submit" class="button button--danger">Turn off</button>
		</div>`,
	);
	return actionDialog({ id: "two-factor-disable", eyebrow: "Two-factor authentication", title: "Turn off two-factor authentication?", content: form, cancellable: true, focusTitle: false, back: `${PATHS.securityTwoFactor}#turn-off-two-factor` });
}

/** What "I think my account is compromised" did (`SecureAccountSummary`). */
export interface AccountSecuredState {
	readonly otherSessionsRevoked: number;
	readonly trustedDevicesRevoked: number;
	/** How many personal access tokens were revoked (every one is); absent: not told. */
	readonly accessTokensRevoked?: number;
	/** The new recovery codes (2FA on), shown only here; null when 2FA is off. */
	readonly recoveryCodes: readonly string[] | null;
	/** The date the codes were made, `YYYY-MM-DD` (UTC), for the download. */
	readonly generatedOn: string;
}

/** The summary after "I think my account is compromised": what was done, then the one next step. */
export function accountSecuredDialog(context: { issuer: string; email: string }, state: AccountSecuredState): SafeHtml {
	const codes = state.recoveryCodes;
	const summary = html`<ul class="checklist" id="secured-summary">
	<li>Your password has been changed.</li>
	<li>${state.otherSessionsRevoked === 0 ? "There were no other sessions to sign out." : `Signed out ${plural(state.otherSessionsRevoked, "other session")}.`}</li>
	<li>${state.trustedDevicesRevoked === 0 ? "There were no remembered devices to forget." : `Forgot ${plural(state.trustedDevicesRevoked, "remembered device")}.`}</li>
	${state.accessTokensRevoked !== undefined && html`<li>${state.accessTokensRevoked === 0 ? "There were no access tokens to revoke." : `Revoked ${plural(state.accessTokensRevoked, "access token")}.`}</li>`}
	${codes !== null && html`<li>Replaced your recovery codes: the old ones no longer work.</li>`}
</ul>`;
	const next =
		codes !== null
			? html`<h3 class="setup-heading">Save your new recovery codes</h3>
<p>Each code signs you in once if you can't use your authenticator app. <strong>This is the only time they are shown:</strong> store them in a password manager or print them, and keep them somewhere safe.</p>
${recoveryCodesList(context, state.generatedOn, codes, html`<a class="button button--primary" id="account-secured-done" href="${PATHS.security}">Done</a>`)}`
			: html`${notice("warning", html`<strong>Two-factor authentication is off.</strong> Anyone who learns your new password can still sign in. Turn it on now: signing in will also ask for a code from your phone.`)}
<div class="actions actions--split">
	<a class="button button--secondary" id="account-secured-done" href="${PATHS.security}">Later</a>
	<a class="button button--primary button--wrap" id="turn-on-two-factor-next" href="${PATHS.twoFactorSetup}">Turn on two-factor authentication next</a>
</div>`;
	const content = html`<div class="success-banner" role="status">
	<svg class="success-banner__icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M7 12.5l3.2 3.2L17 9" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></svg>
	<p>Only this session can use your account now, with your new password.</p>
</div>
${summary}
${next}`;
	return actionDialog({ id: "account-secured", eyebrow: "I think my account is compromised", title: "Your account is secured", content, cancellable: false, focusTitle: true, back: PATHS.security });
}
