/**
 * The real process logger (pino with deadbolt's redaction) over a whole flow: the log records
 * what happened and why, and never a password, code, token, secret or cookie (OWASP ASVS 5.0
 * §16.2.5, STANDARDS A-53).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProcessLogger } from "../../src/cli/logger.js";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { buildApp } from "../../src/app.js";
import { fixedClock } from "../../src/platform/clock.js";
import type { Logger } from "../../src/platform/logger.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import { T0, TEST_KEYS } from "../helpers/deadbolt.js";
import { PASSWORD } from "../helpers/flows.js";
import { BROWSER, cookieJar } from "../helpers/http.js";

describe("logging", () => {
	it("a full flow logs events and reasons, and no secret of any kind", async () => {
		const lines: string[] = [];
		const sink = new Writable({
			write(chunk: Buffer, _encoding, done) {
				lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
				done();
			},
		});
		const config = loadConfig({ overrides: { dataDir: "/nonexistent", log: { level: "debug" } } });
		const logger = createProcessLogger(config, sink);
		const clock = fixedClock(T0);
		const deadbolt = await createDeadbolt(config, { store: await openSqliteStore({ path: ":memory:" }), clock, keys: TEST_KEYS, logger: logger as unknown as Logger });
		const app = await buildApp(deadbolt, { loggerInstance: logger });
		const secrets: string[] = [PASSWORD];

		const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email: "log@example.com", password: PASSWORD } });
		const token = signUp.json().session.token as string;
		secrets.push(token, token.split(".")[1]!);
		const begin = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: { authorization: `Bearer ${token}` }, payload: { password: PASSWORD } });
		const secret = begin.json().secret as string;
		secrets.push(secret);
		const key = decodeBase32(secret);
		const enrollCode = generateTOTP(key, clock.now());
		const confirm = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: { authorization: `Bearer ${token}` }, payload: { code: enrollCode } });
		const recoveryCodes = confirm.json().recoveryCodes as string[];
		secrets.push(...recoveryCodes);

		// Browser sign-in: wrong code, right code, recovery code; cookies travel in headers.
		const login = await app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email: "log@example.com", password: PASSWORD } });
		const jar = cookieJar(login);
		secrets.push(jar["deadbolt_login_challenge"]!);
		await app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code: "987654" } });
		clock.advance(30_000);
		const code = generateTOTP(key, clock.now());
		const done = await app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code } });
		secrets.push(cookieJar(done)["deadbolt_session"]!);
		const apiLogin = await app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "log@example.com", password: PASSWORD } });
		const challengeToken = apiLogin.json().challenge.challengeToken as string;
		secrets.push(challengeToken);
		await app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken, code: recoveryCodes[0] } });
		await app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "log@example.com", password: "wrong password 123" } });
		await app.close();
		await deadbolt.close();

		const text = lines.join("\n");
		expect(text).toContain('"event":"totp.enabled"');
		expect(text).toContain('"reason":"mismatch"');
		expect(text).toContain('"event":"password.failed"');
		for (const value of [...secrets, "987654", code, enrollCode, "wrong password 123"]) {
			expect(text, `log contains ${value.slice(0, 8)}…`).not.toContain(value);
		}
	});
});
