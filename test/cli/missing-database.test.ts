/**
 * Every operator command that reads or changes accounts, keys, clients, endpoints or deliveries
 * refuses a data directory without a database (exit 78, like an invalid configuration: a wrong
 * `--data-dir` or a missing `--config`), and makes nothing there: no empty database, no
 * development keys, no directory. Only `migrate`, `serve` and `restore <file>` create a database.
 * The built CLI, as an operator runs it (`npm run build` first).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCLI } from "../helpers/cli-process.js";

const work = mkdtempSync(join(tmpdir(), "deadbolt-no-database-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Each command, as typed, with its arguments. */
const COMMANDS: readonly (readonly string[])[] = [
	["account", "create", "new@example.com"],
	["account", "unlock", "ada@example.com"],
	["account", "sign-in-link", "ada@example.com"],
	["account", "groups", "ada@example.com", "--set", "admins"],
	["account", "sign-out-everywhere", "ada@example.com"],
	["account", "show", "ada@example.com"],
	["account", "disable", "ada@example.com"],
	["account", "enable", "ada@example.com"],
	["account", "delete", "ada@example.com", "--reason", "test"],
	["account", "reset-2fa", "ada@example.com", "--reason", "test"],
	["accounts", "list"],
	["outbox", "list"],
	["housekeeping"],
	["webhooks", "list"],
	["access", "check", "--url", "https://app.example.com/"],
	["oidc", "clients", "list"],
	["keys", "status"],
	["backup", join(work, "backup.sqlite")],
	["restore", "--already-restored"],
];

describe("operator commands on a data directory without a database", () => {
	it("refuse with exit 78, naming the file and what to check, and create nothing", { timeout: 180_000 }, async () => {
		const dataDir = join(work, "data");
		for (const command of COMMANDS) {
			const result = await runCLI(command, { DEADBOLT_DATA_DIR: dataDir });
			expect(result.code, `${command.join(" ")}: ${result.stderr}`).toBe(78);
			expect(result.stderr, command.join(" ")).toContain(`there is no database at ${join(dataDir, "deadbolt.sqlite")}`);
			expect(result.stderr, command.join(" ")).toContain("deadbolt migrate");
			expect(existsSync(dataDir), `${command.join(" ")} created ${dataDir}`).toBe(false);
		}
		expect(existsSync(join(work, "backup.sqlite"))).toBe(false);
	});
});
