/**
 * "I think my account is compromised" (`POST /dashboard/settings/security/compromised`): confirm
 * it's the user (in the same form), then secure the account (new password, every other session
 * signed out, every remembered device forgotten, new recovery codes with 2FA on) and show the
 * summary, once.
 */
import type { FastifyInstance } from "fastify";
import { requestContext } from "../../http/plugins/session.js";
import { rotateCSRFToken } from "../csrf.js";
import { securityPage } from "../pages/security.js";
import { accountSecuredDialog } from "../pages/security-dialogs.js";
import type { DashboardContext } from "./context.js";
import { sendPage, signedInForm } from "./forms.js";
import { passwordFormRoute } from "./password-form.js";

/** Registers `POST /settings/security/compromised`. */
export function registerCompromisedRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.post(
		"/settings/security/compromised",
		signedInForm(async (request, reply, auth) =>
			passwordFormRoute(d, request, reply, auth, {
				form: "compromisedForm",
				// Securing the account always needs a recent confirmation (both factors with 2FA on).
				confirmFirst: (twoFactorEnabled, code) => !d.recentlyConfirmed(auth) && (!twoFactorEnabled || code !== ""),
				act: async (actor, input) => {
					const summary = await d.deadbolt.secureCompromisedAccount(actor, input, requestContext(request));
					d.keepRotatedSession(reply, summary.sessionToken);
					// Every remembered device is forgotten, this browser's too.
					d.forgetThisDevice(request, reply);
					// Shown once: a reload must not secure the account (and replace the codes) again.
					rotateCSRFToken(request, reply, d.cookies);
					const after = await d.securityState(request, reply, actor);
					const dialog = accountSecuredDialog(after, {
						otherSessionsRevoked: summary.otherSessionsRevoked,
						trustedDevicesRevoked: summary.trustedDevicesRevoked,
						accessTokensRevoked: summary.accessTokensRevoked,
						recoveryCodes: summary.recoveryCodes,
						generatedOn: d.today(),
					});
					return sendPage(reply, 200, securityPage({ ...after, trustedDevices: [], currentDeviceId: null }, dialog, "compromised"));
				},
			}),
		),
	);
}
