/**
 * "Apps you signed in to" on Security > Sessions and devices (issue 13 item 4): the apps that
 * signed in with OpenID Connect, when each was last used, and Disconnect, which ends its grants and
 * tokens, tells it (back-channel logout) and forgets the consent (`service/oidc-grants.ts`).
 */
import type { ConnectedOidcApp } from "../../service/oidc-grants.js";
import { html, type SafeHtml } from "../html.js";
import { PATHS, plural, postForm } from "../layout.js";
import { flashFor, utcTime, type CardFlash } from "./security-sections.js";

/** The card. */
export function connectedAppsCard(csrf: string, apps: readonly ConnectedOidcApp[], flash: CardFlash | null | undefined): SafeHtml {
	const items = apps.map((app) => {
		const meta = [
			app.sessions > 0 ? html`<span>Signed in on ${plural(app.sessions, "session")}</span>` : html`<span>Not signed in now</span>`,
			app.lastUsedAt === null ? null : html`<span>Last used ${utcTime(app.lastUsedAt)}</span>`,
			app.consented ? html`<span>You allowed it</span>` : null,
		].filter((part) => part !== null);
		return html`<li class="session" data-client="${app.clientId}">
		<div class="session__main">
			<p class="session__device">${app.name}</p>
			<p class="session__meta">${meta.map((part, index) => (index === 0 ? part : html`<span class="session__sep" aria-hidden="true"> · </span>${part}`))}</p>
		</div>
		${postForm(
			PATHS.disconnectApp,
			csrf,
			html`<input type="hidden" name="client" value="${app.clientId}">
			<button type="submit" class="button button--secondary button--small">Disconnect<span class="visually-hidden"> ${app.name}</span></button>`,
			"session__action",
		)}
	</li>`;
	});
	return html`<section class="card" id="apps" aria-labelledby="apps-title">
	<h2 class="card__title" id="apps-title">Apps you signed in to</h2>
	${flashFor(flash, "apps")}
	<p class="muted">Apps that use your account to sign you in. Disconnect one and it is signed out at once, its access ends, and it asks you again next time.</p>
	${apps.length === 0 ? html`<p id="no-apps">No apps yet.</p>` : html`<ul class="session-list" id="app-list">${items}</ul>`}
</section>`;
}
