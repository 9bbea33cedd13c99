/**
 * Issue 10, items 1 and 3, as the server renders and checks them: steps 2-3 offer "Open in
 * authenticator app" (the same key URI as the QR code) before the key and the QR code; step 4
 * offers Download, Copy and Print, and Finish needs the codes marked saved AND one typed back
 * (the server refuses either missing, with the error beside its field).
 */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { parseKeyURI } from "../../src/domain/otp/key-uri.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { BROWSER, cookieHeader, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

/** Undoes the `html` tag's escaping of an attribute value. */
function unescape(value: string): string {
	return value.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

async function browserSignedUp(email: string): Promise<Record<string, string>> {
	const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email, password: PASSWORD } }));
	cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
	return jar;
}

function post(jar: Record<string, string>, url: string, payload: Record<string, string>) {
	return t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload });
}

/** Steps 1-3 in the dashboard. @returns the cookies, step 2-3's page and step 4's page */
async function setUp(email: string): Promise<{ jar: Record<string, string>; scan: string; done: string }> {
	const jar = await browserSignedUp(email);
	const stepOne = await post(jar, "/dashboard/settings/security/two-factor/setup", { csrf: jar["deadbolt_csrf"]!, password: PASSWORD });
	expect(stepOne.statusCode).toBe(200);
	cookieJar(stepOne, jar);
	const secret = /data-copy-value="([A-Z2-7]+)"/.exec(stepOne.body)![1]!;
	const done = await post(jar, "/dashboard/settings/security/two-factor/confirm", { csrf: jar["deadbolt_csrf"]!, flow: "setup", code: generateTOTP(decodeBase32(secret), t.clock.now()) });
	expect(done.statusCode).toBe(200);
	cookieJar(done, jar);
	return { jar, scan: stepOne.body, done: done.body };
}

describe("steps 2-3: Open in authenticator app", () => {
	it("links to the key URI of this setup (the QR code's content), and comes before the key and the QR code", async () => {
		const { scan } = await setUp("open-in-app@example.com");
		const href = unescape(/<a [^>]*id="open-in-app" href="([^"]+)"/.exec(scan)![1]!);
		const uri = parseKeyURI(href);
		const secret = /data-copy-value="([A-Z2-7]+)"/.exec(scan)![1]!;
		expect(uri.type).toBe("totp");
		expect(uri.accountName).toBe("open-in-app@example.com");
		expect(uri.issuer).toBe(t.config.issuer);
		expect(decodeBase32(secret)).toEqual(uri.secret);
		// The markup is in a phone's order (the stylesheet puts the QR code first on wide screens).
		expect(scan.indexOf('id="open-in-app"')).toBeLessThan(scan.indexOf('id="secret-key"'));
		expect(scan.indexOf('id="secret-key"')).toBeLessThan(scan.indexOf('id="qr-code"'));
		expect(scan).not.toMatch(/\sstyle=/);
	});
});

describe("moving to a new phone uses the same step", () => {
	it("offers 'Open in authenticator app' with the new key's URI, first", async () => {
		const { jar } = await setUp("new-phone-link@example.com");
		const scan = await post(jar, "/dashboard/settings/security/two-factor/replace", { csrf: jar["deadbolt_csrf"]!, confirmed: "yes" });
		expect(scan.statusCode).toBe(200);
		expect(scan.body).toContain("Connect your new phone");
		const uri = parseKeyURI(unescape(/<a [^>]*id="open-in-app" href="([^"]+)"/.exec(scan.body)![1]!));
		expect(decodeBase32(/data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!)).toEqual(uri.secret);
		expect(scan.body.indexOf('id="open-in-app"')).toBeLessThan(scan.body.indexOf('id="qr-code"'));
	});
});

describe("step 4: saving the recovery codes", () => {
	it("offers Download, and Copy and Print for the script to show; the box is required, the form validated by the browser", async () => {
		const { done } = await setUp("step4-markup@example.com");
		expect(done).toMatch(/<a [^>]*id="download-recovery-codes"[^>]*download="deadbolt-recovery-codes.txt"/);
		expect(done).toMatch(/<button [^>]*id="copy-recovery-codes"[^>]*hidden>Copy codes<\/button>/);
		expect(done).toMatch(/<button [^>]*id="print-recovery-codes"[^>]*hidden>Print<\/button>/);
		expect(done).toMatch(/<input class="check__input" type="checkbox" id="codes-saved" name="saved" value="yes" required/);
		const form = /<form [^>]*id="codes-saved-form"[^>]*>/.exec(done)![0];
		expect(form).not.toContain("novalidate");
		// The last step never closes by a close request (Escape).
		expect(done).toMatch(/<dialog open class="modal" id="two-factor-setup"[^>]* closedby="none">/);
		// The printed sheet's heading: product, account, date.
		expect(done).toContain(`<p class="recovery-sheet__title">${t.config.issuer} recovery codes</p>`);
		expect(done).toContain("<p class=\"recovery-sheet__meta\">Account: step4-markup@example.com</p>");
		expect(done).toMatch(/<p class="recovery-sheet__meta">Generated: \d{4}-\d{2}-\d{2}<\/p>/);
	});

	it("Finish without the box ticked is refused beside the box, even with a right code; the codes are not shown again", async () => {
		const { jar, done } = await setUp("finish-unsaved@example.com");
		const codes = [...done.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
		expect(codes).toHaveLength(10);
		const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(done)![1]!;
		const hashes = /name="hashes" value="([0-9a-f.]+)"/.exec(done)![1]!;
		const finish = (payload: Record<string, string>) => post(jar, "/dashboard/settings/security/two-factor/saved", { csrf: jar["deadbolt_csrf"]!, nonce, hashes, ...payload });

		const unsaved = await finish({ code: codes[2]! });
		expect(unsaved.statusCode).toBe(400);
		expect(unsaved.body).toContain('<p class="field__error" id="codes-saved-error">Save your recovery codes first (download, copy or print them), then tick this box.</p>');
		expect(unsaved.body).toMatch(/id="codes-saved"[^>]*aria-describedby="codes-saved-hint codes-saved-error" aria-invalid="true"/);
		expect(unsaved.body).not.toContain('id="saved-code-error"');
		for (const code of codes) expect(unsaved.body).not.toContain(code);

		// Ticked, but a code that is none of them: refused beside the code field; the box stays ticked.
		const wrong = await finish({ saved: "yes", code: "aaaaaa-aaaaaa-aaaaaa-aaaaaa" });
		expect(wrong.statusCode).toBe(400);
		expect(wrong.body).toContain('id="saved-code-error"');
		expect(wrong.body).not.toContain('id="codes-saved-error"');
		expect(wrong.body).toMatch(/id="codes-saved"[^>]*checked>/);

		// Neither: both errors.
		const neither = await finish({ code: "" });
		expect(neither.body).toContain('id="codes-saved-error"');
		expect(neither.body).toContain('<p class="field__error" id="saved-code-error">Type one of your recovery codes.</p>');

		// Both: done.
		const finished = await finish({ saved: "yes", code: codes[2]! });
		expect(finished.statusCode).toBe(303);
		expect(finished.headers.location).toBe("/dashboard/settings/security/two-factor?done=two-factor-on");
	});
});
