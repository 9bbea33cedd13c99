import { describe, expect, it } from "vitest";
import { DEFAULT_BRAND, PATHS } from "../layout.js";
import { fewRecoveryCodesWarning, securityPage, type SecurityState } from "./security.js";

const STATE: SecurityState = { brand: DEFAULT_BRAND, issuer: "deadbolt", csrf: "token", email: "frank3@example.com", twoFactorEnabled: true, recoveryCodesLeft: 10, recoveryCodesTotal: 10 };

/** The visible text, tags dropped and whitespace collapsed. */
function textOf(markup: string): string {
	return markup.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
}

describe("Security page with two-factor authentication on", () => {
	it("offers new recovery codes and turning it off, and promises nothing else", () => {
		const text = textOf(securityPage(STATE).value);
		expect(text).toContain("Two-factor authentication is on");
		expect(text).toContain("10 of 10 left");
		expect(text).toContain("Keep your recovery codes safe");
		expect(text).toContain("Generate new recovery codes");
		expect(text).toContain("Turn off two-factor authentication");
		expect(text).toContain("Move to a new phone");
		expect(text).toContain("Changing phones? Choose Move to a new phone while you still have the old one (or a recovery code): scan the new QR code with the new phone, and the old phone's codes stop working. Your recovery codes stay the same.");
	});

	it("links and posts only to pages that exist", () => {
		for (const twoFactorEnabled of [true, false]) {
			const device = { id: "dev1", createdAt: 0, lastUsedAt: 0, expiresAt: 0, ipAddress: null, device: { label: "Firefox on Linux", browser: "Firefox", os: "Linux", platform: "desktop" } } as const;
			const markup = securityPage({ ...STATE, twoFactorEnabled, sessions: [], events: [], passwordMinLength: 12, trustedDevices: [device] }).value;
			const paths = new Set<string>(Object.values(PATHS));
			for (const [, href] of markup.matchAll(/(?:href|action)="([^"#][^"#]*)[^"]*"/g)) expect(paths.has(href ?? ""), href).toBe(true);
			const buttons = [...markup.matchAll(/<button[^>]*>([^<]*)</g)].map((match) => match[1]);
			expect(buttons).toEqual(["Sign out", ...(twoFactorEnabled ? ["Generate new recovery codes", "Move to a new phone"] : []), "Change password", "Sign out everywhere", "Forget", "Forget all devices", "Secure my account"]);
			expect(markup.includes("Your recovery codes are replaced."), "the compromise card promises new recovery codes only with 2FA on").toBe(twoFactorEnabled);
		}
	});

	it("an account without a password gets a set-password form instead of the change form", () => {
		const markup = securityPage({ ...STATE, twoFactorEnabled: false, hasPassword: false, sessions: [], events: [], passwordMinLength: 8 }).value;
		expect(markup).toContain('id="no-password"');
		expect(markup).not.toContain('name="currentPassword"');
		// "Compromised" needs the current password: it appears once there is one.
		expect(markup).not.toContain("Secure my account");
		const buttons = [...markup.matchAll(/<button[^>]*>([^<]*)</g)].map((match) => match[1]);
		expect(buttons).toContain("Set password");
		expect(buttons).not.toContain("Change password");
	});

	it("warns at 3 or fewer codes left, telling to keep the rest safe", () => {
		expect(fewRecoveryCodesWarning(4)).toBeNull();
		expect(textOf(fewRecoveryCodesWarning(3)?.value ?? "")).toBe("Only 3 recovery codes left. Each code works once: keep the rest somewhere safe, such as a password manager.");
		expect(textOf(fewRecoveryCodesWarning(1)?.value ?? "")).toBe("Only 1 recovery code left. Each code works once: keep it somewhere safe, such as a password manager.");
		expect(textOf(fewRecoveryCodesWarning(0)?.value ?? "")).toContain("You have no recovery codes left.");
		expect(securityPage({ ...STATE, recoveryCodesLeft: 2 }).value).toContain('id="recovery-codes-warning"');
		expect(securityPage(STATE).value).not.toContain('id="recovery-codes-warning"');
	});
});
