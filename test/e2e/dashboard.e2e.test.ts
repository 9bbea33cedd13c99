/**
 * End to end, in a real browser: the seed article's user journey through the dashboard.
 * deadbolt runs in-process on a random port with SQLite in a temporary directory; Chromium
 * (Debian's when installed, else the npm package `@sparticuz/chromium`'s, driven by
 * playwright-core) is the user; OATH Toolkit's `oathtool` (or, where it is not installed, the
 * npm package `otpauth`) is the authenticator app, computing codes from the secret key read off
 * the page; ZXing (`zxing-wasm`) scans the QR code from a screenshot, like a phone camera would.
 *
 * Journey: sign up -> sign out -> sign in (no 2FA: straight in) -> Security -> "Set up
 * two-factor authentication" -> wrong password (refused, still off) -> password -> QR code and
 * key -> wrong code (refused) -> right code -> 10 recovery codes -> sign out -> sign in: the
 * code step, no session yet -> wrong code (blocked) -> next step's code (the enrollment step
 * cannot be replayed) -> signed in with 2FA on -> sign out -> recovery code -> signed in, 9 left
 * -> sign out -> the same recovery code again -> refused. Then, account security (a second browser
 * context is another device, a phone): both sessions listed -> sign out the phone (its next page
 * is the sign-in page) -> "ten minutes later", outside the 5-minute sudo window (the server's
 * clock is moved, not the test's): change the password with a code in the same form (the other
 * sessions end) -> new recovery codes after "Confirm it's you" (an old code is refused at
 * sign-in, a new one works) -> sign out all other sessions -> the security activity in sentences
 * -> turn 2FA off with a code -> sign out everywhere (back to sign-in). Along the way: no error of any kind in
 * the console (CSP violations, script errors, a missing favicon or any other failed request),
 * no horizontal scrolling at a phone's width (390 px) on the sign-in pages, the Security page
 * and each of its dialogs, and a foreign-origin form post is refused even with the
 * token.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { buildApp } from "../../src/app.js";
import { authenticatorCode, AUTHENTICATOR_CODES_FROM } from "../helpers/authenticator-codes.js";
import { launchChromium } from "../helpers/chromium.js";
import { decodeQRCodes } from "../helpers/qr-decoder.js";

const OUTPUT_DIR = fileURLToPath(new URL("../../test-output/e2e/", import.meta.url));
const EMAIL = "ada.lovelace@example.com";
const PASSWORD = "correct horse battery staple 42";
const PERIOD_SECONDS = 30;
const DESKTOP = { width: 1280, height: 900 } as const;
/** A common phone (iPhone 12 to 15): the width the overflow checks use. */
const PHONE = { width: 390, height: 844 } as const;
/** The second device's browser: Safari on an iPhone. */
const PHONE_USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const NEW_PASSWORD = "a brand new passphrase for ada 2024";
const MINUTE_MS = 60_000;
/** The password after "I think my account is compromised". */
const THIRD_PASSWORD = "secured again: a third passphrase for ada";
/**
 * Home after a code sign-in: a code typed just as its 30-second step ends is accepted from the
 * previous step, and the home page then says the clock looks behind (`?clock=behind`).
 */
const HOME_AFTER_CODE = /^\/dashboard(\?clock=(ahead|behind))?$/;

/**
 * How far the server's clock runs ahead of the real one. Moving it forward is how the test lets
 * five minutes pass (the sudo window closes) and gets each TOTP step fresh (each works once).
 */
let clockOffset = 0;
function serverNow(): number {
	return Date.now() + clockOffset;
}

/** The service's messages, shown as they are by the dashboard. */
const WRONG_PASSWORD = "That password is not correct.";
const CODE_REFUSED = "That code is not valid or was already used. Wait for the next code in your authenticator app and try again.";
const RECOVERY_CODE_REFUSED = "That recovery code is not valid or was already used. Check it, or use another of your recovery codes.";

if (AUTHENTICATOR_CODES_FROM === "otpauth") console.info("[e2e] oathtool is not installed: the authenticator codes come from the npm package otpauth (sudo apt-get install -y oathtool uses OATH Toolkit)");

/**
 * The TOTP code an authenticator app shows for `secret` at `at` (RFC 6238, SHA-1, 6 digits, 30 s):
 * computed by `oathtool` when installed, else by `otpauth` (test/helpers/authenticator-codes.ts).
 */
function oathtool(secret: string, at: Date = new Date(serverNow())): string {
	return authenticatorCode(secret, at.getTime());
}

/** A 6-digit code that is valid in none of the steps the server could accept right now. */
function wrongCode(secret: string): string {
	const now = serverNow();
	const valid = new Set([-2, -1, 0, 1, 2].map((offset) => oathtool(secret, new Date(now + offset * PERIOD_SECONDS * 1000))));
	for (const candidate of ["000000", "123456", "999999", "424242"]) {
		if (!valid.has(candidate)) return candidate;
	}
	throw new Error("unreachable: four candidates all valid");
}

describe("dashboard, end to end in Chromium", () => {
	let dataDir: string;
	let deadbolt: Deadbolt;
	let app: FastifyInstance;
	let browser: Browser;
	let context: BrowserContext;
	let page: Page;
	let baseURL: string;
	/** Every console error, except a document's own deliberate error status (see below). */
	const consoleErrors: string[] = [];
	const pageErrors: string[] = [];
	/** Requests for anything other than the page itself that failed or answered 4xx/5xx (e.g. /favicon.ico). */
	const failedRequests: string[] = [];
	/** The status of each page (main-frame document) loaded, by URL. */
	const documentStatus = new Map<string, number>();

	beforeAll(async () => {
		dataDir = mkdtempSync(join(tmpdir(), "deadbolt-e2e-"));
		const config = loadConfig({ overrides: { dataDir, http: { port: 0 }, log: { level: "silent" }, rateLimit: { perMinute: 10_000 } } }); // the per-IP limit has its own HTTP test; one test browser makes many requests a minute
		deadbolt = await createDeadbolt(config, { clock: { now: serverNow } });
		app = await buildApp(deadbolt);
		await app.listen({ host: "127.0.0.1", port: 0 });
		const address = app.server.address();
		if (address === null || typeof address === "string") throw new Error("server has no TCP address");
		baseURL = `http://127.0.0.1:${address.port}`;

		browser = await launchChromium();
		context = await browser.newContext({ baseURL, viewport: DESKTOP, colorScheme: "light", locale: "en-US" });
		await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
		page = await context.newPage();
		page.on("response", (response) => {
			if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
				documentStatus.set(response.url(), response.status());
			} else if (response.status() >= 400) {
				failedRequests.push(`${response.status()} ${response.url()}`);
			}
		});
		page.on("requestfailed", (request) => {
			const reason = request.failure()?.errorText ?? "failed";
			// Cancelled because the test moved on to the next page: not a failure of the page.
			if (reason !== "net::ERR_ABORTED") failedRequests.push(`${reason} ${request.url()}`);
		});
		page.on("console", (message) => {
			if (message.type() !== "error") return;
			// A refused form answers 400/401/429 with the form and its error, on purpose; Chromium
			// logs that status of the page itself as "Failed to load resource". Only that is allowed.
			const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
			// (A form posted to "path#card" logs its URL with the fragment; the response has none.)
			if (status !== null && documentStatus.get(message.location().url.split("#")[0] ?? "") === Number(status[1])) return;
			consoleErrors.push(`${message.location().url}: ${message.text()}`);
		});
		page.on("pageerror", (error) => pageErrors.push(error.message));
		mkdirSync(OUTPUT_DIR, { recursive: true });
	});

	afterAll(async () => {
		await browser?.close();
		await app?.close();
		await deadbolt?.close();
		if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
	});

	/** Clicks something that submits a form or follows a link, and waits for the next page to load. */
	async function clickAndLoad(target: Locator): Promise<void> {
		await Promise.all([page.waitForNavigation({ waitUntil: "load" }), target.click()]);
	}

	/** Waits until the element is visible (or fails after the default timeout). */
	async function visible(target: Locator): Promise<void> {
		await target.waitFor({ state: "visible", timeout: 10_000 });
	}

	/** The element's text with whitespace collapsed. */
	async function textOf(target: Locator): Promise<string> {
		return ((await target.textContent()) ?? "").replace(/\s+/g, " ").trim();
	}

	/**
	 * The status of `GET /api/v1/session` with the browser's cookies. Sent beside the page (the
	 * context's request client shares its cookie jar), so the expected 401 is no console error.
	 */
	async function sessionStatus(): Promise<number> {
		return (await page.request.get("/api/v1/session", { maxRedirects: 0 })).status();
	}

	async function signOut(): Promise<void> {
		await clickAndLoad(page.locator(".account-menu").getByRole("button", { name: "Sign out" }));
		expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/dashboard/sign-in?notice=signed-out");
		await visible(page.getByText("You have signed out."));
		expect(await sessionStatus()).toBe(401);
	}

	async function submitPassword(): Promise<void> {
		await page.goto("/dashboard/sign-in");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill(PASSWORD);
		await clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
	}

	/**
	 * At a phone's width the page, and the open dialog if any, need no horizontal scrolling.
	 * With `keep`, the phone width stays (for a page about to be loaded at that width).
	 */
	async function expectFitsPhone(what: string, keep = false): Promise<void> {
		// Also lets the page finish its own requests (the favicon comes after "load"), so a
		// failed one shows up in the console checks instead of being cut off by the next page.
		await page.waitForLoadState("networkidle");
		// Headless Chromium never asks for /favicon.ico by itself, as a desktop browser does when
		// a page names no icon: so check that each page names the dashboard's own.
		expect(await page.locator("head link[rel='icon']").getAttribute("href"), `${what}: the favicon link`).toBe("/dashboard/assets/favicon.svg");
		await page.setViewportSize(PHONE);
		const widths = await page.evaluate<{ page: [number, number]; dialog: [number, number] | null }>(`(() => {
			const root = document.documentElement;
			const dialog = document.querySelector("dialog[open]");
			return { page: [root.scrollWidth, root.clientWidth], dialog: dialog === null ? null : [dialog.scrollWidth, dialog.clientWidth] };
		})()`);
		expect(widths.page[0], `${what}: the page scrolls sideways at ${PHONE.width} px`).toBeLessThanOrEqual(widths.page[1]);
		expect(widths.page[1]).toBe(PHONE.width);
		if (widths.dialog !== null) expect(widths.dialog[0], `${what}: the dialog scrolls sideways at ${PHONE.width} px`).toBeLessThanOrEqual(widths.dialog[1]);
		if (!keep) await page.setViewportSize(DESKTOP);
	}

	/** Shared by the two parts of the journey. */
	let secret = "";
	let recoveryCodes: string[] = [];

	/** A well-formed recovery code that is none of `codes`. */
	function wrongRecoveryCode(codes: readonly string[]): string {
		const candidate = "ZZZZ-ZZZZ-ZZZZ";
		return codes.includes(candidate) ? "YYYY-YYYY-YYYY" : candidate;
	}

	function pathOf(): string {
		const url = new URL(page.url());
		return url.pathname + url.search;
	}

	it("sets up two-factor authentication and signs in with a code and with a recovery code", async () => {
		// Sign up (a refused password keeps the email in the field).
		await page.goto("/dashboard");
		expect(pathOf()).toBe("/dashboard/sign-in");
		await clickAndLoad(page.getByRole("link", { name: "Create an account" }));
		expect(pathOf()).toBe("/dashboard/sign-up");
		expect(await page.locator("#email").getAttribute("autocomplete")).toBe("email");
		expect(await page.locator("#password").getAttribute("autocomplete")).toBe("new-password");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill("short");
		await clickAndLoad(page.getByRole("button", { name: "Create account" }));
		await visible(page.locator("#password-error"));
		expect(await page.locator("#email").inputValue()).toBe(EMAIL);
		await page.locator("#password").fill(PASSWORD);
		await clickAndLoad(page.getByRole("button", { name: "Create account" }));
		expect(pathOf()).toBe("/dashboard");
		await visible(page.getByRole("heading", { name: "Your account" }));
		expect(await textOf(page.locator("#two-factor-status"))).toContain("Two-factor authentication is off");
		expect(await sessionStatus()).toBe(200);

		// Sign out, then sign in with the password alone (no 2FA yet): straight to the account.
		await signOut();
		await expectFitsPhone("sign-in page");
		expect(await page.locator("#email").getAttribute("autocomplete")).toBe("email");
		expect(await page.locator("#password").getAttribute("autocomplete")).toBe("current-password");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill("not the password");
		await clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		expect(await textOf(page.getByRole("alert"))).toBe("The email or password is incorrect.");
		expect(await page.locator("#email").inputValue()).toBe(EMAIL);
		await page.locator("#password").fill(PASSWORD);
		await clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		expect(pathOf()).toBe("/dashboard");
		expect(await textOf(page.locator("#two-factor-status"))).toContain("off");

		// A form posted from another origin is refused even with a valid token, and changes nothing.
		const token = await page.locator("form[action='/dashboard/sign-out'] input[name='csrf']").inputValue();
		const forged = await page.request.post("/dashboard/sign-out", { form: { csrf: token }, headers: { origin: "https://evil.example" }, maxRedirects: 0 });
		expect(forged.status()).toBe(403);
		expect(await forged.text()).toContain("This form came from another site");
		expect(await sessionStatus()).toBe(200);

		// Settings > Security > "Set up two-factor authentication".
		await clickAndLoad(page.getByRole("link", { name: "Security", exact: true }));
		expect(pathOf()).toBe("/dashboard/settings/security");
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is off");
		await expectFitsPhone("Security page, 2FA off");
		await clickAndLoad(page.getByRole("link", { name: "Set up two-factor authentication" }));
		const dialog = page.locator("dialog#two-factor-setup");
		await visible(dialog);
		await visible(dialog.getByRole("heading", { name: "Confirm your password" }));
		await expectFitsPhone("setup step 1");

		// Step 1 with a wrong password: an error, and 2FA is still off.
		await dialog.locator("#setup-password").fill("wrong password");
		await clickAndLoad(dialog.getByRole("button", { name: "Continue" }));
		expect(await textOf(dialog.locator("#setup-password-error"))).toBe(WRONG_PASSWORD);
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is off");
		expect(await page.locator("#qr-code").count()).toBe(0);
		await expectFitsPhone("setup step 1 with an error");

		// Step 1 with the right password: steps 2 and 3, the QR code and the secret key. Loaded on
		// a phone: the code field is not focused, so the dialog opens at its top with the QR code.
		await dialog.locator("#setup-password").fill(PASSWORD);
		await page.setViewportSize(PHONE);
		await clickAndLoad(dialog.getByRole("button", { name: "Continue" }));
		await visible(dialog.getByRole("heading", { name: "Scan the QR code" }));
		await visible(page.locator("#qr-code svg"));
		expect(await page.evaluate("document.activeElement?.id ?? null")).not.toBe("code");
		expect(await page.evaluate("document.querySelector('dialog[open]').scrollTop")).toBe(0);
		const qrInView = await page.evaluate<boolean>(`(() => {
			const qr = document.getElementById("qr-code").getBoundingClientRect();
			const box = document.querySelector("dialog[open]").getBoundingClientRect();
			return qr.top >= box.top && qr.bottom <= Math.min(box.bottom, window.innerHeight);
		})()`);
		expect(qrInView, "the QR code is in view when steps 2-3 open on a phone").toBe(true);
		await expectFitsPhone("setup steps 2-3");
		await visible(dialog.getByText("Can't scan? Enter the key manually"));
		expect(await dialog.locator("#code").getAttribute("autocomplete")).toBe("one-time-code");
		expect(await dialog.locator("#code").getAttribute("inputmode")).toBe("numeric");
		await page.screenshot({ path: join(OUTPUT_DIR, "setup-qr-step.png"), animations: "disabled" });

		secret = (await textOf(page.locator("#secret-key"))).replace(/\s+/g, "");
		expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes of base32

		// The QR code, scanned off the screen, holds the same key for this account and issuer.
		const qrImage = join(OUTPUT_DIR, "setup-qr-code.png");
		await page.locator("#qr-code").screenshot({ path: qrImage, animations: "disabled" });
		const decoded = await decodeQRCodes(readFileSync(qrImage));
		expect(decoded).toHaveLength(1);
		const uri = new URL(decoded[0]!);
		expect(uri.protocol).toBe("otpauth:");
		expect(uri.host).toBe("totp");
		expect(decodeURIComponent(uri.pathname)).toBe(`/deadbolt:${EMAIL}`);
		expect(uri.searchParams.get("secret")).toBe(secret);
		expect(uri.searchParams.get("issuer")).toBe("deadbolt");

		// The Copy button copies the key (without the spaces) and says so.
		await dialog.getByRole("button", { name: "Copy", exact: true }).click();
		await visible(dialog.getByRole("button", { name: "Copied" }));
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);

		// Step 3 with a wrong code: refused, the same key is shown again, 2FA still off.
		await dialog.locator("#code").fill(wrongCode(secret));
		await clickAndLoad(dialog.getByRole("button", { name: "Verify and turn on" }));
		expect(await textOf(dialog.locator("#code-error"))).toBe(CODE_REFUSED);
		expect((await textOf(page.locator("#secret-key"))).replace(/\s+/g, "")).toBe(secret);
		await expectFitsPhone("setup steps 2-3 with an error");
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is off");

		// Step 3 with the authenticator's code: step 4, two-factor authentication is on.
		await dialog.locator("#code").fill(oathtool(secret));
		await clickAndLoad(dialog.getByRole("button", { name: "Verify and turn on" }));
		await visible(dialog.getByRole("heading", { name: "Two-factor authentication is on" }));
		const codeItems = page.locator("#recovery-codes li");
		expect(await codeItems.count()).toBe(10);
		recoveryCodes = (await codeItems.allTextContents()).map((code) => code.trim());
		expect(new Set(recoveryCodes).size).toBe(10);
		for (const code of recoveryCodes) expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){2}$/);
		await page.screenshot({ path: join(OUTPUT_DIR, "setup-recovery-codes-step.png"), animations: "disabled" });
		await expectFitsPhone("setup step 4", true);
		await page.screenshot({ path: join(OUTPUT_DIR, "setup-recovery-codes-step-phone.png"), animations: "disabled" });
		await page.setViewportSize(DESKTOP);

		// The download holds the issuer, the email and every code; Copy copies them one a line.
		const downloadLink = page.locator("#download-recovery-codes");
		expect(await downloadLink.getAttribute("download")).toBe("deadbolt-recovery-codes.txt");
		const href = (await downloadLink.getAttribute("href")) ?? "";
		const prefix = "data:text/plain;charset=utf-8,";
		expect(href.startsWith(prefix)).toBe(true);
		const text = decodeURIComponent(href.slice(prefix.length));
		expect(text).toContain("deadbolt recovery codes");
		expect(text).toContain(EMAIL);
		for (const code of recoveryCodes) expect(text).toContain(code);
		await dialog.getByRole("button", { name: "Copy codes" }).click();
		await visible(dialog.getByRole("button", { name: "Copied" }));
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(recoveryCodes.join("\n"));

		// No plain "Done": the user types back one of the codes they saved. The form carries only
		// a nonce and hashes, never the codes.
		expect(await dialog.getByRole("link", { name: "Done" }).count()).toBe(0);
		const nonce = (await dialog.locator("input[name='nonce']").inputValue());
		const hashes = (await dialog.locator("input[name='hashes']").inputValue());
		expect(nonce).toMatch(/^[0-9a-f]{64}$/);
		expect(hashes.split(".")).toHaveLength(10);
		for (const code of recoveryCodes) expect(hashes).not.toContain(code.replace(/-/g, ""));

		// A wrong code: refused with a way out; the codes are not sent again, the proof is.
		const savedField = dialog.getByLabel("Type one of your recovery codes to finish");
		await savedField.fill(wrongRecoveryCode(recoveryCodes));
		await clickAndLoad(dialog.getByRole("button", { name: "Finish" }));
		expect(pathOf()).toBe("/dashboard/settings/security/two-factor/saved");
		expect(await textOf(dialog.locator("#saved-code-error"))).toBe("That doesn't match any of your recovery codes. Check the copy you saved.");
		expect(await page.locator("#recovery-codes li").count()).toBe(0);
		const pageHtml = await page.content();
		for (const code of recoveryCodes) expect(pageHtml).not.toContain(code);
		expect(await dialog.locator("input[name='nonce']").inputValue()).toBe(nonce);
		expect(await dialog.locator("input[name='hashes']").inputValue()).toBe(hashes);
		const lost = dialog.getByRole("button", { name: "I've lost them: generate new codes" });
		await visible(lost);
		expect(await dialog.locator("form[action='/dashboard/settings/security/recovery-codes'][method='post'] #regenerate-lost-codes").count()).toBe(1);
		await expectFitsPhone("setup step 4, code not matched");

		// One of the saved codes, typed loosely (upper case, spaces): 2FA on, the code still unused.
		await dialog.getByLabel("Type one of your recovery codes to finish").fill(recoveryCodes[3]!.toUpperCase().replace(/-/g, " "));
		await clickAndLoad(dialog.getByRole("button", { name: "Finish" }));
		expect(pathOf()).toBe("/dashboard/settings/security?done=two-factor-on");
		expect(await textOf(page.locator("#two-factor-notice"))).toBe("Two-factor authentication is on. Keep your recovery codes safe.");
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is on");
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe("10 of 10 left");
		// It promises only what this version does: no warning with 10 codes, and the advice.
		expect(await page.locator("#recovery-codes-warning").count()).toBe(0);
		const advice = await textOf(page.locator("#two-factor-advice"));
		expect(advice).toContain("Keep your recovery codes safe");
		expect(advice).toContain("Move to a new phone");
		expect(advice).toContain("Your recovery codes stay the same.");
		await expectFitsPhone("Security page, 2FA on");

		// Sign in again: the password alone now leads to the code step, and makes no session.
		await signOut();
		await submitPassword();
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		await visible(page.getByLabel("Enter the 6-digit code from your authenticator app"));
		expect(await textOf(page.locator("#code-hint"))).toContain("If a code is refused, wait for the next one: each code works once.");
		await expectFitsPhone("sign-in code page");
		expect(await page.locator("#code").getAttribute("autocomplete")).toBe("one-time-code");
		expect(await page.locator("#code").getAttribute("inputmode")).toBe("numeric");
		expect(await sessionStatus()).toBe(401);
		await page.goto("/dashboard");
		expect(pathOf()).toBe("/dashboard/sign-in"); // the account pages are not reachable either
		await page.goto("/dashboard/sign-in/code");

		// A wrong code is blocked.
		await page.locator("#code").fill(wrongCode(secret));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(await textOf(page.locator("#code-error"))).toBe(CODE_REFUSED);
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		expect(await sessionStatus()).toBe(401);

		// The enrollment's time step cannot be used again (replay protection), so the
		// authenticator code of the NEXT step is entered; the server accepts one step of drift.
		await page.locator("#code").fill(oathtool(secret, new Date(serverNow() + PERIOD_SECONDS * 1000)));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(pathOf()).toMatch(HOME_AFTER_CODE);
		expect(await textOf(page.locator("#two-factor-status"))).toContain("Two-factor authentication is on");
		expect(await sessionStatus()).toBe(200);

		// Sign in with a recovery code instead: signed in, 9 left.
		await signOut();
		await submitPassword();
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		await clickAndLoad(page.getByRole("link", { name: "Use a recovery code instead" }));
		expect(pathOf()).toBe("/dashboard/sign-in/recovery-code");
		const usedCode = recoveryCodes[0] as string;
		await page.locator("#recovery-code").fill(usedCode);
		await clickAndLoad(page.getByRole("button", { name: "Sign in with recovery code" }));
		expect(pathOf()).toBe("/dashboard?signed-in-with=recovery-code");
		expect(await textOf(page.locator("#recovery-notice"))).toContain("9 recovery codes left");
		expect(await sessionStatus()).toBe(200);

		// The same recovery code a second time is refused.
		await signOut();
		await submitPassword();
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		await clickAndLoad(page.getByRole("link", { name: "Use a recovery code instead" }));
		await page.locator("#recovery-code").fill(usedCode);
		await clickAndLoad(page.getByRole("button", { name: "Sign in with recovery code" }));
		expect(await textOf(page.locator("#recovery-code-error"))).toBe(RECOVERY_CODE_REFUSED);
		expect(pathOf()).toBe("/dashboard/sign-in/recovery-code");
		expect(await sessionStatus()).toBe(401);

		// The favicon every page links is served (so no browser needs to ask for /favicon.ico).
		const favicon = await page.request.get("/dashboard/assets/favicon.svg");
		expect(favicon.status()).toBe(200);
		expect(favicon.headers()["content-type"]).toBe("image/svg+xml");

		expectNoConsoleErrors();
	});

	/** No page logged an error to the console (CSP violation, missing favicon, failed request) or threw, and every request a page made succeeded. */
	function expectNoConsoleErrors(): void {
		expect(consoleErrors).toEqual([]);
		expect(pageErrors).toEqual([]);
		expect(failedRequests).toEqual([]);
	}

	it("manages sessions, the password, recovery codes and two-factor authentication from the Security page", async () => {
		expect(secret, "the first part of the journey ran").not.toBe("");
		// Ten minutes later: every code below belongs to a time step not used yet.
		clockOffset += 10 * MINUTE_MS;

		// Another device, a phone, signs in with the password and a recovery code.
		const phoneContext = await browser.newContext({ baseURL, viewport: PHONE, userAgent: PHONE_USER_AGENT, locale: "en-US", colorScheme: "light" });
		const phone = await phoneContext.newPage();
		const phoneErrors: string[] = [];
		phone.on("pageerror", (error) => phoneErrors.push(error.message));
		const phoneClick = async (target: Locator) => {
			await Promise.all([phone.waitForNavigation({ waitUntil: "load" }), target.click()]);
		};
		const phonePath = (): string => new URL(phone.url()).pathname;
		/** Password, then "Use a recovery code instead", then the code. */
		const phoneSignIn = async (password: string, recoveryCode: string) => {
			await phone.goto("/dashboard/sign-in");
			await phone.locator("#email").fill(EMAIL);
			await phone.locator("#password").fill(password);
			await phoneClick(phone.getByRole("button", { name: "Sign in", exact: true }));
			expect(phonePath()).toBe("/dashboard/sign-in/code");
			await phoneClick(phone.getByRole("link", { name: "Use a recovery code instead" }));
			await phone.locator("#recovery-code").fill(recoveryCode);
			await phoneClick(phone.getByRole("button", { name: "Sign in with recovery code" }));
		};
		await phoneSignIn(PASSWORD, recoveryCodes[1] as string);
		expect(phonePath()).toBe("/dashboard");

		// This computer signs in with the password and the authenticator's code.
		await submitPassword();
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		await page.locator("#code").fill(oathtool(secret));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(pathOf()).toMatch(HOME_AFTER_CODE);
		await clickAndLoad(page.getByRole("link", { name: "Security", exact: true }));

		// "Where you're signed in": both sessions, this one marked "This device".
		const sessions = page.locator("#session-list > li");
		expect(await sessions.count()).toBe(2);
		const thisDevice = sessions.filter({ hasText: "This device" });
		expect(await thisDevice.count()).toBe(1);
		expect(await textOf(thisDevice)).toContain("127.0.0.1");
		expect(await textOf(thisDevice)).toContain("Active now");
		expect(await thisDevice.getByRole("button").count()).toBe(0);
		const phoneSession = sessions.filter({ hasText: "Safari on iOS" });
		expect(await phoneSession.count()).toBe(1);
		expect(await textOf(phoneSession)).toMatch(/Signed in .+ UTC/);
		expect(await textOf(phoneSession)).toMatch(/Last active .+ UTC/);
		await page.screenshot({ path: join(OUTPUT_DIR, "security-page.png"), fullPage: true, animations: "disabled" });
		await expectFitsPhone("Security page with two sessions", true);
		await page.screenshot({ path: join(OUTPUT_DIR, "security-page-phone.png"), fullPage: true, animations: "disabled" });
		for (const card of ["two-factor", "password", "sessions", "activity"]) {
			await page.locator(`#${card}`).screenshot({ path: join(OUTPUT_DIR, `security-${card}-phone.png`), animations: "disabled" });
		}
		await page.setViewportSize(DESKTOP);

		// Sign out the phone: gone from the list, and its next page load is the sign-in page.
		await clickAndLoad(phoneSession.getByRole("button", { name: /^Sign out/ }));
		expect(pathOf()).toBe("/dashboard/settings/security?done=session-revoked");
		expect(await textOf(page.locator("#sessions-notice"))).toContain("Signed out that session.");
		expect(await sessions.count()).toBe(1);
		await phone.goto("/dashboard/settings/security");
		expect(phonePath()).toBe("/dashboard/sign-in");
		await phoneSignIn(PASSWORD, recoveryCodes[2] as string);
		expect(phonePath()).toBe("/dashboard");

		// Ten minutes later, outside the 5-minute sudo window: with 2FA on, the password form asks
		// for a code too. A refused new password keeps the confirmation: no code asked again.
		clockOffset += 10 * MINUTE_MS;
		await page.goto("/dashboard/settings/security");
		const passwordCard = page.locator("section#password");
		expect(await passwordCard.locator("#current-password").getAttribute("autocomplete")).toBe("current-password");
		expect(await passwordCard.locator("#new-password").getAttribute("autocomplete")).toBe("new-password");
		await visible(passwordCard.getByText("Confirm it's you"));
		await passwordCard.screenshot({ path: join(OUTPUT_DIR, "password-with-code.png"), animations: "disabled" });
		await passwordCard.locator("#current-password").fill(PASSWORD);
		await passwordCard.locator("#new-password").fill("short");
		await passwordCard.locator("#password-code").fill(oathtool(secret));
		await clickAndLoad(passwordCard.getByRole("button", { name: "Change password" }));
		await visible(passwordCard.locator("#new-password-error"));
		expect(await textOf(passwordCard.locator("#new-password-error"))).toMatch(/at least \d+ characters/i);
		expect(await passwordCard.locator("#password-code").count()).toBe(0);
		await expectFitsPhone("password form with an error");
		await passwordCard.locator("#current-password").fill(PASSWORD);
		await passwordCard.locator("#new-password").fill(NEW_PASSWORD);
		await clickAndLoad(passwordCard.getByRole("button", { name: "Change password" }));
		expect(pathOf()).toBe("/dashboard/settings/security?done=password-changed&n=1");
		expect(await textOf(page.locator("#password-notice"))).toBe("Your password has been changed. For your security, we signed you out on 1 other session.");
		await phone.goto("/dashboard");
		expect(phonePath()).toBe("/dashboard/sign-in");

		// Ten minutes later: new recovery codes need "Confirm it's you" (a wrong password first).
		clockOffset += 10 * MINUTE_MS;
		await page.goto("/dashboard/settings/security");
		await clickAndLoad(page.getByRole("button", { name: "Generate new recovery codes" }));
		const confirm = page.locator("dialog#reauthenticate");
		await visible(confirm.getByRole("heading", { name: "Confirm it's you" }));
		expect(await confirm.locator("input[name='action']").inputValue()).toBe("regenerate-recovery-codes");
		expect(await confirm.locator("#reauth-password").getAttribute("autocomplete")).toBe("current-password");
		await expectFitsPhone("Confirm it's you dialog");
		await page.screenshot({ path: join(OUTPUT_DIR, "confirm-dialog.png"), animations: "disabled" });
		await confirm.locator("#reauth-password").fill(PASSWORD);
		await confirm.locator("#reauth-code").fill(oathtool(secret));
		await clickAndLoad(confirm.getByRole("button", { name: "Confirm and generate codes" }));
		expect(await textOf(confirm.locator("#reauth-password-error"))).toBe(WRONG_PASSWORD);
		await expectFitsPhone("Confirm it's you dialog with an error");
		await confirm.locator("#reauth-password").fill(NEW_PASSWORD);
		await confirm.locator("#reauth-code").fill(oathtool(secret));
		await clickAndLoad(confirm.getByRole("button", { name: "Confirm and generate codes" }));
		const codesDialog = page.locator("dialog#new-recovery-codes");
		await visible(codesDialog.getByRole("heading", { name: "Save your new recovery codes" }));
		const newCodes = (await codesDialog.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
		expect(newCodes).toHaveLength(10);
		for (const code of newCodes) expect(recoveryCodes).not.toContain(code);
		const download = decodeURIComponent(((await codesDialog.locator("#download-recovery-codes").getAttribute("href")) ?? "").replace(/^data:text\/plain;charset=utf-8,/, ""));
		for (const code of newCodes) expect(download).toContain(code);
		await codesDialog.getByRole("button", { name: "Copy codes" }).click();
		await visible(codesDialog.getByRole("button", { name: "Copied" }));
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(newCodes.join("\n"));
		await page.screenshot({ path: join(OUTPUT_DIR, "new-recovery-codes.png"), animations: "disabled" });
		await expectFitsPhone("new recovery codes dialog", true);
		await page.screenshot({ path: join(OUTPUT_DIR, "new-recovery-codes-phone.png"), animations: "disabled" });
		await page.setViewportSize(DESKTOP);
		await clickAndLoad(codesDialog.getByRole("link", { name: "Done" }));
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe("10 of 10 left");

		// On the phone: an old recovery code is refused at sign-in, a new one works.
		await phoneSignIn(NEW_PASSWORD, recoveryCodes[3] as string);
		expect(phonePath()).toBe("/dashboard/sign-in/recovery-code");
		expect(await textOf(phone.locator("#recovery-code-error"))).toBe(RECOVERY_CODE_REFUSED);
		await phone.locator("#recovery-code").fill(newCodes[0] as string);
		await phoneClick(phone.getByRole("button", { name: "Sign in with recovery code" }));
		expect(phonePath()).toBe("/dashboard");

		// Still in the sudo window: "Sign out all other sessions" happens at once.
		await page.goto("/dashboard/settings/security");
		expect(await sessions.count()).toBe(2);
		await clickAndLoad(page.getByRole("button", { name: "Sign out all other sessions" }));
		expect(await textOf(page.locator("#sessions-notice"))).toBe("Signed out 1 other session. Only this device is still signed in.");
		expect(await sessions.count()).toBe(1);
		await phone.goto("/dashboard");
		expect(phonePath()).toBe("/dashboard/sign-in");

		// Security activity: newest first, one sentence each, with time (UTC), IP address and device.
		const activity = page.locator("#activity-list > li");
		expect(await activity.count()).toBe(20);
		const sentences = (await activity.locator(".activity__what").allTextContents()).map((text) => text.trim());
		expect(sentences[0]).toBe("Signed out all other sessions (1)");
		expect(sentences).toEqual(
			expect.arrayContaining([
				"Signed in with password and recovery code",
				"Wrong authenticator or recovery code entered",
				"New recovery codes generated (the old ones stopped working)",
				"Confirmed it's you with password and authenticator code",
				"Wrong password entered",
				"Password changed",
				"Signed out a session on another device",
				"Signed in with password and authenticator code",
			]),
		);
		expect(await textOf(activity.first())).toMatch(/^Signed out all other sessions \(1\) \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC · 127\.0\.0\.1 · /);
		await page.locator("#activity").screenshot({ path: join(OUTPUT_DIR, "security-activity.png"), animations: "disabled" });

		// "Remember this device": ticked at the code step, the next sign-in needs only the password.
		clockOffset += MINUTE_MS;
		const trustedCookie = async () => (await context.cookies()).find((cookie) => cookie.name === "deadbolt_trusted_device") ?? null;
		const passwordStep = async (password: string) => {
			await page.goto("/dashboard/sign-in");
			await page.locator("#email").fill(EMAIL);
			await page.locator("#password").fill(password);
			await clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		};
		await signOut();
		await passwordStep(NEW_PASSWORD);
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		const remember = page.getByLabel("Remember this device for 30 days");
		expect(await remember.isChecked()).toBe(false);
		expect(await textOf(page.locator("#remember-device-hint"))).toBe("You'll still need your password. Don't use this on a shared computer.");
		await expectFitsPhone("sign-in code page with Remember this device", true);
		await page.screenshot({ path: join(OUTPUT_DIR, "sign-in-code-remember-phone.png"), animations: "disabled" });
		await page.setViewportSize(DESKTOP);
		// Three steps on: the previous step's code below is surely one no earlier sign-in used.
		clockOffset += 3 * PERIOD_SECONDS * 1000;
		// A code from five steps back (a phone clock 2.5 minutes slow) is refused with the clock hint; the box stays ticked.
		// (At sign-in only a clock that is behind is reported: a hint for a future step would tell a guesser they hold a later code.)
		await remember.check();
		await page.locator("#code").fill(oathtool(secret, new Date(serverNow() - 5 * PERIOD_SECONDS * 1000)));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(await textOf(page.locator("#code-error"))).toMatch(/^That code is not valid right now\. Your device's clock seems to be about \d+ (seconds|minutes) behind\. Turn on automatic date and time/);
		expect(await page.getByLabel("Remember this device for 30 days").isChecked()).toBe(true);
		await page.screenshot({ path: join(OUTPUT_DIR, "sign-in-code-clock-hint.png"), animations: "disabled" });
		// The previous step's code (a phone clock a little behind) is accepted, and the home page says so.
		await page.locator("#code").fill(oathtool(secret, new Date(serverNow() - PERIOD_SECONDS * 1000)));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(pathOf()).toMatch(/^\/dashboard\?clock=(behind|ahead)$/);
		expect(await textOf(page.locator("#clock-notice"))).toMatch(/^Your device's clock seems to be a little (behind|ahead)\. The code worked/);
		const cookie = await trustedCookie();
		expect(cookie?.httpOnly).toBe(true);
		expect(cookie?.sameSite).toBe("Lax");
		expect(cookie?.expires ?? 0).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
		// Free text in the URL never reaches the page: only the two fixed words do anything.
		await page.goto("/dashboard?clock=%3Cb%3Eyour%20clock%20is%20broken%3C%2Fb%3E");
		expect(await page.locator("#clock-notice").count()).toBe(0);

		// Signed out, the password alone now goes straight to the account (and the token is rotated).
		await signOut();
		await passwordStep(NEW_PASSWORD);
		expect(pathOf()).toBe("/dashboard");
		expect((await trustedCookie())?.value).not.toBe(cookie?.value);

		// The Security page lists it as this device; "Forget" it.
		await clickAndLoad(page.getByRole("link", { name: "Security", exact: true }));
		const devices = page.locator("#device-list > li");
		expect(await devices.count()).toBe(1);
		expect(await textOf(devices.first())).toMatch(/This device .*127\.0\.0\.1 · Remembered .+ UTC · Last used .+ UTC · Until .+ UTC/);
		await page.locator("#devices").screenshot({ path: join(OUTPUT_DIR, "security-devices.png"), animations: "disabled" });
		await expectFitsPhone("Security page with a remembered device", true);
		await page.locator("#devices").screenshot({ path: join(OUTPUT_DIR, "security-devices-phone.png"), animations: "disabled" });
		await page.locator("#compromised").screenshot({ path: join(OUTPUT_DIR, "security-compromised-phone.png"), animations: "disabled" });
		await page.setViewportSize(DESKTOP);
		await page.locator("#compromised").screenshot({ path: join(OUTPUT_DIR, "security-compromised.png"), animations: "disabled" });
		const activitySentences = (await page.locator("#activity-list .activity__what").allTextContents()).map((text) => text.trim());
		expect(activitySentences).toContain("This device was remembered");
		await clickAndLoad(devices.first().getByRole("button", { name: /^Forget/ }));
		expect(pathOf()).toBe("/dashboard/settings/security?done=device-forgotten");
		expect(await textOf(page.locator("#devices-notice"))).toContain("Forgot that device.");
		expect(await devices.count()).toBe(0);
		expect(await textOf(page.locator("#activity-list .activity__what").first())).toBe("A remembered device was forgotten");

		// The next sign-in asks for the code again (and drops the dead token). Remember it once more.
		clockOffset += MINUTE_MS;
		await signOut();
		await passwordStep(NEW_PASSWORD);
		expect(pathOf()).toBe("/dashboard/sign-in/code");
		expect(await trustedCookie()).toBeNull();
		await page.getByLabel("Remember this device for 30 days").check();
		await page.locator("#code").fill(oathtool(secret));
		await clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(pathOf()).toMatch(HOME_AFTER_CODE);
		expect(await trustedCookie()).not.toBeNull();

		// "I think my account is compromised" (the phone signed in again first), ten minutes later:
		// the code goes in the same form. The summary, then the new recovery codes, shown once.
		await phoneSignIn(NEW_PASSWORD, newCodes[1] as string);
		expect(phonePath()).toBe("/dashboard");
		clockOffset += 10 * MINUTE_MS;
		await page.goto("/dashboard/settings/security");
		const compromised = page.locator("section#compromised");
		expect(await textOf(compromised.locator("#compromised-steps"))).toContain("Your recovery codes are replaced.");
		await compromised.locator("#compromised-current-password").fill(NEW_PASSWORD);
		await compromised.locator("#compromised-new-password").fill(THIRD_PASSWORD);
		await compromised.locator("#compromised-code").fill(wrongCode(secret));
		await clickAndLoad(compromised.getByRole("button", { name: "Secure my account" }));
		expect(await textOf(compromised.locator("#compromised-code-error"))).toBe(CODE_REFUSED);
		await expectFitsPhone("compromised form with an error");
		await compromised.locator("#compromised-current-password").fill(NEW_PASSWORD);
		await compromised.locator("#compromised-new-password").fill(THIRD_PASSWORD);
		await compromised.locator("#compromised-code").fill(oathtool(secret));
		await clickAndLoad(compromised.getByRole("button", { name: "Secure my account" }));
		const secured = page.locator("dialog#account-secured");
		await visible(secured.getByRole("heading", { name: "Your account is secured" }));
		expect((await secured.locator("#secured-summary li").allTextContents()).map((text) => text.replace(/\s+/g, " ").trim())).toEqual([
			"Your password has been changed.",
			"Signed out 1 other session.",
			"Forgot 1 remembered device.",
			"Replaced your recovery codes: the old ones no longer work.",
		]);
		const securedCodes = (await secured.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
		expect(securedCodes).toHaveLength(10);
		for (const code of securedCodes) expect(newCodes).not.toContain(code);
		const securedDownload = decodeURIComponent(((await secured.locator("#download-recovery-codes").getAttribute("href")) ?? "").replace(/^data:text\/plain;charset=utf-8,/, ""));
		for (const code of securedCodes) expect(securedDownload).toContain(code);
		await secured.getByRole("button", { name: "Copy codes" }).click();
		await visible(secured.getByRole("button", { name: "Copied" }));
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(securedCodes.join("\n"));
		expect(await trustedCookie()).toBeNull();
		await page.screenshot({ path: join(OUTPUT_DIR, "account-secured.png"), animations: "disabled" });
		await expectFitsPhone("account secured summary", true);
		await page.screenshot({ path: join(OUTPUT_DIR, "account-secured-phone.png"), animations: "disabled" });
		await page.setViewportSize(DESKTOP);
		await clickAndLoad(secured.getByRole("link", { name: "Done" }));
		expect(await textOf(page.locator("#activity-list .activity__what").first())).toBe("Account secured: password changed, other sessions signed out");
		await phone.goto("/dashboard");
		expect(phonePath()).toBe("/dashboard/sign-in");

		// Move to a new phone, ten minutes later: "Confirm it's you" with the password and the old
		// phone's code, then the new QR code and key; the new phone's code switches; the old
		// phone's codes stop working (the refused code below), the recovery codes stay.
		clockOffset += 10 * MINUTE_MS;
		await page.goto("/dashboard/settings/security");
		const codesLeftBefore = await textOf(page.locator("#recovery-codes-left"));
		await clickAndLoad(page.getByRole("button", { name: "Move to a new phone" }));
		const moveConfirm = page.locator("dialog#reauthenticate");
		await visible(moveConfirm.getByRole("heading", { name: "Confirm it's you" }));
		await moveConfirm.locator("#reauth-password").fill(THIRD_PASSWORD);
		await moveConfirm.locator("#reauth-code").fill(oathtool(secret));
		await clickAndLoad(moveConfirm.getByRole("button", { name: "Confirm and continue" }));
		const move = page.locator("dialog#two-factor-setup");
		await visible(move.getByRole("heading", { name: "Connect your new phone" }));
		expect(await textOf(move.locator(".modal__eyebrow"))).toContain("Move to a new phone");
		const newSecret = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		expect(newSecret).toMatch(/^[A-Z2-7]{32}$/);
		expect(newSecret).not.toBe(secret);
		await expectFitsPhone("move to a new phone, steps 2-3");
		await move.locator("#code").fill(wrongCode(newSecret));
		await clickAndLoad(move.getByRole("button", { name: "Verify and switch" }));
		expect(await textOf(move.locator("#code-error"))).toBe(CODE_REFUSED);
		await move.locator("#code").fill(oathtool(newSecret));
		await clickAndLoad(move.getByRole("button", { name: "Verify and switch" }));
		expect(pathOf()).toBe("/dashboard/settings/security?done=authenticator-replaced");
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Your new phone is set up. Codes from the old one no longer work.");
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is on");
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe(codesLeftBefore);
		expect(await textOf(page.locator("#activity-list .activity__what").first())).toBe("Authenticator moved to a new phone");
		const oldSecret = secret;
		secret = newSecret;

		// Turn two-factor authentication off: the password and a code (the old phone's code is refused).
		clockOffset += MINUTE_MS;
		await clickAndLoad(page.getByRole("link", { name: "Turn off two-factor authentication" }));
		const disable = page.locator("dialog#two-factor-disable");
		await visible(disable.getByRole("heading", { name: "Turn off two-factor authentication?" }));
		await expectFitsPhone("turn off 2FA dialog");
		await disable.locator("#disable-password").fill(THIRD_PASSWORD);
		await disable.locator("#disable-code").fill(oathtool(oldSecret));
		await clickAndLoad(disable.getByRole("button", { name: "Turn off" }));
		expect(await textOf(disable.locator("#disable-code-error"))).toBe(CODE_REFUSED);
		await disable.locator("#disable-password").fill(THIRD_PASSWORD);
		await disable.locator("#disable-code").fill(oathtool(secret));
		await clickAndLoad(disable.getByRole("button", { name: "Turn off" }));
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is off");
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Two-factor authentication is off.");
		expect(await page.locator("#password-code").count()).toBe(0);

		// Ten minutes later, "Sign out everywhere": confirmed with the password alone (2FA is off),
		// it ends this session too and lands on the sign-in page.
		clockOffset += 10 * MINUTE_MS;
		await page.goto("/dashboard/settings/security");
		await clickAndLoad(page.getByRole("button", { name: "Sign out everywhere" }));
		const everywhere = page.locator("dialog#reauthenticate");
		await visible(everywhere.getByRole("heading", { name: "Confirm it's you" }));
		expect(await everywhere.locator("#reauth-code").count()).toBe(0);
		await everywhere.locator("#reauth-password").fill(THIRD_PASSWORD);
		await clickAndLoad(everywhere.getByRole("button", { name: "Confirm and sign out everywhere" }));
		expect(pathOf()).toBe("/dashboard/sign-in?notice=signed-out-everywhere");
		await visible(page.getByText("You have signed out everywhere"));
		expect(await sessionStatus()).toBe(401);

		// The new password alone signs in now.
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill(THIRD_PASSWORD);
		await clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		expect(pathOf()).toBe("/dashboard");

		await phoneContext.close();
		expect(phoneErrors).toEqual([]);
		expectNoConsoleErrors();
	});

	it("an account made without a password: the sign-in link, then step 1 of the setup sets the password", async () => {
		// The operator (or the integrator's backend) creates the account and a one-time link.
		const email = "grace.hopper@example.com";
		await deadbolt.createAccountWithoutPassword(email);
		const link = await deadbolt.issueSignInLink(email);
		const linkContext = await browser.newContext({ baseURL, viewport: DESKTOP, colorScheme: "light", locale: "en-US" });
		const tab = await linkContext.newPage();
		const tabErrors: string[] = [];
		tab.on("pageerror", (error) => tabErrors.push(error.message));
		const tabClick = async (target: Locator) => {
			await Promise.all([tab.waitForNavigation({ waitUntil: "load" }), target.click()]);
		};
		const tabText = async (target: Locator) => ((await target.textContent()) ?? "").replace(/\s+/g, " ").trim();
		const tabPath = () => new URL(tab.url()).pathname + new URL(tab.url()).search;

		// Opening the link only asks; "Continue" signs in and lands on Security.
		await tab.goto(`/dashboard/sign-in-link?token=${encodeURIComponent(link.token)}`);
		await tab.getByRole("heading", { name: "Continue signing in" }).waitFor();
		expect(await tabText(tab.locator("main"))).toContain(email);
		await tabClick(tab.getByRole("button", { name: "Continue" }));
		expect(tabPath()).toBe("/dashboard/settings/security?done=signed-in-with-link");
		expect(await tab.locator("#no-password").count()).toBe(1);

		// The same link a second time: refused, in words.
		const reuse = await linkContext.newPage();
		await reuse.goto(`/dashboard/sign-in-link?token=${encodeURIComponent(link.token)}`);
		expect(await tabText(reuse.locator("#sign-in-link-error"))).toContain("expired or was already used");
		await reuse.close();

		// Step 1 sets the password: a common one is refused, a good one goes on to the QR code.
		await tabClick(tab.getByRole("link", { name: "Set up two-factor authentication" }));
		const dialog = tab.locator("dialog#two-factor-setup");
		await dialog.getByRole("heading", { name: "Set a password" }).waitFor();
		expect(await tabText(dialog.locator(".stepper"))).toContain("Set password");
		expect(await dialog.locator("#setup-new-password").getAttribute("autocomplete")).toBe("new-password");
		await tab.screenshot({ path: join(OUTPUT_DIR, "setup-set-password-step.png"), animations: "disabled" });
		await dialog.locator("#setup-new-password").fill("password");
		await tabClick(dialog.getByRole("button", { name: "Set password and continue" }));
		expect(await tabText(dialog.locator("#setup-new-password-error"))).not.toBe("");
		await dialog.locator("#setup-new-password").fill("grace's first good passphrase");
		await tabClick(dialog.getByRole("button", { name: "Set password and continue" }));
		await dialog.getByRole("heading", { name: "Connect your authenticator app" }).waitFor();
		const graceSecret = ((await tab.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		await dialog.locator("#code").fill(oathtool(graceSecret));
		await tabClick(dialog.getByRole("button", { name: "Verify and turn on" }));
		await dialog.getByRole("heading", { name: "Two-factor authentication is on" }).waitFor();
		const graceCodes = (await tab.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
		expect(graceCodes).toHaveLength(10);
		await dialog.getByLabel("Type one of your recovery codes to finish").fill(graceCodes[0] as string);
		await tabClick(dialog.getByRole("button", { name: "Finish" }));
		expect(tabPath()).toBe("/dashboard/settings/security?done=two-factor-on");
		expect(await tab.locator("#no-password").count()).toBe(0);

		// From now on: the new password, then the code.
		await tabClick(tab.locator(".account-menu").getByRole("button", { name: "Sign out" }));
		clockOffset += MINUTE_MS;
		await tab.locator("#email").fill(email);
		await tab.locator("#password").fill("grace's first good passphrase");
		await tabClick(tab.getByRole("button", { name: "Sign in", exact: true }));
		expect(tabPath()).toBe("/dashboard/sign-in/code");
		await tab.locator("#code").fill(oathtool(graceSecret));
		await tabClick(tab.getByRole("button", { name: "Verify", exact: true }));
		expect(tabPath()).toMatch(HOME_AFTER_CODE);
		await linkContext.close();
		expect(tabErrors).toEqual([]);
	});
});
