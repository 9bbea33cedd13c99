/**
 * `deadbolt outbox list|show|retry` and `deadbolt webhooks list|add|remove`, the built CLI run as an
 * operator runs it, against a real SQLite store whose deliveries were queued by recording events
 * (a config file webhook endpoint subscribed to every event) and settled as a dispatcher does.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { DeliveryStatus } from "../../src/storage/store.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEADBOLT_")));
const CONFIG_SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`;

let dataDir = "";
let settlements = 0;
let configFile = "";

/** Runs the CLI with `args` on the test's data directory and config (given before a `--`: what follows it is positional). */
function run(args: string[]) {
	const end = args.indexOf("--");
	const common = ["--data-dir", dataDir, "--config", configFile];
	const all = end === -1 ? [...args, ...common] : [...args.slice(0, end), ...common, ...args.slice(end)];
	return spawnSync(process.execPath, [CLI, ...all], { env: ENV, encoding: "utf8", timeout: 30_000 });
}

/** Queues one webhook delivery per new account (account.created, to `config:0`); returns the account ids. */
async function createAccounts(emails: readonly string[]): Promise<string[]> {
	const deadbolt = await createDeadbolt(loadConfig({ file: configFile, overrides: { dataDir } }));
	try {
		const ids: string[] = [];
		for (const email of emails) ids.push((await deadbolt.createAccountWithoutPassword(email)).id);
		return ids;
	} finally {
		await deadbolt.close();
	}
}

/** Settles deliveries as a dispatcher does (claim, attempt, new state), in the CLI's database. */
async function settle(outcomes: Readonly<Record<string, { status: DeliveryStatus; detail: string }>>): Promise<void> {
	const store = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
	try {
		const now = Date.now();
		settlements += 1;
		const claimed = await store.outbox.claimDueDeliveries("test-dispatcher", now, now + 60_000, 500);
		for (const delivery of claimed) {
			const outcome = outcomes[delivery.id] ?? { status: "pending" as const, detail: "HTTP 503" };
			const failed = outcome.status !== "delivered";
			await store.outbox.settleDelivery(delivery.id, "test-dispatcher", { status: outcome.status, nextAttemptAt: now, lastError: failed ? outcome.detail : null, deliveredAt: failed ? null : now }, { id: `attempt-${settlements}-${delivery.id}`, deliveryId: delivery.id, attemptedAt: now, outcome: failed ? "failed" : "delivered", detail: outcome.detail, durationMillis: 42 });
		}
	} finally {
		await store.close();
	}
}

async function deliveryOf(id: string) {
	const store = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
	try {
		return await store.outbox.findDelivery(id);
	} finally {
		await store.close();
	}
}

describe("deadbolt outbox and webhooks", () => {
	let accounts: string[] = [];
	let ids: Record<string, string> = {};

	beforeAll(async () => {
		expect(CLI).toBeTruthy();
		dataDir = mkdtempSync(join(tmpdir(), "deadbolt-outbox-"));
		configFile = join(dataDir, "config.json");
		writeFileSync(configFile, JSON.stringify({ webhooks: { endpoints: [{ url: "https://hooks.example.com/deadbolt", events: ["*"], secret: CONFIG_SECRET }] } }));
		accounts = await createAccounts(["dead@example.com", "delivered@example.com", "pending@example.com"]);
		const list = JSON.parse(run(["outbox", "list", "--json"]).stdout) as { id: string; accountId: string }[];
		ids = Object.fromEntries(list.map((d) => [d.accountId, d.id]));
		await settle({ [ids[accounts[0]!]!]: { status: "dead", detail: "HTTP 500" }, [ids[accounts[1]!]!]: { status: "delivered", detail: "HTTP 204" } });
	});

	it("outbox list prints a table, or JSON, filtered by status and channel", () => {
		const table = run(["outbox", "list"]);
		expect(table.status, table.stderr).toBe(0);
		const lines = table.stdout.trim().split("\n");
		expect(lines[0]).toMatch(/^ID +STATUS +CHANNEL +KIND +TARGET +ATTEMPTS +CREATED +NEXT \/ LAST ERROR$/);
		expect(lines).toHaveLength(4);
		expect(table.stdout).toMatch(new RegExp(`${ids[accounts[0]!]} +dead +webhook +account\\.created +config:0 +1 .*HTTP 500`));
		const dead = JSON.parse(run(["outbox", "list", "--status", "dead", "--json"]).stdout) as { id: string; status: string; payload: { type: string } }[];
		expect(dead.map((d) => d.id)).toEqual([ids[accounts[0]!]]);
		expect(dead[0]!.payload.type).toBe("account.created");
		expect(JSON.parse(run(["outbox", "list", "--channel", "email", "--json"]).stdout)).toEqual([]);
		expect(run(["outbox", "list", "--channel", "email"]).stdout.trim()).toBe("no deliveries");
		expect(JSON.parse(run(["outbox", "list", "--limit", "1", "--json"]).stdout)).toHaveLength(1);
		for (const args of [["outbox", "list", "--status", "lost"], ["outbox", "list", "--limit", "0"], ["outbox", "list", "--limit", "x"], ["outbox", "list", "extra"], ["outbox"], ["outbox", "frobnicate"], ["outbox", "list", "--events", "*"], ["serve", "--json"]]) {
			const result = run(args);
			expect(result.status, args.join(" ")).toBe(64);
			expect(result.stderr).toContain("Usage");
		}
	});

	it("outbox show prints a delivery with its attempts and payload; an unknown id exits 1", () => {
		const shown = run(["outbox", "show", ids[accounts[0]!]!]);
		expect(shown.status, shown.stderr).toBe(0);
		expect(shown.stdout).toContain(`id:           ${ids[accounts[0]!]} (webhook-id)`);
		expect(shown.stdout).toContain("status:       dead, 1 attempt");
		expect(shown.stdout).toMatch(/attempts:\n  \S+Z  failed     HTTP 500 \(42 ms\)/);
		expect(shown.stdout).toContain('"type": "account.created"');
		const json = JSON.parse(run(["outbox", "show", ids[accounts[1]!]!, "--json"]).stdout);
		expect(json.delivery).toMatchObject({ status: "delivered", attempts: 1, deliveredAt: expect.any(String) });
		expect(json.attempts).toEqual([{ attemptedAt: expect.any(String), outcome: "delivered", detail: "HTTP 204", durationMillis: 42 }]);
		const unknown = run(["outbox", "show", "no-such-delivery"]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("No delivery has that id");
		expect(run(["outbox", "show"]).status).toBe(64);
	});

	it("outbox retry queues a dead delivery again with the same id; a pending one exits 1; --all-dead queues every dead one", async () => {
		const deadId = ids[accounts[0]!]!;
		const retried = run(["outbox", "retry", deadId]);
		expect(retried.status, retried.stderr).toBe(0);
		expect(retried.stdout).toContain(`queued again: ${deadId} (webhook account.created to config:0)`);
		expect(await deliveryOf(deadId)).toMatchObject({ id: deadId, status: "pending", attempts: 0 });
		const again = run(["outbox", "retry", deadId]);
		expect(again.status).toBe(1);
		expect(again.stderr).toContain("pending already");
		expect(run(["outbox", "retry", "no-such-delivery"]).status).toBe(1);
		expect(run(["outbox", "retry"]).status).toBe(64);
		expect(run(["outbox", "retry", deadId, "--all-dead"]).status).toBe(64);

		await settle({ [deadId]: { status: "dead", detail: "timeout" }, [ids[accounts[2]!]!]: { status: "dead", detail: "ECONNREFUSED" } });
		const all = run(["outbox", "retry", "--all-dead"]);
		expect(all.status, all.stderr).toBe(0);
		expect(all.stdout).toContain("queued again: 2 dead deliveries");
		expect(JSON.parse(run(["outbox", "list", "--status", "dead", "--json"]).stdout)).toEqual([]);
		// The log keeps every attempt; the id never changed.
		expect(JSON.parse(run(["outbox", "show", deadId, "--json"]).stdout).attempts.map((a: { detail: string }) => a.detail)).toEqual(["HTTP 500", "timeout"]);
	});

	it("outbox and webhooks refuse a data directory without a database, and make none", () => {
		const empty = join(mkdtempSync(join(tmpdir(), "deadbolt-cli-empty-")), "data");
		for (const args of [["outbox", "list"], ["webhooks", "list"]]) {
			const result = spawnSync(process.execPath, [CLI, ...args, "--data-dir", empty], { env: ENV, encoding: "utf8", timeout: 30_000 });
			expect(result.status, result.stderr).toBe(78);
			expect(result.stderr).toContain(`there is no database at ${join(empty, "deadbolt.sqlite")}`);
			expect(existsSync(empty), "nothing was created").toBe(false);
		}
	});

	it("webhooks list, add (secret printed once, private targets refused) and remove", () => {
		const listed = run(["webhooks", "list"]);
		expect(listed.status, listed.stderr).toBe(0);
		expect(listed.stdout).toMatch(/config:0 +config +https:\/\/hooks\.example\.com\/deadbolt +\*/);
		expect(listed.stdout).not.toContain(CONFIG_SECRET);

		const loopback = run(["webhooks", "add", "https://127.0.0.1:8443/hook", "--events", "*"]);
		expect(loopback.status).toBe(1);
		expect(loopback.stderr).toContain("loopback");
		const unknown = run(["webhooks", "add", "https://93.184.215.14/hook", "--events", "login.nope"]);
		expect(unknown.status).toBe(1);
		expect(unknown.stderr).toContain("Unknown event type");
		expect(run(["webhooks", "add", "https://93.184.215.14/hook"]).status).toBe(64);
		expect(run(["webhooks", "add", "--events", "*"]).status).toBe(64);
		expect(run(["webhooks", "add", "https://93.184.215.14/hook", "--events", "*", "--status", "dead"]).status).toBe(64);

		const added = run(["webhooks", "add", "https://93.184.215.14/hook", "--events", "login.locked, password.changed", "--description", "SIEM"]);
		expect(added.status, added.stderr).toBe(0);
		const secret = /^(whsec_[A-Za-z0-9+/=]+)$/m.exec(added.stdout)?.[1];
		expect(secret, added.stdout).toBeDefined();
		const id = /^added: (\S+) https:\/\/93\.184\.215\.14\/hook \(events: login\.locked, password\.changed\)$/m.exec(added.stdout)?.[1];
		expect(id, added.stdout).toBeDefined();
		const json = JSON.parse(run(["webhooks", "list", "--json"]).stdout) as { id: string }[];
		expect(json.map((e) => e.id)).toEqual(["config:0", id]);
		expect(JSON.stringify(json)).not.toContain(secret!);
		expect(run(["webhooks", "list"]).stdout).not.toContain(secret!);

		const configRemove = run(["webhooks", "remove", "config:0"]);
		expect(configRemove.status).toBe(1);
		expect(configRemove.stderr).toContain("config file");
		const removed = run(["webhooks", "remove", "--", id!]);
		expect(removed.status, removed.stderr).toBe(0);
		expect(removed.stdout).toContain(`removed: ${id}`);
		expect(run(["webhooks", "remove", "--", id!]).status).toBe(1);
		expect(run(["webhooks"]).status).toBe(64);
	});
});
