/**
 * A branded dashboard in Chromium (issue 10 item 10, and the typed paths of item 8): the logo
 * (an SVG with inline styles, served by deadbolt itself) loads under the pages' CSP with no
 * console, CSP or request error; the accent colours of `brand.css` reach the buttons in light and
 * dark mode; the footer and "Get help" link show; every page visited passes the shared checks
 * (axe-core in both schemes, no sideways scrolling at 390 and 320 px). An SVG logo opened directly
 * runs none of its scripts. A typed `/login` leads to the sign-in page, an unknown path to the
 * branded "Page not found" page.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";

const EMAIL = "grace.hopper@example.com";
const PASSWORD = "a long enough passphrase for grace";
const ACCENT = "#0b5fff";
/** A logo as design tools write it: inline style attributes, a <style> element, and a script that must never run. */
const LOGO_SVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
	<style>.ring { fill: none; stroke: #ffffff; stroke-width: 6; }</style>
	<rect width="64" height="64" rx="14" style="fill:${ACCENT}"/>
	<circle class="ring" cx="32" cy="32" r="16"/>
	<script>alert("the logo ran a script")</script>
</svg>
`;

/** The computed value of a CSS property of the first element matching `selector`. */
async function computed(page: WatchedPage["page"], selector: string, property: string): Promise<string> {
	return page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`);
}

/** Whether the header's logo image has loaded (a real image, not a broken one). */
async function logoLoaded(page: WatchedPage["page"]): Promise<boolean> {
	return page.evaluate<boolean>(`(() => { const img = document.querySelector("img.brand__logo"); return img !== null && img.complete && img.naturalWidth > 0; })()`);
}

/** `#rrggbb` as getComputedStyle writes it. */
function rgbOf(hex: string): string {
	const value = parseInt(hex.slice(1), 16);
	return `rgb(${value >> 16}, ${(value >> 8) & 0xff}, ${value & 0xff})`;
}

describe("a branded dashboard, in Chromium", () => {
	let logoDir: string;
	let harness: BrowserHarness;

	beforeAll(async () => {
		logoDir = mkdtempSync(join(tmpdir(), "deadbolt-logo-"));
		writeFileSync(join(logoDir, "acme.svg"), LOGO_SVG);
		harness = await startBrowserHarness({
			branding: { productName: "Acme Accounts", logoFile: join(logoDir, "acme.svg"), accentColor: ACCENT, supportUrl: "https://help.acme.example/2fa", footerText: "Acme Inc. · Your account, protected" },
		});
	});

	afterAll(async () => {
		await harness?.close();
		if (logoDir !== undefined) rmSync(logoDir, { recursive: true, force: true });
	});

	it("the logo loads from deadbolt's origin, the accent and footer apply, and every page passes the checks", async () => {
		const watched = await harness.newPage();
		const { page } = watched;

		// A typed path leads to the sign-in page.
		await page.goto("/login");
		expect(watched.path()).toBe("/dashboard/sign-in");
		expect(await page.title()).toBe("Sign in · Acme Accounts");
		await expect.poll(() => logoLoaded(page)).toBe(true);
		expect(await page.evaluate<string>(`new URL(document.querySelector("img.brand__logo").currentSrc).origin`)).toBe(harness.baseURL);
		expect(await page.locator(".brand__name").textContent()).toBe("Acme Accounts");
		expect(await page.locator(".site-footer").innerText()).toContain("Acme Inc. · Your account, protected");
		expect(await page.getByRole("link", { name: "Get help" }).first().getAttribute("href")).toBe("https://help.acme.example/2fa");
		// brand.css after dashboard.css: the accent on the primary button, in light and dark mode.
		const palette = harness.deadbolt.branding.palette!;
		expect(await computed(page, ".button--primary", "background-color")).toBe(rgbOf(ACCENT));
		expect(await computed(page, ".button--primary", "color")).toBe("rgb(255, 255, 255)");
		await page.emulateMedia({ colorScheme: "dark" });
		expect(await computed(page, ".button--primary", "background-color")).toBe(rgbOf(palette.dark.primary));
		expect(await computed(page, ".button--primary", "color")).toBe(rgbOf(palette.dark.primaryText));
		await page.emulateMedia({ colorScheme: "light" });
		await watched.expectGood("sign-in page");

		// Sign up with the dashboard's form: the account page, then Security.
		await page.goto("/sign-up");
		expect(watched.path()).toBe("/dashboard/sign-up");
		await watched.expectGood("sign-up page");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill(PASSWORD);
		await watched.clickAndLoad(page.getByRole("button", { name: "Create account" }));
		expect(watched.path()).toBe("/dashboard");
		expect(await page.title()).toBe("Your account · Acme Accounts");
		await watched.expectGood("account page");
		await watched.clickAndLoad(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }));
		expect(await page.title()).toBe("Security · Acme Accounts");
		expect(await logoLoaded(page)).toBe(true);
		await watched.expectGood("Security page");

		// An unknown path: the branded "Page not found" page, with the way home.
		await page.goto("/no/such/page");
		expect(await page.title()).toBe("Page not found · Acme Accounts");
		await watched.expectGood("not-found page");
		await watched.clickAndLoad(page.getByRole("link", { name: "Go to your account" }));
		expect(watched.path()).toBe("/dashboard");
	});

	it("an SVG logo opened directly runs none of its scripts (its own CSP: default-src 'none'; sandbox)", async () => {
		const watched = await harness.newPage();
		const dialogs: string[] = [];
		watched.page.on("dialog", (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		const response = await watched.page.goto("/dashboard/assets/logo");
		expect(response?.status()).toBe(200);
		expect(response?.headers()["content-type"]).toBe("image/svg+xml");
		await watched.page.waitForLoadState("load");
		expect(dialogs).toEqual([]);
		// Sandboxed: even a script allowed in would run in an opaque origin, away from the session's.
		expect(await watched.page.evaluate("self.origin")).toBe("null");
		await watched.context.close();
	});
});
