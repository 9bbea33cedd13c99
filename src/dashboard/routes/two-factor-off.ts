/**
 * Turning two-factor authentication off: `GET /dashboard/settings/security/two-factor/disable`
 * shows a dialog asking for the password and a code (or a recovery code); its `POST` turns it off
 * and signs out the other sessions.
 */
import type { FastifyInstance } from "fastify";
import { TOTPNotEnabled, TwoFactorRequired } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { securityPage } from "../pages/security.js";
import { disableTwoFactorDialog } from "../pages/security-dialogs.js";
import type { DashboardContext } from "./context.js";
import { doneURL } from "./security.js";
import { credentialRefusal, emptyCredentials, formField, seeOther, sendPage, signedInForm, signedInPage, type CredentialErrors } from "./forms.js";

/** Registers `GET/POST /settings/security/two-factor/disable`. */
export function registerTwoFactorOffRoutes(app: FastifyInstance, d: DashboardContext): void {
	app.get(
		"/settings/security/two-factor/disable",
		signedInPage(async (request, reply, auth) => {
			const state = await d.securityState(request, reply, auth);
			if (!state.twoFactorEnabled) return reply.redirect(PATHS.securityTwoFactor, 302);
			return sendPage(reply, 200, securityPage(state, disableTwoFactorDialog(state, {}), "two-factor"));
		}),
	);

	app.post(
		"/settings/security/two-factor/disable",
		signedInForm(async (request, reply, auth) => {
			const password = formField(request, "password");
			const code = formField(request, "code");
			const page = async (status: number, errors: CredentialErrors) => {
				const state = await d.securityState(request, reply, auth);
				if (!state.twoFactorEnabled) return seeOther(reply, PATHS.security);
				return sendPage(reply, status, securityPage(state, disableTwoFactorDialog(state, errors), "two-factor"));
			};
			const empty = emptyCredentials(password, code, true);
			if (empty !== null) return page(400, empty);
			try {
				const result = await d.deadbolt.disableTOTP(auth, { password, code }, requestContext(request));
				return seeOther(reply, doneURL("two-factor", "two-factor-off", result.otherSessionsRevoked));
			} catch (error) {
				const refusal = credentialRefusal(reply, error);
				if (refusal !== null) return page(refusal.status, refusal.errors);
				if (error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.security);
				if (error instanceof TwoFactorRequired) return page(409, { error: error.message });
				throw error;
			}
		}),
	);
}
