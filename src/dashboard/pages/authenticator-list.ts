/**
 * Settings > Security > Two-factor authentication, "Authenticator apps" (issue 14): one row per
 * authenticator with its name, when it was added and last used, a small Rename form, and Remove
 * (asked first, naming what ends; then "Confirm it's you": `routes/authenticators.ts`), never on
 * the last one; "Add another authenticator app" up to the most an account may have; and "Move to
 * a new phone" (replace them all). Plain forms: `<details>` opens the Rename form without script.
 */
import type { AuthenticatorView } from "../../service/authenticators.js";
import { html, type SafeHtml } from "../html.js";
import { field, PATHS, postForm } from "../layout.js";
import { confirmableButton } from "./confirmations.js";
import type { SudoTarget } from "./security-dialogs.js";
import { utcTime } from "./security-sections.js";
import { confirmationFacts, type SecurityState } from "./security-state.js";

/** What an authenticator without a name is called. */
export const UNNAMED_AUTHENTICATOR = "Authenticator app";

/** The most authenticators when the state does not say (the service's `MAX_AUTHENTICATORS`). */
const DEFAULT_MAX_AUTHENTICATORS = 5;

/** The longest name the Rename form takes (the service's limit, checked there). */
const NAME_MAX_LENGTH = 64;

/** An authenticator as the confirmations and "Confirm it's you" name it. */
export function authenticatorTarget(authenticator: AuthenticatorView): SudoTarget {
	return { id: authenticator.id, name: authenticator.name ?? UNNAMED_AUTHENTICATOR };
}

/** The small Rename form of one row; open (with the name typed and why) after a refused rename. */
function renameForm(state: SecurityState, authenticator: AuthenticatorView, shown: string): SafeHtml {
	const refused = state.renameForm?.authenticatorId === authenticator.id ? state.renameForm : null;
	const id = `rename-${authenticator.id}`;
	return html`<details class="rename"${refused !== null ? " open" : ""}>
	<summary class="button button--ghost button--small" id="rename-authenticator-${authenticator.id}">Rename<span class="visually-hidden"> ${shown}</span></summary>
	${postForm(
		PATHS.renameAuthenticator,
		state.csrf,
		html`<input type="hidden" name="authenticator" value="${authenticator.id}">
		${field({
			id,
			name: "name",
			label: `New name for ${shown}`,
			autocomplete: "off",
			value: refused !== null ? refused.value : (authenticator.name ?? ""),
			hint: `At most ${NAME_MAX_LENGTH} characters. Leave it empty for no name.`,
			error: refused?.error ?? null,
			maxlength: NAME_MAX_LENGTH,
			required: false,
			autofocus: refused !== null,
			append: html`<button type="submit" class="button button--secondary">Save</button>`,
		})}`,
		"form rename__form",
	)}
</details>`;
}

/** One authenticator's row. */
function authenticatorRow(state: SecurityState, authenticator: AuthenticatorView, removable: boolean): SafeHtml {
	const target = authenticatorTarget(authenticator);
	return html`<li class="session authenticator" id="authenticator-${authenticator.id}">
	<div class="session__main">
		<p class="session__device authenticator__name">${target.name}</p>
		<p class="session__meta"><span>Added ${utcTime(authenticator.addedAt)}</span><span class="session__sep" aria-hidden="true"> · </span><span>${authenticator.lastUsedAt === null ? "Never used" : html`Last used ${utcTime(authenticator.lastUsedAt)}`}</span></p>
	</div>
	<div class="authenticator__actions">
		${renameForm(state, authenticator, `“${target.name}”`)}
		${removable && confirmableButton(state.csrf, "remove-authenticator", confirmationFacts(state), html`Remove<span class="visually-hidden"> “${target.name}”</span>`, "button button--ghost button--small button--danger-text", `remove-authenticator-${authenticator.id}`, target)}
	</div>
</li>`;
}

/** "Authenticator apps": the list, adding one, moving to a new phone. */
export function authenticatorApps(state: SecurityState): SafeHtml {
	const authenticators = state.authenticators ?? [];
	const max = state.maxAuthenticators ?? DEFAULT_MAX_AUTHENTICATORS;
	const facts = confirmationFacts(state);
	const removable = authenticators.length > 1;
	return html`<h3 class="card__subtitle" id="authenticator-title">Authenticator apps</h3>
	<p>A code from any of these apps signs you in. They all share one budget of tries, so a second app never gives someone guessing codes more chances.</p>
	${authenticators.length > 0 && html`<ul class="session-list" id="authenticator-list">${authenticators.map((authenticator) => authenticatorRow(state, authenticator, removable))}</ul>`}
	${!removable && html`<p class="muted small" id="last-authenticator">To stop using two-factor authentication, turn it off below.</p>`}
	${
		authenticators.length < max
			? html`<div class="actions actions--start">
		${confirmableButton(state.csrf, "add-authenticator", facts, "Add another authenticator app", "button button--secondary button--wrap", "add-authenticator")}
	</div>`
			: html`<p id="authenticators-full">You have ${max} authenticator apps, the most an account can have: each one more would give someone guessing codes more chances. Remove one to add another.</p>`
	}
	<p>Changing phones? Move to the new one while you still have the old one (or a recovery code): the old phone's codes stop working once the new one is confirmed${removable && ", and so do the other apps above"}.</p>
	<div class="actions actions--start">
		${confirmableButton(state.csrf, "replace-authenticator", facts, "Move to a new phone", "button button--secondary button--wrap", "move-to-new-phone")}
	</div>`;
}
