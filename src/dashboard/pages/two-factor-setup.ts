/**
 * The two-factor setup drawn over the Security page as a modal `<dialog open>` (the seed
 * article's four steps): 1. confirm your password; 2. scan the QR code (or type the key);
 * 3. enter the 6-digit code; 4. done, with the recovery codes shown this once. Steps 2 and 3
 * share one page. Each step is a plain form; the script only upgrades the dialog to a true
 * modal (`showModal()`, focus kept inside, Escape cancels) and adds the Copy buttons.
 */
import type { PendingEnrollment } from "../../service/totp-enrollment.js";
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
	const flow = context.replacing === true ? "Move to a new phone" : "Set up two-factor authentication";
	const firstLabel = context.replacing === true ? "Confirm it's you" : context.hasPassword === false ? "Set password" : "Confirm password";
	return html`<dialog open class="modal" id="two-factor-setup" aria-labelledby="setup-title" aria-modal="true"${cancellable ? html` data-cancel-href="${PATHS.security}"` : ""}>
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
		${newPasswordField({ minLength, error: state.error ?? null, autofocus: true })}
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
		${field({ id: "password", name: "password", label: "Password", type: "password", autocomplete: "current-password", error: state.error ?? null, autofocus: true })}
		<div class="actions">
			<a class="button button--secondary" href="${PATHS.security}">Cancel</a>
			<button type="submit" class="button button--primary">Continue</button>
		</div>`,
	);
	return setupDialog(context, 1, "Confirm your password", form, true);
}

/** Steps 2 and 3: the QR code and the key, then the code that proves the app is set up. */
export function setupScanStep(context: SetupContext, pending: PendingEnrollment, state: { error?: string | null; minutesLeft: number }): SafeHtml {
	const content = html`<div class="setup-scan">
	<div class="setup-scan__qr">
		<div id="qr-code" class="qr" role="img" aria-label="QR code that adds ${context.issuer} (${context.email}) to your authenticator app">${raw(pending.qrSvg)}</div>
		<p class="qr-caption">Scan with your phone</p>
	</div>
	<div class="setup-scan__text">
		<h3 class="setup-heading"><span class="setup-heading__number" aria-hidden="true">2</span>Scan the QR code</h3>
		${pending.compatibilityWarning === null
			? html`<p>In your authenticator app (Google Authenticator, Authy, Microsoft Authenticator, 1Password, FreeOTP, …), add an account and scan this code with your phone's camera.</p>`
			: html`${notice("warning", pending.compatibilityWarning, "app-compatibility-warning")}
		<p>In an authenticator app that supports these settings, add an account and scan this code with your phone's camera.</p>`}
		<div class="manual-key">
			<h4 class="manual-key__title">Can't scan? Enter the key manually</h4>
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
	</div>
</div>
${postForm(
	PATHS.twoFactorConfirm,
	context.csrf,
	html`<input type="hidden" name="flow" value="${context.replacing === true ? "new-phone" : "setup"}">
	<h3 class="setup-heading"><span class="setup-heading__number" aria-hidden="true">3</span>Enter the ${pending.digits}-digit code</h3>
	${codeField(`Enter the ${pending.digits}-digit code from your authenticator app`, {
		error: state.error ?? null,
		hint: CODE_HINT,
		append: html`<button type="submit" class="button button--primary">${context.replacing === true ? "Verify and switch" : "Verify and turn on"}</button>`,
		focus: "if-visible",
	})}
	<p class="muted setup-expiry">This setup expires in ${plural(state.minutesLeft, "minute")}. <a href="${PATHS.security}">Cancel setup</a></p>`,
	"form form--separated",
)}`;
	return setupDialog(context, 2, context.replacing === true ? "Connect your new phone" : "Connect your authenticator app", content, true);
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
${savedCodesForm(context, state.proof, null)}`;
	return setupDialog(context, 4, "Two-factor authentication is on", content, false);
}

/**
 * "Type one of your recovery codes to finish": proves (to the user, not to us: it is a usability
 * check, see `recovery-code-check.ts`) that the copy they saved works. The codes themselves are
 * never in it; only the nonce and the hashes, in hidden fields.
 */
function savedCodesForm(context: SetupContext, proof: RecoveryCodeProof, error: string | null): SafeHtml {
	return postForm(
		PATHS.twoFactorSaved,
		context.csrf,
		html`<input type="hidden" name="nonce" value="${proof.nonce}">
	<input type="hidden" name="hashes" value="${joinHashes(proof.hashes)}">
	${field({
		id: "saved-code",
		name: "code",
		label: "Type one of your recovery codes to finish",
		autocomplete: "off",
		hint: "From the copy you saved, not from this page. It stays valid: this only checks your copy.",
		error,
		maxlength: 40,
		plain: true,
	})}
	<div class="actions">
		<button type="submit" class="button button--primary" id="setup-finish">Finish</button>
	</div>`,
		"form form--separated",
	);
}

/** What the "type one back" page shows after a code that matched none of them. */
export interface SetupSavedCheckState {
	readonly proof: RecoveryCodeProof;
	readonly error: string;
}

/**
 * Step 4 again after a typed code matched none: the same form with the same proof, but never the
 * codes (they were shown once). The way out is new codes (the Security page's regenerate action).
 */
export function setupSavedCheckStep(context: SetupContext, state: SetupSavedCheckState): SafeHtml {
	const content = html`<p>Two-factor authentication is on. Check that the recovery codes you saved work before you finish.</p>
${savedCodesForm(context, state.proof, state.error)}
${postForm(PATHS.recoveryCodes, context.csrf, html`<p class="muted small lost-codes">Lost them, or didn't save them? <button type="submit" class="button button--ghost button--small button--wrap" id="regenerate-lost-codes">I've lost them: generate new codes</button></p>`)}`;
	return setupDialog(context, 4, "Check your recovery codes", content, false);
}
