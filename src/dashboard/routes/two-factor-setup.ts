/**
 * Setting up two-factor authentication, as a dialog over the Security page:
 * `GET/POST /dashboard/settings/security/two-factor/setup` (step 1, the password, then steps 2-3
 * in the POST's answer: QR code, key, code form), `POST .../two-factor/confirm` (step 3, then
 * step 4 with the recovery codes, shown only there; with 2FA on, it confirms the move to a new
 * phone, or another authenticator app with its name, instead) and `POST .../two-factor/saved` (step 4's Finish: the codes marked saved, and
 * one of them typed back).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { EnrollmentInvalid, InvalidCode, InvalidCredentials, InvalidRequest, ReauthenticationRequired, TooManyAttempts, TOTPAlreadyEnabled } from "../../errors.js";
import { requestContext } from "../../http/plugins/session.js";
import { PATHS } from "../layout.js";
import { securityPage } from "../pages/security.js";
import { CODES_NOT_SAVED, NO_CODE_TYPED, setupDoneStep, setupPasswordStep, setupSavedCheckStep, setupScanStep } from "../pages/two-factor-setup.js";
import { matchesRecoveryCodeProof, parseRecoveryCodeProof, recoveryCodeProof } from "../recovery-code-check.js";
import type { DashboardContext } from "./context.js";
import { doneURL } from "./security.js";
import { EMPTY_FIELD, formField, seeOther, sendPage, signedInForm, signedInPage, tooManyMessage } from "./forms.js";

/** Where a move to a new phone that timed out (or was never started here) lands. */
const REPLACE_EXPIRED = doneURL("two-factor", "replace-expired");
/** Where adding an authenticator app that timed out lands. */
const ADD_EXPIRED = doneURL("two-factor", "add-expired");
/** Where the first setup's confirmation sent again (a reload of step 4) lands: 2FA is on already. */
const ALREADY_ON = doneURL("two-factor", "already-on");

/** Registers the setup steps. */
export function registerTwoFactorSetupRoutes(app: FastifyInstance, d: DashboardContext): void {
	const { deadbolt } = d;
	const minLength = d.config.password.minLength;

	app.get(
		"/settings/security/two-factor/setup",
		signedInPage(async (request, reply, auth) => {
			const state = await d.securityState(request, reply, auth);
			if (state.twoFactorEnabled) return reply.redirect(PATHS.security, 302);
			return sendPage(reply, 200, securityPage(state, setupPasswordStep(state, { minLength })));
		}),
	);

	// Step 1 (password) -> steps 2 and 3 (QR code, key, code form), rendered in this response.
	app.post(
		"/settings/security/two-factor/setup",
		signedInForm(async (request, reply, auth) => {
			const state = await d.securityState(request, reply, auth);
			if (state.twoFactorEnabled) return seeOther(reply, PATHS.security);
			const stepOne = (status: number, error: string) => sendPage(reply, status, securityPage(state, setupPasswordStep(state, { error, minLength })));
			// An account without a password sets one here ("enter or set a password").
			const fieldName = state.hasPassword === false ? "newPassword" : "password";
			const password = formField(request, fieldName);
			if (password === "") return stepOne(400, state.hasPassword === false ? EMPTY_FIELD.newPassword : EMPTY_FIELD.password);
			try {
				const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { [fieldName]: password }, requestContext(request));
				if (pending.sessionToken !== null) d.keepRotatedSession(reply, pending.sessionToken);
				return sendPage(reply, 200, securityPage({ ...state, hasPassword: true }, setupScanStep(state, pending, { minutesLeft: d.minutesLeft(pending.expiresAt) })));
			} catch (error) {
				if (error instanceof InvalidCredentials || error instanceof ReauthenticationRequired) return stepOne(401, error.message);
				if (error instanceof InvalidRequest) return stepOne(400, error.violations.length > 0 ? error.violations.map((v) => v.message).join(" ") : error.message);
				if (error instanceof TooManyAttempts) return stepOne(429, tooManyMessage(reply, error));
				if (error instanceof TOTPAlreadyEnabled) return seeOther(reply, PATHS.security);
				throw error;
			}
		}),
	);

	// Reloading the confirm URL (or arriving without a form) starts the setup from step 1.
	app.get("/settings/security/two-factor/confirm", async (_request, reply) => reply.redirect(PATHS.twoFactorSetup, 302));

	// Step 3 (code) -> step 4 (done, recovery codes shown only here).
	app.post(
		"/settings/security/two-factor/confirm",
		signedInForm(async (request, reply, auth) => {
			const state = await d.securityState(request, reply, auth);
			// With 2FA on, this confirms a move to a new phone or another app, if this session started one.
			const twoFactorOn = state.twoFactorEnabled;
			const flow = formField(request, "flow");
			/** Where a move to a new phone or an added app that timed out goes (the notice says which). */
			const expired = flow === "add" ? ADD_EXPIRED : REPLACE_EXPIRED;
			const started = twoFactorOn ? await deadbolt.getPendingTOTPEnrollment(auth.account, auth.session) : null;
			if (twoFactorOn && started === null) {
				// The first setup's form sent again (a reload of step 4) is not a move to a new phone.
				return seeOther(reply, flow === "setup" ? ALREADY_ON : expired);
			}
			// What the pending setup does decides (the form's `flow` only picks a notice).
			const adding = started?.purpose === "add";
			const setup = { ...state, replacing: twoFactorOn && !adding, adding };
			const code = formField(request, "code");
			// Adding an app: its name, typed beside the code (checked by the service before anything else).
			const name = adding ? formField(request, "name") : "";

			/** Step 1 again, with why: the pending setup is gone (with 2FA on: back to the Security page). */
			const restart = (message: string): FastifyReply =>
				twoFactorOn ? seeOther(reply, adding ? ADD_EXPIRED : REPLACE_EXPIRED) : sendPage(reply, 409, securityPage(state, setupPasswordStep(state, { notice: message, minLength })));

			/** Shows steps 2-3 again with an error (of the code, or of the name), or step 1 when the pending setup is gone. */
			const retry = async (status: number, error: string, field: "code" | "name" = "code"): Promise<FastifyReply> => {
				const pending = await deadbolt.getPendingTOTPEnrollment(auth.account, auth.session);
				if (pending === null) return restart(new EnrollmentInvalid().message);
				const errors = field === "name" ? { nameError: error } : { error };
				return sendPage(reply, status, securityPage(state, setupScanStep(setup, pending, { ...errors, name, minutesLeft: d.minutesLeft(pending.expiresAt) })));
			};

			if (code.trim() === "") return retry(400, EMPTY_FIELD.authenticatorCode);
			try {
				const confirmed = await deadbolt.confirmTOTPEnrollment(auth.account, auth.session, adding ? { code, name } : { code }, requestContext(request));
				d.keepRotatedSession(reply, confirmed.sessionToken);
				// Another app beside the others: nothing else changed (no new recovery codes).
				if (confirmed.added) return seeOther(reply, doneURL("two-factor", "authenticator-added"));
				if (confirmed.replaced) {
					// The remembered devices were forgotten with the old authenticator, this browser's too.
					d.forgetThisDevice(request, reply);
					return seeOther(reply, doneURL("two-factor", "authenticator-replaced"));
				}
				// Set up on the way to an app (the step-up page's "Set up two-factor authentication"): the way back waits for step 4.
				d.keepReturnTarget(reply, d.returnTargetOf(request));
				const done = setupDoneStep(state, {
					recoveryCodes: confirmed.recoveryCodes,
					otherSessionsRevoked: confirmed.otherSessionsRevoked,
					generatedOn: d.today(),
					proof: recoveryCodeProof(confirmed.recoveryCodes, deadbolt.recoveryCodeFingerprint),
				});
				return sendPage(reply, 200, securityPage({ ...state, twoFactorEnabled: true, recoveryCodesLeft: confirmed.recoveryCodes.length }, done));
			} catch (error) {
				if (error instanceof InvalidCode) return retry(401, error.message);
				if (error instanceof InvalidRequest) return retry(400, error.message, "name");
				if (error instanceof EnrollmentInvalid) return restart(error.message);
				if (error instanceof TOTPAlreadyEnabled) return seeOther(reply, PATHS.security);
				if (error instanceof TooManyAttempts) return retry(429, tooManyMessage(reply, error));
				throw error;
			}
		}),
	);

	// Step 4's "type one of your recovery codes to finish". A usability check, not a security
	// boundary (the form carries its own proof; see recovery-code-check.ts): nothing is stored,
	// no code is used up, and the codes are never sent again.
	app.get("/settings/security/two-factor/saved", async (_request, reply) => reply.redirect(PATHS.security, 302));
	app.post(
		"/settings/security/two-factor/saved",
		signedInForm(async (request, reply, auth) => {
			const proof = parseRecoveryCodeProof(formField(request, "nonce"), formField(request, "hashes"));
			if (proof === null) return seeOther(reply, PATHS.security);
			const state = await d.securityState(request, reply, auth);
			if (!state.twoFactorEnabled) return seeOther(reply, PATHS.security);
			const code = formField(request, "code");
			// Both are needed: the codes marked saved (downloaded, copied, printed or the box ticked)
			// and one of them typed back from the copy.
			const saved = formField(request, "saved") === "yes";
			const matches = matchesRecoveryCodeProof(code, proof, deadbolt.recoveryCodeFingerprint);
			// Back to the app that asked for 2FA (the return cookie), else the Security page.
			if (saved && matches) return d.afterSignIn(request, reply, doneURL("two-factor", "two-factor-on"));
			const codeError = matches ? null : code.trim() === "" ? NO_CODE_TYPED : "That doesn't match any of your recovery codes. Check the copy you saved.";
			return sendPage(reply, 400, securityPage(state, setupSavedCheckStep(state, { proof, codeError, savedError: saved ? null : CODES_NOT_SAVED, saved })));
		}),
	);
}
