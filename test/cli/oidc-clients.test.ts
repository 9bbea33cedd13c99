/**
 * `deadbolt oidc clients list|add|show|remove|rotate-secret`, the built CLI run as an operator
 * runs it against a real SQLite database: flags named like the config file's keys (repeatable
 * `--redirect-uri`, `--group`, `--account`), the secret printed once and never listed, the config
 * file's clients read-only, refusals exit 1 with the reason, usage errors exit 64.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/storage/sqlite.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEADBOLT_")));
const CONFIG_SECRET = "a-config-client-secret-of-32-chars-or-more";

let dataDir = "";
let configFile = "";

function run(args: readonly string[], config = configFile, dir = dataDir) {
	return spawnSync(process.execPath, [CLI, ...args, "--data-dir", dir, "--config", config], { env: ENV, encoding: "utf8", timeout: 30_000 });
}

describe("deadbolt oidc clients", () => {
	beforeAll(() => {
		dataDir = mkdtempSync(join(tmpdir(), "deadbolt-oidc-cli-"));
		configFile = join(dataDir, "config.json");
		writeFileSync(configFile, JSON.stringify({ http: { publicUrl: "https://auth.example.com" }, oidc: { enabled: true, clients: [{ id: "wiki", name: "Team wiki", secret: CONFIG_SECRET, redirectUris: ["https://wiki.example.com/cb"] }] } }));
		const migrated = run(["migrate"]);
		expect(migrated.status, migrated.stderr).toBe(0);
	});

	it("refuses a data directory without a database, and makes none", () => {
		const empty = join(mkdtempSync(join(tmpdir(), "deadbolt-oidc-cli-empty-")), "data");
		const result = run(["oidc", "clients", "list"], configFile, empty);
		expect(result.status).toBe(78);
		expect(result.stderr).toContain("there is no database");
		expect(existsSync(empty)).toBe(false);
	});

	it("add prints the secret once; list (table and JSON) and show never print it; repeatable flags make lists", async () => {
		const added = run([
			"oidc", "clients", "add", "grafana",
			"--name", "Grafana",
			"--redirect-uri", "https://grafana.example.com/login/generic_oauth",
			"--redirect-uri", "https://grafana.example.com/other",
			"--post-logout-redirect-uri", "https://grafana.example.com/bye",
			"--backchannel-logout-uri", "https://grafana.example.com/backchannel",
			"--first-party", "--minimum-aal", "1",
			"--group", "Admins", "--group", "ops",
			"--account", "Ada@Example.com",
		]);
		expect(added.status, added.stderr).toBe(0);
		const lines = added.stdout.trim().split("\n");
		expect(lines[0]).toBe("added: grafana (confidential)");
		expect(lines[1]).toContain("shown this once");
		const secret = lines[2]!;
		expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

		const store = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
		try {
			const record = await store.oidcClients.findOidcClient("grafana");
			expect(Buffer.from(record!.sealedSecret!).includes(Buffer.from(secret))).toBe(false);
		} finally {
			await store.close();
		}

		const table = run(["oidc", "clients", "list"]);
		expect(table.status, table.stderr).toBe(0);
		const rows = table.stdout.trim().split("\n");
		expect(rows[0]).toMatch(/^ID +SOURCE +NAME +TYPE +AAL +REDIRECT URIS$/);
		expect(rows[1]).toMatch(/^wiki +config +Team wiki +confidential +2 +https:\/\/wiki\.example\.com\/cb$/);
		expect(rows[2]).toMatch(/^grafana +api +Grafana +confidential +1 +https:\/\/grafana\.example\.com\/login\/generic_oauth https:\/\/grafana\.example\.com\/other$/);
		const json = JSON.parse(run(["oidc", "clients", "list", "--json"]).stdout) as Record<string, unknown>[];
		expect(json[1]).toEqual({
			id: "grafana",
			name: "Grafana",
			source: "api",
			redirectUris: ["https://grafana.example.com/login/generic_oauth", "https://grafana.example.com/other"],
			postLogoutRedirectUris: ["https://grafana.example.com/bye"],
			backchannelLogoutUri: "https://grafana.example.com/backchannel",
			public: false,
			firstParty: true,
			minimumAal: 1,
			groups: ["admins", "ops"],
			accounts: ["ada@example.com"],
			createdAt: expect.any(String),
		});
		const shown = run(["oidc", "clients", "show", "grafana"]);
		expect(shown.status, shown.stderr).toBe(0);
		expect(shown.stdout).toContain("groups:                    admins, ops");
		expect(shown.stdout).toContain("type:                      confidential (client_secret_basic)");
		for (const output of [table.stdout, JSON.stringify(json), shown.stdout, run(["oidc", "clients", "show", "grafana", "--json"]).stdout, run(["oidc", "clients", "show", "wiki"]).stdout]) {
			expect(output).not.toContain(secret);
			expect(output).not.toContain(CONFIG_SECRET);
		}
	});

	it("add --public prints no secret; rotate-secret prints a new one for a confidential client and refuses a public one", () => {
		const spa = run(["oidc", "clients", "add", "spa", "--public", "--redirect-uri", "http://localhost:5173/callback", "--json"]);
		expect(spa.status, spa.stderr).toBe(0);
		expect(JSON.parse(spa.stdout)).toMatchObject({ client: { id: "spa", public: true }, secret: null });
		const refused = run(["oidc", "clients", "rotate-secret", "spa"]);
		expect(refused.status).toBe(1);
		expect(refused.stderr).toContain("A public client has no secret");

		const first = JSON.parse(run(["oidc", "clients", "add", "rotating", "--redirect-uri", "https://r.example.com/cb", "--json"]).stdout).secret as string;
		const rotated = run(["oidc", "clients", "rotate-secret", "rotating"]);
		expect(rotated.status, rotated.stderr).toBe(0);
		const [title, second] = rotated.stdout.trim().split("\n");
		expect(title).toContain("new secret for rotating");
		expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(second).not.toBe(first);
		expect(JSON.parse(run(["oidc", "clients", "rotate-secret", "rotating", "--json"]).stdout).secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
	});

	it("refusals exit 1 with the reason: the rules, an id taken, a config file client, an unknown id", () => {
		const http = run(["oidc", "clients", "add", "bad", "--redirect-uri", "http://app.example.com/cb"]);
		expect(http.status).toBe(1);
		expect(http.stderr).toContain("must use https");
		const fragment = run(["oidc", "clients", "add", "bad", "--redirect-uri", "https://app.example.com/cb#x"]);
		expect(fragment.status).toBe(1);
		expect(fragment.stderr).toContain("fragment");
		const group = run(["oidc", "clients", "add", "bad", "--redirect-uri", "https://app.example.com/cb", "--group", "no spaces"]);
		expect(group.status).toBe(1);
		expect(group.stderr).toContain("Not a group name");
		const taken = run(["oidc", "clients", "add", "wiki", "--redirect-uri", "https://app.example.com/cb"]);
		expect(taken.status).toBe(1);
		expect(taken.stderr).toContain("declared in the config file");
		for (const action of ["remove", "rotate-secret"]) {
			const readOnly = run(["oidc", "clients", action, "wiki"]);
			expect(readOnly.status, action).toBe(1);
			expect(readOnly.stderr).toContain("config file");
		}
		for (const action of ["show", "remove", "rotate-secret"]) {
			const unknown = run(["oidc", "clients", action, "nobody"]);
			expect(unknown.status, action).toBe(1);
			expect(unknown.stderr).toContain("No OpenID Connect client has that id");
		}
		expect(JSON.parse(run(["oidc", "clients", "list", "--json"]).stdout).map((client: { id: string }) => client.id)).not.toContain("bad");
	});

	it("remove deletes an added client (JSON or text), and a second remove exits 1", () => {
		expect(run(["oidc", "clients", "add", "leaving", "--redirect-uri", "https://l.example.com/cb"]).status).toBe(0);
		const removed = run(["oidc", "clients", "remove", "leaving"]);
		expect(removed.status, removed.stderr).toBe(0);
		expect(removed.stdout.trim()).toBe("removed: leaving (0 grants ended with their tokens)");
		expect(run(["oidc", "clients", "remove", "leaving"]).status).toBe(1);
		expect(run(["oidc", "clients", "add", "leaving2", "--redirect-uri", "https://l.example.com/cb"]).status).toBe(0);
		expect(JSON.parse(run(["oidc", "clients", "remove", "leaving2", "--json"]).stdout)).toEqual({ id: "leaving2", grantsEnded: 0 });
	});

	it("usage errors exit 64 with the usage; --help prints it and exits 0", () => {
		for (const args of [
			["oidc"],
			["oidc", "apps", "list"],
			["oidc", "clients"],
			["oidc", "clients", "frobnicate"],
			["oidc", "clients", "add", "x"],
			["oidc", "clients", "add", "--redirect-uri", "https://x.example.com/cb"],
			["oidc", "clients", "add", "x", "--redirect-uri", "https://x.example.com/cb", "--minimum-aal", "3"],
			["oidc", "clients", "add", "x", "--redirect-uri", "https://x.example.com/cb", "--secret", "chosen"],
			["oidc", "clients", "list", "--name", "x"],
			["oidc", "clients", "list", "extra"],
			["oidc", "clients", "show"],
			["oidc", "clients", "remove", "a", "b"],
			["oidc", "clients", "rotate-secret", "x", "--group", "ops"],
			["oidc", "clients", "list", "--events", "*"],
		]) {
			const result = run(args);
			expect(result.status, args.join(" ")).toBe(64);
			expect(result.stderr, args.join(" ")).toContain("Usage: deadbolt oidc clients");
		}
		const help = run(["oidc", "clients", "--help"]);
		expect(help.status).toBe(0);
		expect(help.stdout).toContain("rotate-secret <id>");
		expect(run(["help"]).stdout).toContain("oidc clients list|add|show|remove|rotate-secret");
	});

	it("with the provider off, add exits 1 and says how to turn it on", () => {
		const offConfig = join(dataDir, "off.json");
		writeFileSync(offConfig, JSON.stringify({}));
		const result = run(["oidc", "clients", "add", "x", "--redirect-uri", "https://x.example.com/cb"], offConfig);
		expect(result.status).toBe(1);
		expect(result.stderr).toContain("oidc.enabled");
	});
});
