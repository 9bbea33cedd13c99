/**
 * End to end, in Chromium, with a real SMTP server process (test/helpers/processes/smtp-sink.mjs,
 * messages parsed with mailparser): "Forgot password?" as a user meets it (issue 11 item 5). The
 * reset mail is read from the SMTP server and its link followed in the browser; every page passes
 * the shared checks (axe-core light and dark, 390/320 px, no console or request error).
 *
 * Journey: an account with 2FA is signed in on a phone -> on a computer, "Forgot password?" from
 * the sign-in page -> the same answer for an address without an account -> the mail arrives, its
 * link built on `http.publicUrl` -> opening it asks for the authenticator code first (the password
 * form is not reachable yet) -> a wrong code changes nothing -> the right code, then the new
 * password -> sign-in page with a notice; the phone is signed out -> the link cannot be used again
 * -> signing in takes the new password AND a code (2FA stayed on) -> the "password changed" alert
 * arrives with its "This wasn't me" link.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserHarness, type BrowserHarness } from "../helpers/browser.js";
import { enrolledAccount, freshCode, PERIOD_MS, sessionStatus, signInWithCode, wrongCode } from "../helpers/dashboard-steps.js";
import { eventually, readMails, startSmtpSink, stopDeliveryProcesses, type SmtpSink } from "../helpers/delivery-processes.js";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new reset password 42";

/** A free loopback port (the server's public URL must be known before it starts). */
async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
	const address = server.address();
	await new Promise<void>((done) => server.close(() => done()));
	if (address === null || typeof address === "string") throw new Error("no port");
	return address.port;
}

describe("forgot password, in Chromium, with a real SMTP server", () => {
	let h: BrowserHarness;
	let sink: SmtpSink;
	const mailDir = mkdtempSync(join(tmpdir(), "deadbolt-e2e-mail-"));
	let publicUrl: string;

	beforeAll(async () => {
		sink = await startSmtpSink(mailDir);
		const port = await freePort();
		publicUrl = `http://127.0.0.1:${port}`;
		h = await startBrowserHarness({
			http: { host: "127.0.0.1", port, publicUrl },
			email: { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: "Deadbolt <no-reply@example.test>" },
			outbox: { pollIntervalMillis: 100 },
		});
	});
	afterAll(async () => {
		await h?.close();
		await stopDeliveryProcesses();
		rmSync(mailDir, { recursive: true, force: true });
	});

	const mailsTo = async (to: string, subject: RegExp) => (await readMails(mailDir)).filter((mail) => mail.to !== undefined && JSON.stringify(mail.to).includes(to) && subject.test(mail.subject ?? ""));

	it("resets the password through the mailed link, asking the code first; 2FA stays on and every session ends", async () => {
		const account = await enrolledAccount(h, "reset-journey@example.test", PASSWORD);
		const phone = await h.newPage();
		await signInWithCode(h, phone, account.email, account.password, account.secret);
		expect(await sessionStatus(phone)).toBe(200);
		h.advance(PERIOD_MS);

		const w = await h.newPage();
		await w.page.goto("/dashboard/sign-in");
		await w.clickAndLoad(w.page.getByRole("link", { name: "Forgot password?" }));
		expect(w.path()).toBe("/dashboard/forgot-password");
		await w.expectGood("forgot-password form");
		await w.page.locator("#email").fill("nobody-here@example.test");
		await w.clickAndLoad(w.page.getByRole("button", { name: "Send reset link" }));
		const unknownAnswer = await w.page.locator("main").innerText();
		await w.page.goto("/dashboard/forgot-password");
		await w.page.locator("#email").fill(account.email);
		await w.clickAndLoad(w.page.getByRole("button", { name: "Send reset link" }));
		await w.expectGood("forgot-password answer");
		expect(await w.page.locator("main").innerText(), "the same answer with and without an account").toBe(unknownAnswer);

		const [mail] = await eventually(async () => {
			const found = await mailsTo(account.email, /reset/i);
			return found.length > 0 ? found : undefined;
		}, "the reset mail");
		const link = /https?:\/\/\S+\/dashboard\/reset-password\?token=[^\s"<>]+/.exec(mail!.text ?? "")?.[0];
		expect(link, "a reset link in the plain-text part").toBeDefined();
		expect(link!.startsWith(`${publicUrl}/`), "built on http.publicUrl").toBe(true);
		expect(mail!.html || "", "an HTML part with the same link").toContain(link!.replace(/&/g, "&amp;"));

		await w.page.goto(link!);
		await w.expectGood("reset link: the code step");
		expect(await w.page.getByRole("heading", { name: "Confirm it's you" }).count()).toBe(1);
		expect(await w.page.locator("input[type='password']").count(), "no password field before the code").toBe(0);

		await w.page.locator("#reset-code").fill(wrongCode(h, account.secret));
		await w.clickAndLoad(w.page.getByRole("button", { name: "Continue" }));
		expect(await w.page.getByRole("alert").or(w.page.locator(".field__error")).first().innerText()).not.toBe("");
		expect(await sessionStatus(phone), "a wrong code changes nothing").toBe(200);

		await w.page.locator("#reset-code").fill(freshCode(h, account.secret));
		await w.clickAndLoad(w.page.getByRole("button", { name: "Continue" }));
		await w.expectGood("reset link: the new password");
		await w.page.locator("#new-password").fill(NEW_PASSWORD);
		await w.clickAndLoad(w.page.getByRole("button", { name: "Set new password" }));
		expect(w.path()).toMatch(/^\/dashboard\/sign-in/);
		await w.expectGood("sign-in after the reset");
		expect(await sessionStatus(w), "a reset signs nobody in").toBe(401);
		expect(await sessionStatus(phone), "the phone's session ended").toBe(401);

		await w.page.goto(link!);
		expect(await w.page.getByRole("heading", { name: "This link can't be used" }).count(), "the link works once").toBe(1);
		await w.expectGood("a used reset link");

		h.advance(PERIOD_MS);
		await signInWithCode(h, w, account.email, NEW_PASSWORD, account.secret);
		expect(await sessionStatus(w)).toBe(200);

		const [alert] = await eventually(async () => {
			const found = await mailsTo(account.email, /password/i);
			const changed = found.filter((m) => !/reset your/i.test(m.subject ?? "") && (m.text ?? "").includes("This wasn't me"));
			return changed.length > 0 ? changed : undefined;
		}, "the password-changed alert");
		expect(alert!.text).toContain(`${publicUrl}/dashboard/settings/security/compromised`);
	});
});
