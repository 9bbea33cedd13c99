/**
 * The two-factor setup an operator requires, past the account's deadline (pages:
 * `pages/required-setup.ts`; service: `service/required-two-factor.ts`):
 * - `GET /dashboard/two-factor/required-setup?token=` (the mailed link): Continue;
 * - `POST /dashboard/two-factor/required-setup` `token`: the key and the code field;
 * - `POST /dashboard/two-factor/required-setup/confirm` `token`, `code`: two-factor authentication
 *   on, the first session started (its cookie), the recovery codes shown once.
 * The password sign-in past the deadline answers "Check your email" (`sign-in.ts`); an operator's
 * sign-in link answers step 1 at once (`sign-in-link.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ChallengeInvalid, EnrollmentInvalid, InvalidCode, TOTPAlreadyEnabled } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { requiredSetupDonePage, requiredSetupScanPage, requiredSetupStartPage } from "../pages/required-setup.js";
import type { DashboardContext } from "./context.js";
import { formField, queryParam, sendPage } from "./forms.js";

/** Registers the three routes. */
export function registerRequiredSetupRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt } = d;

	/** A token that no longer works: the first page, saying so (and what to do). */
	const unusable = (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply => {
		const message = error instanceof TOTPAlreadyEnabled ? "Two-factor authentication is already set up for this account: sign in with your password and a code." : null;
		return sendPage(reply, 401, requiredSetupStartPage(d.authPageContext(request, reply), null, message));
	};

	app.get("/two-factor/required-setup", async (request, reply) => {
		const token = queryParam(request, "token");
		return sendPage(reply, token === null ? 401 : 200, requiredSetupStartPage(d.authPageContext(request, reply), token));
	});

	app.post("/two-factor/required-setup", async (request, reply) => {
		const token = formField(request, "token");
		try {
			const pending = await deadbolt.beginRequiredTOTPSetup({ setupToken: token });
			return sendPage(reply, 200, requiredSetupScanPage(d.authPageContext(request, reply), token, { ...pending, sessionToken: null }));
		} catch (error) {
			if (error instanceof ChallengeInvalid || error instanceof TOTPAlreadyEnabled) return unusable(request, reply, error);
			throw error;
		}
	});

	app.post("/two-factor/required-setup/confirm", async (request, reply) => {
		const token = formField(request, "token");
		const code = formField(request, "code");
		try {
			const done = await deadbolt.confirmRequiredTOTPSetup({ setupToken: token, code }, requestContext(request));
			await d.startSession(request, reply, done.session);
			const account = await deadbolt.validateSession(done.session.token);
			return sendPage(reply, 200, requiredSetupDonePage(d.authPageContext(request, reply), account.account.email, new Date(deadbolt.clock.now()).toISOString().slice(0, 10), done.recoveryCodes));
		} catch (error) {
			if (error instanceof InvalidCode || error instanceof EnrollmentInvalid) {
				// The same key again (a lapsed one is replaced): the app keeps working.
				try {
					const pending = await deadbolt.beginRequiredTOTPSetup({ setupToken: token });
					const message = error instanceof InvalidCode ? error.message : "That setup expired: add this new key to your app, then enter its code.";
					return sendPage(reply, error instanceof InvalidCode ? 401 : 409, requiredSetupScanPage(d.authPageContext(request, reply), token, { ...pending, sessionToken: null }, message));
				} catch (again) {
					if (again instanceof ChallengeInvalid || again instanceof TOTPAlreadyEnabled) return unusable(request, reply, again);
					throw again;
				}
			}
			if (error instanceof ChallengeInvalid || error instanceof TOTPAlreadyEnabled) return unusable(request, reply, error);
			throw error;
		}
	});
}
