/**
 * Moving two-factor authentication to a new phone: `POST .../two-factor/replace` (behind "Confirm
 * it's you", `confirm.ts`: both factors proved recently, as the service checks) shows the setup's
 * steps 2-3 for the new phone; the code is confirmed by `POST .../two-factor/confirm`
 * (`two-factor-setup.ts`). The old phone works until then.
 */
import type { FastifyInstance } from "fastify";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { securityPage } from "../pages/security.js";
import { setupScanStep } from "../pages/two-factor-setup.js";
import type { SudoRoutes } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { seeOther, sendPage } from "./forms.js";

/** Registers `GET /settings/security/two-factor/replace` (a reload: back to the Security page). */
export function registerNewPhoneRoutes(app: FastifyInstance): void {
	app.get("/settings/security/two-factor/replace", async (_request, reply) => reply.redirect(PATHS.securityTwoFactor, 302));
}

/** Start the move to a new phone (2FA off: the setup instead). */
export function newPhoneSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "replace-authenticator"> {
	return {
		"replace-authenticator": {
			path: "/settings/security/two-factor/replace",
			perform: async (request, reply, auth) => {
				const state = await d.securityState(request, reply, auth);
				if (!state.twoFactorEnabled) return seeOther(reply, PATHS.twoFactorSetup);
				const pending = await d.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {}, requestContext(request));
				return sendPage(reply, 200, securityPage(state, setupScanStep({ ...state, replacing: true }, pending, { minutesLeft: d.minutesLeft(pending.expiresAt) }), "two-factor"));
			},
		},
	};
}
