/**
 * "Are you sure?" and "Confirm it's you" (sudo mode) before the sensitive actions of the Security
 * pages (sign out others or everywhere, new recovery codes, forget all devices, move to a new
 * phone). Their POST first needs `confirmed=yes`, the answer to the dialog that names what will
 * happen (`pages/confirmations.ts`; without it, the answer is that dialog, open: the confirm page
 * that works without the script). Then the action is performed at once after a recent
 * confirmation; without one, the POST answers with the "Confirm it's you" dialog, which POSTs to `/dashboard/settings/security/confirm` with the action as one word of a
 * fixed allow-list (`SUDO_ACTIONS`), re-authenticates (password, and a code with 2FA on), then
 * performs the action. A targeted action (on one item: an authenticator app) carries the item's id
 * in one more field through the dialogs; each POST finds it among the account's own first
 * (`SudoRoute.target`) and refuses anything else before it asks, checks or does anything; the
 * action receives the item as found, never the submitted value. {@link reauthenticated} is the one way a dashboard form confirms it's the
 * user (this dialog, and the code asked for inline by the password forms).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidRequest, ReauthenticationRequired } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import type { AuthenticatedSession } from "../../service/sessions.js";
import { PATHS } from "../layout.js";
import { CONFIRMED_FIELD, CONFIRMED_VALUE, confirmationDialog } from "../pages/confirmations.js";
import { securityPage, type SecuritySection } from "../pages/security.js";
import { confirmationFacts } from "../pages/security-state.js";
import { isSudoAction, reauthDialog, SUDO_ACTIONS, SUDO_TARGET_FIELD, sudoBack, type SudoAction, type SudoTarget } from "../pages/security-dialogs.js";
import type { DashboardContext } from "./context.js";
import { credentialRefusal, emptyCredentials, formField, seeOther, sendPage, signedInForm, type CredentialErrors } from "./forms.js";

/**
 * Performs a sensitive action and answers; a targeted action gets its item as found by
 * {@link SudoRoute.target} (null for the others).
 * @throws ReauthenticationRequired without a recent confirmation (the services decide)
 */
export type SudoPerform = (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, target: SudoTarget | null) => Promise<FastifyReply>;

/** What {@link SudoRoute.target} found: the item, or the answer when the id is not one the action may take. */
export type SudoTargetLookup = { readonly target: SudoTarget } | { readonly answer: FastifyReply };

/** A sensitive action: its own POST path (under the dashboard's prefix) and what it does. */
export interface SudoRoute {
	readonly path: string;
	readonly perform: SudoPerform;
	/**
	 * For a targeted action (`SUDO_ACTIONS[action].targeted`), required: finds the submitted id
	 * (possibly empty) among the account's own items, or answers why not (a redirect with a notice).
	 */
	readonly target?: (reply: FastifyReply, auth: AuthenticatedSession, id: string) => Promise<SudoTargetLookup>;
}

/** Every action of the allow-list, each with its route (checked by the compiler: none is missing). */
export type SudoRoutes = Readonly<Record<SudoAction, SudoRoute>>;

/**
 * Confirms it's the user (`deadbolt.reauthenticate`: the password, and the code when
 * `twoFactorEnabled`), keeps the session's new token in its cookie (the session is rotated), and
 * returns the session as it now is: recently confirmed.
 * @throws InvalidCredentials, InvalidCode, InvalidRequest, TooManyAttempts as the service does
 */
export async function reauthenticated(d: DashboardContext, request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, credentials: { readonly password: string; readonly code: string; readonly twoFactorEnabled: boolean }): Promise<AuthenticatedSession> {
	const { password, code, twoFactorEnabled } = credentials;
	const result = await d.deadbolt.reauthenticate(auth, twoFactorEnabled ? { password, code } : { password }, requestContext(request));
	d.keepRotatedSession(reply, result.sessionToken);
	return { ...auth, session: result.session };
}

/** The Security page each action is on (its dialogs are drawn over it). */
const ACTION_SECTIONS: Readonly<Record<SudoAction, SecuritySection>> = Object.freeze({
	"revoke-others": "sessions",
	"sign-out-everywhere": "sessions",
	"forget-all-devices": "sessions",
	"regenerate-recovery-codes": "two-factor",
	"replace-authenticator": "two-factor",
	"add-authenticator": "two-factor",
	"remove-authenticator": "two-factor",
});

/** Registers each sensitive action's POST and `POST /settings/security/confirm`. */
export function registerConfirmRoutes(app: FastifyInstance, d: DashboardContext, actions: SudoRoutes): void {
	for (const action of Object.keys(SUDO_ACTIONS) as SudoAction[]) {
		if (SUDO_ACTIONS[action].targeted && actions[action].target === undefined) throw new Error(`the targeted action ${action} needs a target lookup`);
	}
	/** The action's page with "Confirm it's you" over it. */
	const confirmPrompt = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, status: number, action: SudoAction, target: SudoTarget | null, errors: CredentialErrors = {}): Promise<FastifyReply> => {
		const state = await d.securityState(request, reply, auth);
		return sendPage(reply, status, securityPage(state, reauthDialog(state, { action, target, twoFactorEnabled: state.twoFactorEnabled, minutes: d.sudoMinutes, ...errors }), ACTION_SECTIONS[action]));
	};
	/** The action's page with "Are you sure?" over it (the POST came without the answer). */
	const askFirst = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, action: SudoAction, target: SudoTarget | null): Promise<FastifyReply> => {
		// The page behind leaves out its closed copy of the same dialog (one id per page).
		const state = { ...(await d.securityState(request, reply, auth)), askingFirst: action, askingFirstTarget: target?.id ?? null };
		const dialog = confirmationDialog(state.csrf, action, confirmationFacts(state), "open", sudoBack(action, target), target);
		return sendPage(reply, 200, securityPage(state, dialog, ACTION_SECTIONS[action]));
	};
	/** A targeted action's item, found among the account's own (null for the other actions). */
	const targetOf = async (request: FastifyRequest, reply: FastifyReply, auth: AuthenticatedSession, action: SudoAction): Promise<SudoTargetLookup | { readonly target: null }> => {
		const lookup = SUDO_ACTIONS[action].targeted ? actions[action].target : undefined;
		return lookup === undefined ? { target: null } : lookup(reply, auth, formField(request, SUDO_TARGET_FIELD));
	};

	// A sensitive action's own POST: performed at once in sudo mode, otherwise "Confirm it's you" first.
	for (const action of Object.keys(SUDO_ACTIONS) as SudoAction[]) {
		const { path, perform } = actions[action];
		app.post(
			path,
			signedInForm(async (request, reply, auth) => {
				const found = await targetOf(request, reply, auth, action);
				if ("answer" in found) return found.answer;
				const { target } = found;
				if (formField(request, CONFIRMED_FIELD) !== CONFIRMED_VALUE) return askFirst(request, reply, auth, action, target);
				try {
					return await perform(request, reply, auth, target);
				} catch (error) {
					if (error instanceof ReauthenticationRequired) return confirmPrompt(request, reply, auth, 200, action, target);
					throw error;
				}
			}),
		);
	}

	// "Confirm it's you": re-authenticate, then perform the action named by the form (allow-list only).
	app.post(
		"/settings/security/confirm",
		signedInForm(async (request, reply, auth) => {
			const action = formField(request, "action");
			if (!isSudoAction(action)) return seeOther(reply, PATHS.security);
			// A targeted action's item is one of the account's own, or nothing is checked or done.
			const found = await targetOf(request, reply, auth, action);
			if ("answer" in found) return found.answer;
			const { target } = found;
			// The question comes first, on the server too: without its answer, ask it (nothing is checked or done).
			if (formField(request, CONFIRMED_FIELD) !== CONFIRMED_VALUE) return askFirst(request, reply, auth, action, target);
			const password = formField(request, "password");
			const code = formField(request, "code");
			const twoFactorEnabled = await d.deadbolt.isTwoFactorEnabled(auth.account.id);
			const prompt = (status: number, errors: CredentialErrors) => confirmPrompt(request, reply, auth, status, action, target, errors);
			const empty = emptyCredentials(password, code, twoFactorEnabled);
			if (empty !== null) return prompt(400, empty);
			let confirmed: AuthenticatedSession;
			try {
				confirmed = await reauthenticated(d, request, reply, auth, { password, code, twoFactorEnabled });
			} catch (error) {
				const refusal = credentialRefusal(reply, error);
				if (refusal !== null) return prompt(refusal.status, refusal.errors);
				if (error instanceof InvalidRequest) return prompt(400, error.violations.some((v) => v.field === "password") ? { passwordError: error.message } : { codeError: error.message });
				throw error;
			}
			return actions[action].perform(request, reply, confirmed, target);
		}),
	);
}
