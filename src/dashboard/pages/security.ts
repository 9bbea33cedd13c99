/**
 * Settings > Security: a summary (`security-overview.ts`) and one page per job, each at its own
 * URL so that reload and Back work: two-factor authentication (`two-factor-section.ts`), password,
 * sessions and remembered devices, activity (`security-sections.ts`), personal access tokens
 * (`access-tokens.ts`), and "I think my account is compromised" (`compromised.ts`). A dialog may be drawn over any of them (the two-factor setup
 * of `two-factor-setup.ts`, "Confirm it's you" and the others of `security-dialogs.ts`, the
 * confirmations of `confirmations.ts`).
 */
import { connectedAppsCard } from "./connected-apps.js";
import { html, type SafeHtml } from "../html.js";
import { PATHS, renderPage } from "../layout.js";
import { accessTokensCard } from "./access-tokens.js";
import { compromisedCard } from "./compromised.js";
import { securityOverview } from "./security-overview.js";
import { activityCard, passwordCard, sessionsCard, trustedDevicesCard, type CardFlash } from "./security-sections.js";
import { confirmationFacts, type SecurityState } from "./security-state.js";
import { twoFactorSection } from "./two-factor-section.js";


/** The pages of Settings > Security. */
export type SecuritySection = "overview" | "two-factor" | "password" | "sessions" | "access-tokens" | "activity" | "compromised";

/** Each page's URL and its name in the navigation and the title. */
export const SECURITY_SECTIONS: Readonly<Record<SecuritySection, { readonly path: string; readonly label: string; readonly title: string }>> = Object.freeze({
	overview: { path: PATHS.security, label: "Overview", title: "Security" },
	"two-factor": { path: PATHS.securityTwoFactor, label: "Two-factor", title: "Two-factor authentication" },
	password: { path: PATHS.password, label: "Password", title: "Password" },
	sessions: { path: PATHS.securitySessions, label: "Sessions & devices", title: "Sessions and devices" },
	"access-tokens": { path: PATHS.securityAccessTokens, label: "Access tokens", title: "Access tokens" },
	activity: { path: PATHS.securityActivity, label: "Activity", title: "Security activity" },
	compromised: { path: PATHS.secureAccount, label: "Compromised?", title: "I think my account is compromised" },
});

/** The page that shows a card's notices. */
export function sectionOfCard(card: CardFlash["card"]): SecuritySection {
	return card === "devices" || card === "apps" ? "sessions" : card;
}

/** The navigation between the Security pages (the current one marked for screen readers). */
function securityNav(current: SecuritySection): SafeHtml {
	const items = (Object.keys(SECURITY_SECTIONS) as SecuritySection[]).map((section) => {
		const { path, label } = SECURITY_SECTIONS[section];
		return html`<li><a class="subnav__link${section === "compromised" ? " subnav__link--danger" : ""}" href="${path}"${section === current ? html` aria-current="page"` : ""}>${label}</a></li>`;
	});
	return html`<nav class="subnav" aria-label="Security settings"><ul class="subnav__list">${items}</ul></nav>`;
}

/** The content of one Security page (without the header and the navigation). */
function sectionContent(state: SecurityState, section: SecuritySection): SafeHtml {
	const minLength = state.passwordMinLength ?? 8;
	switch (section) {
		case "overview":
			return securityOverview(state);
		case "two-factor":
			return twoFactorSection(state);
		case "password":
			return passwordCard(state.csrf, state.email, minLength, state.passwordForm ?? {}, state.flash, state.hasPassword ?? true);
		case "sessions":
			return html`<div class="stack">
	${sessionsCard(state.csrf, state.sessions ?? [], state.flash, confirmationFacts(state))}
	${state.connectedApps !== undefined && connectedAppsCard(state.csrf, state.connectedApps, state.flash)}
	${trustedDevicesCard(state.csrf, state.trustedDevices ?? [], state.currentDeviceId ?? null, state.flash, confirmationFacts(state))}
</div>`;
		case "access-tokens":
			return accessTokensCard({ csrf: state.csrf, email: state.email, tokens: state.accessTokens ?? [], form: state.accessTokenForm ?? {}, flash: state.flash, facts: confirmationFacts(state) });
		case "activity":
			return activityCard(state.events ?? []);
		case "compromised":
			return state.hasPassword === false
				? html`<section class="card" id="compromised"><h2 class="card__title">I think my account is compromised</h2><p>Your account has no password yet. <a href="${PATHS.password}">Set a password</a> first; then this page can change it and sign out everyone else in one step.</p></section>`
				: compromisedCard(state.csrf, state.email, minLength, state.twoFactorEnabled, state.compromisedForm ?? {});
	}
}

/**
 * One page of Settings > Security (`section`, default the overview), optionally with a dialog
 * over it.
 */
export function securityPage(state: SecurityState, dialog: SafeHtml | null = null, section: SecuritySection = "overview"): SafeHtml {
	const { title } = SECURITY_SECTIONS[section];
	const lead =
		section === "overview"
			? html`<p class="page-lead">How you sign in to ${state.brand.productName}, where you're signed in, and what happened on your account.</p>`
			: null;
	const body = html`<div class="page-header">
	${section !== "overview" && html`<p class="page-eyebrow"><a href="${PATHS.security}">Security</a></p>`}
	<h1 class="page-title">${title}</h1>
	${lead}
</div>
${securityNav(section)}
${state.message ?? null}
${sectionContent(state, section)}
${dialog}`;
	return renderPage({ title: section === "overview" ? "Security" : `${title} · Security`, brand: state.brand, email: state.email, csrf: state.csrf, section: "security", modal: dialog !== null, body });
}

