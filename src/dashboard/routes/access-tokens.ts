/**
 * Settings > Security > Access tokens (the page itself is `GET .../access-tokens`, registered with
 * the other Security pages): `POST .../access-tokens` creates one (name, hosts, expiry; "Confirm
 * it's you" in the same form when not confirmed recently) and shows it once; `POST
 * .../access-tokens/revoke` revokes one; `POST .../access-tokens/revoke-all` revokes every one,
 * after "Are you sure?".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidRequest, ReauthenticationRequired, Unauthenticated } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { rotateCSRFToken } from "../csrf.js";
import { PATHS } from "../layout.js";
import { newAccessTokenDialog, type AccessTokenFormState } from "../pages/access-tokens.js";
import { CONFIRMED_FIELD, CONFIRMED_VALUE, confirmationDialog } from "../pages/confirmations.js";
import { securityPage } from "../pages/security.js";
import { confirmationFacts } from "../pages/security-state.js";
import { reauthenticated } from "./confirm.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, EMPTY_FIELD, formField, seeOther, sendPage, signedInForm } from "./forms.js";
import { doneURL, registerRemoveOne } from "./security.js";

/** The create form's fields as typed (the expiry a whole number of days, else NaN: the service refuses it). */
function typedFields(request: FastifyRequest): { name: string; hosts: string; expiresInDays: string } {
	return { name: formField(request, "name"), hosts: formField(request, "hosts"), expiresInDays: formField(request, "expiresInDays") };
}

/** The form's errors for a refusal of the service's checks (fields `name`, `hosts`, `expiresInDays`, `email`, `password`, `code`). */
function formErrors(error: InvalidRequest): AccessTokenFormState {
	const of = (field: string): string | null => {
		const messages = error.violations.filter((v) => v.field === field).map((v) => v.message);
		return messages.length > 0 ? messages.join(" ") : null;
	};
	const known = ["name", "hosts", "expiresInDays", "password", "code"];
	const other = error.violations.find((v) => !known.includes(v.field));
	return {
		nameError: of("name"),
		hostsError: of("hosts"),
		expiryError: of("expiresInDays"),
		passwordError: of("password"),
		codeError: of("code"),
		error: other?.message ?? (error.violations.length === 0 ? error.message : null),
	};
}

/** Registers the create, revoke and revoke-all POSTs. */
export function registerAccessTokenRoutes(app: FastifyInstance, d: DashboardContext): void {
	/** The Access tokens page with the create form in `form` (what was typed, and the errors). */
	const formPage = async (request: FastifyRequest, reply: FastifyReply, actor: AuthenticatedSession, status: number, typed: ReturnType<typeof typedFields>, form: AccessTokenFormState): Promise<FastifyReply> => {
		const state = await d.securityState(request, reply, actor);
		return sendPage(reply, status, securityPage({ ...state, accessTokenForm: { ...state.accessTokenForm, ...typed, ...form } }, null, "access-tokens"));
	};

	app.post(
		"/settings/security/access-tokens",
		signedInForm(async (request, reply, auth) => {
			const typed = typedFields(request);
			const password = formField(request, "password");
			const code = formField(request, "code").trim();
			const confirmFirst = !d.recentlyConfirmed(auth);
			const twoFactorEnabled = confirmFirst && (await d.deadbolt.isTwoFactorEnabled(auth.account.id));
			if (confirmFirst && (password === "" || (twoFactorEnabled && code === ""))) {
				return formPage(request, reply, auth, 400, typed, {
					passwordError: password === "" ? EMPTY_FIELD.password : null,
					codeError: twoFactorEnabled && code === "" ? EMPTY_FIELD.secondFactor : null,
				});
			}
			let actor = auth;
			try {
				// Confirmed first (the session rotates): a refused field then asks again for it alone.
				if (confirmFirst) actor = await reauthenticated(d, request, reply, auth, { password, code, twoFactorEnabled });
				const days = /^\d{1,3}$/.test(typed.expiresInDays) ? Number(typed.expiresInDays) : Number.NaN;
				const created = await d.deadbolt.createAccessToken(actor, { name: typed.name, hosts: typed.hosts, expiresInDays: days }, requestContext(request));
				// Shown once: a reload must not make another token.
				rotateCSRFToken(request, reply, d.cookies);
				const state = await d.securityState(request, reply, actor);
				return sendPage(reply, 200, securityPage(state, newAccessTokenDialog(created.token, created.view), "access-tokens"));
			} catch (error) {
				const refusal = credentialRefusal(reply, error);
				if (refusal !== null) return formPage(request, reply, actor, refusal.status, typed, refusal.errors);
				if (error instanceof InvalidRequest) return formPage(request, reply, actor, 400, typed, formErrors(error));
				if (error instanceof ReauthenticationRequired) return formPage(request, reply, actor, 403, typed, { error: "Confirm it's you: enter your password with the form." });
				if (error instanceof Unauthenticated) return seeOther(reply, PATHS.signIn);
				throw error;
			}
		}),
	);

	registerRemoveOne(app, "/settings/security/access-tokens/revoke", { field: "accessToken", card: "access-tokens", gone: "access-token-gone" }, async (request, reply, auth, id) => {
		await d.deadbolt.revokeAccessToken(auth, id, requestContext(request));
		return seeOther(reply, doneURL("access-tokens", "access-token-revoked"));
	});

	app.post(
		"/settings/security/access-tokens/revoke-all",
		signedInForm(async (request, reply, auth) => {
			if (formField(request, CONFIRMED_FIELD) !== CONFIRMED_VALUE) {
				// No script: the question, drawn open over the page (its opener leaves out its closed copy).
				const state = { ...(await d.securityState(request, reply, auth)), askingFirst: "revoke-all-access-tokens" as const };
				const dialog = confirmationDialog(state.csrf, "revoke-all-access-tokens", confirmationFacts(state), "open", `${PATHS.securityAccessTokens}#revoke-all-access-tokens`);
				return sendPage(reply, 200, securityPage(state, dialog, "access-tokens"));
			}
			const count = await d.deadbolt.revokeAllAccessTokens(auth, requestContext(request));
			return seeOther(reply, doneURL("access-tokens", "access-tokens-revoked", count));
		}),
	);
}
