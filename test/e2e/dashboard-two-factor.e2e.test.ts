/**
 * End to end, in Chromium: a new user's two-factor journey through the dashboard, on the shared
 * harness (test/helpers/browser.ts: every page and state visited passes axe-core in light and
 * dark mode, fits 390 and 320 px without sideways scrolling, names the favicon, and logs no
 * console, CSP, script or request error). The authenticator app is OATH Toolkit's `oathtool` (or
 * the npm package `otpauth`), computing codes from the key read off the page at the server's
 * clock; ZXing scans the QR code from a screenshot, like a phone camera would.
 *
 * Journey: sign up (a short password refused) -> sign out -> sign in, password only -> a
 * foreign-origin form is refused -> Security's summary says 2FA is off, and its banner leads to
 * the setup -> the setup ({@link setUpTwoFactor}: wrong password, QR code and key, wrong code,
 * right code, the recovery codes, a typed-back code that matches none, then one that does) -> the
 * Two-factor page and the summary say it is on -> sign in with a code (a wrong one refused) ->
 * sign in with a recovery code: the home notice leads to the Two-factor page -> the same recovery
 * code again is refused. Then: another device used up codes until 3 are left: the summary's
 * banner generates new ones (asked first, then "Confirm it's you") -> move to a new phone, by
 * keyboard alone (asked first, "Confirm it's you", the new phone's code) -> turn 2FA off (asked
 * first, then the password and a code; the old phone's code is refused) -> the summary says off.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTHENTICATOR_CODES_FROM } from "../helpers/authenticator-codes.js";
import { startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";
import {
	CODE_REFUSED,
	codeAt,
	fieldError,
	focusedElement,
	freshCode,
	HOME_AFTER_CODE,
	isFocused,
	MINUTE_MS,
	passwordStep,
	RECOVERY_CODE_REFUSED,
	recoveryCodesIn,
	sessionStatus,
	signInWithCode,
	signInWithRecoveryCode,
	signOut,
	tabTo,
	textOf,
	useRecoveryCode,
	WRONG_PASSWORD,
	wrongCode,
} from "../helpers/dashboard-steps.js";
import { setUpTwoFactor } from "../helpers/dashboard-setup.js";

const OUTPUT_DIR = fileURLToPath(new URL("../../test-output/e2e/", import.meta.url));
const EMAIL = "ada.lovelace@example.com";
const PASSWORD = "correct horse battery staple 42";

if (AUTHENTICATOR_CODES_FROM === "otpauth") console.info("[e2e] oathtool is not installed: the authenticator codes come from the npm package otpauth (sudo apt-get install -y oathtool uses OATH Toolkit)");

describe("dashboard: two-factor authentication, end to end in Chromium", () => {
	let h: BrowserHarness;
	let w: WatchedPage;
	/** Shared by the two parts of the journey. */
	let secret = "";
	let recoveryCodes: string[] = [];

	beforeAll(async () => {
		h = await startBrowserHarness();
		w = await h.newPage();
		mkdirSync(OUTPUT_DIR, { recursive: true });
	});

	afterAll(async () => {
		await h?.close();
	});

	it("signs up, sets up two-factor authentication from the summary's banner, signs in with a code and with a recovery code", async () => {
		const { page } = w;
		// Sign up (a refused password keeps the email in the field).
		await page.goto("/dashboard");
		expect(w.path()).toBe("/dashboard/sign-in");
		expect(await page.locator("#email").getAttribute("autocomplete")).toBe("email");
		await w.expectGood("sign-in page");
		await w.clickAndLoad(page.getByRole("link", { name: "Create an account" }));
		expect(w.path()).toBe("/dashboard/sign-up");
		await w.expectGood("sign-up page");
		expect(await page.locator("#email").getAttribute("autocomplete")).toBe("email");
		expect(await page.locator("#password").getAttribute("autocomplete")).toBe("new-password");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill("short");
		await w.clickAndLoad(page.getByRole("button", { name: "Create account" }));
		await page.locator("#password-error").waitFor();
		expect(await page.locator("#email").inputValue()).toBe(EMAIL);
		await w.expectGood("sign-up with an error");
		await page.locator("#password").fill(PASSWORD);
		await w.clickAndLoad(page.getByRole("button", { name: "Create account" }));
		expect(w.path()).toBe("/dashboard");
		expect(await textOf(page.locator("#two-factor-status"))).toContain("Two-factor authentication is off");
		await w.expectGood("home, 2FA off");

		// Sign out, then sign in with the password alone (no 2FA yet): straight to the account.
		await signOut(w);
		await w.expectGood("sign-in page, signed out");
		expect(await page.locator("#password").getAttribute("autocomplete")).toBe("current-password");
		await page.locator("#email").fill(EMAIL);
		await page.locator("#password").fill("not the password");
		await w.clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		expect(await textOf(page.getByRole("alert"))).toBe("The email or password is incorrect.");
		expect(await page.locator("#email").inputValue()).toBe(EMAIL);
		await w.expectGood("sign-in with an error");
		await page.locator("#password").fill(PASSWORD);
		await w.clickAndLoad(page.getByRole("button", { name: "Sign in", exact: true }));
		expect(w.path()).toBe("/dashboard");

		// A form posted from another origin is refused even with a valid token, and changes nothing.
		const token = await page.locator("form[action='/dashboard/sign-out'] input[name='csrf']").inputValue();
		const forged = await page.request.post("/dashboard/sign-out", { form: { csrf: token }, headers: { origin: "https://evil.example" }, maxRedirects: 0 });
		expect(forged.status()).toBe(403);
		expect(await forged.text()).toContain("This form came from another site");
		expect(await sessionStatus(w)).toBe(200);

		// Security: the summary says 2FA is off, and its banner carries the way to set it up.
		await w.clickAndLoad(page.getByRole("link", { name: "Security", exact: true }));
		expect(w.path()).toBe("/dashboard/settings/security");
		expect(await page.locator("nav.subnav a[aria-current='page']").textContent()).toBe("Overview");
		expect(await textOf(page.locator("#summary-two-factor .summary__status"))).toBe("Off Only your password protects your account");
		expect(await page.locator("#summary-recovery-codes").count()).toBe(0);
		expect(await textOf(page.locator("#summary-sessions .summary__status"))).toBe("1 active session · 0 remembered devices");
		expect(await textOf(page.locator("#summary-activity .summary__status"))).toMatch(/^Signed in with password, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
		expect(await textOf(page.locator("#two-factor-off-banner"))).toContain("Two-factor authentication is off.");
		await w.expectGood("summary, 2FA off");
		await w.clickAndLoad(page.locator("#two-factor-off-banner").getByRole("link", { name: "Set up two-factor authentication" }));
		expect(w.path()).toBe("/dashboard/settings/security/two-factor/setup");

		({ secret, recoveryCodes } = await setUpTwoFactor(h, w, { email: EMAIL, password: PASSWORD, outputDir: OUTPUT_DIR }));
		const total = recoveryCodes.length;
		expect(await textOf(page.locator("#two-factor-notice"))).toBe("Two-factor authentication is on. Keep your recovery codes safe.");
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is on");
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe(`${total} of ${total}`);
		expect(await page.locator("#recovery-codes-warning").count()).toBe(0);
		expect(await page.locator("nav.subnav a[aria-current='page']").textContent()).toBe("Two-factor");
		await w.expectGood("Two-factor page, 2FA just turned on");

		// The summary: on, all codes left, no banner.
		await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Overview" }));
		expect(await textOf(page.locator("#summary-two-factor .summary__status"))).toBe("On With an authenticator app");
		expect(await textOf(page.locator("#summary-recovery-codes .summary__status"))).toBe(`${total} of ${total} left`);
		expect(await textOf(page.locator("#summary-activity .summary__status"))).toMatch(/^Two-factor authentication turned on, /);
		expect(await page.locator("#two-factor-off-banner, #recovery-codes-warning").count()).toBe(0);
		await w.expectGood("summary, 2FA on");

		// Sign in again: the password leads to the code step, which makes no session; a wrong code is refused.
		await signOut(w);
		await passwordStep(w, EMAIL, PASSWORD);
		expect(w.path()).toBe("/dashboard/sign-in/code");
		expect(await sessionStatus(w)).toBe(401);
		expect(await page.locator("#code").getAttribute("autocomplete")).toBe("one-time-code");
		expect(await page.locator("#code").getAttribute("inputmode")).toBe("numeric");
		expect(await textOf(page.locator("#code-hint"))).toContain("If a code is refused, wait for the next one: each code works once.");
		await w.expectGood("sign-in code step");
		await page.goto("/dashboard");
		expect(w.path()).toBe("/dashboard/sign-in"); // no account page before the code
		await page.goto("/dashboard/sign-in/code");
		await page.locator("#code").fill(wrongCode(h, secret));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(await textOf(page.locator("#code-error"))).toBe(CODE_REFUSED);
		expect(await sessionStatus(w)).toBe(401);
		await w.expectGood("sign-in code step with an error");
		// The enrollment's code cannot be used again: a code of the next step is.
		await page.locator("#code").fill(freshCode(h, secret));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(w.path()).toMatch(HOME_AFTER_CODE);
		expect(await sessionStatus(w)).toBe(200);
		expect(await textOf(page.locator("#two-factor-status"))).toContain("Two-factor authentication is on");
		await w.expectGood("home, 2FA on");

		// With a recovery code instead: the home notice says how many are left and leads to the Two-factor page.
		await signOut(w);
		const usedCode = recoveryCodes[0]!;
		await signInWithRecoveryCode(w, EMAIL, PASSWORD, usedCode, { check: true });
		expect(w.path()).toBe("/dashboard?signed-in-with=recovery-code");
		expect(await textOf(page.locator("#recovery-notice"))).toContain(`${total - 1} recovery codes left`);
		await w.expectGood("home after a recovery-code sign-in");
		await w.clickAndLoad(page.locator("#recovery-next-codes"));
		expect(page.url()).toMatch(/\/dashboard\/settings\/security\/two-factor#recovery-codes-title$/);
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe(`${total - 1} of ${total}`);
		await w.expectGood("Two-factor page from the recovery notice");
		await page.goBack();
		expect(w.path()).toBe("/dashboard?signed-in-with=recovery-code");
		await w.clickAndLoad(page.locator("#recovery-next-new-phone"));
		expect(page.url()).toMatch(/\/dashboard\/settings\/security\/two-factor#authenticator-title$/);
		await page.locator("#move-to-new-phone").waitFor();

		// The same recovery code a second time is refused.
		await signOut(w);
		await signInWithRecoveryCode(w, EMAIL, PASSWORD, usedCode);
		expect(w.path()).toBe("/dashboard/sign-in/recovery-code");
		expect(await textOf(page.locator("#recovery-code-error"))).toBe(RECOVERY_CODE_REFUSED);
		expect(await sessionStatus(w)).toBe(401);
		await w.expectGood("recovery-code step with an error");

		// The favicon every page names is served (so no browser needs to ask for /favicon.ico).
		const favicon = await page.request.get("/dashboard/assets/favicon.svg");
		expect([favicon.status(), favicon.headers()["content-type"]]).toEqual([200, "image/svg+xml"]);
	}, 240_000);

	it("few recovery codes left: new ones from the summary's banner; a new phone by keyboard alone; 2FA off", async () => {
		expect(secret, "the first part of the journey ran").not.toBe("");
		const { page } = w;
		const total = recoveryCodes.length;
		// Another device signs in with recovery codes until 3 are left.
		let left = total - 1;
		for (const code of recoveryCodes.slice(1, total - 3)) left = await useRecoveryCode(h, { email: EMAIL, password: PASSWORD }, code);
		expect(left).toBe(3);
		h.advance(10 * MINUTE_MS);
		await signInWithCode(h, w, EMAIL, PASSWORD, secret);

		// Ten minutes later (outside the "Confirm it's you" window), the summary warns, with the action.
		h.advance(10 * MINUTE_MS);
		await page.goto("/dashboard/settings/security");
		const warning = page.locator("#recovery-codes-warning");
		expect(await textOf(warning)).toContain("Only 3 recovery codes left.");
		expect(await textOf(page.locator("#summary-recovery-codes .summary__status"))).toBe(`3 of ${total} left`);
		await w.expectGood("summary with few recovery codes");

		// The banner's "Generate new recovery codes" asks first, naming what stops working.
		await warning.getByRole("button", { name: "Generate new recovery codes" }).click();
		const ask = page.locator("dialog#confirm-regenerate-recovery-codes");
		await ask.waitFor();
		expect(await ask.evaluate((dialog) => dialog.matches(":modal"))).toBe(true);
		expect(await textOf(ask.locator("#confirm-regenerate-recovery-codes-consequence"))).toContain("Your 3 current recovery codes stop working at once");
		expect(await isFocused(ask.getByRole("button", { name: "Cancel" })), await focusedElement(page)).toBe(true);
		await w.expectGood("summary: new recovery codes asked first");

		// Then "Confirm it's you": a wrong password first.
		await w.clickAndLoad(ask.getByRole("button", { name: "Generate new codes" }));
		const confirm = page.locator("dialog#reauthenticate");
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		expect(await confirm.locator("input[name='action']").inputValue()).toBe("regenerate-recovery-codes");
		await w.expectGood("Confirm it's you before new recovery codes");
		await confirm.locator("#reauth-password").fill("not my password");
		await confirm.locator("#reauth-code").fill(codeAt(h, secret));
		await w.clickAndLoad(confirm.getByRole("button", { name: "Confirm and generate codes" }));
		expect(await textOf(confirm.locator("#reauth-password-error"))).toBe(WRONG_PASSWORD);
		await w.expectGood("Confirm it's you with an error");
		await confirm.locator("#reauth-password").fill(PASSWORD);
		await confirm.locator("#reauth-code").fill(freshCode(h, secret));
		await w.clickAndLoad(confirm.getByRole("button", { name: "Confirm and generate codes" }));
		const codesDialog = page.locator("dialog#new-recovery-codes");
		await codesDialog.getByRole("heading", { name: "Save your new recovery codes" }).waitFor();
		const newCodes = await recoveryCodesIn(codesDialog);
		expect(newCodes).toHaveLength(total);
		for (const code of newCodes) expect(recoveryCodes).not.toContain(code);
		await codesDialog.getByRole("button", { name: "Copy codes" }).click();
		await codesDialog.getByRole("button", { name: "Copied" }).waitFor();
		expect(await page.evaluate("navigator.clipboard.readText()")).toBe(newCodes.join("\n"));
		await w.expectGood("new recovery codes");
		await w.clickAndLoad(codesDialog.getByRole("link", { name: "Done" }));
		expect(w.path()).toBe("/dashboard/settings/security/two-factor");
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe(`${total} of ${total}`);
		expect(await page.locator("#recovery-codes-warning").count()).toBe(0);
		await w.expectGood("Two-factor page with new recovery codes");
		// An old code stopped working; a new one works.
		await expect(useRecoveryCode(h, { email: EMAIL, password: PASSWORD }, recoveryCodes[total - 1]!)).rejects.toThrow(/recovery code/i);
		expect(await useRecoveryCode(h, { email: EMAIL, password: PASSWORD }, newCodes[0]!)).toBe(total - 1);

		// Ten minutes later, "Move to a new phone" by keyboard alone: Tab to it, Enter asks first
		// (the focus on Cancel), Tab to Continue, Enter; then "Confirm it's you" with the old phone.
		h.advance(10 * MINUTE_MS);
		await page.goto("/dashboard/settings/security/two-factor");
		const opener = page.locator("#move-to-new-phone");
		await tabTo(page, opener);
		await page.keyboard.press("Enter");
		const askMove = page.locator("dialog#confirm-replace-authenticator");
		await askMove.waitFor();
		expect(await textOf(askMove.locator("#confirm-replace-authenticator-consequence"))).toContain("Your old phone keeps working until you enter a code from the new one");
		expect(await isFocused(askMove.getByRole("button", { name: "Cancel" })), await focusedElement(page)).toBe(true);
		await w.expectGood("move to a new phone asked first");
		await page.keyboard.press("Tab");
		expect(await isFocused(page.locator("#confirm-replace-authenticator-continue")), await focusedElement(page)).toBe(true);
		await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		expect(await confirm.locator("input[name='action']").inputValue()).toBe("replace-authenticator");
		expect(await isFocused(confirm.locator("#reauth-password")), await focusedElement(page)).toBe(true);
		await w.expectGood("Confirm it's you before moving to a new phone");
		expect(await isFocused(confirm.locator("#reauth-password")), `after the checks: ${await focusedElement(page)}`).toBe(true);
		await page.keyboard.type(PASSWORD);
		await page.keyboard.press("Tab");
		expect(await isFocused(confirm.locator("#reauth-code")), await focusedElement(page)).toBe(true);
		await page.keyboard.type(freshCode(h, secret));
		await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
		const move = page.locator("dialog#two-factor-setup");
		await move.getByRole("heading", { name: "Connect your new phone" }).waitFor();
		const newSecret = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		expect(newSecret).toMatch(/^[A-Z2-7]{32}$/);
		expect(newSecret).not.toBe(secret);
		await w.expectGood("move to a new phone, steps 2-3");
		await move.locator("#code").fill(wrongCode(h, newSecret));
		await w.clickAndLoad(move.getByRole("button", { name: "Verify and switch" }));
		await fieldError(move, "code");
		await w.expectGood("move to a new phone with an error");
		await move.locator("#code").fill(freshCode(h, newSecret));
		await w.clickAndLoad(move.getByRole("button", { name: "Verify and switch" }));
		expect(w.path()).toBe("/dashboard/settings/security/two-factor?done=authenticator-replaced");
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Your new phone is set up. Codes from the old one no longer work.");
		expect(await textOf(page.locator("#recovery-codes-left"))).toBe(`${total - 1} of ${total}`);
		await w.expectGood("Two-factor page after the move");
		const oldSecret = secret;
		secret = newSecret;

		// Turn it off: asked first, then the password and a code (the old phone's is refused).
		await page.locator("#turn-off-two-factor").click();
		const askOff = page.locator("dialog#confirm-turn-off-two-factor");
		await askOff.waitFor();
		expect(await textOf(askOff.locator("#confirm-turn-off-two-factor-consequence"))).toContain("Signing in will need only your password.");
		await w.expectGood("turn off 2FA asked first");
		await w.clickAndLoad(askOff.getByRole("link", { name: "Continue" }));
		expect(w.path()).toBe("/dashboard/settings/security/two-factor/disable");
		const disable = page.locator("dialog#two-factor-disable");
		await disable.getByRole("heading", { name: "Turn off two-factor authentication?" }).waitFor();
		await w.expectGood("turn off 2FA");
		await disable.locator("#disable-password").fill(PASSWORD);
		await disable.locator("#disable-code").fill(freshCode(h, oldSecret));
		await w.clickAndLoad(disable.getByRole("button", { name: "Turn off" }));
		await fieldError(disable, "disable-code");
		await w.expectGood("turn off 2FA with an error");
		await disable.locator("#disable-password").fill(PASSWORD);
		await disable.locator("#disable-code").fill(freshCode(h, secret));
		await w.clickAndLoad(disable.getByRole("button", { name: "Turn off" }));
		expect(w.path()).toMatch(/^\/dashboard\/settings\/security\/two-factor\?done=two-factor-off&n=\d+$/);
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is off");
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Two-factor authentication is off.");
		await w.expectGood("Two-factor page, 2FA turned off");
		await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Overview" }));
		expect(await textOf(page.locator("#summary-two-factor .summary__status"))).toBe("Off Only your password protects your account");
		expect(await textOf(page.locator("#summary-activity .summary__status"))).toMatch(/^Two-factor authentication turned off, /);
		expect(await page.locator("#two-factor-off-banner").count()).toBe(1);
		await w.expectGood("summary, 2FA off again");
	}, 240_000);
});
