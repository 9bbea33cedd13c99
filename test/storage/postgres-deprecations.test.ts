/**
 * deadbolt hands a `pg` client one query at a time: pg 8 warns "Calling client.query() when the
 * client is already executing a query is deprecated" (a DeprecationWarning) when a client is given
 * a query while it still executes one and has another queued, and pg 9 refuses. This file watches
 * the process's warnings through a whole flow on PostgreSQL (the HTTP app over the PostgreSQL
 * store, parallel requests, housekeeping) and the tests' half-state snapshot on one client
 * (test/helpers/half-states.ts).
 *
 * pg warns once per process, and vitest runs each test file in a process of its own, so nothing
 * before this file can have used the warning up. (Not shown by triggering it on purpose: the
 * warning would be printed in every test run, as if it were back.)
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt } from "../../src/deadbolt.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { fixedClock } from "../../src/platform/clock.js";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { T0, TEST_KEYS } from "../helpers/deadbolt.js";
import { PASSWORD } from "../helpers/flows.js";
import { findHalfStates, readSnapshot } from "../helpers/half-states.js";
import { bearer } from "../helpers/http.js";
import { probePostgres, TEST_DATABASE_URL, unreachablePostgres, withClient } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const unreachable = await probePostgres(TEST_DATABASE_URL);
const schema = `deadbolt_warn_${randomBytes(6).toString("hex")}`;

/** Warnings the process emitted while this file ran. */
const warnings: Error[] = [];
const collect = (warning: Error): void => {
	warnings.push(warning);
};

/** pg's warnings of a client handed a query while it still executes one. */
function pgQueueWarnings(): string[] {
	return warnings.filter((w) => w.name === "DeprecationWarning" && w.message.includes("client is already executing a query")).map((w) => w.message);
}

/** Lets `process.emitWarning` (which emits on the next tick) deliver what is pending. */
function warningsDelivered(): Promise<void> {
	return new Promise((resolvePromise) => setImmediate(resolvePromise));
}

describeWhen("PostgreSQL clients get one query at a time (no pg DeprecationWarning)", unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable), () => {
	beforeAll(() => {
		process.on("warning", collect);
	});
	afterAll(async () => {
		process.off("warning", collect);
		await withClient(TEST_DATABASE_URL, (client) => client.query(`drop schema if exists "${schema}" cascade`));
	});

	test("a whole flow through the HTTP app on PostgreSQL, parallel requests, housekeeping and a half-state snapshot", async () => {
		// Deprecation warnings are emitted at all (not turned off with --no-deprecation).
		expect(process.noDeprecation).not.toBe(true);
		const config = loadConfig({ overrides: { dataDir: "/nonexistent", rateLimit: { perMinute: 10_000 } } });
		const clock = fixedClock(T0);
		const deadbolt = await createDeadbolt(config, { store: await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 }), clock, keys: TEST_KEYS });
		const app = await buildApp(deadbolt);
		try {
			const email = "warnings@example.com";
			const signUp = await app.inject({ method: "POST", url: "/api/v1/accounts", payload: { email, password: PASSWORD } });
			expect(signUp.statusCode).toBe(201);
			const token = signUp.json().session.token as string;
			const begin = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment", headers: bearer(token), payload: { password: PASSWORD } });
			const key = decodeBase32(begin.json().secret as string);
			// Step 1 proved the password: the session goes on under the token in the answer.
			const confirm = await app.inject({ method: "POST", url: "/api/v1/two-factor/totp/enrollment/confirm", headers: bearer(begin.json().session.token as string), payload: { code: generateTOTP(key, clock.now()) } });
			expect(confirm.statusCode).toBe(200);
			const recoveryCodes = confirm.json().recoveryCodes as string[];

			// Parallel sign-ins: more requests than pooled connections.
			const logins = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: "POST", url: "/api/v1/login", payload: { email, password: PASSWORD } })));
			expect(logins.map((l) => l.statusCode)).toEqual(Array(8).fill(200));
			const challenges = logins.map((l) => l.json().challenge.challengeToken as string);
			clock.advance(30_000);
			const code = generateTOTP(key, clock.now());
			const withCode = await app.inject({ method: "POST", url: "/api/v1/login/totp", payload: { challengeToken: challenges[0], code } });
			expect(withCode.statusCode).toBe(200);
			const withRecovery = await app.inject({ method: "POST", url: "/api/v1/login/recovery-code", payload: { challengeToken: challenges[1], code: recoveryCodes[0] } });
			expect(withRecovery.statusCode).toBe(200);
			const session = withCode.json().session.token as string;
			const reads = await Promise.all([
				app.inject({ method: "GET", url: "/api/v1/session", headers: bearer(session) }),
				app.inject({ method: "GET", url: "/api/v1/sessions", headers: bearer(session) }),
				app.inject({ method: "GET", url: "/api/v1/security-events", headers: bearer(session) }),
				app.inject({ method: "GET", url: "/api/v1/trusted-devices", headers: bearer(session) }),
				app.inject({ method: "GET", url: "/api/v1/two-factor/recovery-codes", headers: bearer(session) }),
				app.inject({ method: "GET", url: "/readyz" }),
			]);
			expect(reads.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
			const signOut = await app.inject({ method: "POST", url: "/api/v1/sign-out-everywhere", headers: bearer(session) });
			expect(signOut.statusCode).toBeLessThan(300);
			await deadbolt.purgeExpired();
		} finally {
			await app.close();
			await deadbolt.close();
		}

		const snapshot = await withClient(TEST_DATABASE_URL, async (client) => {
			await client.query(`set search_path to "${schema}"`);
			return readSnapshot(async (sql) => (await client.query(sql)).rows);
		});
		expect(findHalfStates(snapshot)).toEqual([]);
		await warningsDelivered();
		expect(pgQueueWarnings()).toEqual([]);
	});
});
