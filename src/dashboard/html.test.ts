import { describe, expect, it } from "vitest";
import { escapeHtml, html, raw, SafeHtml } from "./html.js";

describe("html tagged template", () => {
	it("escapes every interpolated string in element content", () => {
		const name = `<script>alert("x")</script>`;
		expect(html`<p>${name}</p>`.value).toBe("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>");
	});

	it("escapes quotes so a value cannot leave a quoted attribute", () => {
		const value = `" onmouseover="alert(1)`;
		const single = `' autofocus onfocus='x`;
		expect(html`<input value="${value}">`.value).toBe('<input value="&quot; onmouseover=&quot;alert(1)">');
		expect(html`<input value='${single}'>`.value).toBe("<input value='&#39; autofocus onfocus=&#39;x'>");
	});

	it("escapes ampersands first, so entities are not double-decoded", () => {
		expect(html`${"&lt;"}`.value).toBe("&amp;lt;");
		expect(escapeHtml("a & b `c`")).toBe("a &amp; b &#96;c&#96;");
	});

	it("inserts nested html fragments without escaping them again", () => {
		const inner = html`<b>${"<i>"}</b>`;
		expect(html`<p>${inner}</p>`.value).toBe("<p><b>&lt;i&gt;</b></p>");
	});

	it("joins arrays of fragments and escapes arrays of strings", () => {
		const items = ["a<", "b>"].map((s) => html`<li>${s}</li>`);
		expect(html`<ul>${items}</ul>`.value).toBe("<ul><li>a&lt;</li><li>b&gt;</li></ul>");
		expect(html`${["<x>", "&"]}`.value).toBe("&lt;x&gt;&amp;");
	});

	it("renders nothing for null, undefined and false, and text for numbers and true", () => {
		const missing: string | null = null;
		expect(html`[${missing}${undefined}${false}]`.value).toBe("[]");
		expect(html`${0} ${42} ${true} ${10n}`.value).toBe("0 42 true 10");
		const show = false as boolean;
		expect(html`<div>${show && html`<em>hidden</em>`}</div>`.value).toBe("<div></div>");
	});

	it("lets raw() through unescaped, and only raw()", () => {
		const svg = '<svg viewBox="0 0 1 1"><path d="M0 0"/></svg>';
		expect(html`<div>${raw(svg)}</div>`.value).toBe(`<div>${svg}</div>`);
		expect(html`<div>${svg}</div>`.value).not.toContain("<svg");
	});

	it("returns SafeHtml whose string form is the markup", () => {
		const result = html`<a href="/x?a=${"1&b=2"}">x</a>`;
		expect(result).toBeInstanceOf(SafeHtml);
		expect(String(result)).toBe('<a href="/x?a=1&amp;b=2">x</a>');
	});

	it("does not treat look-alike objects as safe", () => {
		const fake = { value: "<script>" } as unknown as SafeHtml;
		expect(html`${fake}`.value).toBe("[object Object]");
	});
});
