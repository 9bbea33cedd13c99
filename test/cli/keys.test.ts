/**
 * `deadbolt keys status|rotate|retire`, the built CLI run as an operator runs it, on a SQLite
 * database set up with a single key (`DEADBOLT_ENCRYPTION_KEY`, the key `default`): the documented
 * rotation order (add k2 everywhere, make it primary, rotate, retire the old key), refusals with
 * exit 1 and ERR_KEY_IN_USE, usage errors with 64, and a sign-in with the new key alone after.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { runCLI } from "../helpers/cli-process.js";

const OLD = Buffer.alloc(32, 31).toString("base64");
const NEW = Buffer.alloc(32, 32).toString("base64");
const HMAC = Buffer.alloc(32, 33).toString("base64");
const PASSWORD = "correct horse battery staple";
let dataDir = "";
let secret = "";

/** The environment of step `n` of the rotation. */
const envs = {
	single: () => ({ DEADBOLT_DATA_DIR: dataDir, DEADBOLT_ENCRYPTION_KEY: OLD, DEADBOLT_HMAC_KEY: HMAC }),
	added: () => ({ DEADBOLT_DATA_DIR: dataDir, DEADBOLT_ENCRYPTION_KEYS: `default:${OLD},k2:${NEW}`, DEADBOLT_HMAC_KEY: HMAC }),
	primary: () => ({ DEADBOLT_DATA_DIR: dataDir, DEADBOLT_ENCRYPTION_KEYS: `default:${OLD},k2:${NEW}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k2", DEADBOLT_HMAC_KEY: HMAC }),
	retired: () => ({ DEADBOLT_DATA_DIR: dataDir, DEADBOLT_ENCRYPTION_KEYS: `k2:${NEW}`, DEADBOLT_HMAC_KEY: HMAC }),
};

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "deadbolt-cli-keys-"));
	// A deadbolt with the single key, as before key rings: one account with 2FA.
	const deadbolt = await createDeadbolt(loadConfig({ env: envs.single() }));
	try {
		const { session } = await deadbolt.registerAccount({ email: "ada@example.com", password: PASSWORD });
		const auth = await deadbolt.validateSession(session!.token);
		const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
		secret = pending.secret;
		const rotated = await deadbolt.validateSession(pending.sessionToken ?? session!.token);
		await deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(secret), Date.now()) });
	} finally {
		await deadbolt.close();
	}
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("deadbolt keys", () => {
	it("follows the documented rotation order: status, rotate, retire (refused while in use), and signs in with the new key alone", { timeout: 120_000 }, async () => {
		const help = await runCLI(["keys", "--help"], {});
		expect(help.code).toBe(0);
		expect(help.stdout).toContain("keys rotate --signing");
		const usage = await runCLI(["keys", "retire"], envs.added());
		expect(usage.code).toBe(64);

		const before = await runCLI(["keys", "status", "--json"], envs.added());
		expect(before.code).toBe(0);
		const status = JSON.parse(before.stdout) as { encryption: { primaryId: string; sealedValues: Record<string, Record<string, number>> } };
		expect(status.encryption.primaryId).toBe("default");
		expect(status.encryption.sealedValues["default"]?.["totp_credential"]).toBe(1);
		expect(before.stdout).not.toContain(OLD);
		expect(before.stdout).not.toContain(NEW);

		const refused = await runCLI(["keys", "retire", "default"], envs.primary());
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain("ERR_KEY_IN_USE");
		expect(refused.stderr).toContain("totp_credential: 1");

		const rotate = await runCLI(["keys", "rotate", "--batch-size", "1"], envs.primary());
		expect(rotate.code).toBe(0);
		expect(rotate.stdout).toMatch(/re-sealed [1-9]/);
		expect(rotate.stderr).toContain("totp_credential:");
		const again = await runCLI(["keys", "rotate", "--json"], envs.primary());
		expect(JSON.parse(again.stdout)).toMatchObject({ resealed: 0, missingKey: 0 });

		expect((await runCLI(["keys", "retire", "k2"], envs.primary())).code).toBe(1);
		const retire = await runCLI(["keys", "retire", "default"], envs.primary());
		expect(retire.code).toBe(0);
		expect(retire.stdout).toContain("retired");

		const signing = await runCLI(["keys", "rotate", "--signing", "--json"], envs.retired());
		expect(signing.code).toBe(0);
		expect(JSON.parse(signing.stdout)).toHaveProperty("activatesAt");

		// The new key alone: the 2FA secret opens.
		const deadbolt = await createDeadbolt(loadConfig({ env: envs.retired() }));
		try {
			const login = await deadbolt.beginLogin({ email: "ada@example.com", password: PASSWORD });
			if (login.kind !== "challenge") throw new Error("expected a challenge");
			const session = await deadbolt.completeLoginWithTOTP({ challengeToken: login.challenge.challengeToken, code: generateTOTP(decodeBase32(secret), Date.now() + 30_000) });
			expect(session.token).toBeTruthy();
		} finally {
			await deadbolt.close();
		}
		// The old key as primary again is refused at start (exit 78).
		const back = await runCLI(["keys", "status"], envs.single());
		expect(back.code).toBe(78);
		expect(back.stderr).toContain("retired");
	});
});
