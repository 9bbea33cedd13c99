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
 * The recovery codes as a sheet (the lines that head it on paper, then the list), with "Copy
 * codes" and "Print" (both need the script, which shows them), "Download .txt" (the codes as
 * {@link recoveryCodesText}) and, when given, the dialog's last button at the right. The print
 * stylesheet prints only the sheet. Using any of the three marks the codes saved in setup's last
 * step (`data-saves-codes`, see the script).
 */
export function recoveryCodesList(context: { issuer: string; email: string }, generatedOn: string, codes: readonly string[], last: SafeHtml | null): SafeHtml {
	const download = `data:text/plain;charset=utf-8,${encodeURIComponent(recoveryCodesText(context.issuer, context.email, generatedOn, codes))}`;
	return html`<div class="recovery-sheet" id="recovery-sheet">
	<div class="recovery-sheet__print">
		<p class="recovery-sheet__title">${context.issuer} recovery codes</p>
		<p class="recovery-sheet__meta">Account: ${context.email}</p>
		<p class="recovery-sheet__meta">Generated: ${generatedOn}</p>
		<p class="recovery-sheet__note">Each code signs you in once if you cannot use your authenticator app. Keep this sheet somewhere safe.</p>
	</div>
	<ol id="recovery-codes" class="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
</div>
<div class="actions actions--split">
	<div class="actions__group">
		<a class="button button--secondary" id="download-recovery-codes" download="deadbolt-recovery-codes.txt" href="${download}" data-saves-codes="downloaded">Download .txt</a>
		<button type="button" class="button button--secondary copy-button" id="copy-recovery-codes" data-copy-target="recovery-codes" data-saves-codes="copied" hidden>Copy codes</button>
		<button type="button" class="button button--secondary" id="print-recovery-codes" data-print data-saves-codes="printed" hidden>Print</button>
	</div>${last === null ? "" : html`
	${last}`}
</div>`;
}
