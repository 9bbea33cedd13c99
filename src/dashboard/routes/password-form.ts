/**
 * The two forms that change the password (the Password card, and "I think my account is
 * compromised"): current and new password, and, with 2FA on and no recent confirmation, a code in
 * the same form ("Confirm it's you" inline). {@link passwordFormRoute} reads them, confirms it's
 * the user first when asked to, runs the action, and re-renders the card with the error when
 * something is refused.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { InvalidRequest, ReauthenticationRequired } from "../../errors.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { securityPage } from "../pages/security.js";
import type { PasswordFormState } from "../pages/security-sections.js";
import { reauthenticated } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, EMPTY_FIELD, formField, sendPage } from "./forms.js";

/** The passwords of a password form. */
export interface PasswordFormInput {
	readonly currentPassword: string;
	readonly newPassword: string;
}

/** Which form, when to confirm it's the user first, and the action. */
export interface PasswordFormOptions {
	/** The card to re-render with the error (a key of `SecurityState`). */
	readonly form: "passwordForm" | "compromisedForm";
	/** Whether to re-authenticate (password, and the code with 2FA on) before `act`. */
	readonly confirmFirst: (twoFactorEnabled: boolean, code: string) => boolean;
	/** The action, by the session as it is after any confirmation; answers on success. */
	readonly act: (actor: AuthenticatedSession, input: PasswordFormInput) => Promise<FastifyReply>;
}

/**
 * Answers a password form (see the file comment): 400 for empty or refused fields, 401 for a
 * wrong password or code, 403 when a confirmation is still needed, 429 (with `Retry-After`) for
 * too many attempts; any other error is thrown.
 */
export async function passwordFormRoute(d: DashboardContext, request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, options: PasswordFormOptions): Promise<FastifyReply> {
	const currentPassword = formField(request, "currentPassword");
	const newPassword = formField(request, "newPassword");
	const code = formField(request, "code").trim();
	const state = await d.securityState(request, reply, auth);
	let actor = auth;
	const page = async (status: number, form: PasswordFormState) => {
		const fresh = actor === auth ? state : await d.securityState(request, reply, actor);
		const needsCode = state.twoFactorEnabled && !d.recentlyConfirmed(actor);
		return sendPage(reply, status, securityPage({ ...fresh, [options.form]: { needsCode, ...form } }, null, options.form === "passwordForm" ? "password" : "compromised"));
	};
	const needsCode = state.twoFactorEnabled && !d.recentlyConfirmed(auth);
	if (currentPassword === "" || newPassword === "" || (needsCode && code === "")) {
		return page(400, {
			currentError: currentPassword === "" ? "Enter your current password." : null,
			newErrors: newPassword === "" ? ["Choose a new password."] : [],
			codeError: needsCode && code === "" ? EMPTY_FIELD.secondFactor : null,
		});
	}
	try {
		if (options.confirmFirst(state.twoFactorEnabled, code)) actor = await reauthenticated(d, request, reply, auth, { password: currentPassword, code, twoFactorEnabled: state.twoFactorEnabled });
		return await options.act(actor, { currentPassword, newPassword });
	} catch (error) {
		const refusal = credentialRefusal(reply, error);
		if (refusal !== null) {
			// The password form calls the password "current".
			const { passwordError, ...others } = refusal.errors;
			return page(refusal.status, passwordError === undefined ? others : { ...others, currentError: passwordError });
		}
		if (error instanceof InvalidRequest) {
			const newErrors = error.violations.filter((v) => v.field === "newPassword").map((v) => v.message);
			const codeErrors = error.violations.filter((v) => v.field === "code").map((v) => v.message);
			const other = newErrors.length === 0 && codeErrors.length === 0 ? error.message : null;
			return page(400, { newErrors, codeError: codeErrors.length > 0 ? codeErrors.join(" ") : null, error: other });
		}
		if (error instanceof ReauthenticationRequired) return page(403, { error: "Confirm it's you: enter a code from your authenticator app (or a recovery code) with your passwords." });
		throw error;
	}
}
