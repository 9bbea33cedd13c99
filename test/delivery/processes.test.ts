/**
 * The dispatcher in real `deadbolt serve` processes (the built CLI; `npm run build` first), with a
 * real webhook receiver process: a `kill -9` mid-delivery loses nothing (the event arrives after
 * the restart, with the same webhook-id), two instances on one PostgreSQL database deliver each
 * event once, a receiver that hangs never holds up a sign-in, and mail settings that cannot work
 * stop the start. Orderings are asserted, never durations.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import { apiClient } from "../helpers/api-client.js";
import { expectAnswer, PASSWORD, signUp, uniqueEmail } from "../helpers/api-flows.js";
import { freePort, runCLI, startServe, stopAllCLIProcesses, type ServeProcess } from "../helpers/cli-process.js";
import { eventually, startWebhookReceiver, stopDeliveryProcesses, testWebhookSecret, type WebhookReceiver } from "../helpers/delivery-processes.js";
import { createTestDatabase, probePostgres, TEST_DATABASE_URL, unreachablePostgres, withClient, type TestDatabase } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const unreachable = await probePostgres(TEST_DATABASE_URL);
const postgresMissing = unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable);
const SECRET = testWebhookSecret(7);

let work = "";
let receiver: WebhookReceiver;
const databases: TestDatabase[] = [];

beforeAll(async () => {
	work = mkdtempSync(join(tmpdir(), "deadbolt-delivery-processes-"));
	receiver = await startWebhookReceiver(SECRET);
});

afterAll(async () => {
	await stopAllCLIProcesses();
	await receiver.release().catch(() => {});
	await stopDeliveryProcesses();
	for (const database of databases) await database.drop();
	rmSync(work, { recursive: true, force: true });
});

/** The environment of a `deadbolt serve` with this config file content, on SQLite in a data dir of its own or on `databaseUrl`. */
function environment(config: Record<string, unknown>, databaseUrl: string | null = null): Record<string, string> {
	const dir = mkdtempSync(join(work, "instance-"));
	const file = join(dir, "deadbolt.json");
	writeFileSync(file, JSON.stringify({ rateLimit: { perMinute: 10_000 }, ...config }));
	return {
		DEADBOLT_CONFIG_FILE: file,
		DEADBOLT_DATA_DIR: join(dir, "data"),
		DEADBOLT_LOG_LEVEL: "info",
		DEADBOLT_HTTP_PORT: "0",
		DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
		DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64"),
		...(databaseUrl === null ? {} : { DEADBOLT_DATABASE_URL: databaseUrl }),
	};
}

const hooks = (path: string, events: readonly string[], extra: Record<string, unknown> = {}) => ({ endpoints: [{ url: `${receiver.url}${path}`, events, secret: SECRET }], timeoutSeconds: 10, ...extra });

/** A delivery's status and attempts, read from the database of a stopped (or running) instance. */
async function deliveryState(env: Record<string, string>, id: string): Promise<{ status: string; attempts: string[] }> {
	const url = env["DEADBOLT_DATABASE_URL"];
	if (url !== undefined) {
		return withClient(url, async (client) => {
			const delivery = await client.query<{ status: string }>("select status from delivery where id = $1", [id]);
			const attempts = await client.query<{ outcome: string }>("select outcome from delivery_attempt where delivery_id = $1 order by attempted_at", [id]);
			return { status: delivery.rows[0]?.status ?? "missing", attempts: attempts.rows.map((row) => row.outcome) };
		});
	}
	const store = await openSqliteStore({ path: join(env["DEADBOLT_DATA_DIR"] as string, "deadbolt.sqlite") });
	try {
		return { status: (await store.outbox.findDelivery(id))?.status ?? "missing", attempts: (await store.outbox.listDeliveryAttempts(id)).map((a) => a.outcome) };
	} finally {
		await store.close();
	}
}

describe("deadbolt serve refuses mail settings that cannot work", () => {
	test('an https publicUrl with no email.smtpUrl (transport auto) stops the start: set email.smtpUrl, or email.transport "file" explicitly', async () => {
		const result = await runCLI(["serve"], { ...environment({}), DEADBOLT_PUBLIC_URL: "https://auth.example.test" });
		expect(result.code).toBe(78);
		expect(result.stdout + result.stderr).toContain('email.transport "file" explicitly');
		expect(result.stdout + result.stderr).not.toContain("deadbolt is listening");
	});

	test("the start log says once where mails go", async () => {
		const server = await startServe(environment({}));
		try {
			const lines = server.output().split("\n").filter((line) => line.includes('"email.transport"'));
			expect(lines).toHaveLength(1);
			expect(lines[0]).toContain(".eml files in");
		} finally {
			await server.stop();
		}
	});
});

const backends: { name: string; databaseUrl: () => Promise<string | null>; missing: typeof postgresMissing }[] = [
	{ name: "SQLite", databaseUrl: async () => null, missing: null },
	{
		name: "PostgreSQL",
		databaseUrl: async () => {
			const database = await createTestDatabase();
			databases.push(database);
			return database.url;
		},
		missing: postgresMissing,
	},
];

for (const backend of backends) {
	describeWhen(`kill -9 mid-delivery on ${backend.name}`, backend.missing, () => {
		test("the receiver holds the first attempt; deadbolt is killed; after a restart the event arrives with the same webhook-id", async () => {
			const env = environment({ webhooks: hooks("/hang-once", ["account.created"]), outbox: { leaseSeconds: 12, pollIntervalMillis: 100, retryMinMillis: 200 } }, await backend.databaseUrl());
			const first = await startServe(env);
			const account = await signUp(apiClient(first.url), uniqueEmail("kill"));
			const held = await eventually(async () => (await receiver.received()).find((r) => r.path === "/hang-once" && r.attempt === 1 && JSON.parse(r.body).data.accountId === account.accountId), "the first attempt at the receiver");
			await first.kill("SIGKILL");
			// Killed mid-send: the attempt was never settled.
			expect(await deliveryState(env, held.id)).toEqual({ status: "pending", attempts: [] });
			const second = await startServe(env);
			try {
				const redelivered = await eventually(async () => (await receiver.received()).find((r) => r.id === held.id && r.attempt === 2), "the event after the restart", 90_000);
				expect(redelivered).toMatchObject({ verified: true, body: held.body });
				expect(redelivered.signature).not.toBe(held.signature);
				await eventually(async () => ((await deliveryState(env, held.id)).status === "delivered" ? true : undefined), "the delivery settled");
			} finally {
				await second.stop();
			}
			expect(await deliveryState(env, held.id)).toEqual({ status: "delivered", attempts: ["delivered"] });
			expect((await receiver.received()).filter((r) => r.id === held.id)).toHaveLength(2);
		});
	});
}

describeWhen("two deadbolt processes on one PostgreSQL database", postgresMissing, () => {
	test("each event is delivered exactly once (the receiver counts per webhook-id)", async () => {
		const database = await createTestDatabase();
		databases.push(database);
		const env = environment({ webhooks: hooks("/ok", ["*"]), outbox: { pollIntervalMillis: 50 } }, database.url);
		const instances: ServeProcess[] = await Promise.all([startServe({ ...env, DEADBOLT_HTTP_PORT: String(await freePort()) }), startServe({ ...env, DEADBOLT_HTTP_PORT: String(await freePort()) })]);
		const [a, b] = instances.map((instance) => apiClient(instance.url));
		for (let i = 0; i < 12; i++) {
			const account = await signUp(i % 2 === 0 ? a! : b!, uniqueEmail("twice"));
			expectAnswer(await (i % 2 === 0 ? b! : a!).post("/api/v1/login", { body: { email: account.email, password: PASSWORD } }), 200);
		}
		const count = (status: string) => withClient(database.url, async (client) => Number((await client.query<{ n: string }>("select count(*) as n from delivery where channel = 'webhook' and status = $1", [status])).rows[0]!.n));
		await eventually(async () => ((await count("pending")) === 0 ? true : undefined), "every delivery settled");
		await Promise.all(instances.map((instance) => instance.stop()));
		const ids = await withClient(database.url, async (client) => (await client.query<{ id: string }>("select id from delivery where channel = 'webhook'")).rows.map((row) => row.id));
		expect(ids.length).toBeGreaterThanOrEqual(24);
		expect(await count("delivered")).toBe(ids.length);
		const received = (await receiver.received()).filter((r) => ids.includes(r.id));
		const perId = new Map<string, number>();
		for (const request of received) perId.set(request.id, (perId.get(request.id) ?? 0) + 1);
		expect([...perId.keys()].sort()).toEqual([...ids].sort());
		expect([...perId.values()].every((n) => n === 1)).toBe(true);
		expect(received.every((r) => r.verified)).toBe(true);
	});
});

describe("a receiver that hangs never slows a sign-in", () => {
	test("the sign-in answers while the receiver still holds the message of the sign-up before it", async () => {
		const env = environment({ webhooks: hooks("/hang", ["account.created", "login.succeeded"]), outbox: { leaseSeconds: 60, pollIntervalMillis: 50 } });
		const server = await startServe(env);
		try {
			const api = apiClient(server.url);
			const account = await signUp(api, uniqueEmail("slow"));
			const held = await eventually(async () => (await receiver.received()).find((r) => r.path === "/hang" && JSON.parse(r.body).data.accountId === account.accountId), "the sign-up's message held by the receiver");
			const signIn = await api.post("/api/v1/login", { body: { email: account.email, password: PASSWORD } });
			expectAnswer(signIn, 200);
			// The sign-in has answered; the message sent before it is still held open by the receiver.
			expect((await receiver.received()).find((r) => r.id === held.id)).toMatchObject({ closed: false });
		} finally {
			await receiver.release();
			await server.stop();
		}
	});
});
