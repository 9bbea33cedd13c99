/**
 * The `Remote-Assertion` and deadbolt's JWK Set (issue 12, `service/signing-keys.ts`), checked with
 * jose's own verifier as an upstream would: an assertion verifies against the JWKS of any
 * instance of the same database, for its host only, for 60 seconds; instances starting together
 * create one key; the private key is sealed in the row. Both databases, each as two instances on
 * one database (two stores on one SQLite file; two pools on one PostgreSQL schema).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLiteDatabase from "better-sqlite3";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { InvalidRequest } from "../../src/errors.js";
import { fixedClock } from "../../src/platform/clock.js";
import { sequenceRandom } from "../../src/platform/random.js";
import { ASSERTION_TTL_SECONDS, type AssertionClaims } from "../../src/service/signing-keys.js";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { T0, TEST_KEYS } from "../helpers/deadbolt.js";
import { probePostgres, TEST_DATABASE_URL, unreachablePostgres, withClient } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";

const ISSUER = "https://auth.example.test";
const config = loadConfig({ overrides: { dataDir: "/nonexistent-test-data-dir", log: { level: "silent" }, http: { publicUrl: ISSUER } } });

/** One database, opened as often as asked (each store is one instance's), with its rows readable raw. */
interface KeyBackend {
	readonly name: string;
	open(): Promise<Store>;
	/** Every row of `signing_key`, as the database holds it. */
	rawSigningKeyRows(): Promise<Record<string, unknown>[]>;
}

const scratch = await mkdtemp(join(tmpdir(), "deadbolt-signing-keys-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A new SQLite file per call. */
function sqliteBackend(): KeyBackend {
	const path = join(scratch, `${randomBytes(6).toString("hex")}.sqlite`);
	return {
		name: "SQLite",
		open: () => openSqliteStore({ path }),
		rawSigningKeyRows: async () => {
			const db = new SQLiteDatabase(path, { readonly: true });
			try {
				return db.prepare("select * from signing_key").all() as Record<string, unknown>[];
			} finally {
				db.close();
			}
		},
	};
}

const schemas: string[] = [];
afterAll(async () => {
	if (schemas.length > 0) await withClient(TEST_DATABASE_URL, async (client) => {
		for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
	});
});

/** A new PostgreSQL schema per call. */
function postgresBackend(): KeyBackend {
	const schema = `deadbolt_keys_${randomBytes(6).toString("hex")}`;
	schemas.push(schema);
	return {
		name: "PostgreSQL",
		open: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 }),
		rawSigningKeyRows: () => withClient(TEST_DATABASE_URL, async (client) => (await client.query(`select * from "${schema}".signing_key`)).rows as Record<string, unknown>[]),
	};
}

let instances = 0;

/** A deadbolt instance on `store` (the fixed clock at T0), closed with its store by the test. */
function instanceOn(store: Store): Promise<Deadbolt> {
	return createDeadbolt(config, { store, clock: fixedClock(T0), random: sequenceRandom(`signing-keys:${process.pid}:${instances++}`), keys: TEST_KEYS });
}

/** The claims of a signed-in session on `app.example.test`. */
const SESSION_CLAIMS: AssertionClaims = Object.freeze({
	host: "App.Example.Test:8443",
	accountId: "acc_123",
	email: "ada@example.test",
	groups: ["admins", "dev"],
	aal: "aal2",
	amr: ["pwd", "otp", "mfa"],
	sessionId: "ses_456",
	accessTokenId: null,
	authTime: T0 - 3_600_000,
});

/** jose's verifier as an upstream runs it, at the test clock's time. */
function verify(assertion: string, jwks: JSONWebKeySet, options: { audience?: string; at?: number } = {}) {
	return jwtVerify(assertion, createLocalJWKSet(jwks), {
		issuer: ISSUER,
		audience: options.audience ?? "app.example.test",
		algorithms: ["ES256"],
		currentDate: new Date(options.at ?? T0),
	});
}

/** Copies the JWKS as plain JSON (what an upstream gets over HTTP). */
async function fetchedJWKS(deadbolt: Deadbolt): Promise<JSONWebKeySet> {
	return JSON.parse(JSON.stringify(await deadbolt.publicJWKS())) as JSONWebKeySet;
}

const unreachable = await probePostgres(TEST_DATABASE_URL);
const backends: { make: () => KeyBackend; unmet: ReturnType<typeof unreachablePostgres> | null }[] = [
	{ make: sqliteBackend, unmet: null },
	{ make: postgresBackend, unmet: unreachable === null ? null : unreachablePostgres(TEST_DATABASE_URL, unreachable) },
];

for (const { make, unmet } of backends) {
	const name = make === sqliteBackend ? "SQLite" : "PostgreSQL";
	describeWhen(`Remote-Assertion and JWKS on ${name}`, unmet, () => {
		it("an assertion verifies against the JWKS and carries the request's facts: issuer, host without port as audience, account, email, groups, aal, amr, session, 60 s", async () => {
			const backend = make();
			const store = await backend.open();
			const deadbolt = await instanceOn(store);
			try {
				const assertion = await deadbolt.issueAssertion(SESSION_CLAIMS);
				const jwks = await fetchedJWKS(deadbolt);
				const { payload, protectedHeader } = await verify(assertion, jwks);
				expect(protectedHeader).toEqual({ alg: "ES256", kid: jwks.keys[0]!.kid, typ: "JWT" });
				expect(payload).toEqual({
					iss: ISSUER,
					aud: "app.example.test",
					sub: "acc_123",
					email: "ada@example.test",
					groups: ["admins", "dev"],
					aal: "aal2",
					amr: ["pwd", "otp", "mfa"],
					sid: "ses_456",
					auth_time: (T0 - 3_600_000) / 1000,
					iat: Math.floor(T0 / 1000),
					exp: Math.floor(T0 / 1000) + ASSERTION_TTL_SECONDS,
					jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
				});
				expect(ASSERTION_TTL_SECONDS).toBe(60);
				const again = await verify(await deadbolt.issueAssertion(SESSION_CLAIMS), jwks);
				expect(again.payload.jti).not.toBe(payload.jti);
			} finally {
				await deadbolt.close();
			}
		});

		it("an assertion is refused for another host, by another issuer, after its 60 s, and when tampered with", async () => {
			const backend = make();
			const deadbolt = await instanceOn(await backend.open());
			try {
				const assertion = await deadbolt.issueAssertion(SESSION_CLAIMS);
				const jwks = await fetchedJWKS(deadbolt);
				await expect(verify(assertion, jwks, { audience: "admin.example.test" })).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
				await expect(jwtVerify(assertion, createLocalJWKSet(jwks), { issuer: "https://evil.example", audience: "app.example.test", currentDate: new Date(T0) })).rejects.toMatchObject({ claim: "iss" });
				await expect(verify(assertion, jwks, { at: T0 + (ASSERTION_TTL_SECONDS - 1) * 1000 })).resolves.toBeDefined();
				await expect(verify(assertion, jwks, { at: T0 + (ASSERTION_TTL_SECONDS + 1) * 1000 })).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
				const [header, payload, signature] = assertion.split(".") as [string, string, string];
				const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), aal: "aal2", groups: ["admins", "root"] })).toString("base64url");
				await expect(verify(`${header}.${forged}.${signature}`, jwks)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
			} finally {
				await deadbolt.close();
			}
		});

		it("a personal access token's assertion names the token (token_id) and no session; exactly one of the two must be given", async () => {
			const deadbolt = await instanceOn(await make().open());
			try {
				const assertion = await deadbolt.issueAssertion({ ...SESSION_CLAIMS, host: "api.example.test", aal: "aal1", amr: [], sessionId: null, accessTokenId: "pat_789" });
				const { payload } = await verify(assertion, await fetchedJWKS(deadbolt), { audience: "api.example.test" });
				expect(payload).toMatchObject({ token_id: "pat_789", aal: "aal1", amr: [] });
				expect(payload).not.toHaveProperty("sid");
				await expect(deadbolt.issueAssertion({ ...SESSION_CLAIMS, accessTokenId: "pat_789" })).rejects.toBeInstanceOf(TypeError);
				await expect(deadbolt.issueAssertion({ ...SESSION_CLAIMS, sessionId: null })).rejects.toBeInstanceOf(TypeError);
			} finally {
				await deadbolt.close();
			}
		});

		it("a host that is not a host name gets no assertion (InvalidRequest); an IPv6 literal loses its brackets and port", async () => {
			const deadbolt = await instanceOn(await make().open());
			try {
				for (const host of ["", "app.example.test/evil", "user@app.example.test", "app example"]) {
					await expect(deadbolt.issueAssertion({ ...SESSION_CLAIMS, host }), JSON.stringify(host)).rejects.toBeInstanceOf(InvalidRequest);
				}
				const { payload } = await verify(await deadbolt.issueAssertion({ ...SESSION_CLAIMS, host: "[::1]:8080" }), await fetchedJWKS(deadbolt), { audience: "::1" });
				expect(payload.aud).toBe("::1");
			} finally {
				await deadbolt.close();
			}
		});

		it("two instances starting together on one database create one key: an assertion of instance A verifies with instance B's JWKS, and the other way", async () => {
			const backend = make();
			const [storeA, storeB] = await Promise.all([backend.open(), backend.open()]);
			const [a, b] = await Promise.all([instanceOn(storeA), instanceOn(storeB)]);
			try {
				// Both need the key at once on a new database: each tries to create it.
				const [jwksA, jwksB, fromA, fromB] = await Promise.all([fetchedJWKS(a), fetchedJWKS(b), a.issueAssertion(SESSION_CLAIMS), b.issueAssertion(SESSION_CLAIMS)]);
				expect(jwksA.keys).toHaveLength(1);
				expect(jwksB).toEqual(jwksA);
				expect((await backend.rawSigningKeyRows()).length).toBe(1);
				await expect(verify(fromA, jwksB)).resolves.toBeDefined();
				await expect(verify(fromB, jwksA)).resolves.toBeDefined();
				expect(decodeProtectedHeader(fromA).kid).toBe(decodeProtectedHeader(fromB).kid);
				// A restarted instance reads the same key back.
				const restarted = await instanceOn(await backend.open());
				try {
					await expect(verify(await restarted.issueAssertion(SESSION_CLAIMS), jwksA)).resolves.toBeDefined();
				} finally {
					await restarted.close();
				}
			} finally {
				await a.close();
				await b.close();
			}
		});

		it("the private key is sealed in its row (nothing of it in clear) and the JWKS has public members only", async () => {
			const backend = make();
			const deadbolt = await instanceOn(await backend.open());
			let kid: string;
			try {
				const jwks = await deadbolt.publicJWKS();
				kid = jwks.keys[0]!.kid;
				for (const key of jwks.keys) expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
			} finally {
				await deadbolt.close();
			}
			const [row] = await backend.rawSigningKeyRows();
			expect(row).toBeDefined();
			expect(Object.keys(row!).sort()).toEqual(["activates_at", "algorithm", "created_at", "generation", "kid", "public_jwk", "retired_at", "sealed_private_jwk"]);
			expect(row).toMatchObject({ kid, algorithm: "ES256" });
			expect(Number(row!["generation"])).toBe(1);
			const publicJwk = JSON.parse(String(row!["public_jwk"])) as Record<string, unknown>;
			expect(Object.keys(publicJwk).sort()).toEqual(["crv", "kty", "x", "y"]);
			const sealed = Buffer.from(row!["sealed_private_jwk"] as Uint8Array);
			// A P-256 private JWK is some 200 bytes of JSON; sealed, none of it reads.
			expect(sealed.length).toBeGreaterThan(150);
			for (const text of ['"d"', '"kty"', "EC", "P-256", String(publicJwk["x"])]) expect(sealed.includes(Buffer.from(text)), text).toBe(false);
			for (const column of Object.values(row!)) expect(String(column)).not.toMatch(/"d"\s*:/);
		});
	});
}

describe("the signing key is loaded once per instance", () => {
	it("a second assertion reads nothing from the store; a load that failed is tried again", async () => {
		const store = await openSqliteStore({ path: ":memory:" });
		let reads = 0;
		// A proxy over a fresh object: the store is frozen (a proxy over it must return what it holds).
		const counting = new Proxy({} as Store, {
			get(_, property) {
				if (property !== "signingKeys") {
					const value: unknown = Reflect.get(store, property, store);
					return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(store) : value;
				}
				const keys = store.signingKeys;
				return {
					...keys,
					findCurrentSigningKey: async () => {
						reads += 1;
						if (reads === 1) throw new Error("the database is down");
						return keys.findCurrentSigningKey();
					},
					insertSigningKey: (record: Parameters<typeof keys.insertSigningKey>[0]) => keys.insertSigningKey(record),
					listSigningKeys: () => keys.listSigningKeys(),
				};
			},
		});
		const deadbolt = await instanceOn(counting);
		try {
			await expect(deadbolt.issueAssertion(SESSION_CLAIMS)).rejects.toThrow("the database is down");
			await deadbolt.issueAssertion(SESSION_CLAIMS);
			const afterLoad = reads;
			for (let i = 0; i < 5; i++) await deadbolt.issueAssertion(SESSION_CLAIMS);
			expect(reads).toBe(afterLoad);
		} finally {
			await deadbolt.close();
		}
	});
});

describe("docs/integrations/assertion.md", () => {
	it("its claim table names every claim an assertion carries, and no other", async () => {
		const doc = await readFile(new URL("../../docs/integrations/assertion.md", import.meta.url), "utf8");
		const table = doc.split("## What it contains")[1]!.split("\n## ")[0]!;
		const documented = [...table.matchAll(/^\| ((?:`[a-z_]+`(?:, )?)+) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
		const deadbolt = await instanceOn(await openSqliteStore({ path: ":memory:" }));
		try {
			const session = decodeJwt(await deadbolt.issueAssertion(SESSION_CLAIMS));
			const token = decodeJwt(await deadbolt.issueAssertion({ ...SESSION_CLAIMS, sessionId: null, accessTokenId: "pat_1" }));
			expect([...documented].sort()).toEqual([...new Set([...Object.keys(session), ...Object.keys(token)])].sort());
		} finally {
			await deadbolt.close();
		}
	});
});
