/**
 * Issue 10, items 1, 3 and 7 in Chromium: setting up two-factor authentication on a phone ("Open
 * in authenticator app" and the key before the QR code, all visible without scrolling), on a
 * desktop (the QR code first), saving the recovery codes before Finish (Download, Copy, Print, or
 * the box ticked; leaving and Escape guarded), the whole setup by keyboard alone, and code errors
 * that say which cause, beside the field, marked invalid and focused (so screen readers read them).
 * Every state visited passes `expectGood` (axe-core in light and dark mode, no sideways scrolling at
 * 390 and 320 px, no console problems). Codes come from an independent implementation
 * (test/helpers/authenticator-codes.ts), the QR code is read back by ZXing.
 */
import { readFileSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticatorCode } from "../helpers/authenticator-codes.js";
import { DESKTOP, PHONE, PHONE_USER_AGENT, startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";
import { decodeQRCodes } from "../helpers/qr-decoder.js";

const PASSWORD = "correct horse battery staple 42";
const STEP_MS = 30_000;
const MINUTE_MS = 60_000;
/** Where Finish leads: the Security page (its two-factor part) saying 2FA is on. */
const SETUP_DONE = /^\/dashboard\/settings\/security(\/two-factor)?\?done=two-factor-on$/;

let h: BrowserHarness;
let accounts = 0;

beforeAll(async () => {
	h = await startBrowserHarness();
}, 120_000);

afterAll(async () => {
	await h?.close();
});

/** A fresh email for each account the tests make. */
function nextEmail(): string {
	return `setup${++accounts}.e2e@example.com`;
}

/** The element's text with whitespace collapsed. */
async function textOf(target: Locator): Promise<string> {
	return ((await target.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

/** The code the authenticator app shows now (the server's clock), `offsetSteps` steps away. */
function codeNow(secret: string, offsetSteps = 0): string {
	return authenticatorCode(secret, h.now() + offsetSteps * STEP_MS);
}

/** A 6-digit code valid in no step within ±20 steps of now. */
function wrongCode(secret: string): string {
	const near = new Set(Array.from({ length: 41 }, (_, i) => codeNow(secret, i - 20)));
	return ["000000", "111111", "222222", "333333", "444444"].find((code) => !near.has(code))!;
}

/** Signs up in the dashboard's form (the browser is then signed in). */
async function signUp(w: WatchedPage, email: string): Promise<void> {
	await w.page.goto("/dashboard/sign-up");
	await w.page.locator("#email").fill(email);
	await w.page.locator("#password").fill(PASSWORD);
	await w.clickAndLoad(w.page.getByRole("button", { name: "Create account" }));
	expect(w.path()).toBe("/dashboard");
}

/** From signed in to steps 2-3 (the password confirmed). @returns the secret key as shown */
async function toScanStep(w: WatchedPage): Promise<string> {
	await w.page.goto("/dashboard/settings/security/two-factor/setup");
	await w.page.locator("#setup-password").fill(PASSWORD);
	await w.clickAndLoad(w.page.getByRole("button", { name: "Continue" }));
	await w.page.locator("#qr-code svg").waitFor();
	return ((await w.page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
}

/** From steps 2-3 to step 4 with the app's current code. @returns the recovery codes shown */
async function toCodesStep(w: WatchedPage, secret: string): Promise<string[]> {
	await w.page.locator("#code").fill(codeNow(secret));
	await w.clickAndLoad(w.page.getByRole("button", { name: "Verify and turn on" }));
	await w.page.getByRole("heading", { name: "Two-factor authentication is on" }).waitFor();
	return (await w.page.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
}

/** The box of an element in the viewport's coordinates. */
async function boxOf(target: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
	const box = await target.boundingBox();
	if (box === null) throw new Error("element not rendered");
	return box;
}

/**
 * A field refused with `message`: the text beside it (`<id>-error`), `aria-invalid`, the input
 * described by the error, and the focus on the input (so a screen reader reads label, value and
 * error).
 */
async function expectFieldError(page: Page, id: string, message: RegExp | string): Promise<void> {
	const error = page.locator(`#${id}-error`);
	await error.waitFor();
	if (typeof message === "string") expect(await textOf(error)).toBe(message);
	else expect(await textOf(error)).toMatch(message);
	const input = page.locator(`#${id}`);
	expect(await input.getAttribute("aria-invalid")).toBe("true");
	expect((await input.getAttribute("aria-describedby"))?.split(" ")).toContain(`${id}-error`);
	expect(await page.evaluate("document.activeElement?.id ?? null"), `the focus moves to #${id} (announced)`).toBe(id);
}

/** Presses Tab until `selector` has the focus (at most 60 times). */
async function tabTo(page: Page, selector: string): Promise<void> {
	for (let i = 0; i < 60; i++) {
		if (await page.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
		await page.keyboard.press("Tab");
	}
	throw new Error(`Tab never reached ${selector} on ${page.url()}`);
}

describe("setup on a phone", () => {
	it("390 px, a phone's browser: 'Open in authenticator app' and the key come before the QR code, in view at once; the link holds the QR code's key URI", async () => {
		const w = await h.newPage({ viewport: PHONE, userAgent: PHONE_USER_AGENT });
		const email = nextEmail();
		await signUp(w, email);
		const secret = await toScanStep(w);
		const { page } = w;
		const link = page.getByRole("link", { name: "Open in authenticator app" });
		await link.waitFor();
		expect(await page.evaluate("document.querySelector('dialog[open]').scrollTop")).toBe(0);
		const linkBox = await boxOf(link);
		const keyBox = await boxOf(page.locator("#secret-key"));
		const qrBox = await boxOf(page.locator("#qr-code"));
		expect(linkBox.y, "the link is above the QR code").toBeLessThan(qrBox.y);
		expect(keyBox.y, "the key is above the QR code").toBeLessThan(qrBox.y);
		expect(linkBox.y).toBeGreaterThanOrEqual(0);
		expect(linkBox.y + linkBox.height, "the link is in view without scrolling").toBeLessThanOrEqual(PHONE.height);
		expect(keyBox.y + keyBox.height, "the key is in view without scrolling").toBeLessThanOrEqual(PHONE.height);
		expect(qrBox.width, "the QR code no longer fills the screen").toBeLessThanOrEqual(200);
		expect(linkBox.width, "a full-width button").toBeGreaterThan(300);

		// The link's target is exactly what the QR code encodes, and it holds the key shown.
		const href = (await link.getAttribute("href")) ?? "";
		await page.locator("#qr-code").scrollIntoViewIfNeeded();
		const decoded = await decodeQRCodes(await page.locator("#qr-code").screenshot({ animations: "disabled" }));
		expect(decoded).toEqual([href]);
		const uri = new URL(href);
		expect(uri.protocol).toBe("otpauth:");
		expect(uri.host).toBe("totp");
		expect(decodeURIComponent(uri.pathname)).toBe(`/deadbolt:${email}`);
		expect(uri.searchParams.get("secret")).toBe(secret);
		await page.evaluate("document.querySelector('dialog[open]').scrollTop = 0");
		await w.expectGood("setup steps 2-3 on a phone");

		// Item 7 at setup: an expired code, then one wrong for this key, each beside the field.
		await page.locator("#code").fill(codeNow(secret, -2));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify and turn on" }));
		await expectFieldError(page, "code", /^That code has expired: codes change every 30 seconds\. Enter the code your app shows now\./);
		await w.expectGood("setup step 3 on a phone, an expired code");
		await page.locator("#code").fill(wrongCode(secret));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify and turn on" }));
		await expectFieldError(page, "code", `That code doesn't match this setup's key. In your app, use the entry for deadbolt (${email}) you just added (if there are several, the newest), or delete it and scan the QR code again.`);
		await page.locator("#code").fill(codeNow(secret, 6));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify and turn on" }));
		await expectFieldError(page, "code", /^That code is not valid right now\. Your device's clock seems to be about 3 minutes ahead\./);
		await w.expectGood("setup step 3 on a phone, a clock that is ahead");

		const codes = await toCodesStep(w, secret);
		expect(codes).toHaveLength(10);
		await w.expectGood("setup step 4 on a phone");
		await w.context.close();
	});

	it("a desktop window: the QR code first (its own column), the link offered beside it", async () => {
		const w = await h.newPage({ viewport: DESKTOP });
		await signUp(w, nextEmail());
		await toScanStep(w);
		const { page } = w;
		const qrBox = await boxOf(page.locator("#qr-code"));
		const linkBox = await boxOf(page.getByRole("link", { name: "Open in authenticator app" }));
		expect(qrBox.x + qrBox.width, "the QR code is in the first column").toBeLessThanOrEqual(linkBox.x);
		expect(qrBox.y, "the QR code starts the step").toBeLessThanOrEqual(linkBox.y);
		expect(qrBox.width).toBeGreaterThanOrEqual(180);
		expect(await page.locator(".qr-caption").innerText()).toBe("Scan with your phone's camera");
		expect(await page.evaluate("document.activeElement?.id ?? null"), "on a desktop the code field is focused").toBe("code");
		await w.expectGood("setup steps 2-3 on a desktop");
		await w.context.close();
	});
});

describe("setup's last step: the recovery codes are saved before Finish", () => {
	it("Finish is refused until they are; Copy, Print and Download each mark them saved; Escape and leaving are guarded; print shows only the codes", async () => {
		const w = await h.newPage({ viewport: DESKTOP });
		const email = nextEmail();
		await signUp(w, email);
		const codes = await toCodesStep(w, await toScanStep(w));
		const { page } = w;
		const dialog = page.locator("dialog#two-factor-setup");
		const saved = page.getByLabel("I have saved my recovery codes");
		for (const name of ["Download .txt", "Copy codes", "Print"]) await dialog.getByRole(name === "Download .txt" ? "link" : "button", { name, exact: true }).waitFor();
		expect(await saved.isChecked()).toBe(false);
		await w.expectGood("setup step 4");

		// Escape (twice: a browser may skip the cancel event the second time) leaves the dialog open.
		await page.keyboard.press("Escape");
		await page.keyboard.press("Escape");
		expect(await page.evaluate("document.querySelector('dialog#two-factor-setup').open")).toBe(true);
		await expect.poll(() => page.evaluate("document.querySelector('dialog#two-factor-setup')?.matches(':modal') ?? false")).toBe(true);

		// Finish with a right code but nothing saved: stopped, the error beside the box, which has the focus.
		await page.getByLabel("Type one of your recovery codes to finish").fill(codes[1]!);
		await page.getByRole("button", { name: "Finish" }).click();
		await expectFieldError(page, "codes-saved", "Save your recovery codes first (download, copy or print them), then tick this box.");
		expect(w.path()).toBe("/dashboard/settings/security/two-factor/confirm");
		await w.expectGood("setup step 4, Finish refused (not saved)");

		// Leaving now asks first (the codes are shown only once); dismissed, the page stays.
		const asked = new Promise<string>((resolve) => page.once("dialog", (prompt) => void prompt.dismiss().then(() => resolve(prompt.type()))));
		// (The page behind the modal is inert, so the way out is a navigation by script.)
		await page.evaluate("window.location.assign('/dashboard')");
		expect(await asked).toBe("beforeunload");
		expect(w.path()).toBe("/dashboard/settings/security/two-factor/confirm");
		expect(await page.locator("#recovery-codes li").count()).toBe(10);

		// Copy: the codes, one a line, and the box ticked (its error gone).
		await dialog.getByRole("button", { name: "Copy codes" }).click();
		await dialog.getByRole("button", { name: "Copied" }).waitFor();
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(codes.join("\n"));
		expect(await saved.isChecked()).toBe(true);
		expect(await page.locator("#codes-saved-error").count()).toBe(0);
		expect(await saved.getAttribute("aria-invalid")).toBeNull();
		await w.expectGood("setup step 4, codes copied");

		// Print: the browser's print dialog is asked for (stubbed here), and the box ticked.
		await saved.uncheck();
		await page.evaluate("window.printCalls = 0; window.print = () => { window.printCalls += 1; }");
		await dialog.getByRole("button", { name: "Print", exact: true }).click();
		expect(await page.evaluate("window.printCalls")).toBe(1);
		expect(await saved.isChecked()).toBe(true);

		// On paper: only the codes, under the product, the account and the date.
		await page.emulateMedia({ media: "print" });
		expect(await page.locator(".site-header").isVisible()).toBe(false);
		expect(await page.locator(".stepper").isVisible()).toBe(false);
		expect(await page.getByRole("button", { name: "Finish" }).isVisible()).toBe(false);
		expect(await page.locator(".success-banner").isVisible()).toBe(false);
		const sheet = await textOf(page.locator(".recovery-sheet__print"));
		expect(sheet).toContain("deadbolt recovery codes");
		expect(sheet).toContain(`Account: ${email}`);
		expect(sheet).toMatch(/Generated: \d{4}-\d{2}-\d{2}/);
		for (const code of codes) expect(await page.getByText(code, { exact: true }).isVisible()).toBe(true);
		await page.emulateMedia({ media: "screen" });
		expect(await page.locator(".recovery-sheet__print").isVisible()).toBe(false);

		// Download: the file holds every code, and the box is ticked.
		await saved.uncheck();
		const [download] = await Promise.all([page.waitForEvent("download"), dialog.getByRole("link", { name: "Download .txt" }).click()]);
		const text = readFileSync(await download.path());
		for (const code of codes) expect(text.toString("utf8")).toContain(code);
		expect(await saved.isChecked()).toBe(true);
		await w.expectGood("setup step 4, codes downloaded");

		// Saved and one typed back: done, without being asked about leaving.
		let prompted = false;
		page.on("dialog", (prompt) => {
			prompted = true;
			void prompt.dismiss();
		});
		await page.getByLabel("Type one of your recovery codes to finish").fill(codes[4]!);
		await w.clickAndLoad(page.getByRole("button", { name: "Finish" }));
		expect(w.path()).toMatch(SETUP_DONE);
		expect(prompted).toBe(false);
		await w.expectGood("Security page after the setup");
		await w.context.close();
	});

	it("by keyboard alone (Tab, Enter, Space), from the Security page to the end of the setup", async () => {
		const w = await h.newPage({ viewport: DESKTOP });
		const { page } = w;
		// Signing up, by keyboard too.
		await page.goto("/dashboard/sign-up");
		await tabTo(page, "#email");
		await page.keyboard.type(nextEmail());
		await tabTo(page, "#password");
		await page.keyboard.type(PASSWORD);
		await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
		expect(w.path()).toBe("/dashboard");
		await page.goto("/dashboard/settings/security");
		await tabTo(page, "a[href='/dashboard/settings/security/two-factor/setup']");
		await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
		// Step 1: the password field has the focus.
		expect(await page.evaluate("document.activeElement?.id")).toBe("setup-password");
		await page.keyboard.type(PASSWORD);
		await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
		// Steps 2-3: the link and the key's Copy button are reachable; then the code.
		await page.locator("#qr-code svg").waitFor();
		const secret = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		await tabTo(page, "#open-in-app");
		await tabTo(page, "button[data-copy-target='secret-key']");
		await page.keyboard.press("Space");
		await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toBe(secret);
		await tabTo(page, "#code");
		await page.keyboard.type(codeNow(secret));
		await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
		// Step 4: Copy by Space ticks the box; Space on the box unticks and ticks it again.
		const codes = (await page.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
		expect(codes).toHaveLength(10);
		await tabTo(page, "#copy-recovery-codes");
		await page.keyboard.press("Space");
		// (Copying is asynchronous: the box is ticked once the clipboard has the codes.)
		await expect.poll(() => page.locator("#codes-saved").isChecked()).toBe(true);
		await tabTo(page, "#codes-saved");
		await page.keyboard.press("Space");
		expect(await page.locator("#codes-saved").isChecked()).toBe(false);
		await page.keyboard.press("Space");
		expect(await page.locator("#codes-saved").isChecked()).toBe(true);
		await tabTo(page, "#saved-code");
		await page.keyboard.type(codes[7]!);
		await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
		expect(w.path()).toMatch(SETUP_DONE);
		await w.expectGood("Security page after a keyboard-only setup");
		await w.context.close();
	});
});

describe("re-authentication says which code is wrong and why", () => {
	it("turning 2FA off: a code already used, an expired one, a wrong one, a recovery code used up; each beside the field and focused", async () => {
		const w = await h.newPage({ viewport: DESKTOP });
		const email = nextEmail();
		await signUp(w, email);
		const secret = await toScanStep(w);
		const confirmingCode = codeNow(secret);
		await w.page.locator("#code").fill(confirmingCode);
		await w.clickAndLoad(w.page.getByRole("button", { name: "Verify and turn on" }));
		const codes = (await w.page.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
		await w.page.getByLabel("I have saved my recovery codes").check();
		await w.page.getByLabel("Type one of your recovery codes to finish").fill(codes[0]!);
		await w.clickAndLoad(w.page.getByRole("button", { name: "Finish" }));
		const { page } = w;

		/** Submits the "Turn off" dialog with the password and `code`. */
		const turnOff = async (code: string): Promise<void> => {
			await page.goto("/dashboard/settings/security/two-factor/disable");
			await page.locator("#disable-password").fill(PASSWORD);
			await page.locator("#disable-code").fill(code);
			await w.clickAndLoad(page.getByRole("button", { name: "Turn off" }));
		};

		await turnOff(confirmingCode);
		await expectFieldError(page, "disable-code", "That code was already used: each code works once. Wait for the next one in your authenticator app.");
		await w.expectGood("turn off 2FA, a code already used");

		h.advance(3 * STEP_MS);
		await turnOff(codeNow(secret, -2));
		await expectFieldError(page, "disable-code", /^That code has expired: codes change every 30 seconds\. Enter the code your app shows now\./);

		await turnOff(wrongCode(secret));
		await expectFieldError(page, "disable-code", `That code doesn't match your authenticator. Use the code your app shows for deadbolt (${email}), or one of your recovery codes.`);
		await w.expectGood("turn off 2FA, a wrong code");

		// A recovery code used at sign-in, then typed again here.
		await page.goto("/dashboard");
		await w.clickAndLoad(page.locator(".account-menu").getByRole("button", { name: "Sign out" }));
		await page.locator("#email").fill(email);
		await page.locator("#password").fill(PASSWORD);
		await w.clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		await w.clickAndLoad(page.getByRole("link", { name: "Use a recovery code instead" }));
		await page.locator("#recovery-code").fill(codes[3]!);
		await w.clickAndLoad(page.getByRole("button", { name: "Sign in with recovery code" }));
		h.advance(MINUTE_MS);
		await turnOff(codes[3]!);
		await expectFieldError(page, "disable-code", /^That recovery code was already used: each one works once\./);
		await w.expectGood("turn off 2FA, a recovery code used up");
		await w.context.close();
	});
});
