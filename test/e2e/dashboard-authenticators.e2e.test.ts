/**
 * End to end, in Chromium: several authenticator apps (issue 14 item 3) on the shared harness
 * (test/helpers/browser.ts: every page and state visited passes axe-core in light and dark mode,
 * fits 390 and 320 px without sideways scrolling, and logs no console, CSP, script or request
 * error). The authenticator apps are `oathtool` (or the npm package `otpauth`), computing codes
 * from the keys read off the page at the server's clock.
 *
 * Journey: an account with one app (made by the service) signs in -> the Two-factor page lists
 * it, without Remove (the last one) -> ten minutes later, "Add another authenticator app" asks
 * first, then "Confirm it's you", then the new app's key, named "Tablet" beside its code -> the
 * page says it was added and lists both; the first one is renamed -> sign out, sign in with the
 * Tablet's code -> ten minutes later, Remove the first one: asked first (naming what ends), then
 * "Confirm it's you" with the Tablet's code -> only the Tablet is left, without Remove -> the
 * removed app's code no longer signs in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";
import { enrolledAccount, freshCode, isFocused, MINUTE_MS, passwordStep, sessionStatus, signInWithCode, signOut, textOf, type EnrolledAccount } from "../helpers/dashboard-steps.js";

const EMAIL = "grace.hopper@example.com";
const PASSWORD = "correct horse battery staple 42";
const TWO_FACTOR = "/dashboard/settings/security/two-factor";

describe("dashboard: a second authenticator app, end to end in Chromium", () => {
	let h: BrowserHarness;
	let w: WatchedPage;
	let account: EnrolledAccount;

	beforeAll(async () => {
		h = await startBrowserHarness();
		account = await enrolledAccount(h, EMAIL, PASSWORD);
		w = await h.newPage();
	});

	afterAll(async () => {
		await h?.close();
	});

	it("adds a second app named Tablet, signs in with it, removes the first", async () => {
		const { page } = w;
		await signInWithCode(h, w, EMAIL, PASSWORD, account.secret);
		await page.goto(TWO_FACTOR);
		const rows = page.locator("#authenticator-list > li");
		expect(await rows.count()).toBe(1);
		expect(await textOf(rows.first().locator(".authenticator__name"))).toBe("Authenticator app");
		expect(await textOf(rows.first().locator(".session__meta"))).toMatch(/^Added .+ UTC · Last used .+ UTC$/);
		expect(await rows.first().getByRole("button", { name: /^Remove/ }).count()).toBe(0);
		expect(await textOf(page.locator("#last-authenticator"))).toBe("To stop using two-factor authentication, turn it off below.");
		await w.expectGood("Two-factor page with one authenticator app");

		// Ten minutes later (outside the "Confirm it's you" window): add another, asked first.
		h.advance(10 * MINUTE_MS);
		await page.goto(TWO_FACTOR);
		await page.locator("#add-authenticator").click();
		const ask = page.locator("dialog#confirm-add-authenticator");
		await ask.waitFor();
		expect(await ask.evaluate((dialog) => dialog.matches(":modal"))).toBe(true);
		expect(await textOf(ask.locator("#confirm-add-authenticator-consequence"))).toContain("Your current apps keep working");
		expect(await isFocused(ask.getByRole("button", { name: "Cancel" }))).toBe(true);
		await w.expectGood("add another app asked first");
		await w.clickAndLoad(ask.getByRole("button", { name: "Continue" }));
		const confirm = page.locator("dialog#reauthenticate");
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		expect(await confirm.locator("input[name='action']").inputValue()).toBe("add-authenticator");
		await confirm.locator("#reauth-password").fill(PASSWORD);
		await confirm.locator("#reauth-code").fill(freshCode(h, account.secret));
		await w.clickAndLoad(confirm.getByRole("button", { name: "Confirm and continue" }));

		// The new app's key, then its name beside its code.
		const setup = page.locator("dialog#two-factor-setup");
		await setup.getByRole("heading", { name: "Connect your new authenticator app" }).waitFor();
		const tablet = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		expect(tablet).toMatch(/^[A-Z2-7]{32}$/);
		expect(tablet).not.toBe(account.secret);
		await w.expectGood("add another app, steps 2-3");
		await setup.getByLabel("Name (optional)").fill("Tablet");
		await setup.locator("#code").fill(freshCode(h, tablet));
		await w.clickAndLoad(setup.getByRole("button", { name: "Verify and add" }));
		expect(w.path()).toBe(`${TWO_FACTOR}?done=authenticator-added`);
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Your new authenticator app is added.");
		expect(await rows.locator(".authenticator__name").allTextContents()).toEqual(["Authenticator app", "Tablet"]);
		// Its confirming code was its first use.
		expect(await textOf(rows.nth(1).locator(".session__meta"))).toMatch(/^Added .+ UTC · Last used .+ UTC$/);
		expect(await page.locator("#last-authenticator").count()).toBe(0);
		await w.expectGood("Two-factor page with two authenticator apps");

		// Rename the first one (a small form that opens in its row, no script needed).
		await rows.first().getByText("Rename", { exact: false }).click();
		await rows.first().getByLabel("New name for “Authenticator app”").fill("Old phone");
		await w.expectGood("rename form open");
		await w.clickAndLoad(rows.first().getByRole("button", { name: "Save" }));
		expect(w.path()).toBe(`${TWO_FACTOR}?done=authenticator-renamed`);
		expect(await rows.locator(".authenticator__name").allTextContents()).toEqual(["Old phone", "Tablet"]);

		// Sign out, then sign in with the Tablet's code.
		await signOut(w);
		await signInWithCode(h, w, EMAIL, PASSWORD, tablet);
		expect(await sessionStatus(w)).toBe(200);

		// Ten minutes later: remove the old phone, asked first (naming what ends), then "Confirm it's you".
		h.advance(10 * MINUTE_MS);
		await page.goto(TWO_FACTOR);
		expect(await textOf(rows.first().locator(".session__meta"))).toMatch(/^Added .+ UTC · Last used .+ UTC$/);
		await rows.first().getByRole("button", { name: "Remove “Old phone”" }).click();
		const askRemove = page.locator("dialog.modal--confirm[id^='confirm-remove-authenticator-']:modal");
		await askRemove.waitFor();
		expect(await textOf(askRemove.locator(".modal__title"))).toBe("Remove “Old phone”?");
		expect(await textOf(askRemove.locator("p"))).toContain("Its codes stop working at once.");
		expect(await textOf(askRemove.locator("p"))).toContain("remembered devices are forgotten");
		expect(await isFocused(askRemove.getByRole("button", { name: "Cancel" }))).toBe(true);
		await w.expectGood("remove an app asked first");
		await w.clickAndLoad(askRemove.getByRole("button", { name: "Remove", exact: true }));
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		expect(await confirm.locator("input[name='action']").inputValue()).toBe("remove-authenticator");
		expect(await confirm.getByText("To remove the authenticator app “Old phone”, enter your password", { exact: false }).count()).toBe(1);
		await w.expectGood("Confirm it's you before removing an app");
		await confirm.locator("#reauth-password").fill(PASSWORD);
		await confirm.locator("#reauth-code").fill(freshCode(h, tablet));
		await w.clickAndLoad(confirm.getByRole("button", { name: "Confirm and remove" }));
		expect(w.path()).toBe(`${TWO_FACTOR}?done=authenticator-removed&n=0`);
		expect(await textOf(page.locator("#two-factor-notice"))).toContain("Removed that authenticator app.");
		expect(await rows.locator(".authenticator__name").allTextContents()).toEqual(["Tablet"]);
		expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
		expect(await page.locator("#last-authenticator").count()).toBe(1);
		await w.expectGood("Two-factor page after removing an app");

		// The removed app's code no longer signs in.
		await signOut(w);
		await passwordStep(w, EMAIL, PASSWORD);
		await page.locator("#code").fill(freshCode(h, account.secret));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(w.path()).toBe("/dashboard/sign-in/code");
		expect(await sessionStatus(w)).toBe(401);
	}, 240_000);
});
