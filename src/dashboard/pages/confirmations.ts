/**
 * "Are you sure?" before the destructive actions of Settings > Security (sign out other sessions,
 * sign out everywhere, forget all remembered devices, new recovery codes, move to a new phone,
 * add another authenticator app, remove one (naming it), turn two-factor authentication off,
 * revoke every access token): a `<dialog>` that names what will happen, with the focus
 * on the safe choice (Cancel). Asked every time, even inside the "Confirm it's you" window:
 * re-authentication proves who you are, this asks whether you mean it.
 *
 * Two forms of the same dialog:
 * - **embedded** (closed) in the page, next to its opener: the script opens it as a modal when
 *   the opener's form is submitted (or its link followed), Cancel closes it, and the focus goes
 *   back to the opener;
 * - **open**, drawn by the server over the page: the answer to the action's POST when it came
 *   without `confirmed=yes` (no script: the confirm page), Cancel a link back.
 * Either way the confirming form POSTs the action with `confirmed=yes`.
 */
import { csrfField } from "../csrf.js";
import { html, type SafeHtml } from "../html.js";
import { PATHS, plural, postForm } from "../layout.js";
import { sudoTargetField, type SudoAction, type SudoTarget } from "./security-dialogs.js";

/**
 * The actions that ask first: the sensitive ones, turning two-factor authentication off (its own
 * page asks for the credentials), and revoking every access token (no confirmation of who you are:
 * it only ends access).
 */
export type ConfirmableAction = SudoAction | "turn-off-two-factor" | "revoke-all-access-tokens";

/** The actions whose dialog POSTs to the action's own path. */
export type PostedConfirmableAction = Exclude<ConfirmableAction, "turn-off-two-factor">;

/** The form field, and its value, that says the user answered the dialog. */
export const CONFIRMED_FIELD = "confirmed";
export const CONFIRMED_VALUE = "yes";

/** What the consequences depend on (counts of the account as the page shows them). */
export interface ConfirmationFacts {
	readonly sessions: number;
	readonly trustedDevices: number;
	readonly recoveryCodesLeft: number;
	/** The account's listed access tokens (default 0). */
	readonly accessTokens?: number;
	/**
	 * The action whose dialog the server draws open over this page (the confirm page), if any:
	 * its opener then embeds no copy of it, so that each id is on the page once.
	 */
	readonly shownOpen?: ConfirmableAction | null;
	/** The item of the dialog drawn open, for a targeted action (its row embeds no copy either). */
	readonly shownOpenTarget?: string | null;
}

interface Wording {
	readonly title: string;
	readonly consequence: string;
	readonly button: string;
	readonly danger: boolean;
}

function wordingOf(action: ConfirmableAction, facts: ConfirmationFacts, target: SudoTarget | null): Wording {
	const others = Math.max(0, facts.sessions - 1);
	switch (action) {
		case "revoke-others":
			return {
				title: others === 1 ? "Sign out your other session?" : `Sign out ${plural(others, "other session")}?`,
				consequence: "Every other browser and app signed in to your account is signed out at its next request and has to sign in again. This device stays signed in.",
				button: "Sign out other sessions",
				danger: false,
			};
		case "sign-out-everywhere":
			return {
				title: "Sign out everywhere?",
				consequence: `Every session ends${facts.sessions > 1 ? ` (${plural(facts.sessions, "session")})` : ""}, this one too, and remembered devices are forgotten: you, and anyone else using your account, will have to sign in again with the password and a code.`,
				button: "Sign out everywhere",
				danger: true,
			};
		case "forget-all-devices":
			return {
				title: facts.trustedDevices === 1 ? "Forget your remembered device?" : `Forget all ${plural(facts.trustedDevices, "remembered device")}?`,
				consequence: "Each of them asks for a code from your authenticator app at its next sign-in. Nobody is signed out.",
				button: "Forget all devices",
				danger: false,
			};
		case "regenerate-recovery-codes":
			return {
				title: "Generate new recovery codes?",
				consequence: `Your ${facts.recoveryCodesLeft === 0 ? "old recovery codes" : plural(facts.recoveryCodesLeft, "current recovery code")} stop working at once, including any you have printed or saved. Only the new codes, shown once, will work.`,
				button: "Generate new codes",
				danger: true,
			};
		case "replace-authenticator":
			return {
				title: "Move to a new phone?",
				consequence: "You'll scan a new QR code with the new phone. Your old phone keeps working until you enter a code from the new one; then its codes stop working, you are signed out everywhere else and remembered devices are forgotten. Your recovery codes stay the same.",
				button: "Continue",
				danger: false,
			};
		case "add-authenticator":
			return {
				title: "Add another authenticator app?",
				consequence: "You'll name the new app and scan a QR code with it. Your current apps keep working, nobody is signed out and your recovery codes stay the same.",
				button: "Continue",
				danger: false,
			};
		case "remove-authenticator":
			return {
				title: `Remove “${target?.name ?? "Authenticator app"}”?`,
				consequence: `Its codes stop working at once. In case it is on a lost phone, ${others === 0 ? "any other session is signed out" : `you are signed out on ${plural(others, "other session")}`} and ${facts.trustedDevices === 0 ? "remembered devices are forgotten" : `${plural(facts.trustedDevices, "remembered device")} ${facts.trustedDevices === 1 ? "is" : "are"} forgotten`}; this device stays signed in. Your other authenticator apps and your recovery codes keep working.`,
				button: "Remove",
				danger: true,
			};
		case "revoke-all-access-tokens":
			return {
				title: facts.accessTokens === 1 ? "Revoke your access token?" : `Revoke all ${plural(facts.accessTokens ?? 0, "access token")}?`,
				consequence: "Every app or script that uses one of them is refused from its next request, and needs a new token. You stay signed in.",
				button: "Revoke all tokens",
				danger: true,
			};
		case "turn-off-two-factor":
			return {
				title: "Turn off two-factor authentication?",
				consequence: "Signing in will need only your password. Your authenticator app's codes and your recovery codes stop working, and you'll be signed out on your other devices.",
				button: "Continue",
				danger: true,
			};
	}
}

/** Where each action's form POSTs (turning 2FA off goes to its own page instead). */
const ACTION_PATHS: Readonly<Record<PostedConfirmableAction, string>> = Object.freeze({
	"revoke-all-access-tokens": PATHS.revokeAllAccessTokens,
	"revoke-others": PATHS.revokeOtherSessions,
	"sign-out-everywhere": PATHS.signOutEverywhere,
	"forget-all-devices": PATHS.forgetAllDevices,
	"regenerate-recovery-codes": PATHS.recoveryCodes,
	"replace-authenticator": PATHS.twoFactorReplace,
	"add-authenticator": PATHS.addAuthenticator,
	"remove-authenticator": PATHS.removeAuthenticator,
});

/** The id of an action's dialog (the opener's `data-confirm`); a targeted action's names its item. */
export function confirmationId(action: ConfirmableAction, target: SudoTarget | null = null): string {
	return target === null ? `confirm-${action}` : `confirm-${action}-${target.id}`;
}

/** Whether the server draws this dialog open over the page (its opener then embeds no copy). */
function isShownOpen(facts: ConfirmationFacts, action: ConfirmableAction, target: SudoTarget | null): boolean {
	return facts.shownOpen === action && (facts.shownOpenTarget ?? null) === (target?.id ?? null);
}

/**
 * The dialog that asks before `action`.
 * @param mode - `"embedded"`: closed, opened by the script; `"open"`: drawn open by the server
 * @param cancelHref - where Cancel goes in the open form (the page behind it)
 * @param target - a targeted action's item (found among the account's own): named, and carried by the form
 */
export function confirmationDialog(csrf: string, action: ConfirmableAction, facts: ConfirmationFacts, mode: "embedded" | "open", cancelHref: string, target: SudoTarget | null = null): SafeHtml {
	const words = wordingOf(action, facts, target);
	const id = confirmationId(action, target);
	const open = mode === "open";
	const cancel = open
		? html`<a class="button button--secondary" href="${cancelHref}" autofocus>Cancel</a>`
		: html`<button type="button" class="button button--secondary" data-close-dialog autofocus>Cancel</button>`;
	const confirmClass = `button ${words.danger ? "button--danger" : "button--primary"} button--wrap`;
	const actions =
		action === "turn-off-two-factor"
			? html`<div class="actions">
		${cancel}
		<a class="${confirmClass}" href="${PATHS.twoFactorDisable}" id="${id}-continue">${words.button}</a>
	</div>`
			: postForm(
					ACTION_PATHS[action],
					csrf,
					html`<input type="hidden" name="${CONFIRMED_FIELD}" value="${CONFIRMED_VALUE}">
		${sudoTargetField(target)}
		<div class="actions">
			${cancel}
			<button type="submit" class="${confirmClass}" id="${id}-continue">${words.button}</button>
		</div>`,
				);
	return html`<dialog class="modal modal--narrow modal--confirm" id="${id}" aria-labelledby="${id}-title" aria-describedby="${id}-consequence"${open ? html` open aria-modal="true" data-cancel-href="${cancelHref}"` : ""}>
	<div class="modal__header">
		<h2 class="modal__title" id="${id}-title">${words.title}</h2>
	</div>
	<div class="modal__body">
		<p id="${id}-consequence">${words.consequence}</p>
		${actions}
	</div>
</dialog>`;
}

/**
 * The opener of a confirmable action: a POST form with one button (the script opens the
 * embedded dialog instead of submitting; without the script the server answers with the open
 * dialog), followed by the embedded dialog. A targeted action's form carries its item's id.
 */
export function confirmableButton(csrf: string, action: PostedConfirmableAction, facts: ConfirmationFacts, label: SafeHtml | string, buttonClass: string, buttonId?: string, target: SudoTarget | null = null): SafeHtml {
	const form = html`<form method="post" action="${ACTION_PATHS[action]}" class="inline-form" data-confirm="${confirmationId(action, target)}" novalidate>
	${csrfField(csrf)}
	${sudoTargetField(target)}
	<button type="submit" class="${buttonClass}"${buttonId === undefined ? "" : html` id="${buttonId}"`} aria-haspopup="dialog">${label}</button>
</form>`;
	return html`${form}${isShownOpen(facts, action, target) ? null : confirmationDialog(csrf, action, facts, "embedded", "", target)}`;
}

/** The opener of "Turn off two-factor authentication": a link to its page, asked first by the script. */
export function turnOffTwoFactorLink(csrf: string, facts: ConfirmationFacts): SafeHtml {
	return html`<a class="button button--ghost button--wrap button--danger-text" id="turn-off-two-factor" href="${PATHS.twoFactorDisable}" data-confirm="${confirmationId("turn-off-two-factor")}" aria-haspopup="dialog">Turn off two-factor authentication</a>${facts.shownOpen === "turn-off-two-factor" ? null : confirmationDialog(csrf, "turn-off-two-factor", facts, "embedded", "")}`;
}
