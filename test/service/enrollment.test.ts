/** TOTP enrollment: re-authentication, nothing enabled before a correct code, secrets at rest. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EnrollmentInvalid, InvalidCode, InvalidCredentials, InvalidRequest, ReauthenticationRequired, Unauthenticated } from "../../src/errors.js";
import { decodeBase32, encodeBase32 } from "../../src/domain/encoding/base32.js";
import { parseKeyURI } from "../../src/domain/otp/key-uri.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";

let t: TestDeadbolt;
beforeEach(async () => {
	t = await createTestDeadbolt();
});
afterEach(async () => {
	await t.deadbolt.close();
});

async function authOf(token: string) {
	return t.deadbolt.validateSession(token);
}

describe("enrollment", () => {
	it("a wrong password is refused and nothing changes", async () => {
		const user = await signUp(t);
		let auth = await authOf(user.session.token);
		await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: "wrong password" })).rejects.toBeInstanceOf(InvalidCredentials);
		expect(await t.store.totpCredentials.findPendingTOTPCredential(user.account.id)).toBeNull();
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
	});

	it("without a password, enrollment needs a re-authentication within the window", async () => {
		const user = await signUp(t);
		t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
		let auth = await authOf(user.session.token);
		await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
		await expect(t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD })).resolves.toBeDefined();
	});

	it("returns a 160-bit key, a key URI with issuer and account, and an SVG QR code", async () => {
		const user = await signUp(t);
		let auth = await authOf(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(pending.sessionToken as string);
		expect(decodeBase32(pending.secret)).toHaveLength(20);
		expect(pending.secret).toMatch(/^[A-Z2-7]{32}$/);
		expect(pending.secretGroups).toBe(pending.secret.match(/.{4}/g)!.join(" "));
		const uri = parseKeyURI(pending.keyURI);
		expect(uri.issuer).toBe(t.config.issuer);
		expect(uri.accountName).toBe(user.email);
		expect(encodeBase32(uri.secret)).toBe(pending.secret);
		expect(pending.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
		expect(pending.expiresAt).toBe(t.clock.now() + t.config.totp.enrollmentTtlSeconds * 1000);
	});

	it("nothing is enabled until a correct code arrives; a wrong code changes nothing", async () => {
		const user = await signUp(t);
		let auth = await authOf(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(pending.sessionToken as string);
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
		const login = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
		expect(login.kind).toBe("session");
		await expect(t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: "000000" })).rejects.toBeInstanceOf(InvalidCode);
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
		const confirmed = await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) });
		expect(confirmed.recoveryCodes).toHaveLength(10);
		expect(new Set(confirmed.recoveryCodes).size).toBe(10);
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
	});

	it("an expired enrollment cannot be confirmed, even with a correct code", async () => {
		const user = await signUp(t);
		let auth = await authOf(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(pending.sessionToken as string);
		t.clock.advance(t.config.totp.enrollmentTtlSeconds * 1000);
		// Step 1 proved the password: the session went on under a new token.
		expect(pending.sessionToken).not.toBeNull();
		await expect(authOf(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
		const fresh = await authOf(pending.sessionToken!);
		await expect(t.deadbolt.confirmTOTPEnrollment(fresh.account, fresh.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) })).rejects.toBeInstanceOf(EnrollmentInvalid);
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(false);
	});

	it("starting again replaces the pending key: the old key no longer confirms", async () => {
		const user = await signUp(t);
		let auth = await authOf(user.session.token);
		const first = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(first.sessionToken as string);
		const second = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(second.sessionToken as string);
		expect(second.secret).not.toBe(first.secret);
		await expect(t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(decodeBase32(first.secret), t.clock.now()) })).rejects.toBeInstanceOf(InvalidCode);
	});

	it("only the session that started the setup can see or confirm it", async () => {
		const user = await signUp(t);
		const other = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
		if (other.kind !== "session") throw new Error("expected a session");
		let mine = await authOf(user.session.token);
		const theirs = await authOf(other.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(mine.account, mine.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		mine = await t.deadbolt.validateSession(pending.sessionToken as string);
		expect(await t.deadbolt.getPendingTOTPEnrollment(theirs.account, theirs.session)).toBeNull();
		const code = generateTOTP(decodeBase32(pending.secret), t.clock.now());
		await expect(t.deadbolt.confirmTOTPEnrollment(theirs.account, theirs.session, { code })).rejects.toBeInstanceOf(EnrollmentInvalid);
		expect((await t.deadbolt.getPendingTOTPEnrollment(mine.account, mine.session))?.secret).toBe(pending.secret);
		await expect(t.deadbolt.confirmTOTPEnrollment(mine.account, mine.session, { code })).resolves.toBeDefined();
	});

	it("the session that turns 2FA on is at AAL2 afterwards (it proved the password and the new authenticator)", async () => {
		const user = await signUpWith2FA(t);
		expect((await authOf(user.session.token)).session.aal).toBe(2);
	});

	it("moving to a new phone: with 2FA on, a new authenticator needs a recent re-authentication with both factors", async () => {
		const user = await signUpWith2FA(t);
		t.clock.advance(t.config.session.reauthenticationTtlSeconds * 1000 + 1);
		const stale = await authOf(user.session.token);
		// An inline password is not enough once 2FA is on (a 400 that says so), and nothing without one.
		await expect(t.deadbolt.beginTOTPEnrollment(stale.account, stale.session, { password: PASSWORD })).rejects.toBeInstanceOf(InvalidRequest);
		await expect(t.deadbolt.beginTOTPEnrollment(stale.account, stale.session, {})).rejects.toBeInstanceOf(ReauthenticationRequired);
		user.session = { ...user.session, token: (await t.deadbolt.reauthenticate(stale, { password: PASSWORD, code: generateTOTP(user.key, t.clock.now()) })).sessionToken };
		const fresh = await authOf(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(fresh.account, fresh.session, {});
		// Until confirmed, the old phone still works.
		expect(await t.deadbolt.isTwoFactorEnabled(user.account.id)).toBe(true);
		const newKey = decodeBase32(pending.secret);
		t.clock.advance(30_000);
		const confirmed = await t.deadbolt.confirmTOTPEnrollment(fresh.account, fresh.session, { code: generateTOTP(newKey, t.clock.now()) });
		expect(confirmed).toMatchObject({ replaced: true, recoveryCodes: [] });
		// Without an inline password, step 1 did not rotate; the confirmation did.
		expect(pending.sessionToken).toBeNull();
		await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
		user.session = { ...user.session, token: confirmed.sessionToken };
		t.clock.advance(30_000);
		const login = async () => {
			const r = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
			if (r.kind !== "challenge") throw new Error("expected a challenge");
			return r.challenge.challengeToken;
		};
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await login(), code: generateTOTP(user.key, t.clock.now()) })).rejects.toBeInstanceOf(InvalidCode);
		await expect(t.deadbolt.completeLoginWithTOTP({ challengeToken: await login(), code: generateTOTP(newKey, t.clock.now()) })).resolves.toBeDefined();
		// Recovery codes were kept.
		expect(await t.store.recoveryCodes.countUnusedRecoveryCodes(user.account.id)).toBe(10);
		// The session that set it up stays signed in.
		await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
	});

	it("enabling 2FA ends the account's other sessions (they were made with the password alone) and keeps this one", async () => {
		const user = await signUp(t);
		const other = await t.deadbolt.beginLogin({ email: user.email, password: PASSWORD });
		if (other.kind !== "session") throw new Error("expected a session");
		let auth = await authOf(user.session.token);
		const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		// Step 1 proved the password: the session went on under a new token.
		auth = await t.deadbolt.validateSession(pending.sessionToken as string);
		const confirmed = await t.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(decodeBase32(pending.secret), t.clock.now()) });
		expect(confirmed.otherSessionsRevoked).toBe(1);
		await expect(t.deadbolt.validateSession(other.session.token)).rejects.toBeInstanceOf(Unauthenticated);
		// This session stays, under a new token: the sign-up token and the one from step 1 are dead.
		await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
		await expect(t.deadbolt.validateSession(pending.sessionToken!)).rejects.toBeInstanceOf(Unauthenticated);
		expect((await t.deadbolt.validateSession(confirmed.sessionToken)).session.id).toBe(user.session.record.id);
	});

	it("the TOTP key is stored encrypted and bound to its row: moved to another row it does not open", async () => {
		const alice = await signUpWith2FA(t);
		const bob = await signUpWith2FA(t);
		const aliceCredential = (await t.store.totpCredentials.findConfirmedTOTPCredential(alice.account.id))!;
		const stored = Buffer.from(aliceCredential.secretCiphertext);
		expect(stored.includes(Buffer.from(alice.key))).toBe(false);
		expect(stored.toString("latin1")).not.toContain(alice.secret);
		// Copy Alice's ciphertext onto Bob's row: deadbolt refuses to use it (a 500, never a sign-in).
		const bobCredential = (await t.store.totpCredentials.findConfirmedTOTPCredential(bob.account.id))!;
		const { openTOTPKey } = await import("../../src/service/totp-key.js");
		const deps = { keys: { encryptionKey: new Uint8Array(32).fill(7), hmacKey: new Uint8Array(32).fill(9) } } as never;
		expect(() => openTOTPKey(deps, { ...bobCredential, secretCiphertext: aliceCredential.secretCiphertext })).toThrow(/does not open/);
		expect(openTOTPKey(deps, aliceCredential)).toEqual(alice.key);
	});

	it("recovery codes are stored only as argon2id hashes of the peppered code, each with its lookup prefix in clear", async () => {
		const user = await signUpWith2FA(t);
		const { parseRecoveryCode, pepperRecoveryCode, RECOVERY_CODE_ARGON2 } = await import("../../src/domain/recovery-codes/recovery-codes.js");
		const { verifyPassword } = await import("../../src/domain/password/hash.js");
		const code = user.recoveryCodes[0] as string;
		const parsed = parseRecoveryCode(code);
		if (parsed?.format !== "current") throw new Error("not a current-format code");
		const row = (await t.store.recoveryCodes.findUnusedRecoveryCode(user.account.id, parsed.lookupPrefix))!;
		const { memoryKiB, iterations, parallelism } = RECOVERY_CODE_ARGON2;
		expect(row.codeHash.startsWith(`$argon2id$v=19$m=${memoryKiB},t=${iterations},p=${parallelism}$`)).toBe(true);
		expect(row.lookupPrefix).toBe(code.slice(0, 2));
		expect(row.codeHash).not.toContain(parsed.code.slice(2));
		// The hash is of the code peppered with the server key: the plain code does not verify.
		expect(await verifyPassword(row.codeHash, parsed.code)).toBe(false);
		expect(await verifyPassword(row.codeHash, pepperRecoveryCode(new Uint8Array(32).fill(9), parsed.code))).toBe(true);
		// Salted: two codes never share a salt.
		const other = parseRecoveryCode(user.recoveryCodes[1] as string);
		if (other?.format !== "current") throw new Error("not a current-format code");
		const otherRow = (await t.store.recoveryCodes.findUnusedRecoveryCode(user.account.id, other.lookupPrefix))!;
		expect(otherRow.codeHash.split("$")[4]).not.toBe(row.codeHash.split("$")[4]);
	});

	it("recovery codes are 12 characters of the 30-letter alphabet (58.9 bits), grouped XXXX-XXXX-XXXX, with distinct prefixes", async () => {
		const user = await signUpWith2FA(t);
		expect(user.recoveryCodes).toHaveLength(10);
		for (const code of user.recoveryCodes) expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){2}$/);
		expect(new Set(user.recoveryCodes.map((code) => code.slice(0, 2))).size).toBe(10);
	});
});

describe("sessions", () => {
	it("session tokens are 256-bit random, and only a SHA-256 of the secret is stored", async () => {
		const user = await signUp(t);
		const [id, secret] = user.session.token.split(".") as [string, string];
		expect(Buffer.from(secret, "base64url")).toHaveLength(32);
		const record = (await t.store.sessions.findSession(id))!;
		expect(record.secretHash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(record)).not.toContain(secret);
	});

	it("sign-out revokes the session: the old token is refused", async () => {
		const user = await signUp(t);
		await t.deadbolt.logout(user.session.token);
		await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
	});

	it("a session ends after session.idleTtlSeconds without activity", async () => {
		const user = await signUp(t);
		t.clock.advance(t.config.session.idleTtlSeconds * 1000 - 1000);
		await expect(t.deadbolt.validateSession(user.session.token)).resolves.toBeDefined();
		t.clock.advance(t.config.session.idleTtlSeconds * 1000);
		await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
	});

	it("a session ends after session.absoluteTtlSeconds however active", async () => {
		const user = await signUp(t);
		const stepMs = (t.config.session.idleTtlSeconds * 1000) / 2;
		let elapsed = 0;
		while (elapsed + stepMs < t.config.session.absoluteTtlSeconds * 1000) {
			t.clock.advance(stepMs);
			elapsed += stepMs;
			await t.deadbolt.validateSession(user.session.token);
		}
		t.clock.advance(t.config.session.absoluteTtlSeconds * 1000 - elapsed);
		await expect(t.deadbolt.validateSession(user.session.token)).rejects.toBeInstanceOf(Unauthenticated);
	});

	it("a tampered session token is refused", async () => {
		const user = await signUp(t);
		const token = user.session.token;
		await expect(t.deadbolt.validateSession(`${token.slice(0, -2)}xx`)).rejects.toBeInstanceOf(Unauthenticated);
	});

	it("passwords are stored as argon2id PHC strings with m=19456, t=2, p=1 and a unique salt", async () => {
		const a = await signUp(t);
		const b = await signUp(t);
		const hashA = (await t.store.accounts.findAccountById(a.account.id))!.passwordHash!;
		const hashB = (await t.store.accounts.findAccountById(b.account.id))!.passwordHash!;
		expect(hashA).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(hashA).not.toBe(hashB);
	});
});

describe("registration input", () => {
	it("emails with a colon, control characters or lone surrogates are refused before anything is written", async () => {
		const { InvalidRequest } = await import("../../src/errors.js");
		for (const email of ["a:b@example.com", "a\u0000b@example.com", "\ud800x@example.com", "tab\t@example.com"]) {
			await expect(t.deadbolt.registerAccount({ email, password: PASSWORD })).rejects.toBeInstanceOf(InvalidRequest);
		}
	});

	it("common passwords are refused with a reason", async () => {
		const { InvalidRequest } = await import("../../src/errors.js");
		const error = await t.deadbolt.registerAccount({ email: "c@example.com", password: "password123" }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(InvalidRequest);
		expect((error as InstanceType<typeof InvalidRequest>).violations.map((v) => v.rule)).toEqual(["common"]);
	});
});
