/**
 * Prometheus metrics at `/metrics` (issue 14 item 6, docs/metrics.md), over real HTTP on loopback:
 * off by default (the route does not exist), the counters each flow moves, the outbox gauges read
 * at scrape time, the text format, and who may read them (`metrics.allowedNetworks`, judged by the
 * socket's address or a trusted proxy's word, never by a forged `X-Forwarded-For`).
 */
import { spawnSync } from "node:child_process";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, test } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import { ConfigInvalid } from "../../src/errors.js";
import { apiClient, type APIClient } from "../helpers/api-client.js";
import { testBackends } from "../helpers/backends.js";
import { createTestDeadbolt, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, PASSWORD, signUp, signUpWith2FA } from "../helpers/flows.js";
import { parseMetricsText, type ParsedMetrics } from "../helpers/prometheus-text.js";
import { describeWhen } from "../helpers/requirements.js";
import { debianProgram } from "../helpers/system-tools.js";

/** A test deadbolt listening on 127.0.0.1, with a client of it. */
interface Listening extends TestDeadbolt {
	readonly app: FastifyInstance;
	readonly api: APIClient;
}

const opened: Listening[] = [];
afterEach(async () => {
	for (const t of opened.splice(0)) {
		await t.app.close();
		await t.deadbolt.close();
	}
});

async function listening(options: Parameters<typeof createTestDeadbolt>[0] = {}): Promise<Listening> {
	const t = await createTestDeadbolt(options);
	const app = await buildApp(t.deadbolt);
	await app.listen({ host: "127.0.0.1", port: 0 });
	const address = app.server.address();
	if (address === null || typeof address === "string") throw new Error("not listening on a port");
	const result = { ...t, app, api: apiClient(`http://127.0.0.1:${address.port}`) };
	opened.push(result);
	return result;
}

const ENABLED = { metrics: { enabled: true } };

/** GETs /metrics over HTTP and parses it (checking the format). */
async function scrape(t: Listening): Promise<ParsedMetrics & { readonly text: string }> {
	const response = await fetch(`${t.api.baseUrl}/metrics`, { signal: AbortSignal.timeout(15_000) });
	const text = await response.text();
	expect(response.status, text.slice(0, 300)).toBe(200);
	expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
	return { ...parseMetricsText(text), text };
}

/** The JSON 404 of a path no route matches. */
function expectNotFound(response: { status: number; body: unknown }): void {
	expect(response.status).toBe(404);
	expect(response.body).toEqual({ statusCode: 404, code: "ERR_NOT_FOUND", error: "Not Found", message: "No route GET /metrics." });
}

describe("/metrics: off by default", () => {
	test("without metrics.enabled the route does not exist: the 404 of any unknown path, and nothing is measured", async () => {
		const t = await listening();
		expect(t.config.metrics).toEqual({ enabled: false, allowedNetworks: ["127.0.0.0/8", "::1/128"] });
		expectNotFound(await t.api.get("/metrics"));
		expect(t.deadbolt.metrics.enabled).toBe(false);
		expect(t.deadbolt.metricsEndpoint).toBeNull();
	});

	test("an entry of metrics.allowedNetworks that is not a network stops the start, naming it", () => {
		expect(() => loadConfig({ overrides: { metrics: { enabled: true, allowedNetworks: ["127.0.0.0/8", "localhost"] } } })).toThrow(ConfigInvalid);
		try {
			loadConfig({ overrides: { metrics: { enabled: true, allowedNetworks: ["10.0.0.0/33"] } } });
		} catch (error) {
			expect((error as ConfigInvalid).issues.join("\n")).toContain('metrics.allowedNetworks[0]: "10.0.0.0/33" is not a CIDR');
		}
	});
});

for (const backend of await testBackends()) {
	describe(`/metrics on ${backend.name}`, () => {
		const open = async (overrides: object = {}) => listening({ store: await backend.open(), overrides: { ...ENABLED, ...overrides } });

		test("the text parses as Prometheus text: deadbolt's families with HELP and TYPE, every closed label at 0 from the start, and the process metrics", async () => {
			const t = await open();
			const metrics = await scrape(t);
			const types = Object.fromEntries(metrics.families.map((family) => [family.name, family.type]));
			expect(types).toMatchObject({
				deadbolt_sign_ins_total: "counter",
				deadbolt_second_factor_results_total: "counter",
				deadbolt_lockouts_total: "counter",
				deadbolt_rate_limit_refusals_total: "counter",
				deadbolt_forward_auth_decisions_total: "counter",
				deadbolt_forward_auth_duration_seconds: "histogram",
				deadbolt_password_hash_queue_wait_seconds: "histogram",
				deadbolt_database_duration_seconds: "histogram",
				deadbolt_outbox_pending_deliveries: "gauge",
				deadbolt_outbox_oldest_pending_age_seconds: "gauge",
				deadbolt_outbox_dead_deliveries: "gauge",
				process_cpu_seconds_total: "counter",
				process_resident_memory_bytes: "gauge",
				nodejs_eventloop_lag_seconds: "gauge",
			});
			// Every deadbolt label value is a word of a closed list, a bucket bound or a route pattern: nothing a client chose.
			const deadboltSamples = metrics.families.filter((family) => family.name.startsWith("deadbolt_")).flatMap((family) => family.samples);
			expect(deadboltSamples.length).toBeGreaterThan(50);
			for (const sample of deadboltSamples) {
				for (const [label, value] of Object.entries(sample.labels)) expect(value, `${sample.name} ${label}`).toMatch(label === "le" ? /^(\+Inf|[0-9.e-]+)$/ : label === "route" ? /^[A-Z]+ \/[a-z0-9/:_-]*$/ : /^[a-z_]+$/);
			}
			for (const family of metrics.families) expect(family.help, family.name).not.toBe("");
			expect(metrics.value("deadbolt_sign_ins_total", { outcome: "locked" })).toBe(0);
			expect(metrics.value("deadbolt_second_factor_results_total", { purpose: "reauthentication", method: "recovery_code", outcome: "busy" })).toBe(0);
			expect(metrics.value("deadbolt_lockouts_total", { factor: "second_factor", lock: "until_unlocked" })).toBe(0);
			expect(metrics.value("deadbolt_forward_auth_decisions_total", { decision: "confirm_two_factor" })).toBe(0);
		});

		test("a good sign-in, a wrong password, a wrong code, a good code and a wrong re-authentication code each move their counter; argon2id and the database are timed", async () => {
			const t = await open();
			const plain = await signUp(t);
			const enrolled = await signUpWith2FA(t);
			const before = await scrape(t);
			const delta = (after: ParsedMetrics, name: string, labels: Record<string, string>, part?: "count" | "sum") => after.value(name, labels, part) - before.value(name, labels, part);

			expect((await t.api.post("/api/v1/login", { body: { email: plain.email, password: PASSWORD } })).status).toBe(200);
			expect((await t.api.post("/api/v1/login", { body: { email: plain.email, password: "not the password at all" } })).status).toBe(401);
			const challenge = await t.api.post("/api/v1/login", { body: { email: enrolled.email, password: PASSWORD } });
			expect(challenge.body.status).toBe("two_factor_required");
			const { challengeToken } = challenge.body.challenge;
			const right = codeAt(t, enrolled.key, 1);
			const wrong = right === "000000" ? "111111" : "000000";
			expect((await t.api.post("/api/v1/login/totp", { body: { challengeToken, code: wrong } })).status).toBe(401);
			const signedIn = await t.api.post("/api/v1/login/totp", { body: { challengeToken, code: right } });
			expect(signedIn.status).toBe(200);
			// "Confirm it's you" with a wrong code: a re-authentication's second factor.
			expect((await t.api.post("/api/v1/reauthenticate", { token: signedIn.body.session.token, body: { password: PASSWORD, code: wrong } })).status).toBe(401);

			const after = await scrape(t);
			expect(delta(after, "deadbolt_sign_ins_total", { outcome: "success" })).toBe(1);
			expect(delta(after, "deadbolt_sign_ins_total", { outcome: "invalid_credentials" })).toBe(1);
			expect(delta(after, "deadbolt_sign_ins_total", { outcome: "second_factor_required" })).toBe(1);
			expect(delta(after, "deadbolt_second_factor_results_total", { purpose: "sign_in", method: "totp", outcome: "invalid_code" })).toBe(1);
			expect(delta(after, "deadbolt_second_factor_results_total", { purpose: "sign_in", method: "totp", outcome: "success" })).toBe(1);
			expect(delta(after, "deadbolt_second_factor_results_total", { purpose: "reauthentication", method: "totp", outcome: "invalid_code" })).toBe(1);
			expect(delta(after, "deadbolt_lockouts_total", { factor: "password", lock: "timed" })).toBe(0);
			// Three password checks, each waited for the argon2id queue (at least 0 s).
			expect(delta(after, "deadbolt_password_hash_queue_wait_seconds", { operation: "verify" })).toBeGreaterThanOrEqual(3);
			expect(delta(after, "deadbolt_database_duration_seconds", { operation: "query" })).toBeGreaterThan(5);
			expect(delta(after, "deadbolt_database_duration_seconds", { operation: "transaction" })).toBeGreaterThanOrEqual(2);
			expect(delta(after, "deadbolt_database_duration_seconds", { operation: "query" }, "sum")).toBeGreaterThan(0);
			// Low-cardinality labels only: no address, account id or IP anywhere in the text.
			for (const secret of [plain.email, enrolled.email, plain.account.id, enrolled.account.id, "127.0.0.1"]) expect(after.text).not.toContain(secret);
		});

		test("a lockout moves deadbolt_lockouts_total once, and the refused sign-ins count as locked", async () => {
			const t = await open({ lockout: { maxFailures: 3 } });
			const user = await signUp(t);
			const before = await scrape(t);
			const statuses: number[] = [];
			for (let i = 0; i < 5; i++) statuses.push((await t.api.post("/api/v1/login", { body: { email: user.email, password: `wrong password ${i}` } })).status);
			// A lock answers like a wrong password (no account enumeration).
			expect(statuses).toEqual([401, 401, 401, 401, 401]);
			const after = await scrape(t);
			expect(after.value("deadbolt_lockouts_total", { factor: "password", lock: "timed" }) - before.value("deadbolt_lockouts_total", { factor: "password", lock: "timed" })).toBe(1);
			expect(after.value("deadbolt_sign_ins_total", { outcome: "invalid_credentials" }) - before.value("deadbolt_sign_ins_total", { outcome: "invalid_credentials" })).toBe(3);
			expect(after.value("deadbolt_sign_ins_total", { outcome: "locked" }) - before.value("deadbolt_sign_ins_total", { outcome: "locked" })).toBe(2);
		});

		test("a rate-limit refusal moves deadbolt_rate_limit_refusals_total for its route (the pattern, never the URL as sent)", async () => {
			const t = await open({ rateLimit: { perMinute: 5 } });
			const statuses: number[] = [];
			for (let i = 0; i < 7; i++) statuses.push((await t.api.post("/api/v1/login?attempt=" + i, { body: { email: `nobody${i}@example.com`, password: PASSWORD } })).status);
			expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
			const after = await scrape(t);
			expect(after.value("deadbolt_rate_limit_refusals_total", { route: "POST /api/v1/login" })).toBe(2);
			expect(after.text).not.toContain("attempt=");
		});

		test("forward-auth: an allow and a deny each move their decision, and every answer is timed", async () => {
			const t = await open({
				http: { publicUrl: "http://auth.example.test", trustedProxies: ["127.0.0.1"] },
				session: { cookieDomain: "example.test" },
				accessControl: { defaultPolicy: "deny", rules: [{ domains: ["app.example.test"], policy: "one_factor" }] },
			});
			const user = await signUp(t);
			await t.store.accounts.markEmailVerified(user.account.id, t.clock.now());
			const cookie = `deadbolt_forward_auth=${t.deadbolt.forwardAuthToken(user.session.token)}`;
			const ask = (url: string, headers: Record<string, string> = {}) => t.api.get("/api/v1/authz/auth-request", { headers: { "x-original-url": url, "x-original-method": "GET", cookie, ...headers } });
			const before = await scrape(t);
			expect((await ask("http://app.example.test/")).status).toBe(200);
			expect((await ask("http://other.example.test/")).status).toBe(403);
			expect((await t.api.get("/api/v1/authz/auth-request", { headers: { cookie } })).status).toBe(400);
			const after = await scrape(t);
			const decisions = (metrics: ParsedMetrics, decision: string) => metrics.value("deadbolt_forward_auth_decisions_total", { decision });
			expect(decisions(after, "allow") - decisions(before, "allow")).toBe(1);
			expect(decisions(after, "deny") - decisions(before, "deny")).toBe(1);
			expect(decisions(after, "invalid_request") - decisions(before, "invalid_request")).toBe(1);
			expect(after.value("deadbolt_forward_auth_duration_seconds") - before.value("deadbolt_forward_auth_duration_seconds")).toBe(3);
		});

		test("the outbox gauges are read at scrape time: pending deliveries by channel and the age of the oldest", async () => {
			// A receiver that is never reached: no dispatcher runs here, so what is queued stays pending.
			const t = await open({ webhooks: { endpoints: [{ url: "http://127.0.0.1:9/hook", events: ["*"], secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}` }] } });
			const pendingWebhooks = () => t.store.outbox.listDeliveries({ status: "pending", channel: "webhook", limit: 500 });
			const before = await scrape(t);
			const queuedBefore = (await pendingWebhooks()).length;
			const user = await signUp(t);
			expect((await t.api.post("/api/v1/login", { body: { email: user.email, password: "not the password at all" } })).status).toBe(401);
			t.clock.advance(90_000);
			const pending = await pendingWebhooks();
			expect(pending.length).toBeGreaterThan(queuedBefore);
			const after = await scrape(t);
			const gauge = (metrics: ParsedMetrics) => metrics.value("deadbolt_outbox_pending_deliveries", { channel: "webhook" });
			expect(gauge(after) - gauge(before)).toBe(pending.length - queuedBefore);
			const oldest = Math.min(...pending.map((delivery) => delivery.createdAt));
			expect(after.value("deadbolt_outbox_oldest_pending_age_seconds", { channel: "webhook" })).toBe((t.clock.now() - oldest) / 1000);
			expect(after.value("deadbolt_outbox_oldest_pending_age_seconds", { channel: "webhook" })).toBeGreaterThanOrEqual(90);
			expect(after.value("deadbolt_outbox_dead_deliveries", { channel: "webhook" })).toBeGreaterThanOrEqual(0);
			expect(after.value("deadbolt_outbox_pending_deliveries", { channel: "email" })).toBeGreaterThanOrEqual(0);
		});
	});
}

describe("/metrics: who may read it (metrics.allowedNetworks)", () => {
	test("a client outside metrics.allowedNetworks gets the 404 of a path that does not exist, also with a forged X-Forwarded-For", async () => {
		const t = await listening({ overrides: { metrics: { enabled: true, allowedNetworks: ["10.0.0.0/8"] } } });
		expectNotFound(await t.api.get("/metrics"));
		// No trusted proxy: the header is the client's own words, and the socket (127.0.0.1) decides.
		expectNotFound(await t.api.get("/metrics", { headers: { "x-forwarded-for": "10.1.2.3" } }));
	});

	test("loopback may read it by default; an address outside, a forged X-Forwarded-For, and an empty list may not", async () => {
		const t = await listening({ overrides: ENABLED });
		const inject = (remoteAddress: string, headers: Record<string, string> = {}) => t.app.inject({ method: "GET", url: "/metrics", remoteAddress, headers });
		expect((await inject("127.0.0.1")).statusCode).toBe(200);
		expect((await inject("::1")).statusCode).toBe(200);
		expect((await inject("::ffff:127.0.0.1")).statusCode).toBe(200);
		for (const response of [await inject("203.0.113.9"), await inject("203.0.113.9", { "x-forwarded-for": "127.0.0.1" }), await inject("10.0.0.7", { "x-forwarded-for": "127.0.0.1, ::1" })]) {
			expect(response.statusCode).toBe(404);
			expect(response.json()).toEqual({ statusCode: 404, code: "ERR_NOT_FOUND", error: "Not Found", message: "No route GET /metrics." });
		}
		const closed = await listening({ overrides: { metrics: { enabled: true, allowedNetworks: [] } } });
		expectNotFound(await closed.api.get("/metrics"));
	});

	test("behind a trusted proxy the client it names decides: a public client through a proxy on loopback gets 404", async () => {
		const t = await listening({ overrides: { ...ENABLED, http: { trustedProxies: ["127.0.0.1"] } } });
		expectNotFound(await t.api.get("/metrics", { headers: { "x-forwarded-for": "198.51.100.20" } }));
		expect((await t.api.get("/metrics", { headers: { "x-forwarded-for": "127.0.0.1" } })).status).toBe(200);
		expect((await t.api.get("/metrics")).status).toBe(200);
	});
});

describeWhen("/metrics read by Prometheus's own parser (promtool)", debianProgram("promtool", "prometheus"), () => {
	test("promtool check metrics parses the scrape and finds nothing to say about deadbolt's metrics (only about prom-client's nodejs_*_total gauges)", async () => {
		const t = await listening({ overrides: ENABLED });
		const user = await signUp(t);
		expect((await t.api.post("/api/v1/login", { body: { email: user.email, password: PASSWORD } })).status).toBe(200);
		const { text } = await scrape(t);
		const checked = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30_000 });
		const said = `${checked.stdout}${checked.stderr}`;
		expect(said).not.toMatch(/error|pars/i);
		const complaints = said.split("\n").filter((line) => line.trim() !== "");
		for (const line of complaints) expect(line).toMatch(/^nodejs_\w+_total non-counter metrics should not have "_total" suffix$/);
		expect(checked.status, said).toBe(complaints.length === 0 ? 0 : 3);
	});
});
