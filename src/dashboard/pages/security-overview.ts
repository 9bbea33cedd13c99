/**
 * Settings > Security's summary: what needs attention first, each banner with its action
 * (two-factor authentication off: set it up; few recovery codes: new ones; no password: set one),
 * then one row per part of the account's security, each stating where it stands and leading to
 * the page that changes it.
 */
import { html, type SafeHtml } from "../html.js";
import { notice, PATHS, plural } from "../layout.js";
import { describeEvent, utcTime } from "./security-sections.js";
import { fewRecoveryCodesWarning, statusBadge, type SecurityState } from "./security-state.js";

/** The banners of the summary, most important first (none when all is well). */
function banners(state: SecurityState): SafeHtml[] {
	const out: SafeHtml[] = [];
	if (state.hasPassword === false) {
		out.push(
			notice(
				"warning",
				html`<p><strong>Your account has no password yet.</strong> You signed in with a sign-in link. Set a password to sign in with your email, and to turn on two-factor authentication.</p><div class="notice__actions"><a class="button button--secondary button--small" href="${PATHS.password}" id="banner-set-password">Set a password</a></div>`,
				"no-password-banner",
			),
		);
	}
	if (!state.twoFactorEnabled) {
		out.push(
			notice(
				"warning",
				html`<p><strong>Two-factor authentication is off.</strong> Anyone who learns your password can sign in. With it on, signing in also asks for a code from your phone.</p><div class="notice__actions"><a class="button button--primary button--small button--wrap" href="${PATHS.twoFactorSetup}" id="banner-setup-two-factor">Set up two-factor authentication</a></div>`,
				"two-factor-off-banner",
			),
		);
	} else {
		const few = fewRecoveryCodesWarning(state);
		if (few !== null) out.push(few);
	}
	return out;
}

/** One row of the summary: what, where it stands, and the link to its page. */
function row(options: { id: string; label: string; status: SafeHtml | string; href: string; link: string }): SafeHtml {
	return html`<li class="summary__row" id="${options.id}">
	<div class="summary__text">
		<p class="summary__label">${options.label}</p>
		<p class="summary__status">${options.status}</p>
	</div>
	<a class="summary__link" href="${options.href}">${options.link}<span class="visually-hidden">: ${options.label}</span></a>
</li>`;
}

/** The summary page's content. */
export function securityOverview(state: SecurityState): SafeHtml {
	const sessions = state.sessions?.length ?? 1;
	const devices = state.trustedDevices?.length ?? 0;
	const latest = state.events?.[0];
	const rows = [
		row({
			id: "summary-two-factor",
			label: "Two-factor authentication",
			status: state.twoFactorEnabled ? html`${statusBadge(true)} With an authenticator app` : html`${statusBadge(false)} Only your password protects your account`,
			href: state.twoFactorEnabled ? PATHS.securityTwoFactor : PATHS.twoFactorSetup,
			link: state.twoFactorEnabled ? "Manage" : "Set up",
		}),
		state.twoFactorEnabled &&
			row({
				id: "summary-recovery-codes",
				label: "Recovery codes",
				status: `${state.recoveryCodesLeft} of ${state.recoveryCodesTotal} left`,
				href: `${PATHS.securityTwoFactor}#recovery-codes-title`,
				link: "Manage",
			}),
		row({
			id: "summary-password",
			label: "Password",
			status: state.hasPassword === false ? "Not set yet" : "Set",
			href: PATHS.password,
			link: state.hasPassword === false ? "Set" : "Change",
		}),
		row({
			id: "summary-sessions",
			label: "Where you're signed in",
			status: `${plural(sessions, "active session")} · ${plural(devices, "remembered device")}`,
			href: PATHS.securitySessions,
			link: "Review",
		}),
		row({
			id: "summary-access-tokens",
			label: "Access tokens for apps and scripts",
			status: (state.accessTokens?.length ?? 0) === 0 ? "None" : plural(state.accessTokens?.filter((token) => !token.expired).length ?? 0, "active token"),
			href: PATHS.securityAccessTokens,
			link: "Manage",
		}),
		row({
			id: "summary-activity",
			label: "Last security event",
			status: latest === undefined ? "No activity yet" : html`${describeEvent(latest).text}, ${utcTime(latest.createdAt)}`,
			href: PATHS.securityActivity,
			link: "See all",
		}),
	];
	return html`${banners(state)}
<section class="card" aria-labelledby="summary-title">
	<h2 class="card__title" id="summary-title">Summary</h2>
	<ul class="summary" id="security-summary">${rows}</ul>
</section>
<p class="compromised-link"><a href="${PATHS.secureAccount}" id="compromised-link">I think my account is compromised</a></p>`;
}
