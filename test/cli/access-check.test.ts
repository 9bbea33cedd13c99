/**
 * `deadbolt access check` (issue 12 item 3): the built CLI, run as an operator runs it, against a
 * config file with rules and a real SQLite store: which rule decides, and why, for an account and
 * for anonymous requests; usage errors and unknown accounts are clear.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEADBOLT_")));

let dataDir = "";
let configFile = "";

function run(args: string[]) {
	return spawnSync(process.execPath, [CLI, ...args, "--data-dir", dataDir, "--config", configFile], { env: ENV, encoding: "utf8", timeout: 30_000 });
}

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "deadbolt-access-check-"));
	configFile = join(dataDir, "config.json");
	writeFileSync(
		configFile,
		JSON.stringify({
			accessControl: {
				defaultPolicy: "deny",
				rules: [
					{ domains: ["public.example.test"], policy: "bypass" },
					{ domains: ["app.example.test"], policy: "one_factor" },
					{ domains: ["admin.example.test"], policy: "two_factor", maxSecondFactorAgeSeconds: 300 },
					{ domains: ["*.example.test"], resources: ["^/api/"], methods: ["POST"], policy: "deny" },
				],
			},
		}),
	);
	const deadbolt = await createDeadbolt(loadConfig({ file: configFile, overrides: { dataDir } }));
	try {
		await deadbolt.createAccountWithoutPassword("ada@example.com");
	} finally {
		await deadbolt.close();
	}
});

describe("deadbolt access check", () => {
	it("names the deciding rule and what the account needs", () => {
		const admin = run(["access", "check", "--url", "https://admin.example.test/x", "--account", "ada@example.com"]);
		expect(admin.status).toBe(0);
		expect(admin.stdout).toContain("accessControl.rules[2]");
		expect(admin.stdout).toContain("two_factor (maxSecondFactorAgeSeconds 300)");
		expect(admin.stdout).toContain("ada@example.com has no two-factor authentication: sent to set it up first");

		const post = run(["access", "check", "--url", "https://other.example.test/api/items", "--method", "post"]);
		expect(post.status).toBe(0);
		expect(post.stdout).toContain("accessControl.rules[3]");
		expect(post.stdout).toContain("refused (403)");

		const none = run(["access", "check", "--url", "https://elsewhere.test/", "--json"]);
		expect(none.status).toBe(0);
		expect(JSON.parse(none.stdout)).toMatchObject({ host: "elsewhere.test", ruleIndex: null, policy: "deny", account: null });
	});

	it("usage errors exit 64; a bad URL or an unknown account exits 1 with a clear message", () => {
		expect(run(["access", "check"]).status).toBe(64);
		expect(run(["access", "list", "--url", "https://a.example.test/"]).status).toBe(64);
		expect(run(["access", "check", "--url", "https://a.example.test/", "--events", "x"]).status).toBe(64);
		const bad = run(["access", "check", "--url", "not a url"]);
		expect(bad.status).toBe(1);
		expect(bad.stderr).toContain("deadbolt: ");
		const unknown = run(["access", "check", "--url", "https://app.example.test/", "--account", "nobody@example.com"]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("nobody@example.com");
	});
});
