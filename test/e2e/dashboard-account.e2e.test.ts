/**
 * End to end, in Chromium: managing an account's security through the dashboard's Security pages,
 * on the shared harness (test/helpers/browser.ts: every page and state visited passes axe-core in
 * light and dark mode, fits 390 and 320 px, and logs no console, CSP, script or request error).
 * The account has two-factor authentication on from the start (made by the service: the setup
 * itself is dashboard-two-factor.e2e.test.ts's journey); a second browser context is another
 * device, a phone. The server's clock is moved (not the test's) to let the 5-minute "Confirm
 * it's you" window close and to get each TOTP step fresh.
 *
 * Journey: the phone signs in with a recovery code, this computer with a code -> the summary and
 * the Sessions page list both -> sign out the phone -> ten minutes later, change the password
 * with a code in the same form (a short one refused first; the phone is signed out) -> sign out
 * other sessions by keyboard alone (asked first) -> "Remember this device" (a slow phone clock's
 * code refused with the clock hint, then accepted with the home notice) -> the next sign-in skips
 * the code -> forget this device -> remember two devices, then forget all (asked first, then
 * "Confirm it's you") -> "I think my account is compromised" (a wrong code first) -> the activity
 * in sentences -> sign out everywhere (asked first, then "Confirm it's you"). And an account made
 * without a password: the sign-in link, the summary's banners, the setup whose first step sets
 * the password.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE, PHONE_USER_AGENT, startBrowserHarness, type BrowserHarness, type WatchedPage } from "../helpers/browser.js";
import {
	codeAt,
	enrolledAccount,
	fieldError,
	finishSetup,
	focusedElement,
	freshCode,
	isFocused,
	MINUTE_MS,
	PERIOD_MS,
	passwordStep,
	recoveryCodesIn,
	RECOVERY_CODE_REFUSED,
	signInWithCode,
	signInWithRecoveryCode,
	signOut,
	tabTo,
	textOf,
	wrongCode,
	type EnrolledAccount,
} from "../helpers/dashboard-steps.js";

const EMAIL = "ada.lovelace@example.com";
const PASSWORD = "correct horse battery staple 42";
const NEW_PASSWORD = "a brand new passphrase for ada 2024";
const THIRD_PASSWORD = "secured again: a third passphrase for ada";
const SESSIONS = "/dashboard/settings/security/sessions";

describe("dashboard: sessions, devices, password and activity, end to end in Chromium", () => {
	let h: BrowserHarness;
	/** This computer. */
	let w: WatchedPage;
	/** Another device: Safari on an iPhone. */
	let phone: WatchedPage;
	let account: EnrolledAccount;
	let secret = "";

	beforeAll(async () => {
		h = await startBrowserHarness();
		account = await enrolledAccount(h, EMAIL, PASSWORD);
		secret = account.secret;
		w = await h.newPage();
		phone = await h.newPage({ viewport: PHONE, userAgent: PHONE_USER_AGENT });
	});

	afterAll(async () => {
		await h?.close();
	});

	/** The phone's next page is the sign-in page: its session ended. */
	async function expectPhoneSignedOut(): Promise<void> {
		await phone.page.goto("/dashboard");
		expect(phone.path()).toBe("/dashboard/sign-in");
	}

	/** Answers "Confirm it's you" with `password` and a fresh code (after the page checks, named `what`). */
	async function confirmItsYou(what: string, password: string, button: string): Promise<void> {
		const confirm = w.page.locator("dialog#reauthenticate");
		await confirm.getByRole("heading", { name: "Confirm it's you" }).waitFor();
		await w.expectGood(what);
		await confirm.locator("#reauth-password").fill(password);
		await confirm.locator("#reauth-code").fill(freshCode(h, secret));
		await w.clickAndLoad(confirm.getByRole("button", { name: button }));
	}

	it("two devices: sessions, signing one out, the password with a code, and signing out the others by keyboard", async () => {
		const { page } = w;
		await signInWithRecoveryCode(phone, EMAIL, PASSWORD, account.recoveryCodes[0]!);
		expect(phone.path()).toBe("/dashboard?signed-in-with=recovery-code");
		await phone.expectGood("home on a phone after a recovery-code sign-in");
		await signInWithCode(h, w, EMAIL, PASSWORD, secret);

		// The summary counts both sessions, and leads to them.
		await w.clickAndLoad(page.getByRole("link", { name: "Security", exact: true }));
		expect(await textOf(page.locator("#summary-sessions .summary__status"))).toBe("2 active sessions · 0 remembered devices");
		expect(await textOf(page.locator("#summary-activity .summary__status")), "the computer is a device the account had not signed in from").toMatch(/^Signed in with password and authenticator code \(new device\), /);
		await w.expectGood("summary with two sessions");
		await w.clickAndLoad(page.locator("#summary-sessions").getByRole("link", { name: /^Review/ }));
		expect(w.path()).toBe(SESSIONS);
		expect(await page.locator("nav.subnav a[aria-current='page']").textContent()).toBe("Sessions & devices");

		// "Where you're signed in": both sessions, this one marked "This device" and not signed out from here.
		const sessions = page.locator("#session-list > li");
		expect(await sessions.count()).toBe(2);
		const thisDevice = sessions.filter({ hasText: "This device" });
		expect(await textOf(thisDevice)).toContain("127.0.0.1");
		expect(await textOf(thisDevice)).toContain("Active now");
		expect(await thisDevice.getByRole("button").count()).toBe(0);
		const phoneSession = sessions.filter({ hasText: "Safari on iOS" });
		expect(await textOf(phoneSession)).toMatch(/Signed in .+ UTC · Last active .+ UTC/);
		expect(await textOf(page.locator("#no-devices"))).toContain("No remembered devices.");
		await w.expectGood("sessions page with two sessions");
		await phone.page.goto(SESSIONS);
		await phone.expectGood("sessions page on a phone");

		// Sign out the phone (one session, asked nothing): its next page is the sign-in page.
		await w.clickAndLoad(phoneSession.getByRole("button", { name: /^Sign out/ }));
		expect(w.path()).toBe(`${SESSIONS}?done=session-revoked`);
		expect(await textOf(page.locator("#sessions-notice"))).toContain("Signed out that session.");
		expect(await sessions.count()).toBe(1);
		await w.expectGood("sessions page, one signed out");
		await expectPhoneSignedOut();
		await signInWithRecoveryCode(phone, EMAIL, PASSWORD, account.recoveryCodes[1]!);

		// Ten minutes later, outside the "Confirm it's you" window: the password form asks for a code
		// too. A refused new password keeps the confirmation: no code asked again.
		h.advance(10 * MINUTE_MS);
		await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Password" }));
		expect(w.path()).toBe("/dashboard/settings/security/password");
		const card = page.locator("section#password");
		expect(await card.locator("#current-password").getAttribute("autocomplete")).toBe("current-password");
		expect(await card.locator("#new-password").getAttribute("autocomplete")).toBe("new-password");
		await card.getByText("Confirm it's you").waitFor();
		await w.expectGood("password page, a code asked");
		await card.locator("#current-password").fill(PASSWORD);
		await card.locator("#new-password").fill("short");
		await card.locator("#password-code").fill(freshCode(h, secret));
		await w.clickAndLoad(card.getByRole("button", { name: "Change password" }));
		expect(await textOf(card.locator("#new-password-error"))).toMatch(/at least \d+ characters/i);
		expect(await card.locator("#password-code").count()).toBe(0);
		await w.expectGood("password page with an error");
		await card.locator("#current-password").fill(PASSWORD);
		await card.locator("#new-password").fill(NEW_PASSWORD);
		await w.clickAndLoad(card.getByRole("button", { name: "Change password" }));
		expect(w.path()).toBe("/dashboard/settings/security/password?done=password-changed&n=1");
		expect(await textOf(page.locator("#password-notice"))).toBe("Your password has been changed. For your security, we signed you out on 1 other session.");
		await w.expectGood("password changed");
		await expectPhoneSignedOut();
		await signInWithRecoveryCode(phone, EMAIL, NEW_PASSWORD, account.recoveryCodes[2]!);
		expect(phone.path()).toBe("/dashboard?signed-in-with=recovery-code");

		// Still inside the window the code opened: "Sign out all other sessions", by keyboard alone.
		// Tab to it, Enter asks first (the focus on Cancel), Tab to the confirm button, Enter.
		await page.goto(SESSIONS);
		await tabTo(page, page.locator("#sign-out-others"));
		await page.keyboard.press("Enter");
		const ask = page.locator("dialog#confirm-revoke-others");
		await ask.waitFor();
		expect(await textOf(ask.locator("#confirm-revoke-others-title"))).toBe("Sign out your other session?");
		expect(await textOf(ask.locator("#confirm-revoke-others-consequence"))).toContain("This device stays signed in.");
		expect(await isFocused(ask.getByRole("button", { name: "Cancel" })), await focusedElement(page)).toBe(true);
		await w.expectGood("sign out other sessions asked first");
		await page.keyboard.press("Tab");
		expect(await isFocused(page.locator("#confirm-revoke-others-continue")), await focusedElement(page)).toBe(true);
		await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
		expect(w.path()).toBe(`${SESSIONS}?done=others-signed-out&n=1`);
		expect(await textOf(page.locator("#sessions-notice"))).toBe("Signed out 1 other session. Only this device is still signed in.");
		expect(await sessions.count()).toBe(1);
		expect(await page.locator("#sign-out-others").count()).toBe(0);
		await w.expectGood("other sessions signed out");
		await expectPhoneSignedOut();
	}, 240_000);

	it("remembered devices: remember, skip the code, forget one, forget all (asked first), then the compromised form, the activity and sign out everywhere", async () => {
		const { page } = w;
		const trustedCookie = async (target: WatchedPage) => (await target.context.cookies()).find((cookie) => cookie.name === "deadbolt_trusted_device") ?? null;

		// "Remember this device" at the code step. Three steps on, a code from five steps back (a phone
		// clock 2.5 minutes slow) is refused with the clock hint, the box stays ticked.
		await signOut(w);
		await passwordStep(w, EMAIL, NEW_PASSWORD);
		const remember = page.getByLabel("Remember this device for 30 days");
		expect(await remember.isChecked()).toBe(false);
		expect(await textOf(page.locator("#remember-device-hint"))).toBe("You'll still need your password. Don't use this on a shared computer.");
		await remember.check();
		h.advance(3 * PERIOD_MS);
		await page.locator("#code").fill(codeAt(h, secret, -5 * PERIOD_MS));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(await textOf(page.locator("#code-error"))).toMatch(/^That code is not valid right now\. Your device's clock seems to be about \d+ (seconds|minutes) behind\./);
		expect(await page.getByLabel("Remember this device for 30 days").isChecked()).toBe(true);
		await w.expectGood("code step with the clock hint");
		// The previous step's code (a clock a little behind) is accepted, and the home page says so.
		await page.locator("#code").fill(codeAt(h, secret, -PERIOD_MS));
		await w.clickAndLoad(page.getByRole("button", { name: "Verify", exact: true }));
		expect(w.path()).toMatch(/^\/dashboard\?clock=(behind|ahead)$/);
		expect(await textOf(page.locator("#clock-notice"))).toMatch(/^Your device's clock seems to be a little (behind|ahead)\. The code worked/);
		await w.expectGood("home with the clock notice");
		const cookie = await trustedCookie(w);
		expect([cookie?.httpOnly, cookie?.sameSite]).toEqual([true, "Lax"]);
		expect(cookie?.expires ?? 0).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
		// Free text in the URL never reaches the page: only the two fixed words do anything.
		await page.goto("/dashboard?clock=%3Cb%3Eyour%20clock%20is%20broken%3C%2Fb%3E");
		expect(await page.locator("#clock-notice").count()).toBe(0);

		// Signed out, the password alone now goes straight in (and the device's token is rotated).
		await signOut(w);
		await passwordStep(w, EMAIL, NEW_PASSWORD);
		expect(w.path()).toBe("/dashboard");
		expect((await trustedCookie(w))?.value).not.toBe(cookie?.value);

		// The summary counts it; the Sessions page lists it as this device; "Forget" it.
		await page.goto("/dashboard/settings/security");
		expect(await textOf(page.locator("#summary-sessions .summary__status"))).toBe("1 active session · 1 remembered device");
		await w.expectGood("summary with a remembered device");
		await page.goto(SESSIONS);
		const devices = page.locator("#device-list > li");
		expect(await textOf(devices.first())).toMatch(/This device .*127\.0\.0\.1 · Remembered .+ UTC · Last used .+ UTC · Until .+ UTC/);
		await w.expectGood("sessions page with a remembered device");
		await w.clickAndLoad(devices.first().getByRole("button", { name: /^Forget/ }));
		expect(w.path()).toBe(`${SESSIONS}?done=device-forgotten`);
		expect(await textOf(page.locator("#devices-notice"))).toContain("Forgot that device.");
		expect(await devices.count()).toBe(0);
		await w.expectGood("sessions page, device forgotten");

		// Both devices remembered; ten minutes later "Forget all devices" asks first, then "Confirm it's you".
		await signOut(w);
		await passwordStep(w, EMAIL, NEW_PASSWORD);
		expect(w.path()).toBe("/dashboard/sign-in/code");
		expect(await trustedCookie(w)).toBeNull();
		await signInWithCode(h, w, EMAIL, NEW_PASSWORD, secret, { remember: true });
		await signInWithCode(h, phone, EMAIL, NEW_PASSWORD, secret, { remember: true });
		h.advance(10 * MINUTE_MS);
		await page.goto(SESSIONS);
		expect(await devices.count()).toBe(2);
		await page.locator("#forget-all-devices").click();
		const ask = page.locator("dialog#confirm-forget-all-devices");
		await ask.waitFor();
		expect(await textOf(ask.locator("#confirm-forget-all-devices-title"))).toBe("Forget all 2 remembered devices?");
		expect(await textOf(ask.locator("#confirm-forget-all-devices-consequence"))).toContain("Nobody is signed out.");
		await w.expectGood("forget all devices asked first");
		await w.clickAndLoad(ask.getByRole("button", { name: "Forget all devices" }));
		await confirmItsYou("Confirm it's you before forgetting all devices", NEW_PASSWORD, "Confirm and forget all devices");
		expect(w.path()).toBe(`${SESSIONS}?done=devices-forgotten&n=2`);
		expect(await textOf(page.locator("#devices-notice"))).toBe("Forgot 2 remembered devices. Each asks for a code at its next sign-in.");
		expect(await page.locator("#session-list > li").count()).toBe(2);
		await w.expectGood("all devices forgotten");

		// "I think my account is compromised", ten minutes later, from the summary's link: the code
		// goes in the same form (a wrong one first). The summary, then the new recovery codes.
		h.advance(10 * MINUTE_MS);
		await page.goto("/dashboard/settings/security");
		await w.clickAndLoad(page.locator("#compromised-link"));
		expect(w.path()).toBe("/dashboard/settings/security/compromised");
		const compromised = page.locator("section#compromised");
		expect(await textOf(compromised.locator("#compromised-steps"))).toContain("Your recovery codes are replaced.");
		await w.expectGood("compromised page");
		const secure = async (code: string) => {
			await compromised.locator("#compromised-current-password").fill(NEW_PASSWORD);
			await compromised.locator("#compromised-new-password").fill(THIRD_PASSWORD);
			await compromised.locator("#compromised-code").fill(code);
			await w.clickAndLoad(compromised.getByRole("button", { name: "Secure my account" }));
		};
		await secure(wrongCode(h, secret));
		await fieldError(compromised, "compromised-code");
		await w.expectGood("compromised form with an error");
		await secure(freshCode(h, secret));
		const secured = page.locator("dialog#account-secured");
		await secured.getByRole("heading", { name: "Your account is secured" }).waitFor();
		expect((await secured.locator("#secured-summary li").allTextContents()).map((text) => text.replace(/\s+/g, " ").trim())).toEqual([
			"Your password has been changed.",
			"Signed out 1 other session.",
			"There were no remembered devices to forget.",
			"There were no access tokens to revoke.",
			"Replaced your recovery codes: the old ones no longer work.",
		]);
		const securedCodes = await recoveryCodesIn(secured);
		expect(securedCodes).toHaveLength(account.recoveryCodes.length);
		await w.expectGood("account secured");
		await w.clickAndLoad(secured.getByRole("link", { name: "Done" }));
		expect(w.path()).toBe("/dashboard/settings/security");
		await expectPhoneSignedOut();
		// An old recovery code is refused at sign-in.
		await signInWithRecoveryCode(phone, EMAIL, THIRD_PASSWORD, account.recoveryCodes[3]!);
		expect(await textOf(phone.page.locator("#recovery-code-error"))).toBe(RECOVERY_CODE_REFUSED);
		await phone.expectGood("recovery-code step with an error, on a phone");

		// The activity (the latest 20 events): newest first, one sentence each, with time (UTC), IP address and device.
		await w.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Activity" }));
		const activity = page.locator("#activity-list > li");
		const sentences = (await activity.locator(".activity__what").allTextContents()).map((text) => text.trim());
		expect(sentences).toHaveLength(20);
		expect(sentences.slice(0, 2)).toEqual(["Wrong authenticator or recovery code entered", "Account secured: password changed, other sessions signed out, access tokens revoked"]);
		expect(sentences).toEqual(
			expect.arrayContaining([
				"All remembered devices forgotten (2)",
				"Confirmed it's you with password and authenticator code",
				"A remembered device was forgotten",
				"This device was remembered",
				"Signed in with password and remembered device",
				"Signed out all other sessions (1)",
				"Signed in with password and recovery code",
				"Password changed",
			]),
		);
		expect(await textOf(activity.nth(1))).toMatch(/^Account secured: .+ \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC · 127\.0\.0\.1 · /);
		await w.expectGood("activity page");

		// Ten minutes later, with the phone signed in again, "Sign out everywhere": asked first
		// (naming both sessions), then "Confirm it's you"; it ends this session too.
		await signInWithCode(h, phone, EMAIL, THIRD_PASSWORD, secret);
		h.advance(10 * MINUTE_MS);
		await page.goto(SESSIONS);
		await page.locator("#sign-out-everywhere").click();
		const everywhere = page.locator("dialog#confirm-sign-out-everywhere");
		await everywhere.waitFor();
		expect(await textOf(everywhere.locator("#confirm-sign-out-everywhere-consequence"))).toContain("Every session ends (2 sessions), this one too");
		await w.expectGood("sign out everywhere asked first");
		await w.clickAndLoad(everywhere.getByRole("button", { name: "Sign out everywhere" }));
		await confirmItsYou("Confirm it's you before signing out everywhere", THIRD_PASSWORD, "Confirm and sign out everywhere");
		expect(w.path()).toBe("/dashboard/sign-in?notice=signed-out-everywhere");
		await page.getByText("You have signed out everywhere").waitFor();
		await w.expectGood("signed out everywhere");
		await expectPhoneSignedOut();
	}, 300_000);

	it("an account made without a password: the sign-in link, the summary's banners, then the setup's first step sets the password", async () => {
		// The operator (or the integrator's backend) creates the account and a one-time link.
		const email = "grace.hopper@example.com";
		const graceFirst = "grace's first good passphrase";
		await h.deadbolt.createAccountWithoutPassword(email);
		const link = await h.deadbolt.issueSignInLink(email);
		const tab = await h.newPage();
		const { page } = tab;

		// Opening the link only asks; "Continue" signs in and lands on the Password page.
		await page.goto(`/dashboard/sign-in-link?token=${encodeURIComponent(link.token)}`);
		await page.getByRole("heading", { name: "Continue signing in" }).waitFor();
		expect(await textOf(page.locator("main"))).toContain(email);
		await tab.expectGood("sign-in link page");
		await tab.clickAndLoad(page.getByRole("button", { name: "Continue" }));
		expect(tab.path()).toBe("/dashboard/settings/security/password?done=signed-in-with-link");
		expect(await page.locator("#no-password").count()).toBe(1);
		await tab.expectGood("password page after a sign-in link");

		// The same link a second time: refused, in words.
		const again = await h.newPage();
		await again.page.goto(`/dashboard/sign-in-link?token=${encodeURIComponent(link.token)}`);
		expect(await textOf(again.page.locator("#sign-in-link-error"))).toContain("expired or was already used");
		await again.expectGood("sign-in link used twice");
		await again.context.close();

		// The summary: no password and 2FA off, each banner with its action.
		await tab.clickAndLoad(page.locator("nav.subnav").getByRole("link", { name: "Overview" }));
		expect(await textOf(page.locator("#summary-password .summary__status"))).toBe("Not set yet");
		expect(await page.locator("#banner-set-password").getAttribute("href")).toBe("/dashboard/settings/security/password");
		await tab.expectGood("summary without a password");

		// The setup's step 1 sets the password: a common one is refused, a good one goes on.
		await tab.clickAndLoad(page.locator("#banner-setup-two-factor"));
		const dialog = page.locator("dialog#two-factor-setup");
		await dialog.getByRole("heading", { name: "Set a password" }).waitFor();
		expect(await textOf(dialog.locator(".stepper"))).toContain("Set password");
		const newPassword = dialog.getByLabel("New password", { exact: true });
		expect(await newPassword.getAttribute("autocomplete")).toBe("new-password");
		await tab.expectGood("setup step 1, set a password");
		await newPassword.fill("password");
		await tab.clickAndLoad(dialog.getByRole("button", { name: "Set password and continue" }));
		expect(await textOf(dialog.locator(".field__error"))).not.toBe("");
		await tab.expectGood("setup step 1, set a password, with an error");
		await newPassword.fill(graceFirst);
		await tab.clickAndLoad(dialog.getByRole("button", { name: "Set password and continue" }));
		await dialog.getByRole("heading", { name: "Connect your authenticator app" }).waitFor();
		const graceSecret = ((await page.locator("#secret-key").getAttribute("data-copy-value")) ?? "").trim();
		await tab.expectGood("setup steps 2-3 after setting the password");
		await dialog.locator("#code").fill(codeAt(h, graceSecret));
		await tab.clickAndLoad(dialog.getByRole("button", { name: "Verify and turn on" }));
		await dialog.getByRole("heading", { name: "Two-factor authentication is on" }).waitFor();
		const graceCodes = await recoveryCodesIn(dialog);
		await tab.expectGood("setup step 4 after setting the password");
		await finishSetup(tab, dialog, graceCodes[0]!);
		expect(tab.path()).toBe("/dashboard/settings/security/two-factor?done=two-factor-on");
		await tab.expectGood("Two-factor page, 2FA on after setting the password");
		await page.goto("/dashboard/settings/security");
		expect(await textOf(page.locator("#summary-password .summary__status"))).toBe("Set");
		expect(await page.locator("#no-password-banner, #two-factor-off-banner").count()).toBe(0);

		// From now on: the new password, then the code.
		await signOut(tab);
		await signInWithCode(h, tab, email, graceFirst, graceSecret);
		await tab.context.close();
	}, 180_000);
});
