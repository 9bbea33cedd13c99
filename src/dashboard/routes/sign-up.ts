/** `GET/POST /dashboard/sign-up`: create an account with email and password, signed in at once. */
import type { FastifyInstance } from "fastify";
import { EmailTaken, InvalidRequest } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { signUpPage } from "../pages/auth.js";
import type { DashboardContext } from "./context.js";
import { EMPTY_FIELD, formField, seeOther, sendPage } from "./forms.js";

/** Registers `GET/POST /sign-up`. */
export function registerSignUpRoutes(app: FastifyInstance, d: DashboardContext): void {
	const minLength = d.config.password.minLength;

	app.get("/sign-up", async (request, reply) => {
		if (request.auth !== null) return reply.redirect(PATHS.home, 302);
		return sendPage(reply, 200, signUpPage(d.authPageContext(request, reply), { minLength }));
	});

	app.post("/sign-up", async (request, reply) => {
		const email = formField(request, "email").trim();
		const password = formField(request, "password");
		const page = (status: number, errors: { emailError?: string | null; passwordErrors?: string[]; error?: string | null }) =>
			sendPage(reply, status, signUpPage(d.authPageContext(request, reply), { email, minLength, ...errors }));
		if (email === "" || password === "") {
			return page(400, { emailError: email === "" ? "Enter your email address." : null, passwordErrors: password === "" ? [EMPTY_FIELD.newPassword] : [] });
		}
		try {
			const { session } = await d.deadbolt.registerAccount({ email, password }, requestContext(request));
			if (session === null) return seeOther(reply, PATHS.signIn);
			await d.startSession(request, reply, session);
			return seeOther(reply, PATHS.home);
		} catch (error) {
			if (error instanceof InvalidRequest) {
				const emailErrors = error.violations.filter((v) => v.field === "email").map((v) => v.message);
				const passwordErrors = error.violations.filter((v) => v.field === "password").map((v) => v.message);
				const other = error.violations.length === 0 ? error.message : null;
				return page(400, { emailError: emailErrors.length > 0 ? emailErrors.join(" ") : null, passwordErrors, error: other });
			}
			if (error instanceof EmailTaken) return page(409, { emailError: error.message });
			throw error;
		}
	});
}
