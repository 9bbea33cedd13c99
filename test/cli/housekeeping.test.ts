/**
 * `deadbolt housekeeping`, the built CLI as an operator runs it after lowering a retention
 * (`npm run build` first): one run deletes what is past its retention and prints the counts
 * (`--json`: one object; otherwise one line per kind).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import { runCLI } from "../helpers/cli-process.js";

const work = mkdtempSync(join(tmpdir(), "deadbolt-housekeeping-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("deadbolt housekeeping", () => {
	it("deletes the activity and sessions past their retention once and prints how many, as JSON or one line per kind", { timeout: 60_000 }, async () => {
		const dataDir = join(work, "data");
		mkdirSync(dataDir);
		const store = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
		const now = Date.now();
		const longAgo = now - 40 * 86_400_000;
		await store.accounts.insertAccount({ id: "acct", email: "ada@example.com", passwordHash: null, createdAt: longAgo, updatedAt: longAgo, emailVerifiedAt: null, groups: [], secondFactorMailConfirmedAt: null, disabledAt: null });
		await store.securityEvents.insertSecurityEvent({ id: "old-event", accountId: "acct", type: "login.succeeded", createdAt: longAgo, ipAddress: null, userAgent: null, details: "{}" });
		await store.securityEvents.insertSecurityEvent({ id: "new-event", accountId: "acct", type: "login.succeeded", createdAt: now, ipAddress: null, userAgent: null, details: "{}" });
		await store.sessions.insertSession({ id: "old-session", accountId: "acct", secretHash: "0".repeat(64), aal: 1, createdAt: longAgo, lastActiveAt: longAgo, expiresAt: longAgo + 86_400_000, reauthenticatedAt: longAgo, revokedAt: null, ipAddress: null, userAgent: null, secondFactorAt: null, amr: "pwd" });
		await store.close();
		const env = { DEADBOLT_DATA_DIR: dataDir, DEADBOLT_CONFIG_FILE: join(work, "config.json") };
		writeFileSync(env.DEADBOLT_CONFIG_FILE, JSON.stringify({ activity: { retentionSeconds: 30 * 86_400 }, session: { retentionSeconds: 86_400 } }));

		const json = await runCLI(["housekeeping", "--json"], env);
		expect(json.code, json.stderr).toBe(0);
		expect(JSON.parse(json.stdout)).toMatchObject({ expiredActivity: 1, endedSessions: 1, settledDeliveries: 0 });
		const text = await runCLI(["housekeeping"], env);
		expect(text.code, text.stderr).toBe(0);
		expect(text.stdout).toMatch(/^ +0 {2}security events past activity\.retentionSeconds$/m);
		const after = await openSqliteStore({ path: join(dataDir, "deadbolt.sqlite") });
		expect((await after.securityEvents.listSecurityEvents("acct", 10)).map((event) => event.id)).toEqual(["new-event"]);
		await after.close();
	});
});
