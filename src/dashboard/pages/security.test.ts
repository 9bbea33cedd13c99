import { describe, expect, it } from "vitest";
import { DEFAULT_BRAND, PATHS } from "../layout.js";
import { SECURITY_SECTIONS, securityPage, type SecuritySection } from "./security.js";
import { fewRecoveryCodesWarning, type SecurityState } from "./security-state.js";

const STATE: SecurityState = { brand: DEFAULT_BRAND, issuer: "deadbolt", csrf: "token", email: "frank3@example.com", twoFactorEnabled: true, recoveryCodesLeft: 10, recoveryCodesTotal: 10 };
const SECTIONS = Object.keys(SECURITY_SECTIONS) as SecuritySection[];
const DEVICE = { id: "dev1", createdAt: 0, lastUsedAt: 0, expiresAt: 0, ipAddress: null, device: { label: "Firefox on Linux", browser: "Firefox", os: "Linux", platform: "desktop" } } as const;

/** The visible text, tags dropped and whitespace collapsed. */
function textOf(markup: string): string {
	return markup.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
}

/** The labels of the buttons in `<main>`, outside the closed (embedded) dialogs. */
function visibleButtons(markup: string): string[] {
	const outside = markup.slice(markup.indexOf("<main")).replace(/<dialog class="[^"]*"[^>]*id="confirm-[^"]*"(?![^>]*\sopen)[^>]*>[\s\S]*?<\/dialog>/g, "");
	return [...outside.matchAll(/<button[^>]*>([^<]*)</g)].map((match) => match[1] ?? "");
}

describe("Security pages with two-factor authentication on", () => {
	it("the Two-factor page offers another app, new recovery codes, a new phone and turning it off, each asked first", () => {
		const markup = securityPage(STATE, null, "two-factor").value;
		const text = textOf(markup);
		expect(text).toContain("Two-factor authentication is on");
		expect(text).toContain("10 of 10");
		expect(visibleButtons(markup)).toEqual(["Add another authenticator app", "Move to a new phone", "Generate new recovery codes"]);
		expect(markup).toContain('href="/dashboard/settings/security/two-factor/disable" data-confirm="confirm-turn-off-two-factor"');
		for (const action of ["add-authenticator", "replace-authenticator", "regenerate-recovery-codes", "turn-off-two-factor"]) expect(markup).toContain(`<dialog class="modal modal--narrow modal--confirm" id="confirm-${action}"`);
		expect(textOf(markup)).toContain("Your 10 current recovery codes stop working at once");
	});

	it("every page links and posts only to pages that exist, and marks itself in the navigation", () => {
		const paths = new Set<string>(Object.values(PATHS));
		for (const twoFactorEnabled of [true, false]) {
			for (const section of SECTIONS) {
				const markup = securityPage({ ...STATE, twoFactorEnabled, sessions: [], events: [], passwordMinLength: 12, trustedDevices: [DEVICE] }, null, section).value;
				for (const [, href] of markup.matchAll(/(?:href|action)="([^"#][^"#]*)[^"]*"/g)) expect(paths.has(href ?? ""), `${section}: ${href}`).toBe(true);
				expect(markup).toContain(`href="${SECURITY_SECTIONS[section].path}" aria-current="page"`);
				expect([...markup.matchAll(/aria-current="page"/g)].length, section).toBe(2); // the header's Security, and this page
			}
		}
	});

	it("the summary states each part and leads to its page", () => {
		const markup = securityPage({ ...STATE, recoveryCodesLeft: 7, sessions: [], events: [{ id: "e1", type: "password.changed", createdAt: Date.UTC(2026, 0, 2, 3, 4), ipAddress: null, device: { label: "x", browser: null, os: null, platform: null }, details: {} }], trustedDevices: [DEVICE], passwordMinLength: 12 }).value;
		const text = textOf(markup);
		expect(text).toContain("Two-factor authentication On With an authenticator app");
		expect(text).toContain("Recovery codes 7 of 10 left");
		expect(text).toContain("0 active sessions · 1 remembered device");
		expect(text).toContain("Last security event Password changed, 2 Jan 2026, 03:04 UTC");
		expect(markup).not.toContain('id="two-factor-off-banner"');
	});

	it("an account without a password gets a set-password form, and the summary says so with its action", () => {
		const state = { ...STATE, twoFactorEnabled: false, hasPassword: false, sessions: [], events: [], passwordMinLength: 8 };
		const markup = securityPage(state, null, "password").value;
		expect(markup).toContain('id="no-password"');
		expect(markup).not.toContain('name="currentPassword"');
		expect(visibleButtons(markup)).toContain("Set password");
		expect(visibleButtons(markup)).not.toContain("Change password");
		// "Compromised" needs the current password: its page asks for one first.
		expect(securityPage(state, null, "compromised").value).not.toContain("Secure my account");
		const overview = securityPage(state).value;
		expect(overview).toContain('id="banner-set-password"');
		expect(overview).toContain('id="banner-setup-two-factor"');
	});

	it("warns at 3 or fewer codes left, with the action that makes new ones", () => {
		expect(fewRecoveryCodesWarning({ ...STATE, recoveryCodesLeft: 4 })).toBeNull();
		expect(textOf(fewRecoveryCodesWarning({ ...STATE, recoveryCodesLeft: 3 })?.value ?? "")).toMatch(/^Only 3 recovery codes left\. Each code works once\..*Generate new recovery codes/);
		expect(textOf(fewRecoveryCodesWarning({ ...STATE, recoveryCodesLeft: 1 })?.value ?? "")).toMatch(/^Only 1 recovery code left\./);
		expect(textOf(fewRecoveryCodesWarning({ ...STATE, recoveryCodesLeft: 0 })?.value ?? "")).toContain("You have no recovery codes left.");
		expect(securityPage({ ...STATE, recoveryCodesLeft: 2 }).value).toContain('id="recovery-codes-warning"');
		expect(securityPage({ ...STATE, recoveryCodesLeft: 2 }, null, "two-factor").value).toContain('id="recovery-codes-warning"');
		expect(securityPage(STATE).value).not.toContain('id="recovery-codes-warning"');
	});
});
