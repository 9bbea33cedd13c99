/**
 * The operators' account commands of the built CLI, run as processes (issue 14 item 1):
 * `accounts list`, `account show|disable|enable|delete|reset-2fa`, each with `--json` and
 * `--help`, an account named by email or id, and the exit codes (0 done, 1 refused, 64 usage).
 */
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { TOKEN_ID_BYTES } from "../../src/domain/crypto/token.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { CLI } from "../helpers/cli-process.js";

const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEADBOLT_") && key !== "SUDO_USER"));
const PASSWORD = "correct horse battery staple";
const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-accounts-"));

/** Runs the CLI with `args` on the test's data directory (given before a `--`: what follows it is positional). */
function run(args: readonly string[]) {
	const end = args.indexOf("--");
	const all = end === -1 ? [...args, "--data-dir", dataDir] : [...args.slice(0, end), "--data-dir", dataDir, ...args.slice(end)];
	return spawnSync(process.execPath, [CLI, ...all], { env: ENV, encoding: "utf8", timeout: 120_000 });
}

async function withDeadbolt<T>(work: (deadbolt: Awaited<ReturnType<typeof createDeadbolt>>) => Promise<T>): Promise<T> {
	const deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir } }));
	try {
		return await work(deadbolt);
	} finally {
		await deadbolt.close();
	}
}

const ids: Record<string, string> = {};

describe("deadbolt accounts list and account show|disable|enable|delete|reset-2fa", () => {
	beforeAll(async () => {
		await withDeadbolt(async (deadbolt) => {
			for (const email of ["ann@example.com", "bob@example.com", "cy@example.com"]) ids[email] = (await deadbolt.registerAccount({ email, password: PASSWORD })).account.id;
			// cy turns 2FA on.
			const registered = await deadbolt.beginLogin({ email: "cy@example.com", password: PASSWORD });
			if (registered.kind !== "session") throw new Error("expected a session");
			const auth = await deadbolt.validateSession(registered.session.token);
			const pending = await deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
			const rotated = await deadbolt.validateSession(pending.sessionToken ?? registered.session.token);
			await deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(decodeBase32(pending.secret), Date.now()) });
		});
	}, 120_000);

	it("accounts list prints a table or JSON, filters, and pages with the printed cursor; a bad filter value exits 64", () => {
		const table = run(["accounts", "list", "--limit", "2"]);
		expect(table.status, table.stderr).toBe(0);
		const lines = table.stdout.trim().split("\n");
		expect(lines[0]).toMatch(/^EMAIL +ID +2FA +LOCKED +DISABLED +LAST SIGN-IN +GROUPS$/);
		expect(lines[1]).toMatch(new RegExp(`^ann@example\\.com +${ids["ann@example.com"]} +off +- +- `));
		const cursor = /^next page: --cursor (\S+)$/.exec(lines.at(-1)!)?.[1];
		expect(cursor).toBeDefined();
		const next = JSON.parse(run(["accounts", "list", "--limit", "2", "--cursor", cursor!, "--json"]).stdout) as { accounts: { email: string; twoFactorEnabled: boolean }[]; nextCursor: string | null };
		expect(next).toMatchObject({ accounts: [{ email: "cy@example.com", twoFactorEnabled: true }], nextCursor: null });
		expect(JSON.parse(run(["accounts", "list", "--two-factor", "on", "--json"]).stdout).accounts.map((a: { email: string }) => a.email)).toEqual(["cy@example.com"]);
		const bad = run(["accounts", "list", "--two-factor", "maybe"]);
		expect(bad.status).toBe(64);
		expect(bad.stderr).toContain("Usage: deadbolt accounts list");
	});

	it("account show by email or id (JSON too); an unknown account exits 1", () => {
		const shown = run(["account", "show", "ann@example.com"]);
		expect(shown.status, shown.stderr).toBe(0);
		expect(shown.stdout).toContain(`id:           ${ids["ann@example.com"]}`);
		expect(shown.stdout).toContain("state:        enabled, 2FA off");
		const json = JSON.parse(run(["account", "show", "--json", "--", ids["ann@example.com"]!]).stdout) as { account: { email: string }; sessions: unknown[]; activity: { type: string }[] };
		expect(json.account.email).toBe("ann@example.com");
		expect(json.activity.map((e) => e.type)).toContain("account.created");
		const unknown = run(["account", "show", "nobody@example.com"]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("No account has that email");
	});

	// Ids go after "--": an id may begin with "-" (base64url), which would read as an option (docs/cli.md).
	it("disable and enable, as the OS user; a disabled account gets no sign-in link", async () => {
		const disabled = run(["account", "disable", "bob@example.com", "--reason", "ticket 12"]);
		expect(disabled.status, disabled.stderr).toBe(0);
		expect(disabled.stdout).toContain("disabled: bob@example.com (1 session, 0 remembered devices and 0 personal access tokens ended)");
		expect(run(["account", "disable", "--", ids["bob@example.com"]!]).stdout).toContain("already disabled: bob@example.com");
		const link = run(["account", "sign-in-link", "bob@example.com"]);
		expect(link.status).toBe(1);
		expect(link.stderr).toContain("disabled");
		expect(JSON.parse(run(["account", "enable", "bob@example.com", "--json"]).stdout)).toEqual({ accountId: ids["bob@example.com"], email: "bob@example.com", changed: true });
		const events = await withDeadbolt((deadbolt) => deadbolt.listSecurityEvents(ids["bob@example.com"]!));
		expect(events.find((e) => e.type === "account.disabled")?.details).toMatchObject({ by: "operator", via: "cli", operator: userInfo().username, reason: "ticket 12" });
	});

	it("reset-2fa and delete need --reason (64); reset-2fa turns 2FA off and says the owner was mailed; delete removes the account", () => {
		const noReason = run(["account", "reset-2fa", "cy@example.com"]);
		expect(noReason.status).toBe(64);
		expect(noReason.stderr).toContain("--reason");
		const reset = run(["account", "reset-2fa", "cy@example.com", "--reason", "lost phone, ID checked"]);
		expect(reset.status, reset.stderr).toBe(0);
		expect(reset.stdout).toContain("two-factor authentication reset: cy@example.com");
		expect(reset.stdout).toContain("the owner was mailed");
		const nothing = run(["account", "reset-2fa", "cy@example.com", "--reason", "again"]);
		expect(nothing.status).toBe(1);
		expect(nothing.stderr).toContain("nothing to reset");
		expect(run(["account", "delete", "ann@example.com"]).status).toBe(64);
		const deleted = JSON.parse(run(["account", "delete", "ann@example.com", "--reason", "asked by the owner", "--json"]).stdout) as { accountId: string };
		expect(deleted.accountId).toBe(ids["ann@example.com"]);
		expect(run(["account", "show", "--", ids["ann@example.com"]!]).status).toBe(1);
	});

	it("--help on every new command exits 0 and shows its options", () => {
		for (const [args, option] of [
			[["accounts", "list", "--help"], "--two-factor"],
			[["account", "delete", "--help"], "--reason"],
			[["account", "reset-2fa", "--help"], "--reason"],
			[["account", "--help"], "reset-2fa"],
		] as const) {
			const help = run(args);
			expect(help.status, args.join(" ")).toBe(0);
			expect(help.stdout, args.join(" ")).toContain(option);
		}
	});
});

describe("an account id that begins with \"-\" (ids are base64url)", () => {
	const dashDir = mkdtempSync(join(tmpdir(), "deadbolt-dash-id-"));
	/** Every 12-byte id drawn from it begins with "-" (base64url 62: the first 6 bits 111110). */
	const dashIds = { fill(bytes: Uint8Array): void {
		randomFillSync(bytes);
		if (bytes.length === TOKEN_ID_BYTES) bytes[0] = 0xf8 | (bytes[0]! & 0x03);
	} };
	const runIn = (args: readonly string[]) => spawnSync(process.execPath, [CLI, ...args], { env: ENV, encoding: "utf8", timeout: 120_000 });

	it("is refused as an option with a hint (exit 64), and works after \"--\"", async () => {
		const deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir: dashDir } }), { random: dashIds });
		let id: string;
		try {
			id = (await deadbolt.createAccountWithoutPassword("dash@example.com")).id;
		} finally {
			await deadbolt.close();
		}
		expect(id.startsWith("-")).toBe(true);
		const refused = runIn(["account", "show", id, "--data-dir", dashDir]);
		expect(refused.status).toBe(64);
		expect(refused.stderr).toContain(`"account show" does not take ${id}`);
		expect(refused.stderr).toContain(`account ids that begin with "-" go after "--": deadbolt account show -- ${id}`);
		const shown = runIn(["account", "show", "--data-dir", dashDir, "--json", "--", id]);
		expect(shown.status, shown.stderr).toBe(0);
		expect(JSON.parse(shown.stdout).account).toMatchObject({ id, email: "dash@example.com" });
		// An unknown long option gets no such hint.
		const typo = runIn(["account", "show", "--jsno", "dash@example.com", "--data-dir", dashDir]);
		expect(typo.status).toBe(64);
		expect(typo.stderr).not.toContain("account ids");
	}, 120_000);
});
