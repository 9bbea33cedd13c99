/**
 * Steps the dashboard's browser tests share (test/e2e/dashboard-*.e2e.test.ts), on top of the
 * harness of `browser.ts`: signing in and out, the authenticator's codes at the server's clock,
 * finishing the setup's last step, reading recovery codes off the page, keyboard moves, and an
 * account with two-factor authentication made by the service (so that each file walks only its
 * own journey, not the setup again).
 *
 * Nothing here knows the recovery codes' format: codes are read off the page, and
 * {@link wrongRecoveryCode} derives a well-formed wrong one from a real one.
 */
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { authenticatorCode } from "./authenticator-codes.js";
import type { BrowserHarness, WatchedPage } from "./browser.js";

export const MINUTE_MS = 60_000;
/** The TOTP time step (RFC 6238 default). */
export const PERIOD_MS = 30_000;

/**
 * Home after a code sign-in: a code typed just as its 30-second step ends is accepted from the
 * previous step, and the home page then says the clock looks behind (`?clock=behind`).
 */
export const HOME_AFTER_CODE = /^\/dashboard(\?clock=(ahead|behind))?$/;

/**
 * The service's messages, shown as they are by the dashboard. (A refused code's message where
 * the user holds the key, in the setup and in "Confirm it's you", names its cause and is checked
 * with {@link fieldError} only; at sign-in, wrong and used codes answer alike.)
 */
export const WRONG_PASSWORD = "That password is not correct.";
export const CODE_REFUSED = "That code is not valid or was already used. Wait for the next code in your authenticator app and try again.";
export const RECOVERY_CODE_REFUSED = "That recovery code is not valid or was already used. Check it, or use another of your recovery codes.";

/** The element's text with whitespace collapsed. */
export async function textOf(target: Locator): Promise<string> {
	return ((await target.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

/**
 * The error of the field `#id` after a refused form: the input is marked invalid, its error is
 * tied to it for screen readers (`aria-describedby`), and says something. Returns the text.
 */
export async function fieldError(scope: Page | Locator, id: string): Promise<string> {
	const input = scope.locator(`#${id}`);
	expect(await input.getAttribute("aria-invalid"), `#${id} marked invalid`).toBe("true");
	expect(((await input.getAttribute("aria-describedby")) ?? "").split(" "), `#${id} described by its error`).toContain(`${id}-error`);
	const text = await textOf(scope.locator(`#${id}-error`));
	expect(text, `#${id}'s error`).not.toBe("");
	return text;
}

/** The code the authenticator app shows for `secret` at the server's time plus `offsetMillis`. */
export function codeAt(h: Pick<BrowserHarness, "now">, secret: string, offsetMillis = 0): string {
	return authenticatorCode(secret, h.now() + offsetMillis);
}

/**
 * A code no sign-in or confirmation used yet: moves the server's clock one time step on (each
 * code works once, and a later step is always new), then the code of that moment.
 */
export function freshCode(h: BrowserHarness, secret: string): string {
	h.advance(PERIOD_MS);
	return codeAt(h, secret);
}

/** A 6-digit code that is valid in none of the steps the server could accept right now. */
export function wrongCode(h: Pick<BrowserHarness, "now">, secret: string): string {
	const valid = new Set([-2, -1, 0, 1, 2].map((steps) => codeAt(h, secret, steps * PERIOD_MS)));
	const candidate = ["000000", "123456", "999999", "424242"].find((code) => !valid.has(code));
	if (candidate === undefined) throw new Error("unreachable: four candidates all valid");
	return candidate;
}

/**
 * A well-formed recovery code that is none of `codes`: the first one with each letter or digit
 * replaced by the next character of the alphabet the codes use (as read off the page), so it
 * keeps their format, whatever it is.
 */
export function wrongRecoveryCode(codes: readonly string[]): string {
	const alphabet = [...new Set(codes.join("").replace(/[^0-9A-Za-z]/g, ""))].sort();
	const shift = (code: string): string => code.replace(/[0-9A-Za-z]/g, (c) => alphabet[(alphabet.indexOf(c) + 1) % alphabet.length] ?? c);
	let candidate = shift(codes[0] ?? "");
	while (codes.includes(candidate)) candidate = shift(candidate);
	return candidate;
}

/** The recovery codes shown in `scope` (a dialog), one per list item. */
export async function recoveryCodesIn(scope: Locator): Promise<string[]> {
	return (await scope.locator("#recovery-codes li").allTextContents()).map((code) => code.trim());
}

/**
 * The setup's last step: marks the codes saved where the page asks for it (a checkbox such as
 * "I have saved my recovery codes"), types `code` back into the "type one of your codes" field,
 * and presses Finish.
 */
export async function finishSetup(w: WatchedPage, dialog: Locator, code: string): Promise<void> {
	const saved = dialog.getByRole("checkbox", { name: /saved/i });
	if ((await saved.count()) > 0 && !(await saved.isChecked())) await saved.check();
	await dialog.locator("form[action$='/two-factor/saved'] input[name='code']").fill(code);
	await w.clickAndLoad(dialog.getByRole("button", { name: "Finish" }));
}

/** `GET /api/v1/session` with the page's cookies: 200 signed in, 401 not (no console error). */
export async function sessionStatus(w: WatchedPage): Promise<number> {
	return (await w.page.request.get("/api/v1/session", { maxRedirects: 0 })).status();
}

/** How a sign-in step goes: `check` runs the page checks ({@link WatchedPage.expectGood}) on each page before it is filled in. */
export interface StepOptions {
	readonly check?: boolean;
}

/** The sign-in page's password step (from a fresh load of the sign-in page). */
export async function passwordStep(w: WatchedPage, email: string, password: string, options: StepOptions = {}): Promise<void> {
	await w.page.goto("/dashboard/sign-in");
	if (options.check === true) await w.expectGood("sign-in page");
	await w.page.locator("#email").fill(email);
	await w.page.locator("#password").fill(password);
	await w.clickAndLoad(w.page.getByRole("button", { name: "Sign in", exact: true }));
}

/** Password, then a fresh authenticator code (optionally remembering the device): lands home. */
export async function signInWithCode(h: BrowserHarness, w: WatchedPage, email: string, password: string, secret: string, options: StepOptions & { remember?: boolean } = {}): Promise<void> {
	await passwordStep(w, email, password, options);
	expect(w.path()).toBe("/dashboard/sign-in/code");
	if (options.check === true) await w.expectGood("sign-in code step");
	if (options.remember === true) await w.page.getByLabel("Remember this device for 30 days").check();
	await w.page.locator("#code").fill(freshCode(h, secret));
	await w.clickAndLoad(w.page.getByRole("button", { name: "Verify", exact: true }));
	expect(w.path()).toMatch(HOME_AFTER_CODE);
}

/** Password, then "Use a recovery code instead" and `code`. */
export async function signInWithRecoveryCode(w: WatchedPage, email: string, password: string, code: string, options: StepOptions = {}): Promise<void> {
	await passwordStep(w, email, password);
	expect(w.path()).toBe("/dashboard/sign-in/code");
	await w.clickAndLoad(w.page.getByRole("link", { name: "Use a recovery code instead" }));
	expect(w.path()).toBe("/dashboard/sign-in/recovery-code");
	if (options.check === true) await w.expectGood("sign-in recovery-code step");
	await w.page.locator("#recovery-code").fill(code);
	await w.clickAndLoad(w.page.getByRole("button", { name: "Sign in with recovery code" }));
}

/** The header's "Sign out": lands on the sign-in page, signed out. */
export async function signOut(w: WatchedPage): Promise<void> {
	await w.clickAndLoad(w.page.locator(".account-menu").getByRole("button", { name: "Sign out" }));
	expect(w.path()).toBe("/dashboard/sign-in?notice=signed-out");
	expect(await sessionStatus(w)).toBe(401);
}

/** Whether `target` has the keyboard focus. */
export async function isFocused(target: Locator): Promise<boolean> {
	return target.evaluate((element) => element === element.ownerDocument.activeElement);
}

/** A short description of the focused element, for assertion messages: `tag#id "text"`. */
export async function focusedElement(page: Page): Promise<string> {
	return page.evaluate<string>(`(() => {
		const e = document.activeElement;
		if (e === null) return "nothing";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + ' "' + (e.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60) + '"';
	})()`);
}

/** Presses Tab (from where the focus is) until `target` has the focus; fails after `max` presses. */
export async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
	for (let presses = 0; presses < max; presses++) {
		if (await isFocused(target)) return;
		await page.keyboard.press("Tab");
	}
	expect(await isFocused(target), `Tab reaches the target within ${max} presses (focus: ${await focusedElement(page)})`).toBe(true);
}

/** An account with two-factor authentication on, made by the service (not a journey of its own). */
export interface EnrolledAccount {
	readonly email: string;
	readonly password: string;
	readonly secret: string;
	readonly recoveryCodes: readonly string[];
}

/** Registers `email` and turns on two-factor authentication through the service, at the server's clock. */
export async function enrolledAccount(h: BrowserHarness, email: string, password: string): Promise<EnrolledAccount> {
	const { session } = await h.deadbolt.registerAccount({ email, password });
	if (session === null) throw new Error("registration made no session");
	const auth = await h.deadbolt.validateSession(session.token);
	const pending = await h.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password });
	const rotated = await h.deadbolt.validateSession(pending.sessionToken ?? session.token);
	const confirmed = await h.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: codeAt(h, pending.secret) });
	await h.deadbolt.logout(confirmed.sessionToken);
	return { email, password, secret: pending.secret, recoveryCodes: confirmed.recoveryCodes };
}

/**
 * Another device uses up a recovery code: signs in through the service with the password and
 * `code`, then signs out again. Returns how many codes are left.
 */
export async function useRecoveryCode(h: BrowserHarness, account: Pick<EnrolledAccount, "email" | "password">, code: string): Promise<number> {
	const begun = await h.deadbolt.beginLogin({ email: account.email, password: account.password });
	if (begun.kind !== "challenge") throw new Error("expected the code step");
	const result = await h.deadbolt.completeLoginWithRecoveryCode({ challengeToken: begun.challenge.challengeToken, code });
	await h.deadbolt.logout(result.session.token);
	return result.recoveryCodesLeft;
}
