/**
 * The account-management cards of Settings > Security (besides two-factor authentication):
 * "Where you're signed in" (sessions, sign out one / all others / everywhere), "Password"
 * (change it) and "Security activity" (the latest events, one sentence each). Every action is a
 * plain POST form; the sensitive ones may answer with the "Confirm it's you" dialog
 * (`security-dialogs.ts`).
 */
import type { SecurityEventView } from "../../service/security-events.js";
import type { SessionView } from "../../service/sessions.js";
import type { TrustedDeviceView } from "../../service/trusted-devices.js";
import { html, type SafeHtml } from "../html.js";
import { field, inlineConfirmation, newPasswordField, notice, PATHS, plural, postForm, secondFactorField } from "../layout.js";
import { confirmableButton, type ConfirmationFacts } from "./confirmations.js";

/** How many security events the page shows. */
export const SECURITY_EVENTS_SHOWN = 20;

const DATE_TIME = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** An instant for people, in UTC: `<time datetime="…">3 Jun 2025, 14:03 UTC</time>`. */
export function utcTime(at: number): SafeHtml {
	return html`<time datetime="${new Date(at).toISOString()}">${DATE_TIME.format(new Date(at))} UTC</time>`;
}

const PHONE_ICON = html`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><rect x="6.5" y="2.5" width="11" height="19" rx="2.2" fill="none" stroke="currentColor" stroke-width="1.7"/><path d="M10.5 18.3h3" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>`;
const DESKTOP_ICON = html`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><rect x="2.5" y="4" width="19" height="12.5" rx="1.8" fill="none" stroke="currentColor" stroke-width="1.7"/><path d="M8 20h8M12 16.5V20" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>`;

function deviceIcon(platform: string | null): SafeHtml {
	return platform === "mobile" || platform === "tablet" ? PHONE_ICON : DESKTOP_ICON;
}

/** A notice shown at the top of one card after an action there. */
export interface CardFlash {
	readonly card: "two-factor" | "sessions" | "password" | "devices" | "access-tokens" | "apps";
	readonly content: SafeHtml;
}

/** The notice of `card`, if the flash is for it. */
export function flashFor(flash: CardFlash | null | undefined, card: CardFlash["card"]): SafeHtml | null {
	return flash !== null && flash !== undefined && flash.card === card ? flash.content : null;
}

/** "Where you're signed in". */
export function sessionsCard(csrf: string, sessions: readonly SessionView[], flash: CardFlash | null | undefined, facts: ConfirmationFacts): SafeHtml {
	const others = sessions.filter((session) => !session.current).length;
	const items = sessions.map((session) => {
		const meta = [
			html`<span>${session.ipAddress ?? "Unknown IP address"}</span>`,
			html`<span>Signed in ${utcTime(session.createdAt)}</span>`,
			session.current ? html`<span>Active now</span>` : html`<span>Last active ${utcTime(session.lastActiveAt)}</span>`,
		];
		return html`<li class="session${session.current ? " session--current" : ""}">
		<span class="session__icon">${deviceIcon(session.device.platform)}</span>
		<div class="session__main">
			<p class="session__device">${session.device.label}${session.current && html` <span class="badge badge--current">This device</span>`}</p>
			<p class="session__meta">${meta.map((part, index) => (index === 0 ? part : html`<span class="session__sep" aria-hidden="true"> · </span>${part}`))}</p>
			${session.apps.length > 0 && html`<p class="session__meta session__apps">Used for ${session.apps.map((app, index) => html`${index === 0 ? "" : ", "}<span title="Last used ${DATE_TIME.format(new Date(app.lastUsedAt))} UTC">${app.host}</span>`)}</p>`}
		</div>
		${
			!session.current &&
			postForm(
				PATHS.revokeSession,
				csrf,
				html`<input type="hidden" name="session" value="${session.id}">
			<button type="submit" class="button button--secondary button--small">Sign out<span class="visually-hidden"> ${session.device.label}, ${session.ipAddress ?? "unknown IP address"}</span></button>`,
				"session__action",
			)
		}
	</li>`;
	});
	return html`<section class="card" id="sessions" aria-labelledby="sessions-title">
	<h2 class="card__title" id="sessions-title">Where you're signed in</h2>
	${flashFor(flash, "sessions")}
	<p class="muted">${plural(sessions.length, "active session")}. If you don't recognize a device, sign it out and change your password.</p>
	<ul class="session-list" id="session-list">${items}</ul>
	<div class="actions actions--start session-actions">
		${
			others > 0 &&
			confirmableButton(csrf, "revoke-others", facts, "Sign out all other sessions", "button button--secondary button--wrap", "sign-out-others")
		}
		${confirmableButton(csrf, "sign-out-everywhere", facts, "Sign out everywhere", "button button--ghost button--danger-text button--wrap", "sign-out-everywhere")}
	</div>
	<p class="muted small">Sign out everywhere ends every session, this one too, and forgets remembered devices.</p>
</section>`;
}

/** "Remembered devices": browsers that skip the code step (never the password), each can be forgotten. */
export function trustedDevicesCard(csrf: string, devices: readonly TrustedDeviceView[], currentDeviceId: string | null, flash: CardFlash | null | undefined, facts: ConfirmationFacts): SafeHtml {
	const items = devices.map((device) => {
		const current = device.id === currentDeviceId;
		const meta = [
			html`<span>${device.ipAddress ?? "Unknown IP address"}</span>`,
			html`<span>Remembered ${utcTime(device.createdAt)}</span>`,
			html`<span>Last used ${utcTime(device.lastUsedAt)}</span>`,
			html`<span>Until ${utcTime(device.expiresAt)}</span>`,
		];
		return html`<li class="session${current ? " session--current" : ""}">
		<span class="session__icon">${deviceIcon(device.device.platform)}</span>
		<div class="session__main">
			<p class="session__device">${device.device.label}${current && html` <span class="badge badge--current">This device</span>`}</p>
			<p class="session__meta">${meta.map((part, index) => (index === 0 ? part : html`<span class="session__sep" aria-hidden="true"> · </span>${part}`))}</p>
		</div>
		${postForm(
			PATHS.forgetDevice,
			csrf,
			html`<input type="hidden" name="device" value="${device.id}">
			<button type="submit" class="button button--secondary button--small">Forget<span class="visually-hidden"> ${device.device.label}, ${device.ipAddress ?? "unknown IP address"}</span></button>`,
			"session__action",
		)}
	</li>`;
	});
	return html`<section class="card" id="devices" aria-labelledby="devices-title">
	<h2 class="card__title" id="devices-title">Remembered devices</h2>
	${flashFor(flash, "devices")}
	<p class="muted">These browsers skip the code step when you sign in with your password ("Remember this device"). Forget one and its next sign-in asks for a code again.</p>
	${
		devices.length === 0
			? html`<p id="no-devices">No remembered devices. To remember one, tick "Remember this device" when you enter your code at sign-in.</p>`
			: html`<ul class="session-list" id="device-list">${items}</ul>
	<div class="actions actions--start session-actions">
		${confirmableButton(csrf, "forget-all-devices", facts, "Forget all devices", "button button--ghost button--danger-text button--wrap", "forget-all-devices")}
	</div>`
	}
</section>`;
}

/** The password form's state after a refused POST (passwords are never sent back). */
export interface PasswordFormState {
	readonly currentError?: string | null;
	readonly newErrors?: readonly string[];
	/** With 2FA on and no recent confirmation: ask for a code in the same form. */
	readonly needsCode?: boolean;
	readonly codeError?: string | null;
	readonly error?: string | null;
}

/**
 * A narrow form of a Security card that carries a password: the error, the username (hidden,
 * for password managers), the fields, and the submit button.
 */
export function passwordCardForm(action: string, csrf: string, email: string, error: string | null | undefined, fields: SafeHtml, button: SafeHtml): SafeHtml {
	return postForm(
		action,
		csrf,
		html`${error !== undefined && error !== null && notice("error", error)}
		<input type="email" name="username" autocomplete="username" value="${email}" hidden readonly>
		${fields}
		<div class="actions actions--start">
			${button}
		</div>`,
		"form form--narrow",
	);
}

/** "Password": change it, or, for an account created without one, set the first. */
export function passwordCard(csrf: string, email: string, minLength: number, state: PasswordFormState, flash: CardFlash | null | undefined, hasPassword = true): SafeHtml {
	const newError = state.newErrors !== undefined && state.newErrors.length > 0 ? state.newErrors.join(" ") : null;
	const action = PATHS.password;
	const section = (intro: SafeHtml, form: SafeHtml) => html`<section class="card" id="password" aria-labelledby="password-title">
	<h2 class="card__title" id="password-title">Password</h2>
	${flashFor(flash, "password")}
	${intro}
	${form}
</section>`;
	if (!hasPassword) {
		return section(
			html`<p id="no-password">Your account doesn't have a password yet: you signed in with a sign-in link. Set one to sign in with your email and password, and to turn on two-factor authentication.</p>`,
			passwordCardForm(action, csrf, email, state.error, newPasswordField({ minLength, error: newError }), html`<button type="submit" class="button button--primary">Set password</button>`),
		);
	}
	const codeField =
		state.needsCode === true
			? inlineConfirmation(
					secondFactorField({
						id: "password-code",
						error: state.codeError,
						hint: "Changing your password with two-factor authentication on needs a code from your authenticator app (or one of your recovery codes).",
					}),
				)
			: null;
	const fields = html`${field({ id: "current-password", name: "currentPassword", label: "Current password", type: "password", autocomplete: "current-password", error: state.currentError ?? null })}
		${newPasswordField({ minLength, error: newError })}
		${codeField}`;
	return section(html`<p class="muted">Changing your password signs you out on every other device.</p>`, passwordCardForm(action, csrf, email, state.error, fields, html`<button type="submit" class="button button--primary">Change password</button>`));
}

const FACTOR_WORDS: Readonly<Record<string, string>> = { password: "password", totp: "authenticator code", recovery_code: "recovery code", trusted_device: "remembered device", sign_in_link: "a sign-in link" };

function factorsText(factors: unknown): string | null {
	if (!Array.isArray(factors) || factors.length === 0) return null;
	return factors.map((factor) => FACTOR_WORDS[String(factor)] ?? String(factor)).join(" and ");
}

/** The events told by a fixed sentence (the others, with details, are in {@link describeEvent}). */
const EVENT_SENTENCES: Readonly<Record<string, { readonly text: string; readonly alert: boolean }>> = Object.freeze({
	"account.created": { text: "Account created", alert: false },
	"login.password_failed": { text: "Wrong password entered", alert: true },
	"login.second_factor_failed": { text: "Wrong authenticator or recovery code entered", alert: true },
	"login.locked": { text: "Sign-in paused after too many failed attempts", alert: true },
	"totp.enabled": { text: "Two-factor authentication turned on", alert: false },
	"totp.disabled": { text: "Two-factor authentication turned off", alert: true },
	"recovery_codes.regenerated": { text: "New recovery codes generated (the old ones stopped working)", alert: false },
	"password.set": { text: "Password set", alert: false },
	"sign_in_link.issued": { text: "Sign-in link created", alert: false },
	"password.changed": { text: "Password changed", alert: false },
	"device.trusted": { text: "This device was remembered", alert: false },
	"totp.replaced": { text: "Authenticator moved to a new phone", alert: false },
	"totp.authenticator_added": { text: "Authenticator app added", alert: false },
	"totp.authenticator_removed": { text: "Authenticator app removed", alert: false },
	"totp.mail_confirmed": { text: "Authenticator confirmed by email for apps that need two-factor authentication", alert: false },
	"account.secured": { text: "Account secured: password changed, other sessions signed out, access tokens revoked", alert: true },
	"account.unlocked": { text: "Sign-in unlocked by an administrator", alert: false },
	"account.disabled": { text: "Account disabled by an administrator: every session, remembered device and token ended", alert: true },
	"account.enabled": { text: "Account enabled again by an administrator", alert: false },
	"account.deleted": { text: "Account deleted by an administrator", alert: true },
	"totp.reset": { text: "Two-factor authentication reset by an administrator: every session signed out, authenticator and recovery codes removed", alert: true },
	"email.verified": { text: "Email address verified", alert: false },
	"email.change_requested": { text: "Change of email address asked (waiting for the new address to confirm)", alert: false },
	"email.changed": { text: "Email address changed", alert: true },
	"password.reset_requested": { text: "Password reset link sent by email", alert: false },
	"password.reset": { text: "Password reset with an emailed link: every session signed out", alert: true },
	"access_token.created": { text: "Personal access token created", alert: false },
	"oidc_app.disconnected": { text: "An app you signed in to was disconnected (signed out, its access ended)", alert: false },
});

/** One sentence for an event, and whether it deserves attention. */
export function describeEvent(event: Pick<SecurityEventView, "type" | "details">): { text: string; alert: boolean } {
	const details = event.details;
	switch (event.type) {
		case "login.succeeded": {
			const factors = factorsText(details["factors"]);
			const where = details["newDevice"] === true ? " (new device)" : "";
			return { text: `${factors === null ? "Signed in" : `Signed in with ${factors}`}${where}`, alert: false };
		}
		case "recovery_code.used": {
			const left = details["recoveryCodesLeft"];
			return { text: typeof left === "number" ? `Recovery code used (${left} left)` : "Recovery code used", alert: false };
		}
		case "reauthenticated": {
			const factors = factorsText(details["factors"]);
			return { text: factors === null ? "Confirmed it's you" : `Confirmed it's you with ${factors}`, alert: false };
		}
		case "session.revoked":
			return { text: details["current"] === true ? "Signed out" : "Signed out a session on another device", alert: false };
		case "device.revoked": {
			if (details["scope"] !== "all") return { text: "A remembered device was forgotten", alert: false };
			const count = details["devices"];
			return { text: typeof count === "number" ? `All remembered devices forgotten (${count})` : "All remembered devices forgotten", alert: false };
		}
		case "access_token.revoked": {
			if (details["scope"] !== "all") return { text: "Personal access token revoked", alert: false };
			const count = details["accessTokens"];
			return { text: typeof count === "number" ? `All personal access tokens revoked (${count})` : "All personal access tokens revoked", alert: false };
		}
		case "account.groups_changed": {
			const after = details["after"];
			if (!Array.isArray(after)) return { text: "Groups changed by an administrator", alert: false };
			return { text: after.length === 0 ? "Removed from every group by an administrator" : `Groups changed by an administrator: ${after.join(", ")}`, alert: false };
		}
		case "backup.restored":
			// service/restored-database.ts: every session, remembered device and token ended after a restore.
			return { text: "Signed out everywhere: the service was restored from a backup (make new recovery codes)", alert: true };
		case "sessions.revoked": {
			if (details["scope"] === "everywhere") {
				// An operator's sign out everywhere also revokes the personal access tokens (service/operator.ts).
				const tokens = details["accessTokens"];
				return { text: typeof tokens === "number" && tokens > 0 ? `Signed out everywhere; personal access tokens revoked (${tokens})` : "Signed out everywhere", alert: false };
			}
			const count = details["sessions"];
			return { text: typeof count === "number" ? `Signed out all other sessions (${count})` : "Signed out all other sessions", alert: false };
		}
		default: {
			const sentence = Object.hasOwn(EVENT_SENTENCES, event.type) ? EVENT_SENTENCES[event.type] : undefined;
			return sentence === undefined ? { text: String(event.type), alert: false } : { text: sentence.text, alert: sentence.alert };
		}
	}
}

/** "Security activity": the latest events, newest first. */
export function activityCard(events: readonly SecurityEventView[]): SafeHtml {
	const items = events.map((event) => {
		const { text, alert } = describeEvent(event);
		return html`<li class="activity__item${alert ? " activity__item--alert" : ""}">
		<p class="activity__what">${text}</p>
		<p class="activity__meta">${[utcTime(event.createdAt), event.ipAddress, event.ipAddress === null && event.device.browser === null && event.device.os === null ? null : event.device.label]
			.filter((part) => part !== null)
			.map((part, index) => (index === 0 ? part : html`<span aria-hidden="true"> · </span><span>${part}</span>`))}</p>
	</li>`;
	});
	return html`<section class="card" id="activity" aria-labelledby="activity-title">
	<h2 class="card__title" id="activity-title">Security activity</h2>
	<p class="muted">The latest ${SECURITY_EVENTS_SHOWN} events on your account, newest first. Times are in UTC. Something you don't recognize? Change your password and sign out everywhere.</p>
	${events.length === 0 ? html`<p>No activity yet.</p>` : html`<ol class="activity" id="activity-list">${items}</ol>`}
</section>`;
}
