/**
 * The one shape every mail has, rendered twice: plain text and HTML (inline styles only, no
 * remote images, no scripts: mail clients strip or block the rest), in the product's branding.
 * Templates describe a mail as {@link MailContent}; nothing else writes markup.
 */
import { escapeHtml } from "./escape.js";

/** The product as mails show it (from `branding.*`). */
export interface MailBranding {
	readonly productName: string;
	/** The accent of the button, `#rrggbb` (white text on it passes 4.5:1, checked at start). */
	readonly accentColor: string;
	/** The footer's sentence, or null for deadbolt's. */
	readonly footerText: string | null;
	/** "Get help" link, or null. */
	readonly supportUrl: string | null;
}

/** deadbolt's indigo, as in dashboard.css (`--primary`). */
export const DEFAULT_ACCENT = "#4338ca";

/** A link shown as a button (HTML) or a labelled URL (text). */
export interface MailAction {
	readonly label: string;
	readonly url: string;
}

/** What a mail says, before rendering. Every string is plain text (escaped for HTML here). */
export interface MailContent {
	readonly subject: string;
	readonly heading: string;
	/** Paragraphs before the facts. */
	readonly intro: readonly string[];
	/** Label and value pairs (when, IP address, device), shown as a small table. */
	readonly facts?: readonly (readonly [string, string])[];
	/** The main link, as a button. */
	readonly action?: MailAction;
	/** Paragraphs after the button. */
	readonly outro?: readonly string[];
	/** A second link, in its own box, for "This wasn't me". */
	readonly alarm?: { readonly text: string; readonly action: MailAction };
}

/** A rendered mail. */
export interface RenderedMail {
	readonly subject: string;
	readonly text: string;
	readonly html: string;
}

/** Renders `content` as plain text and HTML. */
export function renderMail(content: MailContent, branding: MailBranding): RenderedMail {
	return { subject: content.subject, text: renderText(content, branding), html: renderHtml(content, branding) };
}

function footerLine(branding: MailBranding): string {
	return branding.footerText ?? (branding.productName === "deadbolt" ? "Sent by deadbolt: two-factor authentication for your account." : `Sent by ${branding.productName}, secured by deadbolt.`);
}

function renderText(content: MailContent, branding: MailBranding): string {
	const parts: string[] = [content.heading, ...content.intro];
	if (content.facts !== undefined && content.facts.length > 0) parts.push(content.facts.map(([label, value]) => `${label}: ${value}`).join("\n"));
	if (content.action !== undefined) parts.push(`${content.action.label}:\n${content.action.url}`);
	parts.push(...(content.outro ?? []));
	if (content.alarm !== undefined) parts.push(`${content.alarm.text}\n${content.alarm.action.label}: ${content.alarm.action.url}`);
	const footer = [footerLine(branding), ...(branding.supportUrl === null ? [] : [`Get help: ${branding.supportUrl}`])].join("\n");
	return `${parts.join("\n\n")}\n\n-- \n${footer}\n`;
}

const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

function button(action: MailAction, background: string, color: string): string {
	const url = escapeHtml(action.url);
	return `<p style="margin:24px 0"><a href="${url}" style="display:inline-block;background:${background};color:${color};text-decoration:none;font-weight:600;padding:12px 20px;border-radius:6px">${escapeHtml(action.label)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#555">Or open this address: <a href="${url}" style="color:${background};word-break:break-all">${url}</a></p>`;
}

function renderHtml(content: MailContent, branding: MailBranding): string {
	const accent = /^#[0-9a-fA-F]{6}$/.test(branding.accentColor) ? branding.accentColor : DEFAULT_ACCENT;
	const paragraph = (text: string): string => `<p style="margin:0 0 16px">${escapeHtml(text)}</p>`;
	const facts =
		content.facts === undefined || content.facts.length === 0
			? ""
			: `<table role="presentation" style="border-collapse:collapse;margin:0 0 16px;font-size:14px">${content.facts
					.map(([label, value]) => `<tr><th scope="row" style="text-align:left;padding:4px 16px 4px 0;color:#555;font-weight:600;vertical-align:top">${escapeHtml(label)}</th><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`)
					.join("")}</table>`;
	const alarm =
		content.alarm === undefined
			? ""
			: `<div style="border:1px solid #fca5a5;background:#fef2f2;border-radius:6px;padding:16px;margin:24px 0 0">${paragraph(content.alarm.text)}${button(content.alarm.action, "#b91c1c", "#ffffff")}</div>`;
	const support = branding.supportUrl === null ? "" : ` · <a href="${escapeHtml(branding.supportUrl)}" style="color:#555">Get help</a>`;
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;${FONT};color:#18181b;line-height:1.5">
<div style="max-width:560px;margin:0 auto;padding:24px">
<p style="margin:0 0 16px;font-weight:700;font-size:18px;color:${accent}">${escapeHtml(branding.productName)}</p>
<div style="background:#ffffff;border-radius:8px;padding:24px;border-top:4px solid ${accent}">
<h1 style="margin:0 0 16px;font-size:20px">${escapeHtml(content.heading)}</h1>
${content.intro.map(paragraph).join("\n")}
${facts}
${content.action === undefined ? "" : button(content.action, accent, "#ffffff")}
${(content.outro ?? []).map(paragraph).join("\n")}
${alarm}
</div>
<p style="margin:16px 0 0;font-size:12px;color:#555">${escapeHtml(footerLine(branding))}${support}</p>
</div>
</body></html>
`;
}
