/**
 * Forward-auth in Chromium through real proxies (issue 12): the journey of a person opening a
 * protected app, through nginx and through Caddy started from docs/integrations/
 * (test/helpers/forward-auth-stack.ts). Chromium resolves `*.example.test` to 127.0.0.1
 * (`--host-resolver-rules`), so it sees the same hosts and cookies as in production, on the
 * proxy's port.
 *
 * Journey: open http://app.example.test/secure/reports?tab=open (a two_factor path) -> deadbolt's
 * sign-in page (on auth.example.test) -> password -> authenticator code -> back to the app, which
 * asks for the authenticator to be confirmed by email once -> "Email me the link" -> the mailed
 * link, opened in the same browser -> "Confirm my authenticator app" -> back on the very URL of
 * the app, which got deadbolt's identity headers at AAL2.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { beginSetup, confirmSetup, expectAnswer, nextStepCode, PASSWORD, signUp, uniqueEmail } from "../helpers/api-flows.js";
import { launchChromium } from "../helpers/chromium.js";
import { startForwardAuthStack, type ForwardAuthStack } from "../helpers/forward-auth-stack.js";
import { lastMailedToken } from "../helpers/mailed-links.js";
import { PROXY_KINDS, proxyUnmet, stopProxies, type EchoedRequest } from "../helpers/proxies.js";
import { describeWhen } from "../helpers/requirements.js";

for (const kind of PROXY_KINDS) {
	describeWhen(`forward-auth in Chromium through ${kind}`, proxyUnmet(kind), () => {
		let stack: ForwardAuthStack;
		let browser: Browser;
		beforeAll(async () => {
			stack = await startForwardAuthStack(kind);
			browser = await launchChromium(["--host-resolver-rules=MAP *.example.test 127.0.0.1"]);
		});
		afterAll(async () => {
			await browser?.close();
			await stack?.close();
			await stopProxies();
		});

		it("takes an anonymous visitor through sign-in, the code and the one-time confirmation by email back to the app, which gets the identity", async () => {
			// An account with a verified address and 2FA on, made over the JSON API.
			const account = await signUp(stack.api, uniqueEmail("browser"));
			expectAnswer(await stack.api.post("/api/v1/email/verify", { body: { token: await lastMailedToken(stack.store, account.email, "email.verify") } }), 200);
			const setup = await beginSetup(stack.api, account.token);
			await confirmSetup(stack.api, setup.token, setup.authenticator);

			const context = await browser.newContext();
			const page = await context.newPage();
			const target = `${stack.appOrigin}/secure/reports?tab=open`;
			await page.goto(target);
			expect(page.url().startsWith(`${stack.publicUrl}/dashboard/sign-in`), page.url()).toBe(true);
			expect(new URL(page.url()).searchParams.get("rd")).toBe(target);

			await page.locator("#email").fill(account.email);
			await page.locator("#password").fill(PASSWORD);
			await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
			expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in/code");
			await page.locator("#code").fill(nextStepCode(setup.authenticator));
			// Back to the app, which sends the browser to confirm the authenticator (enrolled with the password alone) by email.
			await Promise.all([page.waitForURL((url) => url.pathname === "/dashboard/step-up"), page.getByRole("button", { name: "Verify", exact: true }).click()]);
			expect(new URL(page.url()).searchParams.get("rd")).toBe(target);
			await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Email me the link", exact: true }).click()]);
			expect(await page.locator("#mail-confirmation-sent").innerText()).toContain(account.email);
			const link = `${stack.publicUrl}/dashboard/confirm-two-factor?token=${encodeURIComponent(await lastMailedToken(stack.store, account.email, "two_factor.confirm"))}`;
			await page.goto(link);
			await Promise.all([page.waitForURL(target), page.getByRole("button", { name: "Confirm my authenticator app", exact: true }).click()]);

			expect(page.url()).toBe(target);
			const echoed = JSON.parse(await page.locator("body").innerText()) as EchoedRequest;
			expect(echoed.url).toBe("/secure/reports?tab=open");
			expect(echoed.headers["remote-user"]).toBe(account.email);
			expect(echoed.headers["remote-account-id"]).toBe(account.accountId);
			expect(echoed.headers["remote-aal"]).toBe("aal2");
			expect(String(echoed.headers.cookie ?? "")).not.toContain("deadbolt_");
			await context.close();
		});
	});
}
