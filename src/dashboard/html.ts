/**
 * The dashboard's only way to produce HTML: an `html` tagged template that escapes every
 * interpolated value (OWASP XSS Prevention Cheat Sheet, rule #1 "HTML encode before inserting
 * untrusted data into element content" and rule #2 for quoted attribute values). The single
 * opt-out is {@link raw}, reserved for markup the server generated itself (the QR code SVG).
 *
 * Interpolation rules:
 * - a {@link SafeHtml} (the result of `html` or `raw`) is inserted as is;
 * - an array is inserted item by item, each under these same rules (so a list of `html`
 *   fragments joins, and a list of strings is escaped);
 * - `null`, `undefined` and `false` insert nothing (so `${cond && html`...`}` works);
 * - anything else is converted with `String()` and escaped.
 *
 * Attribute values must be quoted in the template (`href="${url}"`): escaping makes a value
 * safe inside quotes, not unquoted. URLs from users must also be checked for their scheme by
 * the caller; escaping does not turn `javascript:` into something harmless.
 */

/** A piece of HTML that is safe to insert as is: produced by {@link html} or {@link raw}. */
export class SafeHtml {
	/** The markup. */
	readonly value: string;

	constructor(value: string) {
		this.value = value;
	}

	/** The markup, so a SafeHtml can be sent or concatenated directly. */
	toString(): string {
		return this.value;
	}
}

const ESCAPES: Readonly<Record<string, string>> = {
	"&": "&amp;",
	"<": "&lt;",
	">": "&gt;",
	'"': "&quot;",
	"'": "&#39;",
	"`": "&#96;",
};

/**
 * Escapes text for an HTML element body or a quoted attribute value: `& < > " ' \``.
 */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] as string);
}

/** The values `html` accepts: anything, escaped unless it is SafeHtml. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: unknown): string {
	if (value === null || value === undefined || value === false) return "";
	if (value instanceof SafeHtml) return value.value;
	if (Array.isArray(value)) return value.map(render).join("");
	return escapeHtml(String(value));
}

/**
 * The escaping template tag: `html\`<p>${name}</p>\`` escapes `name`.
 * @returns the markup as {@link SafeHtml}
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
	let out = strings[0] ?? "";
	for (let i = 0; i < values.length; i++) {
		out += render(values[i]) + (strings[i + 1] ?? "");
	}
	return new SafeHtml(out);
}

/**
 * Marks trusted, server-generated markup as safe, without escaping. Never pass anything that
 * contains user input: the only caller is the QR code SVG rendered by `qrcode`.
 */
export function raw(markup: string): SafeHtml {
	return new SafeHtml(markup);
}
