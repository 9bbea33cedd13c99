/**
 * Per-IP limits across instances: with `rateLimit.redisUrl` every instance counts in one Redis
 * (the library's Redis store), without it each process counts alone, and while Redis cannot be
 * reached each process counts alone again: no 500, no long wait, no request left uncounted
 * (docs/decisions.md, "Per-IP limits across instances").
 *
 * The shared-budget tests use the real Redis of this machine (`DEADBOLT_TEST_REDIS_URL`, default
 * `redis://127.0.0.1:6379`), under a key prefix of their own per run and test. When it cannot be
 * reached they are skipped with one line saying how to enable them, except on CI (`CI=true`),
 * where they fail: a shared limit that was not tested against Redis proves nothing. The outage
 * tests need no Redis.
 */
import { randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, test } from "vitest";
import { redactConnectionUrl } from "../../src/config/redact.js";
import { REDIS_COMMAND_TIMEOUT_MS } from "../../src/deadbolt.js";
import { REDIS_RETRY_AFTER_FAILURE_MS, REDIS_START_WAIT_MS } from "../../src/http/plugins/rate-limit.js";
import { buildApp } from "../../src/app.js";
import { createTestDeadbolt } from "../helpers/deadbolt.js";
import type { TestApp } from "../helpers/http.js";
import { describeWhen } from "../helpers/requirements.js";

const redisUrl = process.env["DEADBOLT_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
/** Every key this run writes starts with this (the runs of other worktrees and CI do not collide). */
const RUN_PREFIX = `deadbolt-test:${randomBytes(6).toString("hex")}:`;
const PER_MINUTE = 30;
let prefixes = 0;

/** A fresh key prefix for one test. */
function freshPrefix(): string {
	return `${RUN_PREFIX}${prefixes++}:`;
}

/** An app whose per-IP counts go to `url` (null: none) under `prefix`, and how long building the app (not the database) took. */
async function appWith(url: string | null, prefix = freshPrefix()): Promise<TestApp & { startMs: number }> {
	const t = await createTestDeadbolt({ overrides: { rateLimit: { perMinute: PER_MINUTE, redisUrl: url, redisKeyPrefix: prefix } } });
	const started = performance.now();
	const app = await buildApp(t.deadbolt);
	await app.ready();
	return { ...t, app, startMs: performance.now() - started };
}

async function closeAll(...apps: TestApp[]): Promise<void> {
	for (const t of apps) {
		await t.app.close();
		await t.deadbolt.close();
	}
}

/** One credential request (a wrong password) from the default inject address 127.0.0.1; its status and duration. */
async function attempt(t: TestApp): Promise<{ status: number; retryAfter: string | undefined; code: string; elapsedMs: number }> {
	const started = performance.now();
	const res = await t.app.inject({ method: "POST", url: "/api/v1/login", payload: { email: "nobody@example.com", password: "wrong password!" } });
	return { status: res.statusCode, retryAfter: res.headers["retry-after"] as string | undefined, code: res.json().code as string, elapsedMs: performance.now() - started };
}

const logged = (t: TestApp, event: string) => t.logs.filter((entry) => entry["event"] === event);

/** After the app closed: its Redis client makes no further connection attempt (nothing keeps the process alive). */
async function expectNoReconnection(t: TestApp): Promise<void> {
	const redis = t.deadbolt.rateLimitRedis!;
	let attempts = 0;
	redis.on("connecting", () => attempts++);
	await new Promise((resolve) => setTimeout(resolve, 700));
	expect(attempts).toBe(0);
	expect(["end", "reconnecting"]).toContain(redis.status);
}

const unreachable = await probe(redisUrl);

if (unreachable !== null) {
	const unmet = { missing: `no Redis answers at ${redactConnectionUrl(redisUrl)} (${unreachable})`, enable: "DEADBOLT_TEST_REDIS_URL=redis://HOST:6379 npm test" };
	describeWhen("per-IP limits shared through Redis", unmet, () => {
		test("two instances share one budget", () => {});
	});
} else {
	const inspector = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
	afterAll(async () => {
		const keys = await inspector.keys(`${RUN_PREFIX}*`);
		if (keys.length > 0) await inspector.del(...keys);
		inspector.disconnect();
	});

	describe("per-IP limits shared through Redis", () => {
		it(`two instances with the same Redis share one budget: ${PER_MINUTE} requests spread over both, then 429 with Retry-After on either`, async () => {
			const prefix = freshPrefix();
			const a = await appWith(redisUrl, prefix);
			const b = await appWith(redisUrl, prefix);
			try {
				for (let i = 0; i < PER_MINUTE; i++) expect((await attempt(i % 2 === 0 ? a : b)).status, `request ${i + 1}`).toBe(401);
				for (const t of [a, b]) {
					const over = await attempt(t);
					expect(over.status).toBe(429);
					expect(over.code).toBe("ERR_TOO_MANY_ATTEMPTS");
					expect(Number(over.retryAfter)).toBeGreaterThan(0);
					expect(Number(over.retryAfter)).toBeLessThanOrEqual(60);
				}
				// The count is the library's Redis store's: one key per client IP under the prefix, expiring with the window.
				expect(await inspector.get(`${prefix}127.0.0.1`)).toBe(String(PER_MINUTE + 2));
				const ttlMs = await inspector.pttl(`${prefix}127.0.0.1`);
				expect(ttlMs).toBeGreaterThan(0);
				expect(ttlMs).toBeLessThanOrEqual(60_000);
				for (const t of [a, b]) {
					expect(logged(t, "rate_limit.redis.up")).toHaveLength(1);
					expect(logged(t, "rate_limit.in_process")).toHaveLength(0);
				}
			} finally {
				await closeAll(a, b);
			}
			// Closing the app closed its Redis connection.
			expect(a.deadbolt.rateLimitRedis?.status).toBe("end");
			expect(b.deadbolt.rateLimitRedis?.status).toBe("end");
		});

		it("a Redis that stops answering mid-way holds a request at most one command timeout; meanwhile requests are counted in the process, never 500, and Redis counts again once it answers", async () => {
			const proxy = await pausableProxy(redisUrl);
			const prefix = freshPrefix();
			const t = await appWith(proxy.url, prefix);
			try {
				for (let i = 0; i < 5; i++) expect((await attempt(t)).status).toBe(401);
				expect(await inspector.get(`${prefix}127.0.0.1`)).toBe("5");

				proxy.pause();
				const during = [];
				for (let i = 0; i < PER_MINUTE; i++) during.push(await attempt(t));
				expect(during.map((r) => r.status)).toEqual(Array(PER_MINUTE).fill(401));
				// The first request waited for the Redis timeout; none waited much longer.
				expect(during[0]!.elapsedMs).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 50);
				for (const r of during) expect(r.elapsedMs).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 1_000);
				// Counted in this process, not let through: the process's own budget runs out.
				const over = await attempt(t);
				expect(over.status).toBe(429);
				expect(Number(over.retryAfter)).toBeGreaterThan(0);
				expect(logged(t, "rate_limit.redis.failed").length).toBeGreaterThan(0);

				proxy.resume();
				await new Promise((resolve) => setTimeout(resolve, REDIS_RETRY_AFTER_FAILURE_MS + 100));
				const before = Number(await inspector.get(`${prefix}127.0.0.1`));
				expect((await attempt(t)).status).toBe(401); // Redis's budget (5 + whatever reached it) is not spent
				expect(Number(await inspector.get(`${prefix}127.0.0.1`))).toBe(before + 1);
			} finally {
				await closeAll(t);
				await proxy.close();
			}
		}, 30_000);
	});
}

describe("per-IP limits without a shared Redis", () => {
	it("without DEADBOLT_REDIS_URL each instance has its own budget, and says so once at start", async () => {
		const a = await appWith(null);
		const b = await appWith(null);
		try {
			for (let i = 0; i < PER_MINUTE; i++) expect((await attempt(a)).status).toBe(401);
			expect((await attempt(a)).status).toBe(429);
			expect((await attempt(b)).status).toBe(401);
			expect(a.deadbolt.rateLimitRedis).toBeNull();
			const lines = logged(a, "rate_limit.in_process");
			expect(lines).toHaveLength(1);
			expect(lines[0]!["msg"]).toContain("set DEADBOLT_REDIS_URL to share them across instances");
		} finally {
			await closeAll(a, b);
		}
	});

	it("with nothing listening at the Redis URL the app starts at once, warns once (password redacted), and counts in the process: no 500, no wait", async () => {
		// Port 1 on localhost: nothing listens there, the connection is refused at once.
		const t = await appWith("redis://:hunter2@127.0.0.1:1");
		try {
			expect(t.startMs).toBeLessThan(REDIS_START_WAIT_MS);
			const results = [];
			for (let i = 0; i < PER_MINUTE; i++) results.push(await attempt(t));
			expect(results.map((r) => r.status)).toEqual(Array(PER_MINUTE).fill(401));
			for (const r of results) expect(r.elapsedMs).toBeLessThan(1_000);
			const over = await attempt(t);
			expect(over.status).toBe(429);
			expect(Number(over.retryAfter)).toBeGreaterThan(0);
			// ioredis keeps reconnecting (and failing) in the background: still one line for the outage.
			await new Promise((resolve) => setTimeout(resolve, 700));
			const warnings = logged(t, "rate_limit.redis.down");
			expect(warnings).toHaveLength(1);
			expect(warnings[0]!["level"]).toBe("warn");
			expect(warnings[0]!["redis"]).toBe("redis://:[redacted]@127.0.0.1:1");
			expect(JSON.stringify(t.logs)).not.toContain("hunter2");
		} finally {
			await closeAll(t);
		}
		await expectNoReconnection(t);
	});

	it("with a Redis URL that accepts connections and never answers, the start waits at most REDIS_START_WAIT_MS and requests do not wait for it (counted in the process)", async () => {
		const silent = await listen(createServer(() => {}));
		const t = await appWith(`redis://127.0.0.1:${silent.port}`);
		try {
			expect(t.startMs).toBeLessThan(REDIS_START_WAIT_MS + 1_000);
			for (let i = 0; i < PER_MINUTE; i++) {
				const r = await attempt(t);
				expect(r.status).toBe(401);
				expect(r.elapsedMs).toBeLessThan(1_000);
			}
			expect((await attempt(t)).status).toBe(429);
		} finally {
			await closeAll(t);
			await silent.close();
		}
	});
});

/** Tries one PING. @returns null when Redis answers, else the reason. */
async function probe(url: string): Promise<string | null> {
	const client = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
	let firstError: Error | undefined;
	client.on("error", (error: Error) => (firstError ??= error));
	try {
		await client.connect();
		await client.ping();
		return null;
	} catch (error) {
		const reason = firstError ?? error;
		return reason instanceof Error ? reason.message || reason.name : String(reason);
	} finally {
		client.disconnect();
	}
}

/** Starts `server` on a free loopback port. */
async function listen(server: Server): Promise<{ port: number; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	server.on("connection", (socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (address === null || typeof address === "string") throw new Error("no port");
	return {
		port: address.port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

/**
 * A TCP proxy to the Redis at `target` that can stop passing bytes (a network partition: the
 * connection stays open, nothing arrives) and pass them again (TCP delivers what was held back).
 */
async function pausableProxy(target: string): Promise<{ url: string; pause(): void; resume(): void; close(): Promise<void> }> {
	const { hostname, port } = new URL(target);
	const pairs: Array<[Socket, Socket]> = [];
	let paused = false;
	const server = createServer((client) => {
		const upstream = connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ""));
		client.pipe(upstream);
		upstream.pipe(client);
		client.on("error", () => upstream.destroy());
		upstream.on("error", () => client.destroy());
		pairs.push([client, upstream]);
		if (paused) {
			client.pause();
			upstream.pause();
		}
	});
	const listening = await listen(server);
	const base = new URL(target);
	base.port = String(listening.port);
	base.hostname = "127.0.0.1";
	return {
		url: base.toString().replace(/\/$/, ""),
		pause() {
			paused = true;
			for (const [client, upstream] of pairs) {
				client.unpipe(upstream);
				client.pause();
				upstream.unpipe(client);
				upstream.pause();
			}
		},
		resume() {
			paused = false;
			for (const [client, upstream] of pairs) {
				client.pipe(upstream);
				upstream.pipe(client);
			}
		},
		close: async () => {
			for (const [client, upstream] of pairs) {
				client.destroy();
				upstream.destroy();
			}
			await listening.close();
		},
	};
}
