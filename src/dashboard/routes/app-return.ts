/**
 * The way back to an app behind the forward-auth proxy (issue 12):
 *
 * - `GET /dashboard/step-up?rd=URL`: the app asks for a (recent) second factor. Signed out: the
 *   sign-in page, which then returns to the app (whose next check decides again). With 2FA on: password and a fresh code (`deadbolt.reauthenticate`, which records when the
 *   second factor was proven), then back to `rd`. With 2FA off: a page that leads to the setup.
 * - `GET /dashboard/sign-out?rd=URL`: the sign-out link apps show. It asks first (a link alone
 *   never signs anyone out), then `POST /dashboard/sign-out` signs out and returns to `rd`.
 *
 * `rd` is kept in the short-lived return cookie only when `deadbolt.returnTarget` accepts it (the
 * host of a rule that is not `deny`, the public URL's scheme, no user info); anything else is
 * dropped and the user lands on the dashboard (no open redirect).
 */
import type { FastifyInstance } from "fastify";
import { InvalidRequest } from "../../errors.js";
import { PATHS } from "../layout.js";
import { appHostOf, signOutConfirmPage, stepUpPage, twoFactorNeededPage } from "../pages/app-return.js";
import { reauthenticated } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, emptyCredentials, formField, queryParam, sendPage, signedInForm, type CredentialErrors } from "./forms.js";

/** Registers the step-up page and the sign-out confirmation. */
export function registerAppReturnRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt } = d;

	app.get("/step-up", async (request, reply) => {
		const rd = queryParam(request, "rd");
		d.keepReturnTarget(reply, rd);
		const target = rd === null ? null : deadbolt.returnTarget(rd);
		if (request.auth === null) return reply.redirect(PATHS.signIn, 302);
		const context = d.authPageContext(request, reply);
		if (!(await deadbolt.isTwoFactorEnabled(request.auth.account.id))) return sendPage(reply, 200, twoFactorNeededPage(context, appHostOf(target)));
		return sendPage(reply, 200, stepUpPage(context, { appHost: appHostOf(target) }));
	});

	app.post(
		"/step-up",
		signedInForm(async (request, reply, auth) => {
			const appHost = appHostOf(d.returnTargetOf(request));
			const page = (status: number, errors: CredentialErrors) => sendPage(reply, status, stepUpPage(d.authPageContext(request, reply), { appHost, ...errors }));
			if (!(await deadbolt.isTwoFactorEnabled(auth.account.id))) return reply.redirect(PATHS.stepUp, 303);
			const password = formField(request, "password");
			const code = formField(request, "code");
			const empty = emptyCredentials(password, code, true);
			if (empty !== null) return page(400, empty);
			try {
				await reauthenticated(d, request, reply, auth, { password, code, twoFactorEnabled: true });
			} catch (error) {
				const refusal = credentialRefusal(reply, error);
				if (refusal !== null) return page(refusal.status, refusal.errors);
				if (error instanceof InvalidRequest) return page(400, { codeError: error.message });
				throw error;
			}
			return d.afterSignIn(request, reply, PATHS.home);
		}),
	);

	app.get("/sign-out", async (request, reply) => {
		const rd = queryParam(request, "rd");
		d.keepReturnTarget(reply, rd);
		const target = rd === null ? null : deadbolt.returnTarget(rd);
		return sendPage(reply, 200, signOutConfirmPage(d.authPageContext(request, reply), { appHost: appHostOf(target), signedIn: request.auth !== null }));
	});
}
