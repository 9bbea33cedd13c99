/**
 * `GET/POST /dashboard/sign-up`, as `signUp.mode` says: `open`, the account is made and signed in
 * (its address unverified: the account page shows a banner); `verified`, the POST lands on "Check
 * your email" (303 to `?sent=1`) whether or not the address has an account; `closed`, the page says
 * accounts are made by the operators, and the POST is refused (403).
 */
import type { FastifyInstance } from "fastify";
import { EmailTaken, InvalidRequest, SignUpClosed } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { signUpPage } from "../pages/auth.js";
import type { DashboardContext } from "./context.js";
import { EMPTY_FIELD, formField, queryParam, seeOther, sendPage } from "./forms.js";

/** Registers `GET/POST /sign-up`. */
export function registerSignUpRoutes(app: FastifyInstance, d: DashboardContext): void {
	const minLength = d.config.password.minLength;
	const { mode } = d.config.signUp;

	app.get("/sign-up", async (request, reply) => {
		if (request.auth !== null) return reply.redirect(PATHS.home, 302);
		return sendPage(reply, 200, signUpPage(d.authPageContext(request, reply), { minLength, mode, sent: mode === "verified" && queryParam(request, "sent") === "1" }));
	});

	app.post("/sign-up", async (request, reply) => {
		const email = formField(request, "email").trim();
		const password = formField(request, "password");
		const page = (status: number, errors: { emailError?: string | null; passwordErrors?: string[]; error?: string | null }) =>
			sendPage(reply, status, signUpPage(d.authPageContext(request, reply), { email, minLength, mode, ...errors }));
		if (mode === "closed") return page(403, {});
		if (email === "" || password === "") {
			return page(400, { emailError: email === "" ? "Enter your email address." : null, passwordErrors: password === "" ? [EMPTY_FIELD.newPassword] : [] });
		}
		try {
			const result = await d.deadbolt.signUp({ email, password }, requestContext(request));
			if (result.kind === "verification_sent") return seeOther(reply, `${PATHS.signUp}?sent=1`);
			await d.startSession(request, reply, result.session);
			return seeOther(reply, PATHS.home);
		} catch (error) {
			if (error instanceof InvalidRequest) {
				const emailErrors = error.violations.filter((v) => v.field === "email").map((v) => v.message);
				const passwordErrors = error.violations.filter((v) => v.field === "password").map((v) => v.message);
				const other = error.violations.length === 0 ? error.message : null;
				return page(400, { emailError: emailErrors.length > 0 ? emailErrors.join(" ") : null, passwordErrors, error: other });
			}
			if (error instanceof EmailTaken) return page(409, { emailError: error.message });
			if (error instanceof SignUpClosed) return page(403, {});
			throw error;
		}
	});
}
