/**
 * The two-factor setup as a new user walks it in the browser (dashboard-two-factor.e2e.test.ts's
 * journey): wrong password, the QR code (scanned off a screenshot by ZXing) and the key, Copy, a
 * wrong code, the right code, the recovery codes (download, Copy), a typed-back code that matches
 * none, then one that does. Kept in one function so that a change of the setup's steps (such as
 * a new last-step checkbox, see `finishSetup`) is made in one place.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { BrowserHarness, WatchedPage } from "./browser.js";
import { codeAt, fieldError, finishSetup, recoveryCodesIn, textOf, WRONG_PASSWORD, wrongCode, wrongRecoveryCode } from "./dashboard-steps.js";
import { decodeQRCodes } from "./qr-decoder.js";

/** Who sets up, and where the QR code's screenshot goes. */
export interface SetupUser {
	readonly email: string;
	readonly password: string;
	/** The directory for `setup-qr-code.png` (scanned back) and `setup-qr-step.png`. */
	readonly outputDir: string;
	/**
	 * Where Finish lands (path and query), when not on the Two-factor page: the setup began on the
	 * way to an app (the return cookie), e.g. an OpenID Connect sign-in. Default: the Two-factor page.
	 */
	readonly landsOn?: RegExp;
}

/**
 * The setup dialog, from its first step (the page is at `.../two-factor/setup`) to Finish, with
 * the page checks on every state: returns the key and the recovery codes read off the page.
 * Everything the setup asks of the user is here, so a change of its steps changes this function
 * only.
 */
export async function setUpTwoFactor(h: Pick<BrowserHarness, "now">, w: WatchedPage, user: SetupUser): Promise<{ secret: string; recoveryCodes: string[] }> {
	const { page } = w;
	const dialog = page.locator("dialog#two-factor-setup");
	await dialog.getByRole("heading", { name: "Confirm your password" }).waitFor();
	await w.expectGood("setup step 1");

	// Step 1 with a wrong password: an error, and 2FA is still off.
	const password = dialog.getByLabel("Password", { exact: true });
	await password.fill("wrong password");
	await w.clickAndLoad(dialog.getByRole("button", { name: "Continue" }));
	expect(await textOf(dialog.locator(".field__error"))).toBe(WRONG_PASSWORD);
	expect(await textOf(page.locator("#summary-two-factor"))).toContain("Off");
	expect(await page.locator("#qr-code").count()).toBe(0);
	await w.expectGood("setup step 1 with an error");

	// Steps 2 and 3: the QR code and the key.
	await password.fill(user.password);
	await w.clickAndLoad(dialog.getByRole("button", { name: "Continue" }));
	await dialog.getByRole("heading", { name: "Connect your authenticator app" }).waitFor();
	await page.locator("#qr-code svg").waitFor();
	expect(await dialog.locator("#code").getAttribute("autocomplete")).toBe("one-time-code");
	expect(await dialog.locator("#code").getAttribute("inputmode")).toBe("numeric");
	await w.expectGood("setup steps 2-3");
	const key = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
	expect(key).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes of base32
	expect((await textOf(page.locator("#secret-key"))).replace(/\s+/g, "")).toBe(key);

	// The QR code, scanned off the screen, holds the same key for this account and issuer.
	const qrImage = join(user.outputDir, "setup-qr-code.png");
	await page.locator("#qr-code").screenshot({ path: qrImage, animations: "disabled" });
	const decoded = await decodeQRCodes(readFileSync(qrImage));
	expect(decoded).toHaveLength(1);
	const uri = new URL(decoded[0]!);
	expect([uri.protocol, uri.host, decodeURIComponent(uri.pathname)]).toEqual(["otpauth:", "totp", `/deadbolt:${user.email}`]);
	expect(uri.searchParams.get("secret")).toBe(key);
	expect(uri.searchParams.get("issuer")).toBe("deadbolt");
	await page.screenshot({ path: join(user.outputDir, "setup-qr-step.png"), animations: "disabled" });

	// The Copy button copies the key (without the spaces) and says so.
	await dialog.getByRole("button", { name: "Copy", exact: true }).click();
	await dialog.getByRole("button", { name: "Copied" }).waitFor();
	expect(await page.evaluate("navigator.clipboard.readText()")).toBe(key);

	// Step 3 with a wrong code: refused, the same key shown again, 2FA still off.
	await dialog.locator("#code").fill(wrongCode(h, key));
	await w.clickAndLoad(dialog.getByRole("button", { name: "Verify and turn on" }));
	await fieldError(dialog, "code");
	expect(await page.locator("#secret-key").getAttribute("data-copy-value")).toBe(key);
	expect(await textOf(page.locator("#summary-two-factor"))).toContain("Off");
	await w.expectGood("setup steps 2-3 with an error");

	// Step 3 with the authenticator's code: step 4, the recovery codes, shown this once.
	await dialog.locator("#code").fill(codeAt(h, key));
	await w.clickAndLoad(dialog.getByRole("button", { name: "Verify and turn on" }));
	await dialog.getByRole("heading", { name: "Two-factor authentication is on" }).waitFor();
	const codes = await recoveryCodesIn(dialog);
	expect(codes.length).toBeGreaterThanOrEqual(8);
	expect(new Set(codes).size).toBe(codes.length);
	await w.expectGood("setup step 4");
	// The form that checks a typed-back code carries no code, only what checks one.
	const finishForm = dialog.locator("form[action$='/two-factor/saved']");
	const carried = (await finishForm.locator("input[type='hidden']").evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value))).join(" ").toUpperCase();
	for (const code of codes) expect(carried).not.toContain(code.replace(/-/g, "").toUpperCase());

	// The download holds the issuer, the email and every code; Copy copies them one a line.
	const href = (await page.locator("#download-recovery-codes").getAttribute("href")) ?? "";
	const text = decodeURIComponent(href.replace(/^data:text\/plain;charset=utf-8,/, ""));
	expect(text).toContain("deadbolt recovery codes");
	expect(text).toContain(user.email);
	for (const code of codes) expect(text).toContain(code);
	await dialog.getByRole("button", { name: "Copy codes" }).click();
	await dialog.getByRole("button", { name: "Copied" }).waitFor();
	expect(await page.evaluate("navigator.clipboard.readText()")).toBe(codes.join("\n"));

	// A typed-back code that matches none: refused, with a way out; the codes are not shown again.
	await finishSetup(w, dialog, wrongRecoveryCode(codes));
	expect(w.path()).toBe("/dashboard/settings/security/two-factor/saved");
	expect(await textOf(dialog.locator("#saved-code-error"))).toContain("doesn't match");
	const pageHtml = await page.content();
	for (const code of codes) expect(pageHtml).not.toContain(code);
	await dialog.getByRole("button", { name: "I've lost them: generate new codes" }).waitFor();
	await w.expectGood("setup step 4, code not matched");

	// One of the saved codes, typed loosely (case swapped, spaces for hyphens): Finish.
	const loosely = [...codes[3]!].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("").replace(/-/g, " ");
	await finishSetup(w, dialog, loosely);
	if (user.landsOn === undefined) expect(w.path()).toBe("/dashboard/settings/security/two-factor?done=two-factor-on");
	else expect(w.path()).toMatch(user.landsOn);
	return { secret: key, recoveryCodes: codes };
}
