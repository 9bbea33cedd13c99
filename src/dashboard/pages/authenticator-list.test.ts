import { describe, expect, it } from "vitest";
import type { AuthenticatorView } from "../../service/authenticators.js";
import { DEFAULT_BRAND } from "../layout.js";
import { securityPage } from "./security.js";
import type { SecurityState } from "./security-state.js";

const STATE: SecurityState = { brand: DEFAULT_BRAND, issuer: "deadbolt", csrf: "token", email: "frank3@example.com", twoFactorEnabled: true, recoveryCodesLeft: 10, recoveryCodesTotal: 10, maxAuthenticators: 5 };
const ADDED = Date.UTC(2026, 0, 2, 3, 4);

function authenticator(id: string, name: string | null, lastUsedAt: number | null = null): AuthenticatorView {
	return { id, name, addedAt: ADDED, lastUsedAt };
}

function twoFactorPage(state: Partial<SecurityState>): string {
	return securityPage({ ...STATE, ...state }, null, "two-factor").value;
}

function textOf(markup: string): string {
	return markup.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
}

describe("Authenticator apps on the Two-factor page", () => {
	it("one row each: its name (or 'Authenticator app'), when added and last used, Rename and Remove naming it", () => {
		const markup = twoFactorPage({ authenticators: [authenticator("a1", null, Date.UTC(2026, 1, 3, 4, 5)), authenticator("a2", "Tablet")] });
		const text = textOf(markup);
		expect(markup).toContain('<h3 class="card__subtitle" id="authenticator-title">Authenticator apps</h3>');
		expect(text).toContain("Authenticator app Added 2 Jan 2026, 03:04 UTC · Last used 3 Feb 2026, 04:05 UTC");
		expect(text).toContain("Tablet Added 2 Jan 2026, 03:04 UTC · Never used");
		expect(text).toContain("They all share one budget of tries");
		for (const id of ["a1", "a2"]) {
			expect(markup).toContain(`id="remove-authenticator-${id}"`);
			expect(markup).toContain(`<input type="hidden" name="target" value="${id}">`);
			expect(markup).toContain(`<input type="hidden" name="authenticator" value="${id}">`);
			expect(markup).toContain(`<dialog class="modal modal--narrow modal--confirm" id="confirm-remove-authenticator-${id}"`);
		}
		expect(text).toContain("Remove “Tablet”? Its codes stop working at once.");
		expect(markup).toContain('<label class="field__label" for="rename-a2">New name for “Tablet”</label>');
		expect(markup).not.toContain('id="last-authenticator"');
	});

	it("the last one has no Remove, and says how to stop using 2FA", () => {
		const markup = twoFactorPage({ authenticators: [authenticator("a1", "Phone")] });
		expect(markup).not.toContain("remove-authenticator");
		expect(textOf(markup)).toContain("To stop using two-factor authentication, turn it off below.");
		expect(markup).toContain('id="add-authenticator"');
	});

	it("at the most an account may have: no Add, and a sentence why", () => {
		const markup = twoFactorPage({ authenticators: ["a1", "a2", "a3", "a4", "a5"].map((id) => authenticator(id, id)) });
		expect(markup).not.toContain('id="add-authenticator"');
		expect(markup).not.toContain("confirm-add-authenticator");
		expect(textOf(markup)).toContain("You have 5 authenticator apps, the most an account can have");
		expect(markup).toContain('id="move-to-new-phone"');
	});

	it("a name is text, never markup; a refused rename shows its row's form open with the name typed and why", () => {
		const markup = twoFactorPage({ authenticators: [authenticator("a1", '<img src=x onerror="alert(1)">'), authenticator("a2", "Tablet")], renameForm: { authenticatorId: "a2", value: "x".repeat(70), error: "A name is at most 64 characters." } });
		expect(markup).not.toContain("<img src=x");
		expect(markup).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
		expect(markup).toMatch(/<details class="rename" open>\s*<summary class="button button--ghost button--small" id="rename-authenticator-a2">/);
		expect(markup).toMatch(/<details class="rename">\s*<summary class="button button--ghost button--small" id="rename-authenticator-a1">/);
		expect(markup).toContain('<p class="field__error" id="rename-a2-error">A name is at most 64 characters.</p>');
		expect(markup).toContain(`value="${"x".repeat(70)}"`);
	});
});
