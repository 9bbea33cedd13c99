import { describe, expect, it } from "vitest";
import type { AlertKind } from "../../domain/events/event-types.js";
import type { LinkMailKind } from "../../service/outbox.js";
import { alertMailContent } from "./alert-mails.js";
import { renderMail, type MailBranding } from "./layout.js";
import { linkMailContent } from "./link-mails.js";

const BRANDING: MailBranding = { productName: 'Acme <"&">', accentColor: "#1d4ed8", footerText: null, supportUrl: null };
const ALERTS: Record<AlertKind, string> = {
	new_device_sign_in: "login.succeeded",
	second_factor_failed: "login.second_factor_failed",
	account_locked: "login.locked",
	password_changed: "password.reset",
	two_factor_changed: "totp.replaced",
	recovery_code_used: "recovery_code.used",
	recovery_codes_regenerated: "recovery_codes.regenerated",
	access_token_created: "access_token.created",
	email_changed: "email.changed",
	two_factor_reset: "totp.reset",
	backup_restored: "backup.restored",
};
const LINKS: readonly LinkMailKind[] = ["email.verify", "sign_up.verify", "sign_up.exists", "password.reset", "password.reset_unknown", "email.change_confirm", "email.change_approve", "two_factor.confirm", "two_factor.setup_required"];

describe("mail templates", () => {
	it("every alert has text and HTML, the facts, and the \"This wasn't me\" link; the product name is escaped in HTML", () => {
		for (const [kind, type] of Object.entries(ALERTS) as [AlertKind, string][]) {
			const content = alertMailContent({
				kind,
				facts: { eventId: "e1", type: type as never, createdAt: Date.UTC(2026, 0, 1, 9, 5), ipAddress: "192.0.2.1", userAgent: null, details: { recoveryCodesLeft: 2, minutes: 15 } },
				to: "owner@example.test",
				origin: "https://auth.example.test",
				productName: BRANDING.productName,
			});
			const mail = renderMail(content, BRANDING);
			for (const part of [mail.text, mail.html]) {
				expect(part, kind).toContain("https://auth.example.test/dashboard/settings/security/compromised");
				expect(part, kind).toContain("192.0.2.1");
				expect(part, kind).toContain("1 January 2026");
				expect(part, kind).toContain("09:05 UTC");
				expect(part, kind).toContain("Unknown device");
			}
			expect(mail.html, kind).not.toContain('Acme <"&">');
			expect(mail.html, kind).toContain("Acme &lt;&quot;&amp;&quot;&gt;");
		}
	});

	it("every link mail renders; those with a link put the token only in it, and refuse to render without one", () => {
		for (const kind of LINKS) {
			const content = linkMailContent({ kind, token: "tok_1", origin: "https://auth.example.test", productName: "Acme", ttlSeconds: 1_800 });
			const mail = renderMail(content, BRANDING);
			expect(mail.subject.length, kind).toBeGreaterThan(0);
			if (content.action !== undefined && content.action.url.includes("token=")) {
				expect(mail.text).toContain("?token=tok_1");
				expect(mail.text).toContain("30 minutes");
				expect(() => linkMailContent({ kind, token: null, origin: "https://auth.example.test", productName: "Acme", ttlSeconds: 1_800 })).toThrow(/needs its link token/);
			} else {
				expect(mail.text, kind).not.toContain("tok_1");
			}
		}
	});

	it("the required-setup mail sends someone who did not sign in to \"Forgot password?\" (no session is possible without 2FA)", () => {
		const content = linkMailContent({ kind: "two_factor.setup_required", token: "tok_1", origin: "https://auth.example.test", productName: "Acme", ttlSeconds: 1_800 });
		const mail = renderMail(content, BRANDING);
		expect(mail.text).toContain('"Forgot password?"');
		expect(mail.text).toContain("https://auth.example.test/dashboard/forgot-password");
		expect(mail.text).not.toMatch(/Change it/);
	});
});
