/**
 * HTML escaping for mail bodies (the delivery layer may not import the dashboard's `html` tag):
 * every value from the outside (an address, a User-Agent, an IP, the product's name) goes through
 * {@link escapeHtml} before it stands in the HTML part.
 */

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` with `& < > " '` replaced by entities: safe in element content and in quoted attributes. */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => ENTITIES[char] as string);
}
