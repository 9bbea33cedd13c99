/**
 * What every page of Settings > Security is drawn from ({@link SecurityState}), and the small
 * parts several of them show: the On/Off pill, the few-recovery-codes warning, the counts the
 * confirmations name.
 */
import type { AccessTokenView } from "../../service/access-tokens.js";
import type { AuthenticatorView } from "../../service/authenticators.js";
import type { SecurityEventView } from "../../service/security-events.js";
import type { SessionView } from "../../service/sessions.js";
import type { ConnectedOidcApp } from "../../service/oidc-grants.js";
import type { TrustedDeviceView } from "../../service/trusted-devices.js";
import { html, type SafeHtml } from "../html.js";
import { type Brand, notice, plural } from "../layout.js";
import { confirmableButton, type ConfirmableAction, type ConfirmationFacts } from "./confirmations.js";
import type { AccessTokenFormState } from "./access-tokens.js";
import type { CardFlash, PasswordFormState } from "./security-sections.js";

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
	/** The operator's `twoFactorPolicy` requires 2FA of this account: it cannot be turned off. Default false. */
	readonly twoFactorRequired?: boolean;
	/**
	 * With 2FA on and a forward-auth `two_factor` rule configured: whether the authenticator is
	 * confirmed by a mailed link (what those rules need); null (or absent) otherwise.
	 */
	readonly secondFactorMailConfirmed?: boolean | null;
	readonly recoveryCodesLeft: number;
	readonly recoveryCodesTotal: number;
	/** The account's authenticator apps, oldest first (empty when 2FA is off; absent: not shown). */
	readonly authenticators?: readonly AuthenticatorView[];
	/** The most authenticator apps an account may have (default 5). */
	readonly maxAuthenticators?: number;
	/** The rename form of one authenticator after a refused rename: its id, the name typed, why. */
	readonly renameForm?: RenameFormState | null;
	/** A notice above the cards (e.g. after setup was refused). */
	readonly message?: SafeHtml | null;
	/** The apps signed in with OpenID Connect (the card is left out when not given: no provider). */
	readonly connectedApps?: readonly ConnectedOidcApp[];
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
	/** The personal access tokens (the Access tokens page lists none when not given). */
	readonly accessTokens?: readonly AccessTokenView[];
	/** The create-token form: whether it asks for the password and code, and its state after a refused POST. */
	readonly accessTokenForm?: AccessTokenFormState;
	/** The action whose "Are you sure?" the server draws open over the page (the confirm page), if any. */
	readonly askingFirst?: ConfirmableAction | null;
	/** The item of that dialog, for a targeted action (an authenticator's id). */
	readonly askingFirstTarget?: string | null;
}

/** A refused rename of an authenticator: shown open in its row. */
export interface RenameFormState {
	readonly authenticatorId: string;
	/** The name as typed. */
	readonly value: string;
	readonly error: string;
}

/** The counts the confirmations name. */
export function confirmationFacts(state: SecurityState): ConfirmationFacts {
	return { sessions: state.sessions?.length ?? 1, trustedDevices: state.trustedDevices?.length ?? 0, recoveryCodesLeft: state.recoveryCodesLeft, accessTokens: state.accessTokens?.length ?? 0, shownOpen: state.askingFirst ?? null, shownOpenTarget: state.askingFirstTarget ?? null };
}

/**
 * The warning shown when few recovery codes are left (null when there are enough), with its
 * action: generate new codes (asked first, then "Confirm it's you").
 */
export function fewRecoveryCodesWarning(state: SecurityState): SafeHtml | null {
	const left = state.recoveryCodesLeft;
	if (left > FEW_RECOVERY_CODES) return null;
	const action = html`<div class="notice__actions">${confirmableButton(state.csrf, "regenerate-recovery-codes", confirmationFacts(state), "Generate new recovery codes", "button button--secondary button--small button--wrap", "regenerate-recovery-codes")}</div>`;
	if (left === 0) {
		return notice(
			"warning",
			html`<p><strong>You have no recovery codes left.</strong> If you lose your phone, nothing else gets you into your account. Generate a new set and keep it somewhere safe.</p>${action}`,
			"recovery-codes-warning",
		);
	}
	const rest = left === 1 ? "it" : "them";
	return notice(
		"warning",
		html`<p><strong>Only ${plural(left, "recovery code")} left.</strong> Each code works once. Generate a new set before you run out (the ${left === 1 ? "last one stops" : "remaining ones stop"} working), or keep ${rest} somewhere safe.</p>${action}`,
		"recovery-codes-warning",
	);
}
