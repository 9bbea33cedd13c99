/**
 * `POST /dashboard/settings/security/password`: change the password (with 2FA on and no recent
 * confirmation, the same form carries the code), or set the first one of an account created
 * without one (no current password to confirm).
 */
import type { FastifyInstance } from "fastify";
import { InvalidRequest, ReauthenticationRequired } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { securityPage } from "../pages/security.js";
import type { PasswordFormState } from "../pages/security-sections.js";
import type { DashboardContext } from "./context.js";
import { EMPTY_FIELD, formField, seeOther, sendPage, signedInForm } from "./forms.js";
import { passwordFormRoute } from "./password-form.js";
import { doneURL } from "./security.js";

/** Registers `POST /settings/security/password`. */
export function registerPasswordRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.post(
		"/settings/security/password",
		signedInForm(async (request, reply, auth) => {
			if (auth.account.passwordHash === null) {
				// The first password of an account created without one (no current password to confirm).
				const newPassword = formField(request, "newPassword");
				const page = async (status: number, form: PasswordFormState) => sendPage(reply, status, securityPage({ ...(await d.securityState(request, reply, auth)), passwordForm: form }));
				if (newPassword === "") return page(400, { newErrors: [EMPTY_FIELD.newPassword] });
				try {
					const changed = await d.deadbolt.changePassword(auth, { newPassword }, requestContext(request));
					d.keepRotatedSession(reply, changed.sessionToken);
					return seeOther(reply, doneURL("password", "password-set", changed.otherSessionsRevoked));
				} catch (error) {
					if (error instanceof InvalidRequest) return page(400, { newErrors: error.violations.length > 0 ? error.violations.map((v) => v.message) : [error.message] });
					if (error instanceof ReauthenticationRequired) return page(403, { error: error.message });
					throw error;
				}
			}
			return passwordFormRoute(d, request, reply, auth, {
				form: "passwordForm",
				// A password change needs a recent confirmation only with 2FA on; the code comes in the form.
				confirmFirst: (twoFactorEnabled, code) => twoFactorEnabled && code !== "",
				act: async (actor, input) => {
					const changed = await d.deadbolt.changePassword(actor, input, requestContext(request));
					d.keepRotatedSession(reply, changed.sessionToken);
					return seeOther(reply, doneURL("password", "password-changed", changed.otherSessionsRevoked));
				},
			});
		}),
	);
}
