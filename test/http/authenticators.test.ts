/**
 * The authenticators API (issue 14): add one with `purpose: "add"`, list, rename, remove; the last
 * one is refused with ERR_LAST_AUTHENTICATOR; bad input answers 400; another account's id is 404.
 */
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { PASSWORD } from "../helpers/flows.js";
import { appPerTest, bearer, type TestApp } from "../helpers/http.js";

let t: TestApp;
appPerTest((app) => (t = app));

async function signUp(email: string): Promise<string> {
	return (await t.app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } })).json().session.token as string;
}

/** Sets up an authenticator over the API (`body` adds `name`, `purpose`). @returns its key, its id and the session's token from here on */
async function setUp(token: string, body: Record<string, unknown>): Promise<{ key: Uint8Array; id: string; token: string }> {
	const begin = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: body });
	expect(begin.statusCode, begin.body).toBe(201);
	const key = decodeBase32(begin.json().secret);
	const stepToken = (begin.json().session?.token as string | undefined) ?? token;
	const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(stepToken), payload: { code: generateTOTP(key, t.clock.now()) } });
	expect(confirm.statusCode, confirm.body).toBe(200);
	return { key, id: confirm.json().authenticatorId, token: confirm.json().session.token };
}

describe("authenticators API", () => {
	it("adds a second authenticator, lists both with names and dates, renames one, removes one, refuses the last", async () => {
		const first = await setUp(await signUp("a@example.com"), { password: PASSWORD, name: "Phone" });
		t.clock.advance(1_000);
		const add = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(first.token), payload: { purpose: "add", name: "Tablet" } });
		expect(add.statusCode, add.body).toBe(201);
		const key = decodeBase32(add.json().secret);
		const confirm = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(first.token), payload: { code: generateTOTP(key, t.clock.now() + 30_000) } });
		expect(confirm.statusCode, confirm.body).toBe(200);
		expect(confirm.json()).toMatchObject({ added: true, replaced: false, recoveryCodes: [] });
		const token = confirm.json().session.token as string;
		const list = await t.app.inject({ method: "GET", url: "/api/v1/two-factor/totp/authenticators", headers: bearer(token) });
		expect(list.statusCode).toBe(200);
		const listed = list.json().authenticators as { id: string; name: string | null; addedAt: string; lastUsedAt: string | null }[];
		expect(listed.map((a) => a.name)).toEqual(["Phone", "Tablet"]);
		expect(listed.every((a) => typeof a.addedAt === "string" && !("secret" in a))).toBe(true);
		const renamed = await t.app.inject({ method: "PATCH", url: `/api/v1/two-factor/totp/authenticators/${first.id}`, headers: bearer(token), payload: { name: "Old phone" } });
		expect(renamed.statusCode, renamed.body).toBe(200);
		expect(renamed.json().authenticator.name).toBe("Old phone");
		const removed = await t.app.inject({ method: "DELETE", url: `/api/v1/two-factor/totp/authenticators/${first.id}`, headers: bearer(token) });
		expect(removed.statusCode, removed.body).toBe(200);
		expect(removed.json()).toEqual({ remainingAuthenticators: 1, otherSessionsRevoked: 0, trustedDevicesRevoked: 0 });
		const last = await t.app.inject({ method: "DELETE", url: `/api/v1/two-factor/totp/authenticators/${confirm.json().authenticatorId}`, headers: bearer(token) });
		expect(last.statusCode).toBe(409);
		expect(last.json().code).toBe("ERR_LAST_AUTHENTICATOR");
	});

	it("bad input answers 400, another account's authenticator 404, no session 401; nothing changes", async () => {
		const mine = await setUp(await signUp("b@example.com"), { password: PASSWORD });
		const theirs = await setUp(await signUp("c@example.com"), { password: PASSWORD, name: "Theirs" });
		for (const payload of [{ purpose: "other" }, { purpose: "add", name: "x".repeat(300) }, { purpose: "add", name: "a\u0000b" }, { purpose: "add", extra: 1 }]) {
			const res = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(mine.token), payload });
			expect(res.statusCode, JSON.stringify(payload)).toBe(400);
		}
		for (const [method, payload] of [["PATCH", { name: "mine now" }], ["DELETE", undefined]] as const) {
			const res = await t.app.inject({ method, url: `/api/v1/two-factor/totp/authenticators/${theirs.id}`, headers: bearer(mine.token), ...(payload === undefined ? {} : { payload }) });
			expect(res.statusCode, method).toBe(404);
		}
		expect((await t.app.inject({ method: "GET", url: "/api/v1/two-factor/totp/authenticators" })).statusCode).toBe(401);
		// An id that is no id (a NUL byte breaks PostgreSQL's text) is not found, never a 503.
		for (const id of ["%00", "a%00b", "x".repeat(20)]) {
			expect((await t.app.inject({ method: "PATCH", url: `/api/v1/two-factor/totp/authenticators/${id}`, headers: bearer(mine.token), payload: { name: "n" } })).statusCode, id).toBe(404);
			expect((await t.app.inject({ method: "DELETE", url: `/api/v1/two-factor/totp/authenticators/${id}`, headers: bearer(mine.token) })).statusCode, id).toBe(404);
		}
		const listed = await t.app.inject({ method: "GET", url: "/api/v1/two-factor/totp/authenticators", headers: bearer(theirs.token) });
		expect(listed.json().authenticators.map((a: { name: string }) => a.name)).toEqual(["Theirs"]);
		// 2FA off: a purpose is refused.
		const off = await t.app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(await signUp("d@example.com")), payload: { password: PASSWORD, purpose: "add" } });
		expect(off.statusCode).toBe(400);
	});
});
