/**
 * `POST /dashboard/settings/security/recovery-codes` (behind "Confirm it's you", `confirm.ts`):
 * a new set of recovery codes, shown only in that answer.
 */
import { TOTPNotEnabled } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { rotateCSRFToken } from "../csrf.js";
import { PATHS } from "../layout.js";
import { securityPage } from "../pages/security.js";
import { newRecoveryCodesDialog } from "../pages/security-dialogs.js";
import type { SudoRoutes } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { seeOther, sendPage } from "./forms.js";

/** New recovery codes (the old ones stop working). */
export function recoveryCodeSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "regenerate-recovery-codes"> {
	return {
		"regenerate-recovery-codes": {
			path: "/settings/security/recovery-codes",
			perform: async (request, reply, auth) => {
				let recoveryCodes: string[];
				try {
					recoveryCodes = await d.deadbolt.regenerateRecoveryCodes(auth, requestContext(request));
				} catch (error) {
					if (error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.security);
					throw error;
				}
				// A page shown once, as the answer to a POST: a new form token makes a reload (which
				// re-sends the old one) a refused form instead of yet another set of codes.
				rotateCSRFToken(request, reply, d.cookies);
				const state = await d.securityState(request, reply, auth);
				const dialog = newRecoveryCodesDialog(state, { recoveryCodes, generatedOn: d.today() });
				return sendPage(reply, 200, securityPage(state, dialog, "two-factor"));
			},
		},
	};
}
