import { describe, expect, it } from "vitest";
import { SECURITY_EVENT_TYPES } from "../../domain/events/event-types.js";
import type { SecurityEventType } from "../../service/security-events.js";
import { isSudoAction } from "./security-dialogs.js";
import { describeEvent } from "./security-sections.js";

describe("security activity sentences", () => {
	const sentence = (type: SecurityEventType, details: Record<string, string | number | boolean | readonly string[]> = {}) => describeEvent({ type, details }).text;

	it("says how a sign-in was proved", () => {
		expect(sentence("login.succeeded", { factors: ["password", "totp"] })).toBe("Signed in with password and authenticator code");
		expect(sentence("login.succeeded", { factors: ["password", "recovery_code"] })).toBe("Signed in with password and recovery code");
		expect(sentence("login.succeeded", { factors: ["password"] })).toBe("Signed in with password");
		expect(sentence("login.succeeded")).toBe("Signed in");
	});

	it("names the groups an administrator set", () => {
		expect(sentence("account.groups_changed", { before: ["ops"], after: ["admins", "ops"], via: "cli" })).toBe("Groups changed by an administrator: admins, ops");
		expect(sentence("account.groups_changed", { before: ["ops"], after: [], via: "admin_api" })).toBe("Removed from every group by an administrator");
		expect(sentence("account.groups_changed")).toBe("Groups changed by an administrator");
	});

	it("has a sentence for every type, and flags failures", () => {
		expect(sentence("login.password_failed")).toBe("Wrong password entered");
		expect(describeEvent({ type: "login.password_failed", details: {} }).alert).toBe(true);
		expect(sentence("totp.enabled")).toBe("Two-factor authentication turned on");
		expect(sentence("totp.disabled")).toBe("Two-factor authentication turned off");
		expect(sentence("recovery_code.used", { recoveryCodesLeft: 9 })).toBe("Recovery code used (9 left)");
		expect(sentence("sessions.revoked", { scope: "others", sessions: 2 })).toBe("Signed out all other sessions (2)");
		expect(sentence("sessions.revoked", { scope: "everywhere", sessions: 2 })).toBe("Signed out everywhere");
		expect(sentence("sessions.revoked", { scope: "everywhere", by: "operator", sessions: 2, accessTokens: 3 })).toBe("Signed out everywhere; personal access tokens revoked (3)");
		expect(sentence("sessions.revoked", { scope: "everywhere", by: "operator", sessions: 2, accessTokens: 0 })).toBe("Signed out everywhere");
		expect(sentence("session.revoked", { current: false })).toBe("Signed out a session on another device");
		expect(sentence("password.changed")).toBe("Password changed");
		expect(sentence("login.succeeded", { factors: ["password", "totp"], newDevice: true })).toBe("Signed in with password and authenticator code (new device)");
		for (const type of SECURITY_EVENT_TYPES) expect(sentence(type), type).not.toBe(type);
	});
});

describe("Confirm it's you", () => {
	it("accepts only the actions of its allow-list", () => {
		expect(isSudoAction("revoke-others")).toBe(true);
		expect(isSudoAction("sign-out-everywhere")).toBe(true);
		expect(isSudoAction("regenerate-recovery-codes")).toBe(true);
		for (const value of ["", "toString", "__proto__", "/dashboard", "https://evil.example", "change-password"]) expect(isSudoAction(value)).toBe(false);
	});
});
