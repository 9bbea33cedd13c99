/**
 * Several authenticator apps (issue 14), Settings > Security > Two-factor authentication:
 * - `POST .../two-factor/authenticators/rename` (`authenticator`, `name`): renames one of the
 *   account's (no re-authentication: a name grants nothing); a refused name shows the form again,
 *   open in its row, with why;
 * - `POST .../two-factor/add` (sudo, `confirm.ts`): the setup's steps 2-3 for another app, with
 *   its name beside the code (`two-factor-setup.ts` confirms it: nothing else ends);
 * - `POST .../two-factor/authenticators/remove` (sudo, targeted: `target` is the authenticator's
 *   id, looked up among the account's own before anything is asked or done; never the last one):
 *   its codes stop at once, other sessions end and remembered devices are forgotten.
 * A GET of these paths (a reload) goes back to the Two-factor page.
 */
import type { FastifyInstance } from "fastify";
import { InvalidRequest, LastAuthenticator, NotFound, TOTPNotEnabled } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { PATHS } from "../layout.js";
import { authenticatorTarget } from "../pages/authenticator-list.js";
import { securityPage } from "../pages/security.js";
import { setupScanStep } from "../pages/two-factor-setup.js";
import type { SudoRoutes, SudoTargetLookup } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { formField, seeOther, sendPage, signedInForm } from "./forms.js";
import { doneURL } from "./security.js";

/** Registers the reloads of the add and remove paths, and `POST .../authenticators/rename`. */
export function registerAuthenticatorRoutes(app: FastifyInstance, d: DashboardContext): void {
	for (const path of [PATHS.addAuthenticator, PATHS.removeAuthenticator, PATHS.renameAuthenticator]) {
		app.get(path.slice(PATHS.home.length), async (_request, reply) => reply.redirect(PATHS.securityTwoFactor, 302));
	}
	app.post(
		PATHS.renameAuthenticator.slice(PATHS.home.length),
		signedInForm(async (request, reply, auth) => {
			const id = formField(request, "authenticator");
			const name = formField(request, "name");
			try {
				await d.deadbolt.renameAuthenticator(auth, id, name);
				return seeOther(reply, doneURL("two-factor", "authenticator-renamed"));
			} catch (error) {
				if (error instanceof NotFound) return seeOther(reply, doneURL("two-factor", "authenticator-gone"));
				if (error instanceof InvalidRequest) {
					const state = { ...(await d.securityState(request, reply, auth)), renameForm: { authenticatorId: id, value: name, error: error.message } };
					return sendPage(reply, 400, securityPage(state, null, "two-factor"));
				}
				throw error;
			}
		}),
	);
}

/**
 * The authenticator a remove form names, among the account's own: an unknown (or empty) id is
 * "already removed", and the last one is never removable here (turning 2FA off is).
 */
async function removableAuthenticator(d: DashboardContext, auth: AuthenticatedSession, id: string): Promise<SudoTargetLookup | { readonly redirect: string }> {
	const authenticators = await d.deadbolt.listAuthenticators(auth.account.id);
	const found = authenticators.find((authenticator) => authenticator.id === id);
	if (found === undefined) return { redirect: authenticators.length === 0 ? PATHS.securityTwoFactor : doneURL("two-factor", "authenticator-gone") };
	if (authenticators.length === 1) return { redirect: doneURL("two-factor", "last-authenticator") };
	return { target: authenticatorTarget(found) };
}

/** Add another authenticator app; remove one. */
export function authenticatorSudoRoutes(d: DashboardContext): Pick<SudoRoutes, "add-authenticator" | "remove-authenticator"> {
	return {
		"add-authenticator": {
			path: PATHS.addAuthenticator.slice(PATHS.home.length),
			perform: async (request, reply, auth) => {
				const state = await d.securityState(request, reply, auth);
				if (!state.twoFactorEnabled) return seeOther(reply, PATHS.twoFactorSetup);
				try {
					const pending = await d.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add" }, requestContext(request));
					return sendPage(reply, 200, securityPage(state, setupScanStep({ ...state, adding: true }, pending, { minutesLeft: d.minutesLeft(pending.expiresAt) }), "two-factor"));
				} catch (error) {
					// At the most an account may have (the page offered no Add): say why.
					if (error instanceof InvalidRequest && error.violations.some((v) => v.rule === "too_many")) return seeOther(reply, doneURL("two-factor", "authenticators-full"));
					throw error;
				}
			},
		},
		"remove-authenticator": {
			path: PATHS.removeAuthenticator.slice(PATHS.home.length),
			target: async (reply, auth, id) => {
				const lookup = await removableAuthenticator(d, auth, id);
				return "redirect" in lookup ? { answer: seeOther(reply, lookup.redirect) } : lookup;
			},
			perform: async (request, reply, auth, target) => {
				if (target === null) return seeOther(reply, PATHS.securityTwoFactor);
				try {
					const removed = await d.deadbolt.removeAuthenticator(auth, target.id, requestContext(request));
					// Remembered devices were forgotten, this browser's too.
					d.forgetThisDevice(request, reply);
					return seeOther(reply, doneURL("two-factor", "authenticator-removed", removed.otherSessionsRevoked));
				} catch (error) {
					if (error instanceof NotFound) return seeOther(reply, doneURL("two-factor", "authenticator-gone"));
					if (error instanceof LastAuthenticator) return seeOther(reply, doneURL("two-factor", "last-authenticator"));
					if (error instanceof TOTPNotEnabled) return seeOther(reply, PATHS.securityTwoFactor);
					throw error;
				}
			},
		},
	};
}
