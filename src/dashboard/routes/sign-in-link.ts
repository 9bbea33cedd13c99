/**
 * Sign-in with a one-time link (issued by an operator or the admin API):
 * `GET /dashboard/sign-in-link?token=...` asks "Continue as ...?", and its `POST` uses the link,
 * so a mail scanner or a link preview that only fetches the page does not spend it. With 2FA on,
 * the link leads to the code step; without, to the Security page's password card.
 */
import type { FastifyInstance } from "fastify";
import { AccountDisabled, SignInLinkInvalid } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { signInLinkPage } from "../pages/auth.js";
import { requiredSetupStartPage } from "../pages/required-setup.js";
import type { DashboardContext } from "./context.js";
import { formField, queryParam, seeOther, sendPage } from "./forms.js";
import { doneURL } from "./security.js";
import { toCodeStep } from "./sign-in.js";
import { clearSessionCookies } from "../../http/session-cookies.js";

/** Registers `GET/POST /sign-in-link`. */
export function registerSignInLinkRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { cookies, deadbolt } = d;

	app.get("/sign-in-link", async (request, reply) => {
		const token = queryParam(request, "token");
		const email = token === null ? null : ((await deadbolt.describeSignInLink(token))?.email ?? null);
		const status = email === null ? 401 : 200;
		return sendPage(reply, status, signInLinkPage(d.authPageContext(request, reply), { token: email === null ? null : token, email }));
	});

	app.post("/sign-in-link", async (request, reply) => {
		const token = formField(request, "token");
		try {
			const result = await deadbolt.redeemSignInLink({ token }, requestContext(request));
			if (result.kind === "challenge") {
				if (request.sessionToken !== null) await deadbolt.logout(request.sessionToken);
				clearSessionCookies(reply, cookies);
				return toCodeStep(reply, d, result.challenge.challengeToken);
			}
			// Enforced 2FA past its deadline: the operator's link leads to the setup (the token in a hidden field).
			if (result.kind === "two_factor_setup_required") return sendPage(reply, 200, requiredSetupStartPage(d.authPageContext(request, reply), result.setup.setupToken));
			await d.startSession(request, reply, result.session);
			return seeOther(reply, doneURL("password", "signed-in-with-link"));
		} catch (error) {
			if (error instanceof SignInLinkInvalid || error instanceof AccountDisabled) return sendPage(reply, 401, signInLinkPage(d.authPageContext(request, reply), { token: null, email: null, error: error.message }));
			throw error;
		}
	});
}
