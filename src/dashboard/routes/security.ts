/**
 * `GET /dashboard/settings/security`: the Security page, with the notice of the action that led
 * back to it (`?done=<word>&n=<count>`: only a word of a fixed list and a number travel; the
 * sentences are here).
 */
import type { FastifyInstance } from "fastify";
import { html } from "../html.js";
import { notice, plural } from "../layout.js";
import { securityPage } from "../pages/security.js";
import type { CardFlash } from "../pages/security-sections.js";
import type { DashboardContext } from "./context.js";
import { queryParam, sendPage, signedInPage } from "./forms.js";

/** The notice after an action on the Security page (`?done=<word>&n=<count>`), from a fixed list. */
function flashOf(done: string | null, countParam: string | null): CardFlash | null {
	const parsed = countParam !== null && /^\d{1,6}$/.test(countParam) ? Number(countParam) : 0;
	switch (done) {
		case "session-revoked":
			return { card: "sessions", content: notice("success", "Signed out that session. That device has to sign in again.", "sessions-notice") };
		case "session-gone":
			return { card: "sessions", content: notice("info", "That session had already ended.", "sessions-notice") };
		case "others-signed-out":
			return {
				card: "sessions",
				content: notice("success", parsed === 0 ? "There were no other sessions to sign out." : `Signed out ${plural(parsed, "other session")}. Only this device is still signed in.`, "sessions-notice"),
			};
		case "password-changed":
			return {
				card: "password",
				content: notice(
					"success",
					html`<strong>Your password has been changed.</strong>${parsed > 0 ? ` For your security, we signed you out on ${plural(parsed, "other session")}.` : ""}`,
					"password-notice",
				),
			};
		case "password-set":
			return { card: "password", content: notice("success", html`<strong>Your password is set.</strong> You can now sign in with your email and password.`, "password-notice") };
		case "signed-in-with-link":
			return { card: "password", content: notice("info", "You're signed in. Set a password for your account here, or set up two-factor authentication, which sets one as its first step.", "password-notice") };
		case "authenticator-replaced":
			return {
				card: "two-factor",
				content: notice("success", html`<strong>Your new phone is set up.</strong> Codes from the old one no longer work. Your recovery codes are unchanged; remembered devices were forgotten.`, "two-factor-notice"),
			};
		case "replace-expired":
			return { card: "two-factor", content: notice("warning", "Moving to a new phone timed out before you entered a code. Your old phone still works; start again when you're ready.", "two-factor-notice") };
		case "device-forgotten":
			return { card: "devices", content: notice("success", "Forgot that device. Its next sign-in asks for a code again.", "devices-notice") };
		case "device-gone":
			return { card: "devices", content: notice("info", "That device had already been forgotten.", "devices-notice") };
		case "devices-forgotten":
			return {
				card: "devices",
				content: notice("success", parsed === 0 ? "There were no remembered devices to forget." : `Forgot ${plural(parsed, "remembered device")}. Each asks for a code at its next sign-in.`, "devices-notice"),
			};
		case "two-factor-on":
			return { card: "two-factor", content: notice("success", "Two-factor authentication is on. Keep your recovery codes safe.", "two-factor-notice") };
		case "two-factor-off":
			return {
				card: "two-factor",
				content: notice(
					"success",
					html`<strong>Two-factor authentication is off.</strong> Your authenticator app's codes and your recovery codes no longer work${parsed > 0 ? `, and we signed you out on ${plural(parsed, "other session")}` : ""}. You can delete its entry from your authenticator app.`,
					"two-factor-notice",
				),
			};
		default:
			return null;
	}
}

/** Registers `GET /settings/security`. */
export function registerSecurityPageRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.get(
		"/settings/security",
		signedInPage(async (request, reply, auth) => {
			const flash = flashOf(queryParam(request, "done"), queryParam(request, "n"));
			return sendPage(reply, 200, securityPage({ ...(await d.securityState(request, reply, auth)), flash }));
		}),
	);
}
