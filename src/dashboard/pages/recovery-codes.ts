/**
 * Recovery codes as the dashboard shows them once: the list, its Copy and Download buttons, and
 * the text of the download.
 */
import { html, type SafeHtml } from "../html.js";

/** The text of the recovery-code download. */
export function recoveryCodesText(issuer: string, email: string, generatedOn: string, codes: readonly string[]): string {
	return [
		`${issuer} recovery codes`,
		`Account: ${email}`,
		`Generated: ${generatedOn}`,
		"",
		"Each code signs you in once if you cannot use your authenticator app.",
		"Keep this file somewhere safe, such as a password manager.",
		"",
		...codes,
		"",
	].join("\n");
}

/**
 * The recovery codes as a list, with "Copy codes" (shown by the script), "Download .txt" (the
 * codes as {@link recoveryCodesText}) and, when given, the dialog's last button at the right.
 */
export function recoveryCodesList(context: { issuer: string; email: string }, generatedOn: string, codes: readonly string[], last: SafeHtml | null): SafeHtml {
	const download = `data:text/plain;charset=utf-8,${encodeURIComponent(recoveryCodesText(context.issuer, context.email, generatedOn, codes))}`;
	return html`<ol id="recovery-codes" class="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<div class="actions actions--split">
	<div class="actions__group">
		<button type="button" class="button button--secondary copy-button" data-copy-target="recovery-codes" hidden>Copy codes</button>
		<a class="button button--secondary" id="download-recovery-codes" download="deadbolt-recovery-codes.txt" href="${download}">Download .txt</a>
	</div>${last === null ? "" : html`
	${last}`}
</div>`;
}
