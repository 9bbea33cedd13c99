/**
 * Interoperability with independent implementations nobody here wrote: `oathtool` (OATH Toolkit)
 * computes the codes from the secret we show, and `zbarimg` (ZBar) reads our QR code back, as an
 * authenticator app's camera would.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeadbolt, oathtoolTOTP } from "../helpers/deadbolt.js";
import { PASSWORD, signUp } from "../helpers/flows.js";

const OUTPUT = join(import.meta.dirname, "../../test-output/interop");

describe("oathtool as the authenticator", () => {
	const variants = [
		{ name: "defaults (SHA1, 6 digits, 30 s)", totp: {}, oathAlgorithm: "" },
		{ name: "SHA256, 8 digits, 60 s", totp: { algorithm: "SHA256", digits: 8, periodSeconds: 60 }, oathAlgorithm: "sha256" },
		{ name: "SHA512, 7 digits, 30 s", totp: { algorithm: "SHA512", digits: 7, periodSeconds: 30 }, oathAlgorithm: "sha512" },
	] as const;
	for (const variant of variants) {
		it(`enrolls and signs in with codes computed by oathtool: ${variant.name}`, async () => {
			const t = await createTestDeadbolt({ overrides: { totp: { ...{ algorithm: "SHA1", digits: 6, periodSeconds: 30, windowSteps: 1, keyBytes: 20, enrollmentTtlSeconds: 600 }, ...variant.totp } } });
			const user = await signUp(t);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			const oath = (at: number): string => {
				const args = [`--totp${variant.oathAlgorithm === "" ? "" : `=${variant.oathAlgorithm}`}`, "-b", `--digits=${pending.digits}`, `--time-step-size=${pending.periodSeconds}s`, `--now=${new Date(at).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}`, pending.secret];
				return execFileSync("oathtool", args, { encoding: "utf8" }).trim();
			};
			await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: oath(t.clock.now()) });
			t.clock.advance(pending.periodSeconds * 1000);
			const login = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			if (login.kind !== "challenge") throw new Error("expected a challenge");
			const session = await t.deadbolt.completeLoginWithTOTP({ challengeToken: login.challenge.challengeToken, code: oath(t.clock.now()) });
			expect(session.record.aal).toBe(2);
			await t.deadbolt.close();
		});
	}

	it("the helper's oathtool call agrees with the spec example (JBSWY3DPEHPK3PXP at t=59 -> 996554)", () => {
		expect(oathtoolTOTP("JBSWY3DPEHPK3PXP", 59_000)).toBe("996554");
	});
});

describe("zbarimg reads our QR code", () => {
	let browser: Browser;
	beforeAll(async () => {
		browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
		mkdirSync(OUTPUT, { recursive: true });
	});
	afterAll(async () => {
		await browser?.close();
	});

	const cases = [
		{ issuer: "deadbolt", email: "ada@example.com" },
		{ issuer: "Zürich Bank & Co", email: "o'brien+2fa@example.com" },
	];
	for (const [index, c] of cases.entries()) {
		it(`decodes exactly to the key URI we issued (issuer ${JSON.stringify(c.issuer)})`, async () => {
			const t = await createTestDeadbolt({ overrides: { issuer: c.issuer } });
			const user = await signUp(t, c.email);
			const auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			const page = await browser.newPage();
			await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff"><div id="qr" style="width:320px;height:320px">${pending.qrSvg}</div></body></html>`);
			const png = await page.locator("#qr").screenshot();
			await page.close();
			const file = join(OUTPUT, `qr-${index}.png`);
			writeFileSync(file, png);
			const decoded = execFileSync("zbarimg", ["--raw", "-q", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).replace(/\n$/, "");
			expect(decoded).toBe(pending.keyURI);
			expect(decoded).toMatch(/^otpauth:\/\/totp\//);
			await t.deadbolt.close();
		});
	}
});
