/**
 * The two-factor setup drawn over the Security page as a modal `<dialog open>` (the seed
 * article's four steps): 1. confirm your password; 2. add the key to the app (open it in the
 * app, type the key, or scan the QR code); 3. enter the 6-digit code; 4. done, with the recovery
 * codes shown this once, and Finish only once they are marked saved and one is typed back. Steps
 * 2 and 3 share one page. Each step is a plain form; the script only upgrades the dialog to a
 * true modal (`showModal()`, focus kept inside, Escape cancels steps 1-3 and never closes step 4),
 * adds the Copy and Print buttons, and ticks "I have saved my recovery codes" for the user.
 */
import type { PendingEnrollment } from "../../service/totp-enrollment.js";
import { csrfField } from "../csrf.js";
import { html, raw, type SafeHtml } from "../html.js";
import { CODE_HINT, codeField, emailText, field, newPasswordField, notice, PATHS, plural, postForm } from "../layout.js";
import { joinHashes, type RecoveryCodeProof } from "../recovery-code-check.js";
import { recoveryCodesList } from "./recovery-codes.js";

type SetupStep = 1 | 2 | 4;

const STEP_LABELS = ["Confirm password", "Scan QR code", "Enter code", "Done"] as const;

function stepper(step: SetupStep, firstLabel: string): SafeHtml {
	const items = [firstLabel, ...STEP_LABELS.slice(1)].map((label, index) => {
		const number = index + 1;
		const current = step === 2 ? number === 2 || number === 3 : number === step;
		const done = number < step;
		const state = current ? "current" : done ? "done" : "upcoming";
		return html`<li class="stepper__item stepper__item--${state}"${current ? html` aria-current="step"` : ""}><span class="stepper__dot" aria-hidden="true">${done ? "✓" : number}</span><span class="stepper__label">${label}${done ? html`<span class="visually-hidden"> (done)</span>` : ""}</span></li>`;
	});
	return html`<ol class="stepper" aria-label="Setup progress">${items}</ol>`;
}

/**
 * The dialog around a step. Focus on opening: step 1 its password field; steps 2-3 and 4 the
 * title, so a phone shows the top of the dialog (the QR code, the recovery codes) and a screen
 * reader reads the title; on a large screen the script then moves focus to the code field.
 */
function setupDialog(context: SetupContext, step: SetupStep, title: string, content: SafeHtml, cancellable: boolean): SafeHtml {
	const eyebrow = step === 2 ? "Steps 2 and 3 of 4" : `Step ${step} of 4`;
	const flow = context.adding === true ? "Add another authenticator app" : context.replacing === true ? "Move to a new phone" : "Set up two-factor authentication";
	const firstLabel = context.replacing === true || context.adding === true ? "Confirm it's you" : context.hasPassword === false ? "Set password" : "Confirm password";
	// The last step cannot be closed by accident (Escape, a close request): `closedby="none"`.
	return html`<dialog open class="modal" id="two-factor-setup" aria-labelledby="setup-title" aria-modal="true"${cancellable ? html` data-cancel-href="${PATHS.security}"` : html` closedby="none"`}>
	<div class="modal__header">
		<div>
			<p class="modal__eyebrow"><span class="modal__flow">${flow}<span aria-hidden="true"> · </span></span>${eyebrow}</p>
			<h2 class="modal__title" id="setup-title"${step === 1 ? "" : html` tabindex="-1" autofocus`}>${title}</h2>
		</div>
		${cancellable && html`<a class="modal__close" href="${PATHS.security}" aria-label="Cancel setup" title="Cancel setup">×</a>`}
	</div>
	${stepper(step, firstLabel)}
	<div class="modal__body">
		${content}
	</div>
</dialog>`;
}

/** What every setup step needs. */
export interface SetupContext {
	readonly issuer: string;
	readonly csrf: string;
	readonly email: string;
	/** false for an account without a password: step 1 sets one. Default true. */
	readonly hasPassword?: boolean;
	/** true when moving to a new phone (2FA stays on; the old authenticator stops at confirmation). */
	readonly replacing?: boolean;
	/** true when adding another authenticator app (the others stay; step 3 also asks for its name). */
	readonly adding?: boolean;
}

/** The longest authenticator name (the service's limit, checked there). */
const AUTHENTICATOR_NAME_MAX_LENGTH = 64;

/** Which flow the code form confirms (a display hint only: the service decides by the pending setup). */
function flowOf(context: SetupContext): "add" | "new-phone" | "setup" {
	return context.adding === true ? "add" : context.replacing === true ? "new-phone" : "setup";
}

/**
 * Step 1: "Confirm your password" (a wrong one shows the service's error; nothing changes), or,
 * for an account without a password, "Set a password" (the seed's "enter or set a password").
 */
export function setupPasswordStep(context: SetupContext, state: { error?: string | null; notice?: string | null; minLength?: number }): SafeHtml {
	if (context.hasPassword === false) {
		const minLength = state.minLength ?? 8;
		const setForm = postForm(
			PATHS.twoFactorSetup,
			context.csrf,
			html`${state.notice !== undefined && state.notice !== null && notice("warning", state.notice)}
		<p>Your account doesn't have a password yet. Choose one: from now on you'll sign in with it and a code from your authenticator app.</p>
		<input type="email" name="username" autocomplete="username" value="${context.email}" hidden readonly>
		${newPasswordField({ id: "setup-new-password", minLength, error: state.error ?? null, autofocus: true })}
		<div class="actions">
			<a class="button button--secondary" href="${PATHS.security}">Cancel</a>
			<button type="submit" class="button button--primary button--wrap">Set password and continue</button>
		</div>`,
		);
		return setupDialog(context, 1, "Set a password", setForm, true);
	}
	const form = postForm(
		PATHS.twoFactorSetup,
		context.csrf,
		html`${state.notice !== undefined && state.notice !== null && notice("warning", state.notice)}
		<p>To protect your account, confirm it's you before turning on two-factor authentication.</p>
		<input type="email" name="username" autocomplete="username" value="${context.email}" hidden readonly>
		${field({ id: "setup-password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: state.error ?? null, autofocus: true })}
		<div class="actions">
			<a class="button button--secondary" href="${PATHS.security}">Cancel</a>
			<button type="submit" class="button button--primary">Continue</button>
		</div>`,
	);
	return setupDialog(context, 1, "Confirm your password", form, true);
}

/**
 * Steps 2 and 3: adding the key to the app, then the code that proves the app is set up. Three
 * ways to add it, in the order a phone needs them (and the order screen readers read): "Open in
 * authenticator app" (an `otpauth://` link to the same key URI the QR code holds: the apps register
 * the scheme), the key itself with its Copy button, then the QR code. On wide screens the
 * stylesheet puts the QR code first, in its own column (no script: media queries only).
 */
export function setupScanStep(context: SetupContext, pending: PendingEnrollment, state: { error?: string | null; minutesLeft: number; name?: string; nameError?: string | null }): SafeHtml {
	const adding = context.adding === true;
	const content = html`<div class="setup-scan">
	<div class="setup-scan__text">
		<h3 class="setup-heading"><span class="setup-heading__number" aria-hidden="true">2</span>Add the account to your app</h3>
		${pending.compatibilityWarning === null
			? html`<p>Use an authenticator app such as Google Authenticator, Microsoft Authenticator, 1Password, Authy or FreeOTP, in one of these ways.</p>`
			: html`${notice("warning", pending.compatibilityWarning, "app-compatibility-warning")}
		<p>Use an authenticator app that supports these settings, in one of these ways.</p>`}
	</div>
	<div class="setup-scan__open">
		<a class="button button--secondary open-in-app" id="open-in-app" href="${pending.keyURI}" aria-describedby="open-in-app-hint">Open in authenticator app</a>
		<p class="setup-scan__hint" id="open-in-app-hint">When the app is on this device: it opens with the account filled in.</p>
	</div>
	<div class="manual-key setup-scan__key">
		<h4 class="manual-key__title">Or enter the key in the app</h4>
		<dl class="facts facts--compact">
			<div><dt>Account</dt><dd>${emailText(context.email)}</dd></div>
			<div><dt>Issuer</dt><dd>${context.issuer}</dd></div>
		</dl>
		<div class="secret-row">
			<code id="secret-key" class="secret-key" data-copy-value="${pending.secret}" aria-label="Secret key">${pending.secretGroups}</code>
			<button type="button" class="button button--secondary button--small copy-button" data-copy-target="secret-key" hidden>Copy</button>
		</div>
		<p class="manual-key__meta">Time-based · ${pending.digits} digits · new code every ${pending.periodSeconds} seconds</p>
	</div>
	<div class="setup-scan__qr">
		<div id="qr-code" class="qr" role="img" aria-label="QR code that adds ${context.issuer} (${context.email}) to your authenticator app">${raw(pending.qrSvg)}</div>
		<p class="qr-caption"><span class="qr-caption__wide">Scan with your phone's camera</span><span class="qr-caption__narrow">Or scan it from another device</span></p>
	</div>
</div>
${postForm(
	PATHS.twoFactorConfirm,
	context.csrf,
	html`<input type="hidden" name="flow" value="${flowOf(context)}">
	<h3 class="setup-heading"><span class="setup-heading__number" aria-hidden="true">3</span>${adding ? "Name it and enter" : "Enter"} the ${pending.digits}-digit code</h3>
	${
		adding &&
		field({
			id: "authenticator-name",
			name: "name",
			label: "Name (optional)",
			autocomplete: "off",
			value: state.name ?? "",
			hint: "So you can tell your apps apart, for example Tablet or Work phone.",
			error: state.nameError ?? null,
			maxlength: AUTHENTICATOR_NAME_MAX_LENGTH,
			required: false,
			autofocus: (state.nameError ?? null) !== null,
		})
	}
	${codeField(`Enter the ${pending.digits}-digit code from your authenticator app`, {
		error: state.error ?? null,
		hint: CODE_HINT,
		append: html`<button type="submit" class="button button--primary">${adding ? "Verify and add" : context.replacing === true ? "Verify and switch" : "Verify and turn on"}</button>`,
		focus: "if-visible",
	})}
	<p class="muted setup-expiry">This setup expires in ${plural(state.minutesLeft, "minute")}. <a href="${PATHS.security}">Cancel setup</a></p>`,
	"form form--separated",
)}`;
	return setupDialog(context, 2, adding ? "Connect your new authenticator app" : context.replacing === true ? "Connect your new phone" : "Connect your authenticator app", content, true);
}

/** What step 4 shows. */
export interface SetupDoneState {
	readonly recoveryCodes: readonly string[];
	readonly otherSessionsRevoked: number;
	/** The date the codes were made, `YYYY-MM-DD` (UTC), for the download. */
	readonly generatedOn: string;
	/** The nonce and per-code hashes the "type one back" form carries (see `recovery-code-check.ts`). */
	readonly proof: RecoveryCodeProof;
}

/** Step 4: two-factor authentication is on; the recovery codes, shown only in this response. */
export function setupDoneStep(context: SetupContext, state: SetupDoneState): SafeHtml {
	const content = html`<div class="success-banner" role="status">
	<svg class="success-banner__icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M7 12.5l3.2 3.2L17 9" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></svg>
	<p>From now on, signing in asks for your password and a 6-digit code from your authenticator app.</p>
</div>
${state.otherSessionsRevoked > 0 && notice("info", `For your security, we signed you out everywhere else (${plural(state.otherSessionsRevoked, "other session")}).`)}
<h3 class="setup-heading">Save your recovery codes</h3>
<p>If you lose your phone, each of these codes lets you sign in once. <strong>This is the only time they are shown:</strong> store them in a password manager or print them, and keep them somewhere safe.</p>
${recoveryCodesList(context, state.generatedOn, state.recoveryCodes, null)}
${savedCodesForm(context, state.proof, { codeError: null, savedError: null, saved: false })}`;
	return setupDialog(context, 4, "Two-factor authentication is on", content, false);
}

/** The message of Finish without the codes marked saved (the server's and the script's). */
export const CODES_NOT_SAVED = "Save your recovery codes first (download, copy or print them), then tick this box.";
/** The message of Finish with no code typed back (the server's and the script's). */
export const NO_CODE_TYPED = "Type one of your recovery codes.";

/** What the step-4 form shows: its errors, and whether the codes are marked saved. */
interface SavedCodesFormState {
	readonly codeError: string | null;
	readonly savedError: string | null;
	readonly saved: boolean;
}

/**
 * "I have saved my recovery codes": a native checkbox, required (without the script the browser
 * itself refuses Finish while it is clear; the server refuses too). The script ticks it when the
 * codes are downloaded, copied or printed.
 */
function savedCheckbox(state: SavedCodesFormState): SafeHtml {
	const error = state.savedError;
	const describedBy = error === null ? "codes-saved-hint" : "codes-saved-hint codes-saved-error";
	return html`<div class="check check--saved${error === null ? "" : " check--invalid"}" id="codes-saved-field">
	<input class="check__input" type="checkbox" id="codes-saved" name="saved" value="yes" required aria-describedby="${describedBy}"${error === null ? "" : html` aria-invalid="true"`}${state.saved ? html` checked` : ""}>
	<div class="check__text">
		<label class="check__label" for="codes-saved">I have saved my recovery codes</label>
		<p class="check__hint" id="codes-saved-hint">In a password manager, on paper or in a file somewhere safe. Downloading, copying or printing them ticks this box.</p>
		${error !== null && html`<p class="field__error" id="codes-saved-error">${error}</p>`}
	</div>
</div>`;
}

/**
 * Finish: "I have saved my recovery codes", then "Type one of your recovery codes to finish",
 * which proves (to the user, not to us: it is a usability check, see `recovery-code-check.ts`)
 * that the copy they saved works. The codes themselves are never in it; only the nonce and the
 * hashes, in hidden fields. Unlike the other forms, the browser validates it (no `novalidate`):
 * without the script, a clear checkbox stops Finish before the page with the codes is gone.
 */
function savedCodesForm(context: SetupContext, proof: RecoveryCodeProof, state: SavedCodesFormState): SafeHtml {
	return html`<form method="post" action="${PATHS.twoFactorSaved}" class="form form--separated" id="codes-saved-form" data-unsaved-message="${CODES_NOT_SAVED}" data-empty-code-message="${NO_CODE_TYPED}">
	${csrfField(context.csrf)}
	<input type="hidden" name="nonce" value="${proof.nonce}">
	<input type="hidden" name="hashes" value="${joinHashes(proof.hashes)}">
	${savedCheckbox(state)}
	${field({
		id: "saved-code",
		name: "code",
		label: "Type one of your recovery codes to finish",
		autocomplete: "off",
		hint: "From the copy you saved, not from this page. It stays valid: this only checks your copy.",
		error: state.codeError,
		maxlength: 40,
		plain: true,
	})}
	<div class="actions">
		<button type="submit" class="button button--primary" id="setup-finish">Finish</button>
	</div>
</form>`;
}

/** What the "type one back" page shows after Finish was refused. */
export interface SetupSavedCheckState {
	readonly proof: RecoveryCodeProof;
	/** Why the typed code was refused (none typed, or it matched none), or null. */
	readonly codeError: string | null;
	/** Why Finish was refused for the checkbox ({@link CODES_NOT_SAVED}), or null. */
	readonly savedError: string | null;
	/** Whether the codes were marked saved (the box stays ticked). */
	readonly saved: boolean;
}

/**
 * Step 4 again after Finish was refused: the same form with the same proof, but never the codes
 * (they were shown once). The way out is new codes (the Security page's regenerate action).
 */
export function setupSavedCheckStep(context: SetupContext, state: SetupSavedCheckState): SafeHtml {
	const content = html`<p>Two-factor authentication is on. Check that the recovery codes you saved work before you finish.</p>
${savedCodesForm(context, state.proof, state)}
${postForm(PATHS.recoveryCodes, context.csrf, html`<p class="muted small lost-codes">Lost them, or didn't save them? <button type="submit" class="button button--ghost button--small button--wrap" id="regenerate-lost-codes">I've lost them: generate new codes</button></p>`)}`;
	return setupDialog(context, 4, "Check your recovery codes", content, false);
}
