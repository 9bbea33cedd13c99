/**
 * Issue 10, item 2, over HTTP: the codes the API and the dashboard hand out are `XXXX-XXXX-XXXX`
 * of the 30-symbol alphabet; they sign in typed any way; and the setup's "type one of your
 * recovery codes back" check works with them while its page carries only keyed hashes (nothing
 * anyone could test a guessed code against).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { normalizeRecoveryCode } from "../../src/domain/recovery-codes/recovery-codes.js";
import { PASSWORD } from "../helpers/flows.js";
import { appPerTest, bearer, BROWSER, cookieHeader, cookieJar, type TestApp } from "../helpers/http.js";

const CODE = /^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/;

let t: TestApp;
appPerTest((app) => (t = app));

describe("recovery codes over the API", () => {
	it("setup returns 10 codes of the format; one signs in typed in lower case with spaces, once; a wrong one is 401", async () => {
		const token = (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "api-codes@example.com", password: PASSWORD } })).json().session.token as string;
		const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
		const confirmed = await t.app.inject({
			method: "POST",
			url: "/api/v1/two-factor/totp/enrollment/confirm",
			headers: bearer(begin.json().session.token as string),
			payload: { code: generateTOTP(decodeBase32(begin.json().secret as string), t.clock.now()) },
		});
		const codes = confirmed.json().recoveryCodes as string[];
		expect(codes).toHaveLength(10);
		for (const code of codes) expect(code).toMatch(CODE);

		const challenge = async () => (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "api-codes@example.com", password: PASSWORD } })).json().challenge.challengeToken as string;
		const typed = ` ${codes[0]!.toLowerCase().replaceAll("-", " ")} `;
		const signedIn = await t.app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken: await challenge(), code: typed } });
		expect(signedIn.statusCode).toBe(200);
		expect(signedIn.json()).toMatchObject({ status: "authenticated", recoveryCodesLeft: 9 });
		const again = await t.app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken: await challenge(), code: codes[0] } });
		expect(again.statusCode).toBe(401);
		expect(again.json().code).toBe("ERR_INVALID_CODE");
		const wrong = `${codes[1]!.slice(0, 10)}${codes[1]!.slice(10) === "ZZZZ" ? "YYYY" : "ZZZZ"}`;
		expect((await t.app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken: await challenge(), code: wrong } })).statusCode).toBe(401);
	});
});

describe("the dashboard's setup, last step", () => {
	it("shows the codes grouped; typing one back (any case, no hyphens) finishes; a wrong one does not; the page's hashes are keyed", async () => {
		const jar = cookieJar(await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "page-codes@example.com", password: PASSWORD } }));
		cookieJar(await t.app.inject({ method: "GET", url: "/dashboard/settings/security", headers: { cookie: cookieHeader(jar) } }), jar);
		const post = (url: string, form: Record<string, string>) => t.app.inject({ method: "POST", url, headers: { origin: BROWSER.origin, cookie: cookieHeader(jar) }, payload: { csrf: jar["deadbolt_csrf"] ?? "", ...form } });
		const scan = await post("/dashboard/settings/security/two-factor/setup", { password: PASSWORD });
		cookieJar(scan, jar);
		const secret = /data-copy-value="([A-Z2-7]+)"/.exec(scan.body)![1]!;
		const done = await post("/dashboard/settings/security/two-factor/confirm", { flow: "setup", code: generateTOTP(decodeBase32(secret), t.clock.now()) });
		expect(done.statusCode).toBe(200);
		cookieJar(done, jar);

		const codes = [...done.body.matchAll(/<code>([^<]*)<\/code>/g)].map((match) => match[1]!).filter((text) => CODE.test(text));
		expect(codes).toHaveLength(10);
		const nonce = /name="nonce" value="([0-9a-f]{64})"/.exec(done.body)![1]!;
		const hashes = /name="hashes" value="([0-9a-f.]+)"/.exec(done.body)![1]!;
		// An unkeyed hash of a code (what anyone could compute from a guess) is not in the page.
		for (const code of codes) expect(hashes).not.toContain(createHash("sha256").update(`${normalizeRecoveryCode(code)}:${nonce}`).digest("hex"));

		const wrong = await post("/dashboard/settings/security/two-factor/saved", { nonce, hashes, saved: "yes", code: "ZZZZ-ZZZZ-ZZZY" });
		expect(wrong.statusCode).toBe(400);
		expect(wrong.body).toContain("match any of your recovery codes. Check the copy you saved.");
		const right = await post("/dashboard/settings/security/two-factor/saved", { nonce, hashes, saved: "yes", code: codes[3]!.toLowerCase().replaceAll("-", "") });
		expect(right.statusCode).toBe(303);
		expect(right.headers.location).toContain("done=two-factor-on");
		// The check used nothing up.
		expect((await t.app.inject({ method: "GET", url: "/api/v1/two-factor/recovery-codes", headers: { cookie: cookieHeader(jar) } })).json()).toEqual({ unused: 10 });
	});
});
