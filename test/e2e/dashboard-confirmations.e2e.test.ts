/**
 * End to end, in Chromium at 320 px with a very long email address: the Security pages' "Are you
 * sure?" before each destructive action, and their URLs, on the shared harness
 * (test/helpers/browser.ts: every page, dialog and state visited passes axe-core in light and
 * dark mode, fits 390 and 320 px without sideways scrolling, and logs no console, CSP, script or
 * request error). Performing each action is the journeys' job (dashboard-two-factor and
 * dashboard-account); here:
 * - each of the six actions asks first in a modal `<dialog>` that names the consequence, with the
 *   focus on Cancel; Cancel, and Escape, close it, nothing happened, and the focus is back on the
 *   opener (by mouse, then by keyboard);
 * - each Security page keeps its URL: reload shows the same page, Back the one before, and the
 *   turn-off dialog's state has its own URL;
 * - with JavaScript off (a browser context with `javaScriptEnabled: false`), the server asks
 *   instead (the confirm page): its Cancel leads back, its button performs the action after
 *   "Confirm it's you"; turning 2FA off leads straight to its password-and-code dialog.
 */
import type { Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NARROW, startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";
import { enrolledAccount, fieldError, focusedElement, freshCode, isFocused, MINUTE_MS, sessionStatus, signInWithCode, textOf, wrongCode, type EnrolledAccount } from "../helpers/dashboard-steps.js";

/** 83 characters: longer than a 320 px line in any font the page uses. */
const LONG_EMAIL = "maximilian.alexander.bartholomew-fitzgerald.the-third@engineering.example-company.com";
const PASSWORD = "correct horse battery staple 42";
const SECURITY = "/dashboard/settings/security";
const SESSIONS = `${SECURITY}/sessions`;
const TWO_FACTOR = `${SECURITY}/two-factor`;

/** The Security pages in the order of their navigation, with their titles. */
const PAGES = [
	{ link: "Overview", path: SECURITY, title: "Security" },
	{ link: "Two-factor", path: TWO_FACTOR, title: "Two-factor authentication" },
	{ link: "Password", path: `${SECURITY}/password`, title: "Password" },
	{ link: "Sessions & devices", path: SESSIONS, title: "Sessions and devices" },
	{ link: "Access tokens", path: `${SECURITY}/access-tokens`, title: "Access tokens" },
	{ link: "Activity", path: `${SECURITY}/activity`, title: "Security activity" },
	{ link: "Compromised?", path: `${SECURITY}/compromised`, title: "I think my account is compromised" },
] as const;

describe("dashboard: destructive actions ask first; Security pages keep their URLs (320 px, a long email)", () => {
	let h: BrowserHarness;
	let w: WatchedPage;
	let account: EnrolledAccount;

	beforeAll(async () => {
		h = await startBrowserHarness();
		expect(LONG_EMAIL.length).toBeGreaterThanOrEqual(60);
		account = await enrolledAccount(h, LONG_EMAIL, PASSWORD);
		// Another session (so "Sign out other sessions" is offered) and this browser remembered.
		const begun = await h.deadbolt.beginLogin({ email: LONG_EMAIL, password: PASSWORD });
		if (begun.kind !== "challenge") throw new Error("expected the code step");
		await h.deadbolt.completeLoginWithTOTP({ challengeToken: begun.challenge.challengeToken, code: freshCode(h, account.secret) });
		w = await h.newPage({ viewport: NARROW });
		await signInWithCode(h, w, LONG_EMAIL, PASSWORD, account.secret, { remember: true });
	});

	afterAll(async () => {
		await h?.close();
	});

	/** What the destructive actions change, as the pages show it. */
	async function accountState(): Promise<Record<string, unknown>> {
		await w.page.goto(SESSIONS);
		const sessions = await w.page.locator("#session-list > li").count();
		const devices = await w.page.locator("#device-list > li").count();
		await w.page.goto(TWO_FACTOR);
		return { sessions, devices, status: await textOf(w.page.locator("#two-factor-status")), codes: await textOf(w.page.locator("#recovery-codes-left")), signedIn: await sessionStatus(w) };
	}

	it("each destructive action asks first, naming the consequence; Cancel and Escape change nothing and give the focus back", async () => {
		const { page } = w;
		const before = await accountState();
		const codes = account.recoveryCodes.length;
		expect(before).toEqual({ sessions: 2, devices: 1, status: "Two-factor authentication is on", codes: `${codes} of ${codes}`, signedIn: 200 });
		const actions = [
			{ action: "revoke-others", on: SESSIONS, opener: "#sign-out-others", title: "Sign out your other session?", consequence: "Every other browser and app signed in to your account is signed out at its next request" },
			{ action: "sign-out-everywhere", on: SESSIONS, opener: "#sign-out-everywhere", title: "Sign out everywhere?", consequence: "Every session ends (2 sessions), this one too, and remembered devices are forgotten" },
			{ action: "forget-all-devices", on: SESSIONS, opener: "#forget-all-devices", title: "Forget your remembered device?", consequence: "Each of them asks for a code from your authenticator app at its next sign-in." },
			{ action: "regenerate-recovery-codes", on: TWO_FACTOR, opener: "#regenerate-recovery-codes", title: "Generate new recovery codes?", consequence: `Your ${codes} current recovery codes stop working at once` },
			{ action: "replace-authenticator", on: TWO_FACTOR, opener: "#move-to-new-phone", title: "Move to a new phone?", consequence: "Your old phone keeps working until you enter a code from the new one" },
			{ action: "turn-off-two-factor", on: TWO_FACTOR, opener: "#turn-off-two-factor", title: "Turn off two-factor authentication?", consequence: "Signing in will need only your password." },
		];
		for (const { action, on, opener: openerSelector, title, consequence } of actions) {
			await page.goto(on);
			const opener = page.locator(openerSelector);
			const dialog = page.locator(`dialog#confirm-${action}`);
			const cancel = dialog.getByRole("button", { name: "Cancel" });
			const expectOpen = async (how: string) => {
				await dialog.waitFor();
				expect(await dialog.evaluate((element) => element.matches(":modal")), `${action} (${how}): a modal dialog`).toBe(true);
				expect(await isFocused(cancel), `${action} (${how}): the focus on Cancel, not on ${await focusedElement(page)}`).toBe(true);
			};
			const expectClosed = async (how: string) => {
				await dialog.waitFor({ state: "hidden" });
				expect(await isFocused(opener), `${action} (${how}): the focus back on the opener, not on ${await focusedElement(page)}`).toBe(true);
				expect(w.path(), `${action} (${how}): still on its page`).toBe(on);
			};

			// By mouse: the dialog names the consequence; Cancel closes it.
			await opener.click();
			await expectOpen("click");
			expect(await dialog.getAttribute("aria-labelledby")).toBe(`confirm-${action}-title`);
			expect(await textOf(dialog.locator(`#confirm-${action}-title`))).toBe(title);
			expect(await textOf(dialog.locator(`#confirm-${action}-consequence`))).toContain(consequence);
			expect(await page.locator(`#confirm-${action}-continue`).isVisible()).toBe(true);
			await w.expectGood(`${action} asked first`);
			await cancel.click();
			await expectClosed("Cancel");

			// By keyboard: Enter on the opener asks again; Escape closes it.
			await page.keyboard.press("Enter");
			await expectOpen("Enter");
			await page.keyboard.press("Escape");
			await expectClosed("Escape");
		}
		expect(await accountState(), "nothing happened").toEqual(before);
	}, 180_000);

	it("each Security page keeps its URL: reload shows it again, Back the one before; the turn-off dialog has its own", async () => {
		const { page } = w;
		await page.goto(SECURITY);
		for (const [index, { link, path, title }] of PAGES.entries()) {
			if (index > 0) await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: link, exact: true }));
			for (const attempt of ["opened", "reloaded"]) {
				if (attempt === "reloaded") await page.reload();
				expect(w.path(), `${link} ${attempt}`).toBe(path);
				expect(await textOf(page.locator("h1")), `${link} ${attempt}`).toBe(title);
				expect(await page.locator("nav.subnav a[aria-current='page']").textContent(), `${link} ${attempt}`).toBe(link);
			}
			expect(await textOf(page.locator(".account-menu__email"))).toBe(LONG_EMAIL);
			await w.expectGood(`${title} page`);
		}
		for (let index = PAGES.length - 2; index >= 0; index--) {
			await page.goBack();
			expect(w.path(), `Back to ${PAGES[index]!.link}`).toBe(PAGES[index]!.path);
			expect(await textOf(page.locator("h1"))).toBe(PAGES[index]!.title);
		}

		// Turning 2FA off: past the question, the password-and-code dialog is a page of its own.
		await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Two-factor" }));
		await page.locator("#turn-off-two-factor").click();
		await w.clickAndLoad(page.locator("#confirm-turn-off-two-factor-continue"));
		const disable = page.locator("dialog#two-factor-disable");
		expect(w.path()).toBe(`${TWO_FACTOR}/disable`);
		await page.reload();
		await disable.getByRole("heading", { name: "Turn off two-factor authentication?" }).waitFor();
		await w.expectGood("turn-off dialog, reloaded");
		await page.goBack();
		expect(w.path()).toBe(TWO_FACTOR);
		expect(await disable.count()).toBe(0);
		await page.goForward();
		expect(w.path()).toBe(`${TWO_FACTOR}/disable`);
		// "Keep it on" leads back with the focus on the opener.
		await w.clickAndLoad(disable.getByRole("link", { name: "Keep it on" }));
		expect(page.url()).toMatch(/\/two-factor#turn-off-two-factor$/);
		expect(await isFocused(page.locator("#turn-off-two-factor")), await focusedElement(page)).toBe(true);

		// A refused code there (its message may name the account: the long email wraps).
		await page.locator("#turn-off-two-factor").click();
		await w.clickAndLoad(page.locator("#confirm-turn-off-two-factor-continue"));
		await disable.locator("#disable-password").fill(PASSWORD);
		await disable.locator("#disable-code").fill(wrongCode(h, account.secret));
		await w.clickAndLoad(disable.getByRole("button", { name: "Turn off" }));
		await fieldError(disable, "disable-code");
		await w.expectGood("turn-off dialog with a refused code");
		await w.clickAndLoad(disable.getByRole("link", { name: "Keep it on" }));
	}, 180_000);

	it("without JavaScript the server asks first: the confirm page's Cancel leads back, its button performs the action", async () => {
		const noScript = await h.newPage({ viewport: NARROW, javaScriptEnabled: false });
		const { page } = noScript;
		await signInWithCode(h, noScript, LONG_EMAIL, PASSWORD, account.secret, { check: true });
		h.advance(10 * MINUTE_MS);
		await page.goto(SESSIONS);
		expect(await page.locator("#session-list > li").count()).toBe(3);
		// No script ran: the closed dialogs stay closed.
		expect(await page.locator("dialog[open]").count()).toBe(0);
		await noScript.expectGood("sessions page without JavaScript");
		const ask = page.locator("dialog#confirm-revoke-others");
		const openConfirmPage = async (): Promise<Locator> => {
			await noScript.clickAndLoad(page.locator("#sign-out-others"));
			expect(noScript.path()).toBe(`${SESSIONS}/revoke-others`);
			expect(await ask.getAttribute("open")).not.toBeNull();
			expect(await textOf(ask.locator("#confirm-revoke-others-title"))).toBe("Sign out 2 other sessions?");
			expect(await textOf(ask.locator("#confirm-revoke-others-consequence"))).toContain("This device stays signed in.");
			expect(await ask.getByRole("link", { name: "Cancel" }).getAttribute("autofocus")).not.toBeNull();
			return ask;
		};

		// The confirm page, then its Cancel: back on the Sessions page, nobody signed out.
		await openConfirmPage();
		await noScript.expectGood("confirm page without JavaScript");
		await noScript.clickAndLoad(ask.getByRole("link", { name: "Cancel" }));
		expect(page.url()).toMatch(/\/sessions#sign-out-others$/);
		expect(await page.locator("#session-list > li").count()).toBe(3);

		// Again, and its button: "Confirm it's you" (ten minutes on), then done.
		await openConfirmPage();
		await noScript.clickAndLoad(page.locator("#confirm-revoke-others-continue"));
		const confirm = page.locator("dialog#reauthenticate");
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		await noScript.expectGood("Confirm it's you without JavaScript");
		await confirm.locator("#reauth-password").fill(PASSWORD);
		await confirm.locator("#reauth-code").fill(freshCode(h, account.secret));
		await noScript.clickAndLoad(confirm.getByRole("button", { name: "Confirm and sign out other sessions" }));
		expect(noScript.path()).toBe(`${SESSIONS}?done=others-signed-out&n=2`);
		expect(await page.locator("#session-list > li").count()).toBe(1);
		await noScript.expectGood("other sessions signed out without JavaScript");
		// The notice is a state with its own URL too: a reload shows it again, and does nothing more.
		await page.reload();
		expect(await textOf(page.locator("#sessions-notice"))).toBe("Signed out 2 other sessions. Only this device is still signed in.");
		expect(await sessionStatus(w)).toBe(401);

		// Turning 2FA off without the script: the link leads straight to the dialog that asks for the password and a code.
		await page.goto(TWO_FACTOR);
		await noScript.clickAndLoad(page.locator("#turn-off-two-factor"));
		expect(noScript.path()).toBe(`${TWO_FACTOR}/disable`);
		expect(await textOf(page.locator("dialog#two-factor-disable"))).toContain("Signing in will need only your password.");
		await noScript.expectGood("turn-off dialog without JavaScript");
		await noScript.clickAndLoad(page.getByRole("link", { name: "Keep it on" }));
		expect(await textOf(page.locator("#two-factor-status"))).toBe("Two-factor authentication is on");
		await noScript.expectGood("Two-factor page without JavaScript");
	}, 180_000);
});
