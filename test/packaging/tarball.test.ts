/**
 * deadbolt installs and runs from its package tarball, as a small team installs it
 * (docs/operations.md, "Install"): `npm pack`, `npm install ./deadbolt-x.tgz` in an empty folder
 * (only runtime dependencies come along; better-sqlite3 gets its binary or builds it), then
 * `npx deadbolt ...`: every command, and `serve` answering its health and readiness endpoints.
 * Runs on the Node on PATH (CI runs it on Node 24 and 20). Needs `npm run build` first. It is a
 * project of its own (`packaging`).
 *
 * better-sqlite3's native binary: a real install downloads a prebuilt one or compiles it (minutes,
 * here where only the registry is reachable). The test installs without install scripts and puts in
 * the binary this checkout already built for the same better-sqlite3 version and the same Node, so
 * it proves what is deadbolt's (the tarball's contents, its dependencies, the bin) without compiling
 * SQLite twice per CI run.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLEAN_ENV, exitOf, keptOutput, killGroup } from "../helpers/cli-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MANIFEST = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
// Compiling better-sqlite3 takes minutes on a loaded machine (CI runs other suites beside this one).
const INSTALL_TIMEOUT_MS = 30 * 60_000;

let work = "";
let tarball = "";
let packed: string[] = [];
let site = "";
let env: Record<string, string> = {};

/** `npx deadbolt <args>` in the install folder. */
function deadbolt(args: readonly string[], extra: Record<string, string> = {}): SpawnSyncReturns<string> {
	// "--" so that npx passes every option (--help too) to deadbolt.
	return spawnSync("npx", ["--no", "--", "deadbolt", ...args], { cwd: site, env: { ...env, ...extra }, encoding: "utf8", timeout: 120_000 });
}

const show = (result: SpawnSyncReturns<string>): string => `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`;

beforeAll(() => {
	expect(existsSync(join(ROOT, "dist/cli/main.js")), "run npm run build first").toBe(true);
	work = mkdtempSync(join(tmpdir(), "deadbolt-packaging-"));
	const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", env: { ...CLEAN_ENV } });
	const [entry] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
	tarball = join(work, entry?.filename as string);
	packed = (entry?.files ?? []).map((file) => file.path);
	site = join(work, "site");
	execFileSync("mkdir", ["-p", site]);
	writeFileSync(join(site, "package.json"), JSON.stringify({ name: "deadbolt-site", private: true }));
	execFileSync("npm", ["install", tarball, "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: site, encoding: "utf8", timeout: INSTALL_TIMEOUT_MS, env: { ...CLEAN_ENV }, stdio: ["ignore", "pipe", "pipe"] });
	// The one install script that matters: better-sqlite3's binary, as this checkout built it (see above).
	const binary = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
	execFileSync("mkdir", ["-p", join(site, "node_modules/better-sqlite3/build/Release")]);
	execFileSync("cp", [join(ROOT, binary), join(site, binary)]);
	env = {
		...CLEAN_ENV,
		DEADBOLT_DATA_DIR: join(site, "data"),
		DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
		DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64"),
	};
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(() => {
	if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("the package tarball (npm pack, npm install, npx deadbolt)", () => {
	test("holds only dist/, docs/, README.md, LICENSE and package.json; no tests, no sources", () => {
		expect(packed.length).toBeGreaterThan(0);
		const outside = packed.filter((path) => !/^(dist\/|docs\/|README\.md$|LICENSE$|package\.json$)/.test(path));
		expect(outside).toEqual([]);
		expect(packed.filter((path) => /\.test\.|^src\/|^test\//.test(path))).toEqual([]);
		expect(packed).toContain("dist/cli/main.js");
		expect(packed).toContain("docs/operations.md");
		expect(packed).toContain("docs/examples/deadbolt.service");
	});

	test("installs only the runtime dependencies; the bin is a node script with a shebang", () => {
		const modules = join(site, "node_modules");
		for (const name of Object.keys(MANIFEST.dependencies)) expect(existsSync(join(modules, name)), name).toBe(true);
		const devOnly = Object.keys(MANIFEST.devDependencies).filter((name) => !(name in MANIFEST.dependencies));
		expect(devOnly.filter((name) => existsSync(join(modules, name)))).toEqual([]);
		const bin = join(modules, ".bin", "deadbolt");
		expect(lstatSync(bin).isSymbolicLink()).toBe(true);
		const target = realpathSync(bin);
		expect(target).toBe(realpathSync(join(modules, "deadbolt", "dist", "cli", "main.js")));
		expect(readFileSync(target, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
		expect(statSync(target).mode & 0o111).not.toBe(0);
		const installed = JSON.parse(readFileSync(join(modules, "deadbolt", "package.json"), "utf8")) as { version: string };
		expect(installed.version).toBe(MANIFEST.version);
	});

	test("every command runs through npx: help, config, migrate, accounts, account, groups, webhooks, outbox, oidc, keys, backup, restore", () => {
		const help = deadbolt(["--help"]);
		expect(help.status, show(help)).toBe(0);
		for (const command of ["serve", "migrate", "config", "account create", "outbox list", "webhooks list", "access check", "oidc clients", "backup <file>", "restore <file>"]) expect(help.stdout).toContain(command);
		const config = deadbolt(["config"]);
		expect(config.status, show(config)).toBe(0);
		expect(JSON.parse(config.stdout).keys.encryptionKey).toBe("[set]");
		expect(deadbolt(["migrate"]).stdout).toMatch(/^applied: 0001-initial$[\s\S]*^migrations: up to date \(sqlite, schema /m);
		const created = deadbolt(["account", "create", "ops@example.com"]);
		expect(created.status, show(created)).toBe(0);
		expect(created.stdout).toContain("/dashboard/sign-in-link");
		const groups = deadbolt(["account", "groups", "ops@example.com", "--set", "admins", "--json"]);
		expect(groups.status, show(groups)).toBe(0);
		expect(groups.stdout).toContain("admins");
		for (const args of [
			["account", "sign-in-link", "ops@example.com"],
			["account", "unlock", "ops@example.com"],
			["account", "sign-out-everywhere", "ops@example.com"],
			["account", "show", "ops@example.com", "--json"],
			["accounts", "list", "--json"],
			["account", "disable", "ops@example.com"],
			["account", "enable", "ops@example.com"],
			["access", "check", "--url", "https://app.example.com/"],
			["keys", "status"],
			["webhooks", "list"],
			["outbox", "list"],
			["oidc", "clients", "list"],
		]) {
			const result = deadbolt(args);
			expect(result.status, `${args.join(" ")}: ${show(result)}`).toBe(0);
		}
		const oidcHelp = deadbolt(["oidc", "--help"]);
		expect(oidcHelp.status, show(oidcHelp)).toBe(0);
		const backup = deadbolt(["backup", join(work, "backup.sqlite")]);
		expect(backup.status, show(backup)).toBe(0);
		const restored = deadbolt(["restore", join(work, "backup.sqlite")]);
		expect(restored.status, show(restored)).toBe(0);
		const deleted = deadbolt(["account", "delete", "ops@example.com", "--reason", "packaging test"]);
		expect(deleted.status, show(deleted)).toBe(0);
		expect(deadbolt(["no-such-command"]).status).toBe(64);
	});

	test("npx deadbolt serve starts; /healthz and /readyz answer; SIGTERM stops it", async () => {
		const child = spawn("npx", ["--no", "--", "deadbolt", "serve", "--port", "0"], { cwd: site, env: { ...env, DEADBOLT_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
		const output = keptOutput(child);
		const exited = exitOf(child);
		try {
			let url: string | null = null;
			for (let waited = 0; url === null && waited < 600; waited++) {
				url = /deadbolt is listening at (http:\/\/[^ ]+) /.exec(output())?.[1] ?? null;
				if (url === null) await new Promise((done) => setTimeout(done, 100));
			}
			expect(url, output()).not.toBeNull();
			const health = await fetch(`${url as string}/healthz`);
			expect(health.status).toBe(200);
			expect(await health.json()).toEqual({ status: "ok" });
			const ready = await fetch(`${url as string}/readyz`);
			expect(ready.status).toBe(200);
			// The group's SIGTERM reaches npx too (which then ends by the signal); deadbolt stops cleanly.
			killGroup(child, "SIGTERM");
			const exit = await exited;
			expect(exit.code === 0 || exit.signal === "SIGTERM", `${JSON.stringify(exit)}\n${output()}`).toBe(true);
			expect(output()).toContain('"event":"server.stopping"');
		} finally {
			killGroup(child, "SIGKILL");
		}
	});
});
