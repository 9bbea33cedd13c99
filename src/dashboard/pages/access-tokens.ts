/**
 * Settings > Security > Access tokens: the account's personal access tokens (for apps, scripts and
 * API clients behind the forward-auth proxy), each with its hosts, dates and last use, revocable
 * one by one or all at once; the form that creates one (name, hosts, expiry, and "Confirm it's
 * you" in the same form when not confirmed recently); and the new token, shown once.
 */
import type { AccessTokenView } from "../../service/access-tokens.js";
import { html, type SafeHtml } from "../html.js";
import { field, inlineConfirmation, notice, PATHS, plural, postForm, secondFactorField } from "../layout.js";
import { confirmableButton, type ConfirmationFacts } from "./confirmations.js";
import { actionDialog } from "./security-dialogs.js";
import { flashFor, utcTime, type CardFlash } from "./security-sections.js";

/** The lifetimes offered, in days, the first the default (the service allows 1 to 365). */
export const EXPIRY_CHOICES_DAYS: readonly number[] = Object.freeze([30, 7, 90, 365]);

/** The create form after a refused POST: what was typed (never the password or code), and the errors. */
export interface AccessTokenFormState {
	readonly name?: string;
	readonly hosts?: string;
	readonly expiresInDays?: string;
	/** Not confirmed recently: the form asks for the password (and the code with 2FA on). */
	readonly needsPassword?: boolean;
	readonly needsCode?: boolean;
	readonly nameError?: string | null;
	readonly hostsError?: string | null;
	readonly expiryError?: string | null;
	readonly passwordError?: string | null;
	readonly codeError?: string | null;
	readonly error?: string | null;
}

const KEY_ICON = html`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><circle cx="8" cy="15" r="4.2" fill="none" stroke="currentColor" stroke-width="1.7"/><path d="M11 12l8.5-8.5M16.5 6.5l2.5 2.5M14.5 8.5l2 2" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>`;

function durationText(days: number): string {
	return days === 365 ? "1 year" : plural(days, "day");
}

/** One token of the list: name, hosts, dates, last use, and its Revoke button. */
function tokenItem(csrf: string, token: AccessTokenView): SafeHtml {
	const meta = [
		html`<span>Created ${utcTime(token.createdAt)}</span>`,
		token.expired ? html`<span><strong>Expired</strong> ${utcTime(token.expiresAt)}</span>` : html`<span>Expires ${utcTime(token.expiresAt)}</span>`,
		token.lastUsedAt === null ? html`<span>Never used</span>` : html`<span>Last used ${utcTime(token.lastUsedAt)}${token.lastUsedIp !== null && html` from ${token.lastUsedIp}`}</span>`,
	];
	return html`<li class="session access-token${token.expired ? " access-token--expired" : ""}" id="access-token-${token.id}">
		<span class="session__icon">${KEY_ICON}</span>
		<div class="session__main">
			<p class="session__device">${token.name}${token.aal === "aal2" && html` <span class="badge badge--current" title="Made in a session with two-factor authentication: accepted where apps ask for it">2FA</span>`}${token.expired && html` <span class="badge badge--off">Expired</span>`}</p>
			<p class="session__meta access-token__hosts">For ${token.hosts.map((host, index) => html`${index === 0 ? "" : ", "}<code>${host}</code>`)}</p>
			<p class="session__meta">${meta.map((part, index) => (index === 0 ? part : html`<span class="session__sep" aria-hidden="true"> · </span>${part}`))}</p>
		</div>
		${postForm(
			PATHS.revokeAccessToken,
			csrf,
			html`<input type="hidden" name="accessToken" value="${token.id}">
			<button type="submit" class="button button--secondary button--small">Revoke<span class="visually-hidden"> ${token.name}</span></button>`,
			"session__action",
		)}
	</li>`;
}

/** The form that creates a token. */
function createForm(csrf: string, email: string, form: AccessTokenFormState): SafeHtml {
	const chosen = form.expiresInDays ?? String(EXPIRY_CHOICES_DAYS[0]);
	const expiryId = "access-token-expiry";
	const hostsId = "access-token-hosts";
	const hostsHint = "One a line, or separated by commas: app.example.com, or *.example.com for every host below example.com. The token is refused anywhere else.";
	const hostsError = form.hostsError ?? null;
	const confirmation =
		form.needsPassword === true
			? inlineConfirmation(
					html`<input type="email" name="username" autocomplete="username" value="${email}" hidden readonly>
			${field({ id: "access-token-password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: form.passwordError ?? null })}
			${form.needsCode === true && secondFactorField({ id: "access-token-code", error: form.codeError })}`,
				)
			: null;
	return postForm(
		PATHS.securityAccessTokens,
		csrf,
		html`${form.error !== undefined && form.error !== null && notice("error", form.error)}
		${field({ id: "access-token-name", name: "name", label: "Name", autocomplete: "off", value: form.name ?? "", hint: "What will use it, e.g. \"Grafana on my phone\" or \"backup script\".", error: form.nameError ?? null, maxlength: 64 })}
		<div class="field${hostsError !== null ? " field--invalid" : ""}">
			<label class="field__label" for="${hostsId}">Hosts it may reach</label>
			<p class="field__hint" id="${hostsId}-hint">${hostsHint}</p>
			<textarea class="input input--mono input--textarea" id="${hostsId}" name="hosts" rows="3" required spellcheck="false" autocapitalize="none" autocorrect="off" aria-describedby="${hostsId}-hint${hostsError !== null ? html` ${hostsId}-error` : ""}"${hostsError !== null ? html` aria-invalid="true"` : ""}>${form.hosts ?? ""}</textarea>
			${hostsError !== null && html`<p class="field__error" id="${hostsId}-error">${hostsError}</p>`}
		</div>
		<div class="field${form.expiryError ? " field--invalid" : ""}">
			<label class="field__label" for="${expiryId}">Expires after</label>
			<select class="input input--select" id="${expiryId}" name="expiresInDays"${form.expiryError ? html` aria-describedby="${expiryId}-error" aria-invalid="true"` : ""}>
				${EXPIRY_CHOICES_DAYS.map((days) => html`<option value="${String(days)}"${String(days) === chosen ? html` selected` : ""}>${durationText(days)}</option>`)}
			</select>
			${form.expiryError && html`<p class="field__error" id="${expiryId}-error">${form.expiryError}</p>`}
		</div>
		${confirmation}
		<div class="actions actions--start">
			<button type="submit" class="button button--primary" id="create-access-token">Create token</button>
		</div>`,
		"form form--narrow",
	);
}

/** The Access tokens page's content. */
export function accessTokensCard(state: { csrf: string; email: string; tokens: readonly AccessTokenView[]; form: AccessTokenFormState; flash: CardFlash | null | undefined; facts: ConfirmationFacts }): SafeHtml {
	const { csrf, tokens } = state;
	const list =
		tokens.length === 0
			? html`<p id="no-access-tokens">No access tokens. Create one below for an app or script that cannot sign in with a browser.</p>`
			: html`<ul class="session-list" id="access-token-list">${tokens.map((token) => tokenItem(csrf, token))}</ul>
	<div class="actions actions--start session-actions">
		${confirmableButton(csrf, "revoke-all-access-tokens", state.facts, "Revoke all tokens", "button button--ghost button--danger-text button--wrap", "revoke-all-access-tokens")}
	</div>`;
	return html`<div class="stack">
<section class="card" id="access-tokens" aria-labelledby="access-tokens-title">
	<h2 class="card__title" id="access-tokens-title">Your access tokens</h2>
	${flashFor(state.flash, "access-tokens")}
	<p class="muted">An access token lets a mobile app, a script or an API client reach the apps this site protects, as you, without a browser sign-in: it sends the token in an <code>Authorization: Bearer</code> header. A token works only for its hosts and only until it expires; it never signs in to this page.</p>
	${list}
	<p class="muted small" id="access-tokens-what-ends">Tokens stay valid when you sign out (even everywhere) or change your password: revoke them here. "I think my account is compromised", a password reset by email and turning two-factor authentication off revoke every token.</p>
</section>
<section class="card" id="new-access-token-card" aria-labelledby="new-access-token-title">
	<h2 class="card__title" id="new-access-token-title">Create a token</h2>
	<p class="muted">Apps that ask for two-factor authentication accept only tokens made while you are signed in with it; apps that ask for a recent code accept none.</p>
	${createForm(csrf, state.email, state.form)}
</section>
</div>`;
}

/** The new token, shown only in the answer to the POST that made it. */
export function newAccessTokenDialog(token: string, view: AccessTokenView): SafeHtml {
	const content = html`${notice("success", html`<strong>Token "${view.name}" created.</strong> It reaches ${view.hosts.map((host, index) => html`${index === 0 ? "" : ", "}<code>${host}</code>`)} until ${utcTime(view.expiresAt)}.`)}
<p><strong>Copy it now: this is the only time it is shown.</strong> Store it where the app or script keeps its secrets, never in code or a chat. If you lose it, revoke it and create another.</p>
<div class="secret-row">
	<code id="new-access-token" class="secret-key access-token__value" aria-label="Your new access token">${token}</code>
	<button type="button" class="button button--secondary button--small copy-button" id="copy-access-token" data-copy-target="new-access-token" hidden>Copy</button>
</div>
<p class="muted small">Send it as <code>Authorization: Bearer &lt;token&gt;</code> (or <code>Proxy-Authorization</code>) with every request.</p>
<div class="actions">
	<a class="button button--primary" id="access-token-done" href="${PATHS.securityAccessTokens}">Done</a>
</div>`;
	return actionDialog({ id: "new-access-token", eyebrow: "Access tokens", title: "Copy your new access token", content, cancellable: false, focusTitle: true, back: PATHS.securityAccessTokens });
}
