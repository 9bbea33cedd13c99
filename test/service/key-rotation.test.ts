/**
 * Key rings and rotation without downtime (issue 14, "Keys"), on SQLite and PostgreSQL: a rolling
 * rotation with two instances on one database, sign-ins with codes running while `rotate`
 * re-seals, an interrupted rotation finished by a re-run, retire refused while in use, recovery
 * codes made under an old HMAC key, a missing key named, and signing keys published ahead.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { sealedKeyId, type KeyRing } from "../../src/domain/crypto/key-ring.js";
import { ConfigInvalid, InvalidCode, KeyInUse, KeyUnavailable } from "../../src/errors.js";
import { fixedClock, type FixedClock } from "../../src/platform/clock.js";
import { sequenceRandom } from "../../src/platform/random.js";
import type { ServerKeys } from "../../src/service/deps.js";
import type { Store } from "../../src/storage/store.js";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { openPostgresStore } from "../../src/storage/postgres.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import { probePostgres, TEST_DATABASE_URL, unreachablePostgres, withClient } from "../helpers/postgres-databases.js";
import { describeWhen } from "../helpers/requirements.js";
import { recordingLogger, T0, TEST_KEYS, type TestDeadbolt } from "../helpers/deadbolt.js";
import { codeAt, passwordStep, signUpWith2FA, type Enrolled } from "../helpers/flows.js";

const config = loadConfig({ overrides: { dataDir: "/nonexistent-test-data-dir", log: { level: "silent" }, http: { publicUrl: "https://auth.example.test" } } });
const ENCRYPTION = { default: TEST_KEYS.encryptionKey, k2: new Uint8Array(32).fill(21) } as const;
const HMAC = { default: TEST_KEYS.hmacKey, h2: new Uint8Array(32).fill(22) } as const;

/** Server keys of rings holding `ids` of each kind, with the primaries given. */
function ringKeys(encryption: { ids: (keyof typeof ENCRYPTION)[]; primary: keyof typeof ENCRYPTION }, hmac: { ids: (keyof typeof HMAC)[]; primary: keyof typeof HMAC } = { ids: ["default"], primary: "default" }): ServerKeys {
	const encryptionRing: KeyRing = { primaryId: encryption.primary, keys: new Map(encryption.ids.map((id) => [id, ENCRYPTION[id]])) };
	const hmacRing: KeyRing = { primaryId: hmac.primary, keys: new Map(hmac.ids.map((id) => [id, HMAC[id]])) };
	return { encryptionKey: ENCRYPTION[encryption.primary], hmacKey: HMAC[hmac.primary], encryptionRing, hmacRing };
}

let instances = 0;

/** A backend whose every test gets a database of its own (a key retired in one test stays out of the others). */
interface FreshBackend {
	readonly name: string;
	/** A new empty database; the function opens one more store on it (as one more process would). */
	fresh(): () => Promise<Store>;
}

const cleanups: (() => Promise<void> | void)[] = [];
const opened: Store[] = [];
afterAll(async () => {
	for (const store of opened.splice(0)) await store.close().catch(() => undefined);
	for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Opens and remembers a store (closed after the file). */
async function track(store: Promise<Store>): Promise<Store> {
	const s = await store;
	opened.push(s);
	return s;
}

async function freshBackends(): Promise<FreshBackend[]> {
	const backends: FreshBackend[] = [
		{
			name: "SQLite",
			fresh: () => {
				const dir = mkdtempSync(join(tmpdir(), "deadbolt-keys-"));
				cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
				return () => track(openSqliteStore({ path: join(dir, "deadbolt.sqlite") }));
			},
		},
	];
	const unreachable = await probePostgres(TEST_DATABASE_URL);
	if (unreachable === null) {
		backends.push({
			name: "PostgreSQL",
			fresh: () => {
				const schema = `deadbolt_keys_${randomBytes(6).toString("hex")}`;
				cleanups.push(() => withClient(TEST_DATABASE_URL, (client) => client.query(`drop schema if exists "${schema}" cascade`)).then(() => undefined));
				return () => track(openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 6 }));
			},
		});
	} else {
		describeWhen("key rotation on PostgreSQL", unreachablePostgres(TEST_DATABASE_URL, unreachable), () => {
			it("runs on PostgreSQL as on SQLite", () => {});
		});
	}
	return backends;
}

/** A deadbolt instance on `store` with `keys`, sharing `clock`; what the flows helpers take. */
async function instance(store: Store, clock: FixedClock, keys: ServerKeys): Promise<TestDeadbolt> {
	const logs: Record<string, unknown>[] = [];
	const deadbolt = await createDeadbolt(config, { store, clock, random: sequenceRandom(`key-rotation:${process.pid}:${instances++}`), keys, logger: recordingLogger(logs) });
	return { deadbolt, store, clock, config, logs };
}

/** Signs in with password and code; the code's step is consumed, so the caller moves the clock between rounds. */
async function signIn(t: TestDeadbolt, user: Enrolled): Promise<void> {
	const session = await t.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(t, user.email), code: codeAt(t, user.key) });
	expect(session.token).toBeTruthy();
}

/** The key ids of every sealed TOTP key. */
async function totpKeyIds(store: Store): Promise<string[]> {
	return (await store.sealedValues.listSealedValues("totp_credential", "", 1000)).map((record) => sealedKeyId(record.sealed) ?? "?");
}

for (const backend of await freshBackends()) {
	describe(`key rotation on ${backend.name}`, () => {
		it("a rolling rotation with two instances under load: no sign-in fails, rotate re-seals every secret, the old key retires", { timeout: 120_000 }, async () => {
			const open = backend.fresh();
			const storeA = await open();
			const storeB = await open();
			const clock = fixedClock(T0);
			const before = await instance(storeA!, clock, TEST_KEYS);
			const users: Enrolled[] = [];
			for (let i = 0; i < 6; i++) users.push(await signUpWith2FA(before, `rolling${i}-${instances}@example.com`));
			// A pending enrollment (sealed too) and a webhook secret.
			const pendingUser = await before.deadbolt.registerAccount({ email: `pending-${instances}@example.com`, password: "correct horse battery staple" });
			const auth = await before.deadbolt.validateSession(pendingUser.session!.token);
			await before.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: "correct horse battery staple" });
			await before.deadbolt.addWebhookEndpoint({ url: "https://hooks.example.com/deadbolt", events: ["*"] }).catch(() => undefined);
			// Step 1: every instance gets k2 (primary still default). Step 2: B makes k2 primary while A still seals under default.
			const a = await instance(storeA!, clock, ringKeys({ ids: ["default", "k2"], primary: "default" }));
			const b = await instance(storeB!, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			expect(new Set(await totpKeyIds(a.store))).toEqual(new Set(["default"]));
			// Step 3: B re-seals in small batches while both instances sign users in.
			const failures: unknown[] = [];
			let rotating = true;
			const rotation = b.deadbolt.resealUnderPrimary({ batchSize: 2 }).finally(() => (rotating = false));
			let rounds = 0;
			while (rotating || rounds < 2) {
				rounds++;
				clock.advance(30_000);
				await Promise.all(users.map((user, index) => signIn(index % 2 === 0 ? a : b, user).catch((error: unknown) => failures.push(error))));
			}
			const report = await rotation;
			expect(failures).toEqual([]);
			expect(report.missingKey + report.unopenable).toBe(0);
			expect(report.resealed).toBeGreaterThanOrEqual(users.length + 1);
			// A (primary default) never sealed anything new meanwhile; a second run finds nothing left.
			expect(await totpKeyIds(b.store)).toEqual((await totpKeyIds(b.store)).map(() => "k2"));
			expect((await b.deadbolt.resealUnderPrimary()).resealed).toBe(0);
			const status = await b.deadbolt.keyStatus();
			expect(status.encryption.sealedValues["default"]).toEqual({});
			expect(status.encryption.sealedValues["k2"]?.totp_credential).toBe(users.length + 1);
			// Step 4: once every instance is on k2 the old key is retired; then an instance without it signs users in.
			await expect(a.deadbolt.retireKey("encryption", "k2")).rejects.toBeInstanceOf(KeyInUse);
			await b.deadbolt.retireKey("encryption", "default");
			const storeC = await open();
			const after = await instance(storeC!, clock, ringKeys({ ids: ["k2"], primary: "k2" }));
			clock.advance(30_000);
			for (const user of users) await signIn(after, user);
			// A retired key cannot come back as primary.
			const back = await instance(storeC!, clock, ringKeys({ ids: ["default", "k2"], primary: "default" })).catch((error: unknown) => error);
			expect(back).toBeInstanceOf(ConfigInvalid);
			expect(String((back as Error).message)).toMatch(/retired/);
			// Still configured but not primary (an instance restarted before its config was updated): it starts, with a warning.
			const lagging = await instance(storeC!, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			clock.advance(30_000);
			await signIn(lagging, users[0]!);
		});

		it("an interrupted rotation is finished by a re-run; retire refuses while anything is sealed under the key", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const old = await instance(store, clock, TEST_KEYS);
			const users: Enrolled[] = [];
			for (let i = 0; i < 5; i++) users.push(await signUpWith2FA(old, `interrupted${i}-${instances}@example.com`));
			const t = await instance(store, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			const first = await t.deadbolt.resealUnderPrimary({ batchSize: 2, stopAfter: 2 });
			expect(first.resealed).toBe(2);
			expect(new Set(await totpKeyIds(store))).toEqual(new Set(["default", "k2"]));
			const refused = await t.deadbolt.retireKey("encryption", "default").catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(KeyInUse);
			expect((refused as Error).message).toMatch(/totp_credential: 3/);
			await expect(t.deadbolt.retireKey("encryption", "k2")).rejects.toThrow(/primary/);
			// Everyone signs in between the two runs: half under each key.
			clock.advance(30_000);
			for (const user of users) await signIn(t, user);
			const second = await t.deadbolt.resealUnderPrimary({ batchSize: 2 });
			expect(second.resealed).toBe(3);
			expect(second.current).toBeGreaterThanOrEqual(2);
			expect(new Set(await totpKeyIds(store))).toEqual(new Set(["k2"]));
			await t.deadbolt.retireKey("encryption", "default");
		});

		it("re-sealing loses to a concurrent change of the row (conditional update on the old value)", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const t = await instance(store, clock, TEST_KEYS);
			const user = await signUpWith2FA(t, `concurrent-${instances}@example.com`);
			const [row] = await store.sealedValues.listSealedValues("totp_credential", "", 10);
			expect(await store.sealedValues.replaceSealedValue("totp_credential", row!.id, new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6]))).toBe(false);
			const [unchanged] = await store.sealedValues.listSealedValues("totp_credential", "", 10);
			expect(Buffer.from(unchanged!.sealed).equals(Buffer.from(row!.sealed))).toBe(true);
			clock.advance(30_000);
			await signIn(t, user);
		});

		it("an instance that lacks a key says so (KeyUnavailable, logged with the id), never a wrong-key failure", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const b = await instance(store, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			const user = await signUpWith2FA(b, `missing-${instances}@example.com`);
			expect(await totpKeyIds(store)).toEqual(["k2"]);
			// A is started before it got k2 (the documented order was not followed).
			const a = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }));
			clock.advance(30_000);
			const refused = await a.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(a, user.email), code: codeAt(a, user.key) }).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(KeyUnavailable);
			expect((refused as KeyUnavailable).keyId).toBe("k2");
			expect(a.logs.some((line) => line["event"] === "keys.missing" && line["keyId"] === "k2")).toBe(true);
			expect(JSON.stringify(a.logs)).not.toContain(Buffer.from(ENCRYPTION.k2).toString("base64"));
			// The server's missing key is not the user's guess: retrying through the outage never locks the account.
			for (let attempt = 0; attempt < a.deadbolt.config.lockout.maxFailures + 2; attempt++) {
				clock.advance(30_000);
				const again = await a.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(a, user.email), code: codeAt(a, user.key) }).catch((error: unknown) => error);
				expect(again).toBeInstanceOf(KeyUnavailable);
			}
			expect((await store.authFailures.findAuthFailure(user.account.id, "second_factor"))?.failureCount ?? 0).toBe(0);
			clock.advance(30_000);
			await signIn(b, user);
		});

		it("a key the instance lacks answers before any code is compared: no free wrong-or-right answer (an oracle) from an account with authenticators under two keys", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const a = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }));
			const user = await signUpWith2FA(a, `oracle-${instances}@example.com`);
			// B (with k2 primary) adds a second authenticator, sealed under k2, which A does not hold.
			const b = await instance(store, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			clock.advance(30_000);
			const auth = await b.deadbolt.validateSession(user.session.token);
			const pending = await b.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { purpose: "add" });
			await b.deadbolt.confirmTOTPEnrollment(auth.account, auth.session, { code: generateTOTP(decodeBase32(pending.secret), clock.now()) });
			expect((await totpKeyIds(store)).sort()).toEqual(["default", "k2"]);
			// On A, the first authenticator's right code gets the same answer as a wrong one: the outage, never a sign-in.
			clock.advance(30_000);
			const right = await a.deadbolt.completeLoginWithTOTP({ challengeToken: await passwordStep(a, user.email), code: codeAt(a, user.key) }).catch((error: unknown) => error);
			expect(right).toBeInstanceOf(KeyUnavailable);
		});

		it("a recovery code made under an HMAC key the instance lacks is refused and counted, like a wrong one (a 503 would tell, for free, which lookup prefixes exist)", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const b = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }, { ids: ["default", "h2"], primary: "h2" }));
			const user = await signUpWith2FA(b, `prefix-${instances}@example.com`);
			const a = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }));
			const refused = await a.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(a, user.email), code: user.recoveryCodes[0]! }).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(InvalidCode);
			expect((await store.authFailures.findAuthFailure(user.account.id, "second_factor"))?.failureCount).toBe(1);
			// Where the key is, the code works (it was not used).
			expect((await b.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(b, user.email), code: user.recoveryCodes[0]! })).session.token).toBeTruthy();
		});

		it("the key check is per id: the same id with another key is refused; a new id is recorded", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const first = await instance(store, clock, ringKeys({ ids: ["default", "k2"], primary: "k2" }));
			const other: ServerKeys = { ...ringKeys({ ids: ["default", "k2"], primary: "k2" }), encryptionRing: { primaryId: "k2", keys: new Map([["default", ENCRYPTION.default], ["k2", new Uint8Array(32).fill(99)]]) }, encryptionKey: new Uint8Array(32).fill(99) };
			const refused = await instance(store, clock, other).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(ConfigInvalid);
			expect((refused as Error).message).toMatch(/encryption key "k2"/);
			const fine = await instance(store, clock, ringKeys({ ids: ["k2"], primary: "k2" }, { ids: ["default", "h2"], primary: "h2" }));
			expect((await store.serverKeyCheck.listServerKeys()).map((record) => `${record.kind}:${record.keyId}`).sort()).toEqual(["encryption:k2", "hmac:h2"]);
		});

		it("recovery codes made under an old HMAC key keep working after the HMAC primary changes; retire waits for them", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const old = await instance(store, clock, TEST_KEYS);
			const user = await signUpWith2FA(old, `recovery-${instances}@example.com`);
			const t = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }, { ids: ["default", "h2"], primary: "h2" }));
			expect((await t.deadbolt.keyStatus()).hmac.recoveryCodes["default"]).toEqual({ codes: user.recoveryCodes.length, accounts: 1 });
			const refused = await t.deadbolt.retireKey("hmac", "default").catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(KeyInUse);
			expect((refused as Error).message).toMatch(/1 account/);
			const signedIn = await t.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(t, user.email), code: user.recoveryCodes[0]! });
			expect(signedIn).toBeTruthy();
			// A new set is made under h2; then nothing depends on default.
			const auth = await t.deadbolt.validateSession(user.session.token);
			await t.deadbolt.reauthenticate(auth, { password: "correct horse battery staple" }).catch(() => undefined);
			const fresh = await t.deadbolt.validateSession(user.session.token);
			const codes = await t.deadbolt.regenerateRecoveryCodes(fresh);
			const status = await t.deadbolt.keyStatus();
			expect(status.hmac.recoveryCodes["h2"]?.codes).toBe(codes.length);
			expect(status.hmac.recoveryCodes["default"]?.codes ?? 0).toBe(0);
			await t.deadbolt.retireKey("hmac", "default");
			// An instance with h2 alone accepts the new codes.
			const after = await instance(store, clock, ringKeys({ ids: ["default"], primary: "default" }, { ids: ["h2"], primary: "h2" }));
			expect(await after.deadbolt.completeLoginWithRecoveryCode({ challengeToken: await passwordStep(after, user.email), code: codes[0]! })).toBeTruthy();
		});

		it("signing keys: a new key is published ahead of signing; a token signed before verifies after; the old key leaves the JWKS after the longest token life", async () => {
			const store = await backend.fresh()();
			const clock = fixedClock(T0);
			const t = await instance(store, clock, TEST_KEYS);
			const other = await instance(store, clock, TEST_KEYS);
			const claims = { host: "app.example.test", accountId: "acc_1", email: "ada@example.test", groups: [], aal: "aal2" as const, amr: ["pwd", "otp"], sessionId: "ses_1", accessTokenId: null, authTime: T0 };
			const before = await t.deadbolt.issueAssertion(claims);
			const oldKid = decodeProtectedHeader(before).kid;
			const rotation = await t.deadbolt.rotateSigningKey();
			expect(rotation.createdKid).not.toBeNull();
			expect(rotation.activatesAt).toBe(T0 + config.keys.signingKeyPublishAheadSeconds * 1000);
			const jwks = JSON.parse(JSON.stringify(await other.deadbolt.publicJWKS())) as JSONWebKeySet;
			expect(jwks.keys.map((key) => key.kid)).toEqual([rotation.createdKid, oldKid]);
			// Not signing yet, on either instance.
			expect(decodeProtectedHeader(await other.deadbolt.issueAssertion(claims)).kid).toBe(oldKid);
			clock.advance(config.keys.signingKeyPublishAheadSeconds * 1000);
			await other.deadbolt.issueAssertion(claims); // starts the background reload (refresh interval passed)
			await new Promise((resolve) => setTimeout(resolve, 50));
			const after = await other.deadbolt.issueAssertion(claims);
			expect(decodeProtectedHeader(after).kid).toBe(rotation.createdKid);
			const verify = (token: string) => jwtVerify(token, createLocalJWKSet(jwks), { audience: "app.example.test", algorithms: ["ES256"], currentDate: new Date(T0) });
			await expect(verify(before)).resolves.toBeDefined();
			// Too early to retire the old key; after the longest token life it goes.
			expect((await t.deadbolt.rotateSigningKey({ create: false })).retired).toBe(0);
			clock.advance(Math.max(config.oidc.idTokenTtlSeconds, config.oidc.accessTokenTtlSeconds, 120) * 1000);
			expect((await t.deadbolt.rotateSigningKey({ create: false })).retired).toBe(1);
			expect((await t.deadbolt.publicJWKS()).keys.map((key) => key.kid)).toEqual([rotation.createdKid]);
		});
	});
}

export type { Deadbolt };
