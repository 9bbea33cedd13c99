/**
 * Interoperability with independent implementations nobody here wrote: `oathtool` (OATH Toolkit)
 * computes the codes from the secret we show, and our QR code, rendered by Chromium, is read back
 * as an authenticator app's camera would by ZXing (the npm package `zxing-wasm`, always) and by
 * `zbarimg` (ZBar). `oathtool` and `zbarimg` come from Debian packages: without them their suite
 * is skipped with one line saying how to install them, except when `CI=true`, where it fails.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/chromium.js";
import { createTestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, signUp } from "../helpers/flows.js";
import { decodeQRCodes } from "../helpers/qr-decoder.js";
import { describeWhen } from "../helpers/requirements.js";
import { debianProgram, oathtoolTOTP } from "../helpers/system-tools.js";

const OUTPUT = join(import.meta.dirname, "../../test-output/interop");

describeWhen("oathtool as the authenticator", debianProgram("oathtool", "oathtool"), () => {
	const variants = [
		{ name: "defaults (SHA1, 6 digits, 30 s)", totp: {}, oathAlgorithm: "sha1" },
		{ name: "SHA256, 8 digits, 60 s", totp: { algorithm: "SHA256", digits: 8, periodSeconds: 60 }, oathAlgorithm: "sha256" },
		{ name: "SHA512, 7 digits, 30 s", totp: { algorithm: "SHA512", digits: 7, periodSeconds: 30 }, oathAlgorithm: "sha512" },
	] as const;
	for (const variant of variants) {
		it(`enrolls and signs in with codes computed by oathtool: ${variant.name}`, async () => {
			const t = await createTestDeadbolt({ overrides: { totp: { ...{ algorithm: "SHA1", digits: 6, periodSeconds: 30, windowSteps: 1, keyBytes: 20, enrollmentTtlSeconds: 600 }, ...variant.totp } } });
			const user = await signUp(t);
			let auth = await t.deadbolt.validateSession(user.session.token);
			const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			// Step 1 proved the password: the session went on under a new token.
			auth = await t.deadbolt.validateSession(pending.sessionToken as string);
			const oath = (at: number): string => oathtoolTOTP(pending.secret, at, { algorithm: variant.oathAlgorithm, digits: pending.digits, periodSeconds: pending.periodSeconds });
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

let browser: Promise<Browser> | undefined;
afterAll(async () => {
	await (await browser)?.close();
});

/** Our QR code for a fresh enrollment of `email` under `issuer`, as Chromium draws it (PNG, also saved to test-output/interop/), and the key URI it must hold. */
async function renderedQRCode(issuer: string, email: string, file: string): Promise<{ png: Uint8Array; file: string; keyURI: string }> {
	const t = await createTestDeadbolt({ overrides: { issuer } });
	try {
		const user = await signUp(t, email);
		let auth = await t.deadbolt.validateSession(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(pending.sessionToken as string);
		browser ??= launchChromium();
		const page = await (await browser).newPage();
		await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff"><div id="qr" style="width:320px;height:320px">${pending.qrSvg}</div></body></html>`);
		const png = new Uint8Array(await page.locator("#qr").screenshot());
		await page.close();
		mkdirSync(OUTPUT, { recursive: true });
		const path = join(OUTPUT, file);
		writeFileSync(path, png);
		return { png, file: path, keyURI: pending.keyURI };
	} finally {
		await t.deadbolt.close();
	}
}

const QR_CASES = [
	{ issuer: "deadbolt", email: "ada@example.com" },
	{ issuer: "Zürich Bank & Co", email: "o'brien+2fa@example.com" },
];

describe("ZXing (zxing-wasm) reads our QR code", () => {
	for (const [index, c] of QR_CASES.entries()) {
		it(`decodes exactly to the key URI we issued (issuer ${JSON.stringify(c.issuer)})`, async () => {
			const qr = await renderedQRCode(c.issuer, c.email, `qr-zxing-${index}.png`);
			const decoded = await decodeQRCodes(qr.png);
			expect(decoded).toEqual([qr.keyURI]);
			expect(decoded[0]).toMatch(/^otpauth:\/\/totp\//);
		});
	}
});

describeWhen("zbarimg (ZBar) reads our QR code", debianProgram("zbarimg", "zbar-tools"), () => {
	for (const [index, c] of QR_CASES.entries()) {
		it(`decodes exactly to the key URI we issued (issuer ${JSON.stringify(c.issuer)})`, async () => {
			const qr = await renderedQRCode(c.issuer, c.email, `qr-zbar-${index}.png`);
			const decoded = execFileSync("zbarimg", ["--raw", "-q", qr.file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).replace(/\n$/, "");
			expect(decoded).toBe(qr.keyURI);
			expect(decoded).toMatch(/^otpauth:\/\/totp\//);
		});
	}
});
