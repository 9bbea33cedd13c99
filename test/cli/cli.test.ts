/** The built CLI (`dist/cli/main.js`, built by `npm test`'s pretest), run as a user would. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { startServe } from "../helpers/cli-process.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEADBOLT_")));

function run(args: string[], env: Record<string, string> = {}) {
	return spawnSync(process.execPath, [CLI, ...args], { env: { ...ENV, ...env }, encoding: "utf8", timeout: 30_000 });
}

describe("deadbolt CLI", () => {
	it("is built (npm test builds it first)", () => {
		expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
	});

	it("help exits 0 and lists the commands", () => {
		const result = run(["help"]);
		expect(result.status).toBe(0);
		expect(result.stdout).toContain("serve");
		expect(result.stdout).toContain("migrate");
	});

	it("an unknown command or flag exits 64 with the usage", () => {
		expect(run(["frobnicate"]).status).toBe(64);
		const flag = run(["serve", "--no-such-flag"]);
		expect(flag.status).toBe(64);
		expect(flag.stderr).toContain("Usage");
	});

	it("invalid configuration exits 78 and lists every problem", () => {
		const result = run(["config"], { DEADBOLT_HTTP_PORT: "eighty", DEADBOLT_ENCRYPTION_KEY: "too-short", DEADBOLT_TYPO: "1", DEADBOLT_LOG_FORMAT: "colour" });
		expect(result.status).toBe(78);
		expect(result.stderr).toContain("DEADBOLT_HTTP_PORT");
		expect(result.stderr).toContain("log.format (DEADBOLT_LOG_FORMAT): must be json");
		expect(result.stderr).toContain("DEADBOLT_TYPO");
	});

	it("config prints the effective configuration with secrets redacted", () => {
		const key = Buffer.alloc(32, 1).toString("base64");
		const result = run(["config"], { DEADBOLT_ENCRYPTION_KEY: key, DEADBOLT_HMAC_KEY: key, DEADBOLT_ISSUER: "Acme", DEADBOLT_REDIS_URL: "rediss://deadbolt:redis-secret@cache.example.com:6380/1" });
		expect(result.status).toBe(0);
		const config = JSON.parse(result.stdout);
		expect(config.issuer).toBe("Acme");
		expect(config.keys).toEqual({ encryptionKey: "[set]", hmacKey: "[set]", adminApiKey: null, encryptionKeys: [], hmacKeys: [], primaryEncryptionKeyId: "default", primaryHmacKeyId: "default", signingKeyPublishAheadSeconds: 900, signingKeyRefreshSeconds: 30 });
		const ringKey = Buffer.alloc(32, 2).toString("base64");
		const ring = JSON.parse(run(["config"], { DEADBOLT_ENCRYPTION_KEYS: `k1:${ringKey},k2:${key}`, DEADBOLT_HMAC_KEY: key, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k2" }).stdout);
		expect(ring.keys.encryptionKeys).toEqual([{ id: "k1", key: "[set]" }, { id: "k2", key: "[set]" }]);
		expect(JSON.stringify(ring)).not.toContain(ringKey);
		// Keys from rings: no word of development keys; the single key not set is null; the primaries as in effect.
		const rings = JSON.parse(run(["config"], { DEADBOLT_ENCRYPTION_KEYS: `k2:${ringKey},k3:${key}`, DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: "k3", DEADBOLT_HMAC_KEYS: `h1:${key}` }).stdout);
		expect(rings.keys).toMatchObject({ encryptionKey: null, hmacKey: null, encryptionKeys: [{ id: "k2", key: "[set]" }, { id: "k3", key: "[set]" }], hmacKeys: [{ id: "h1", key: "[set]" }], primaryEncryptionKeyId: "k3", primaryHmacKeyId: "h1" });
		expect(JSON.stringify(rings.keys)).not.toContain("development");
		expect(ring.keys).toMatchObject({ encryptionKey: null, hmacKey: "[set]", primaryEncryptionKeyId: "k2", primaryHmacKeyId: "default" });
		// No key at all: the development keys file of the data directory, and nothing else.
		const none = JSON.parse(run(["config"], { DEADBOLT_DATA_DIR: "/srv/deadbolt-data" }).stdout);
		expect(none.keys).toMatchObject({ encryptionKey: "[development keys file: /srv/deadbolt-data/development-keys.json]", hmacKey: "[development keys file: /srv/deadbolt-data/development-keys.json]", encryptionKeys: [], hmacKeys: [], primaryEncryptionKeyId: null, primaryHmacKeyId: null });
		expect(config.rateLimit.redisUrl).toBe("rediss://deadbolt:[redacted]@cache.example.com:6380/1");
		expect(result.stdout).not.toContain(key);
		expect(result.stdout).not.toContain("redis-secret");
		const adminKey = "an-admin-key-of-enough-length-0123456789";
		const withAdmin = run(["config"], { DEADBOLT_ADMIN_API_KEY: adminKey });
		expect(JSON.parse(withAdmin.stdout).keys.adminApiKey).toBe("[set]");
		expect(withAdmin.stdout).not.toContain(adminKey);
		const short = run(["config"], { DEADBOLT_ADMIN_API_KEY: "short" });
		expect(short.status).toBe(78);
		expect(short.stderr).toContain("DEADBOLT_ADMIN_API_KEY");
	});

	it("an invalid Redis URL exits 78 naming DEADBOLT_REDIS_URL", () => {
		const result = run(["config"], { DEADBOLT_REDIS_URL: "redis://cache.example.com:6379/0?family=6" });
		expect(result.status).toBe(78);
		expect(result.stderr).toContain("DEADBOLT_REDIS_URL");
	});

	it("migrate creates the SQLite database in the data directory", () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-cli-"));
		const result = run(["migrate", "--data-dir", dataDir]);
		expect(result.status, result.stderr).toBe(0);
		expect(result.stdout).toContain("up to date");
		expect(statSync(join(dataDir, "deadbolt.sqlite")).mode & 0o777).toBe(0o600);
	});

	it("account unlock ends the locks of an existing account (exit 0) and says so for an unknown one (exit 1)", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-unlock-"));
		const { loadConfig } = await import("../../src/config/load.js");
		const { createDeadbolt } = await import("../../src/deadbolt.js");
		const deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir } }));
		await deadbolt.registerAccount({ email: "locked@example.com", password: "correct horse battery staple" });
		await deadbolt.close();
		const unknown = run(["account", "unlock", "nobody@example.com", "--data-dir", dataDir]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("No account has that email");
		const ok = run(["account", "unlock", "locked@example.com", "--data-dir", dataDir]);
		expect(ok.status, ok.stderr).toBe(0);
		expect(ok.stdout).toContain("unlocked: locked@example.com");
		expect(run(["account", "frobnicate", "x"]).status).toBe(64);
	});

	it("account create makes an account without a password and prints a one-time sign-in link; account sign-in-link prints another", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-create-"));
		const env = { DEADBOLT_PUBLIC_URL: "https://auth.example.com" };
		// Not on a data directory without a database (test/cli/missing-database.test.ts): the server's, made by migrate here.
		expect(run(["migrate", "--data-dir", dataDir]).status).toBe(0);
		const created = run(["account", "create", "New.User@Example.com", "--data-dir", dataDir], env);
		expect(created.status, created.stderr).toBe(0);
		expect(created.stdout).toContain("created: new.user@example.com");
		expect(created.stdout).toContain("without a password");
		const url = /https:\/\/auth\.example\.com\/dashboard\/sign-in-link\?token=([A-Za-z0-9_.-]+)/.exec(created.stdout);
		expect(url, created.stdout).not.toBeNull();
		expect(created.stdout).toMatch(/works once, for 60 minutes/);
		const again = run(["account", "create", "new.user@example.com", "--data-dir", dataDir], env);
		expect(again.status).toBe(1);
		expect(again.stderr).toContain("already exists");
		expect(run(["account", "create", "not-an-email", "--data-dir", dataDir]).status).toBe(1);
		const link = run(["account", "sign-in-link", "new.user@example.com", "--data-dir", dataDir], env);
		expect(link.status, link.stderr).toBe(0);
		const second = /token=([A-Za-z0-9_.-]+)/.exec(link.stdout)?.[1];
		expect(second).toBeDefined();
		expect(second).not.toBe(url?.[1]);
		expect(run(["account", "sign-in-link", "nobody@example.com", "--data-dir", dataDir]).status).toBe(1);
		// Only the newest link works (the second ended the first), once, through the API.
		const { loadConfig } = await import("../../src/config/load.js");
		const { createDeadbolt } = await import("../../src/deadbolt.js");
		const deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir } }));
		try {
			expect(await deadbolt.describeSignInLink(url?.[1] as string)).toBeNull();
			expect(await deadbolt.describeSignInLink(second as string)).toEqual({ email: "new.user@example.com" });
			expect((await deadbolt.redeemSignInLink({ token: second as string })).kind).toBe("session");
			await expect(deadbolt.redeemSignInLink({ token: second as string })).rejects.toThrow();
		} finally {
			await deadbolt.close();
		}
	});

	it("account groups prints an account's groups; --set replaces them (normalized, sorted), --set '' removes them; bad names exit 1", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-groups-"));
		const { loadConfig } = await import("../../src/config/load.js");
		const { createDeadbolt } = await import("../../src/deadbolt.js");
		let deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir } }));
		const { account } = await deadbolt.registerAccount({ email: "member@example.com", password: "correct horse battery staple" });
		await deadbolt.close();
		const none = run(["account", "groups", "Member@Example.com", "--data-dir", dataDir]);
		expect(none.status, none.stderr).toBe(0);
		expect(none.stdout).toBe("member@example.com: no groups\n");
		const set = run(["account", "groups", "member@example.com", "--set", "ops, Admins,admins", "--data-dir", dataDir]);
		expect(set.status, set.stderr).toBe(0);
		expect(set.stdout).toBe("member@example.com: admins, ops\n");
		const json = run(["account", "groups", "member@example.com", "--json", "--data-dir", dataDir]);
		expect(JSON.parse(json.stdout)).toEqual({ accountId: account.id, email: "member@example.com", groups: ["admins", "ops"] });
		const bad = run(["account", "groups", "member@example.com", "--set", "admins,no way", "--data-dir", dataDir]);
		expect(bad.status).toBe(1);
		expect(bad.stderr).toContain('Not a group name: "no way"');
		expect(run(["account", "groups", "member@example.com", "--data-dir", dataDir]).stdout).toBe("member@example.com: admins, ops\n");
		const unknown = run(["account", "groups", "nobody@example.com", "--set", "ops", "--data-dir", dataDir]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("No account has that email");
		const cleared = run(["account", "groups", "member@example.com", "--set", "", "--data-dir", dataDir]);
		expect(cleared.status, cleared.stderr).toBe(0);
		expect(cleared.stdout).toBe("member@example.com: no groups\n");
		// --set belongs to "account groups" only; "account groups" takes one email.
		const misplaced = run(["account", "unlock", "member@example.com", "--set", "ops", "--data-dir", dataDir]);
		expect(misplaced.status).toBe(64);
		expect(misplaced.stderr).toContain('"account unlock" does not take --set');
		expect(run(["migrate", "--set", "ops", "--data-dir", dataDir]).status).toBe(64);
		expect(run(["account", "groups", "--data-dir", dataDir]).status).toBe(64);
		deadbolt = await createDeadbolt(loadConfig({ overrides: { dataDir } }));
		try {
			const events = (await deadbolt.listSecurityEvents(account.id)).filter((event) => event.type === "account.groups_changed");
			expect(events.map((event) => event.details)).toEqual([
				{ before: ["admins", "ops"], after: [], via: "cli", operator: userInfo().username },
				{ before: [], after: ["admins", "ops"], via: "cli", operator: userInfo().username },
			]);
		} finally {
			await deadbolt.close();
		}
	});

	it("keys other than the ones the database was set up with stop the start with exit 78, naming the key", () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-keys-"));
		// The first start (development keys of this data directory) records its keys.
		expect(run(["migrate", "--data-dir", dataDir]).status).toBe(0);
		expect(run(["account", "unlock", "nobody@example.com", "--data-dir", dataDir]).status).toBe(1);
		const other = Buffer.alloc(32, 5).toString("base64");
		const refused = run(["account", "unlock", "nobody@example.com", "--data-dir", dataDir], { DEADBOLT_ENCRYPTION_KEY: other, DEADBOLT_HMAC_KEY: other });
		expect(refused.status).toBe(78);
		expect(refused.stderr).toContain("DEADBOLT_ENCRYPTION_KEY");
		expect(refused.stderr).toContain("not the key this database was set up with");
	});

	it("serve without keys creates development keys (mode 0600), warns once how to configure real ones, and serves", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-serve-"));
		const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], { env: { ...ENV, DEADBOLT_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
		try {
			const address = await new Promise<string>((resolvePromise, reject) => {
				const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 20_000);
				child.stdout.on("data", (chunk: Buffer) => {
					output += chunk.toString();
					const match = /deadbolt is listening at (http:\/\/[^ ]+) /.exec(output);
					if (match) {
						clearTimeout(timer);
						resolvePromise(match[1]!);
					}
				});
			});
			const health = await fetch(`${address}/healthz`);
			expect(health.status).toBe(200);
			const ready = await fetch(`${address}/readyz`);
			expect(await ready.json()).toEqual({ status: "ready" });
			const keysFile = join(dataDir, "development-keys.json");
			expect(statSync(join(dataDir, "deadbolt.sqlite")).mode & 0o777).toBe(0o600);
			expect(statSync(keysFile).mode & 0o777).toBe(0o600);
			// Without DEADBOLT_REDIS_URL: one line saying the per-IP limits are this process's own.
			const inProcess = output.split("\n").filter((line) => line.includes('"rate_limit.in_process"'));
			expect(inProcess).toHaveLength(1);
			expect(inProcess[0]).toContain("DEADBOLT_REDIS_URL");
			const warnings = output.split("\n").filter((line) => line.includes('"keys.development"'));
			expect(warnings).toHaveLength(1);
			expect(warnings[0]).toContain("DEADBOLT_ENCRYPTION_KEY");
			expect(warnings[0]).toContain('"level":40');
			const keys = JSON.parse(readFileSync(keysFile, "utf8"));
			expect(output).not.toContain(keys.encryptionKey);
			expect(output).not.toContain(keys.hmacKey);
		} finally {
			child.kill("SIGTERM");
			await new Promise((r) => child.once("exit", r));
		}
	});

	it("serve with Redis unreachable starts, warns once without the Redis password, answers, and stops at once on SIGTERM", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-serve-redis-"));
		// Port 1 on localhost: nothing listens there.
		const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], { env: { ...ENV, DEADBOLT_DATA_DIR: dataDir, DEADBOLT_REDIS_URL: "redis://:hunter2@127.0.0.1:1" }, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
		const exited = new Promise<number | null>((resolvePromise) => child.once("exit", (code) => resolvePromise(code)));
		try {
			const address = await new Promise<string>((resolvePromise, reject) => {
				const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 20_000);
				child.stdout.on("data", (chunk: Buffer) => {
					output += chunk.toString();
					const match = /deadbolt is listening at (http:\/\/[^ ]+) /.exec(output);
					if (match) {
						clearTimeout(timer);
						resolvePromise(match[1]!);
					}
				});
			});
			const login = await fetch(`${address}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "x@example.com", password: "wrong password!" }) });
			expect(login.status).toBe(401);
			expect((await fetch(`${address}/readyz`)).status).toBe(200);
			await new Promise((r) => setTimeout(r, 700)); // ioredis retries in the background meanwhile
			const down = output.split("\n").filter((line) => line.includes('"rate_limit.redis.down"'));
			expect(down).toHaveLength(1);
			expect(down[0]).toContain('"level":40');
			expect(down[0]).toContain("redis://:[redacted]@127.0.0.1:1");
			expect(output).not.toContain("hunter2");
			expect(output).not.toContain('"rate_limit.in_process"');
			const stopping = Date.now();
			child.kill("SIGTERM");
			expect(await exited).toBe(0);
			expect(Date.now() - stopping).toBeLessThan(3_000);
		} finally {
			child.kill("SIGKILL");
			await exited;
		}
	});

	it("serve with DEADBOLT_LOG_FORMAT=pretty and DEADBOLT_LOG_LEVEL=debug writes readable lines, one detail line a request, and stops on SIGTERM", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "deadbolt-serve-pretty-"));
		const server = await startServe({ DEADBOLT_DATA_DIR: dataDir, DEADBOLT_HTTP_PORT: "0", DEADBOLT_LOG_FORMAT: "pretty", DEADBOLT_LOG_LEVEL: "debug" });
		try {
			const login = await fetch(`${server.url}/api/v1/login?token=in-the-query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "x@example.com", password: "wrong password!" }) });
			expect(login.status).toBe(401);
			expect((await server.stop()).code).toBe(0);
			// Colours only on a terminal (this is a pipe); stripped anyway, in case the environment forces them.
			const output = server.output();
			const lines = output.replace(/\u001b\[[0-9;]*m/g, "").split("\n").filter((line) => line !== "");
			expect(lines.length).toBeGreaterThan(3);
			for (const line of lines) expect(line, line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /);
			expect(lines.filter((line) => / DEBUG: POST \/api\/v1\/login 401 ERR_INVALID_CREDENTIALS in [\d.]+ ms /.test(line))).toHaveLength(1);
			expect(lines.some((line) => line.includes("INFO: stopping"))).toBe(true);
			expect(output).not.toContain("wrong password!");
			expect(output).not.toContain("in-the-query");
		} finally {
			await server.kill();
		}
	});
});
