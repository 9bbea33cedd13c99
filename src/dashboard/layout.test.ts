import { describe, expect, it } from "vitest";
import { codeField, DEFAULT_BRAND, emailText, PATHS, renderPage } from "./layout.js";
import { html } from "./html.js";

describe("emailText", () => {
	it("lets an email break only before the @ and before a dot, and escapes it", () => {
		expect(emailText("frank3@example.com").value).toBe('<span class="email"><span class="email__part">frank3</span><wbr><span class="email__part">@example<wbr>.com</span></span>');
		expect(emailText("a<b@x").value).toContain("a&lt;b");
		expect(emailText("no-at-sign").value).toBe('<span class="email"><span class="email__part">no-at-sign</span></span>');
	});

	it("keeps the text itself unchanged", () => {
		const text = emailText("ada.lovelace@mail.example.org").value.replace(/<[^>]+>/g, "");
		expect(text).toBe("ada.lovelace@mail.example.org");
	});
});

describe("codeField", () => {
	it("autofocuses by default", () => {
		const markup = codeField("Code").value;
		expect(markup).toMatch(/ autofocus/);
		expect(markup).not.toContain("data-focus-if-visible");
	});

	it("leaves focus to the script when it may only be focused in view (the setup dialog)", () => {
		const markup = codeField("Code", { focus: "if-visible", hint: "A hint", error: "Bad" }).value;
		expect(markup).not.toMatch(/ autofocus/);
		expect(markup).toContain("data-focus-if-visible");
		expect(markup).toContain('aria-describedby="code-hint code-error"');
	});
});

describe("renderPage", () => {
	it("links the SVG favicon on every page", () => {
		const page = renderPage({ title: "T", brand: DEFAULT_BRAND, email: null, csrf: null, body: html`<p>x</p>` }).value;
		expect(page).toContain(`<link rel="icon" href="${PATHS.favicon}" type="image/svg+xml">`);
		expect(PATHS.favicon).toBe("/dashboard/assets/favicon.svg");
	});
});
