/**
 * "I think my account is compromised" on Settings > Security: a card, set apart from the others,
 * that says what the one action does (new password, every other session signed out, every
 * remembered device forgotten, new recovery codes when 2FA is on) and asks for the current and
 * the new password, and, with 2FA on and no recent confirmation, a code in the same form (as the
 * password card does). The summary afterwards is a dialog (`security-dialogs.ts`).
 */
import { html, type SafeHtml } from "../html.js";
import { field, inlineConfirmation, newPasswordField, PATHS, secondFactorField } from "../layout.js";
import { passwordCardForm, type PasswordFormState } from "./security-sections.js";

/** The compromise card: what it does, and its form (the state after a refused POST; passwords are never sent back). */
export function compromisedCard(csrf: string, email: string, minLength: number, twoFactorEnabled: boolean, state: PasswordFormState): SafeHtml {
	const newError = state.newErrors !== undefined && state.newErrors.length > 0 ? state.newErrors.join(" ") : null;
	const codeField =
		state.needsCode === true
			? inlineConfirmation(secondFactorField({ id: "compromised-code", error: state.codeError, hint: "A code from your authenticator app, or one of your recovery codes." }))
			: null;
	const fields = html`${field({ id: "compromised-current-password", name: "currentPassword", label: "Current password", type: "password", autocomplete: "current-password", error: state.currentError ?? null })}
		${newPasswordField({ id: "compromised-new-password", minLength, error: newError, hint: `At least ${minLength} characters, and not one you use anywhere else.` })}
		${codeField}`;
	const form = passwordCardForm(PATHS.secureAccount, csrf, email, state.error, fields, html`<button type="submit" class="button button--danger button--wrap">Secure my account</button>`);
	return html`<section class="card card--danger-zone" id="compromised" aria-labelledby="compromised-title">
	<h2 class="card__title" id="compromised-title">I think my account is compromised</h2>
	<p>Activity you don't recognize, or someone may know your password? Secure your account in one step:</p>
	<ul class="advice advice--danger" id="compromised-steps">
		<li><strong>Your password is changed</strong> to the new one you choose here.</li>
		<li><strong>Every other session is signed out.</strong> This one stays signed in.</li>
		<li><strong>Every remembered device is forgotten:</strong> each asks for a code again.</li>
		${twoFactorEnabled ? html`<li><strong>Your recovery codes are replaced.</strong> The old ones stop working; the new ones are shown once.</li>` : null}
	</ul>
	${form}
</section>`;
}
