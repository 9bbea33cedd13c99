import { describe, expect, it } from "vitest";
import { alertKindOf, isSecurityEventType, SECURITY_EVENT_TYPES, webhookWants } from "./event-types.js";

describe("event catalog", () => {
	it("names every type once, in lower-case words (`<subject>.<verb>` but for the older `reauthenticated`)", () => {
		expect(new Set(SECURITY_EVENT_TYPES).size).toBe(SECURITY_EVENT_TYPES.length);
		for (const type of SECURITY_EVENT_TYPES) expect(type).toMatch(/^[a-z_]+(\.[a-z_]+)?$/);
		expect(isSecurityEventType("login.succeeded")).toBe(true);
		expect(isSecurityEventType("login.nope")).toBe(false);
	});

	it("alerts on a sign-in only from a new device", () => {
		expect(alertKindOf("login.succeeded", { factors: ["password"] })).toBeNull();
		expect(alertKindOf("login.succeeded", { factors: ["password"], newDevice: false })).toBeNull();
		expect(alertKindOf("login.succeeded", { factors: ["password"], newDevice: true })).toBe("new_device_sign_in");
	});

	it("alerts on a wrong code at sign-in, not while re-authenticating", () => {
		expect(alertKindOf("login.second_factor_failed", { method: "totp" })).toBe("second_factor_failed");
		expect(alertKindOf("login.second_factor_failed", { during: "reauthentication" })).toBeNull();
	});

	it("alerts on the changes the issue lists and not on routine events", () => {
		for (const type of ["login.locked", "password.changed", "password.reset", "totp.enabled", "totp.disabled", "totp.replaced", "recovery_code.used", "recovery_codes.regenerated", "access_token.created", "email.changed"] as const) {
			expect(alertKindOf(type, {}), type).not.toBeNull();
		}
		for (const type of ["account.created", "session.revoked", "device.trusted", "reauthenticated"] as const) expect(alertKindOf(type, {}), type).toBeNull();
	});

	it("matches webhook subscriptions by type or *", () => {
		expect(webhookWants(["*"], "login.succeeded")).toBe(true);
		expect(webhookWants(["login.succeeded"], "login.succeeded")).toBe(true);
		expect(webhookWants(["login.locked"], "login.succeeded")).toBe(false);
	});
});
