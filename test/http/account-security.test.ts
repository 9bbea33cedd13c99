/** The security-settings API: re-authentication gate, sessions, password, recovery codes, 2FA off, activity. */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { bearer, BROWSER, cookieJar, appPerTest, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));


async function signUp(email: string): Promise<string> {
	return (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } })).json().session.token as string;
}

async function login(email: string, password = PASSWORD): Promise<string> {
	return (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password } })).json().session.token as string;
}

/** Turns 2FA on over the API. @returns the key, the recovery codes and the session's token from here on (step 1 and the confirmation each rotate it) */
async function enable2FA(token: string): Promise<{ key: Uint8Array; recoveryCodes: string[]; token: string }> {
	const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
	const key = decodeBase32(begin.json().secret);
	const stepOneToken = begin.json().session.token as string;
	const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(stepOneToken), payload: { code: generateTOTP(key, t.clock.now()) } });
	expect(confirm.statusCode).toBe(200);
	const newToken = confirm.json().session.token as string;
	for (const old of [token, stepOneToken]) expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(old) })).statusCode).toBe(401);
	return { key, recoveryCodes: confirm.json().recoveryCodes, token: newToken };
}

describe("security settings API", () => {
	it("sensitive actions answer ERR_REAUTH_REQUIRED outside the window, and work after POST /reauthenticate", async () => {
		const { key, token } = await enable2FA(await signUp("r@example.com"));
		t.clock.advance((t.config.session.reauthenticationTtlSeconds + 1) * 1000);
		for (const [method, url] of [["DELETE", "/api/v1/sessions"], ["POST", "/api/v1/two-factor/recovery-codes"], ["POST", "/api/v1/sign-out-everywhere"]] as const) {
			const res = await t.app.inject({ method, url, headers: bearer(token) });
			expect(res.statusCode, url).toBe(403);
			expect(res.json().code).toBe("ERR_REAUTH_REQUIRED");
		}
		const noCode = await t.app.inject({ method: "POST", url: "/api/v1/reauthenticate", headers: bearer(token), payload: { password: PASSWORD } });
		expect(noCode.statusCode).toBe(400);
		const ok = await t.app.inject({ method: "POST", url: "/api/v1/reauthenticate", headers: bearer(token), payload: { password: PASSWORD, code: generateTOTP(key, t.clock.now()) } });
		expect(ok.statusCode).toBe(200);
		// The session goes on under a new token (the answer carries it); the old one is dead at once.
		const rotated = ok.json().session as { id: string; token: string };
		expect(rotated.id).toBe(token.split(".")[0]);
		expect(rotated.token).not.toBe(token);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) })).statusCode).toBe(401);
		const regenerated = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/recovery-codes", headers: bearer(rotated.token) });
		expect(regenerated.statusCode).toBe(201);
		expect(regenerated.json().recoveryCodes).toHaveLength(10);
		const count = await t.app.inject({ method: "GET", url: "/api/v1/two-factor/recovery-codes", headers: bearer(rotated.token) });
		expect(count.json()).toEqual({ unused: 10 });
	});

	it("lists sessions, revokes one and the others; revoked tokens are refused at once", async () => {
		const token = await signUp("s@example.com");
		const second = await login("s@example.com");
		const third = await login("s@example.com");
		const list = await t.app.inject({ method: "GET", url: "/api/v1/sessions", headers: bearer(token) });
		expect(list.json().sessions).toHaveLength(3);
		expect(list.json().sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
		expect(list.body).not.toMatch(/secretHash|token/);
		const one = await t.app.inject({ method: "DELETE", url: `/api/v1/sessions/${second.split(".")[0]}`, headers: bearer(token) });
		expect(one.statusCode).toBe(204);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(second) })).statusCode).toBe(401);
		const others = await t.app.inject({ method: "DELETE", url: "/api/v1/sessions", headers: bearer(token) });
		expect(others.json()).toEqual({ revoked: 1 });
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(third) })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) })).statusCode).toBe(200);
		const unknown = await t.app.inject({ method: "DELETE", url: "/api/v1/sessions/nope", headers: bearer(token) });
		expect(unknown.statusCode).toBe(404);
	});

	it("sign out everywhere ends this session too and clears the browser cookie", async () => {
		const signUpRes = await t.app.inject({ method: "POST", url: "/api/v1/accounts", headers: BROWSER, payload: { email: "e@example.com", password: PASSWORD } });
		const jar = cookieJar(signUpRes);
		const res = await t.app.inject({ method: "POST", url: "/api/v1/sign-out-everywhere", headers: BROWSER, cookies: jar });
		expect(res.statusCode).toBe(200);
		expect(res.cookies.find((c) => c.name === "deadbolt_session")?.value).toBe("");
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", cookies: jar })).statusCode).toBe(401);
	});

	it("PUT /password changes it: wrong current is refused, the policy applies, other sessions end", async () => {
		const token = await signUp("p@example.com");
		const other = await login("p@example.com");
		const wrong = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(token), payload: { currentPassword: "wrong password!", newPassword: "another long passphrase" } });
		expect(wrong.statusCode).toBe(401);
		expect(wrong.json().message).toBe("That password is not correct.");
		const weak = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(token), payload: { currentPassword: PASSWORD, newPassword: "short" } });
		expect(weak.statusCode).toBe(400);
		expect(weak.json().violations[0].field).toBe("newPassword");
		const ok = await t.app.inject({ method: "PUT", url: "/api/v1/password", headers: bearer(token), payload: { currentPassword: PASSWORD, newPassword: "another long passphrase" } });
		const rotated = ok.json().session as { id: string; token: string };
		expect(ok.json()).toEqual({ otherSessionsRevoked: 1, trustedDevicesRevoked: 0, session: { id: token.split(".")[0], token: rotated.token } });
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(other) })).statusCode).toBe(401);
		// This session goes on under the new token only.
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(token) })).statusCode).toBe(401);
		expect((await t.app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(rotated.token) })).statusCode).toBe(200);
	});

	it("DELETE /two-factor/totp needs password and code, then sign-in is password-only", async () => {
		const { key, token } = await enable2FA(await signUp("d@example.com"));
		t.clock.advance(30_000);
		const noCode = await t.app.inject({ method: "DELETE", url: "/api/v1/two-factor/totp", headers: bearer(token), payload: { password: PASSWORD } });
		expect(noCode.statusCode).toBe(400);
		const ok = await t.app.inject({ method: "DELETE", url: "/api/v1/two-factor/totp", headers: bearer(token), payload: { password: PASSWORD, code: generateTOTP(key, t.clock.now()) } });
		expect(ok.statusCode).toBe(200);
		const again = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "d@example.com", password: PASSWORD } });
		expect(again.json().status).toBe("authenticated");
	});

	it("GET /security-events lists the activity newest first and pages with before", async () => {
		const token = await signUp("a@example.com");
		t.clock.advance(1000);
		await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "a@example.com", password: "wrong password!" } });
		const res = await t.app.inject({ method: "GET", url: "/api/v1/security-events", headers: { ...bearer(token), "user-agent": "x" } });
		const events = res.json().events as { type: string; createdAt: string }[];
		expect(events.map((e) => e.type)).toEqual(["login.password_failed", "account.created"]);
		const older = await t.app.inject({ method: "GET", url: `/api/v1/security-events?limit=5&before=${encodeURIComponent(events[0]!.createdAt)}`, headers: bearer(token) });
		expect(older.json().events.map((e: { type: string }) => e.type)).toEqual(["account.created"]);
		const bad = await t.app.inject({ method: "GET", url: "/api/v1/security-events?limit=abc", headers: bearer(token) });
		expect(bad.statusCode).toBe(400);
	});

	it("a login challenge reaches none of these endpoints", async () => {
		const { token } = await enable2FA(await signUp("c@example.com"));
		const challengeToken = (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "c@example.com", password: PASSWORD } })).json().challenge.challengeToken as string;
		for (const [method, url] of [["GET", "/api/v1/sessions"], ["DELETE", "/api/v1/sessions"], ["POST", "/api/v1/reauthenticate"], ["PUT", "/api/v1/password"], ["GET", "/api/v1/security-events"], ["POST", "/api/v1/two-factor/recovery-codes"], ["DELETE", "/api/v1/two-factor/totp"], ["POST", "/api/v1/sign-out-everywhere"]] as const) {
			const res = await t.app.inject({ method, url, headers: bearer(challengeToken) });
			expect(res.statusCode, `${method} ${url}`).toBe(401);
		}
	});
});

describe("remember this device (API)", () => {
	it("API client: rememberDevice returns a token that skips the code step once, rotated; list and revoke", async () => {
		const { key, token } = await enable2FA(await signUp("m@example.com"));
		t.clock.advance(30_000);
		const challenge = (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "m@example.com", password: PASSWORD } })).json().challenge.challengeToken;
		const done = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: challenge, code: generateTOTP(key, t.clock.now()), rememberDevice: true } });
		const deviceToken = done.json().trustedDeviceToken as string;
		expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
		const skipped = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "m@example.com", password: PASSWORD, trustedDeviceToken: deviceToken } });
		expect(skipped.json().status).toBe("authenticated");
		expect(skipped.json().trustedDeviceToken).not.toBe(deviceToken);
		const replay = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "m@example.com", password: PASSWORD, trustedDeviceToken: deviceToken } });
		expect(replay.json().status).toBe("two_factor_required");
		const list = await t.app.inject({ method: "GET", url: "/api/v1/trusted-devices", headers: bearer(token) });
		expect(list.json().trustedDevices).toHaveLength(1);
		expect(list.body).not.toContain("secretHash");
		const id = list.json().trustedDevices[0].id as string;
		expect((await t.app.inject({ method: "DELETE", url: `/api/v1/trusted-devices/${id}`, headers: bearer(token) })).statusCode).toBe(204);
		const after = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "m@example.com", password: PASSWORD, trustedDeviceToken: skipped.json().trustedDeviceToken } });
		expect(after.json().status).toBe("two_factor_required");
	});

	it("browser: the device token travels in an HttpOnly SameSite=Lax cookie, rotated at each use", async () => {
		const { key } = await enable2FA(await signUp("bw@example.com"));
		t.clock.advance(30_000);
		const login = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, payload: { email: "bw@example.com", password: PASSWORD } });
		let jar = cookieJar(login);
		const done = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", headers: BROWSER, cookies: jar, payload: { code: generateTOTP(key, t.clock.now()), rememberDevice: true } });
		expect(done.json().trustedDeviceToken).toBeUndefined();
		const cookie = done.cookies.find((c) => c.name === "deadbolt_trusted_device")!;
		expect(cookie.httpOnly).toBe(true);
		expect(cookie.sameSite).toBe("Lax");
		expect(cookie.maxAge).toBe(t.config.trustedDevice.ttlSeconds);
		jar = { deadbolt_trusted_device: cookie.value };
		const again = await t.app.inject({ method: "POST", url: "/api/v1/login", headers: BROWSER, cookies: jar, payload: { email: "bw@example.com", password: PASSWORD } });
		expect(again.json().status).toBe("authenticated");
		const rotated = again.cookies.find((c) => c.name === "deadbolt_trusted_device")!;
		expect(rotated.value).not.toBe(cookie.value);
	});
});

describe("clock-skew hint (API)", () => {
	it("a refused code from minutes away carries clockSkewSeconds; an accepted next-step code carries the advice", async () => {
		const { key } = await enable2FA(await signUp("k@example.com"));
		// Two steps on: the previous step's code was not the one that confirmed the setup.
		t.clock.advance(60_000);
		const challenge = async () => (await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "k@example.com", password: PASSWORD } })).json().challenge.challengeToken;
		const refused = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code: generateTOTP(key, t.clock.now() - 180_000) } });
		expect(refused.statusCode).toBe(401);
		expect(refused.json()).toMatchObject({ code: "ERR_INVALID_CODE", clockSkewSeconds: -180 });
		// A future step's code is refused WITHOUT a hint at sign-in (it would tell a guesser they hold a later code).
		const future = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code: generateTOTP(key, t.clock.now() + 180_000) } });
		expect(future.json().clockSkewSeconds).toBeUndefined();
		expect(future.json().message).toBe("That code is not valid or was already used. Wait for the next code in your authenticator app and try again.");
		const accepted = await t.app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: await challenge(), code: generateTOTP(key, t.clock.now() - 30_000) } });
		expect(accepted.json()).toMatchObject({ status: "authenticated", clockSkewSeconds: -30 });
		expect(accepted.json().clockSkewAdvice).toContain("behind");
	});
});
