/**
 * The deadbolt server under test of `npm run bench:http` and `npm run bench:forward-auth`, started
 * by `bench/http.ts` and `bench/forward-auth.ts` as a child process
 * (`node --import tsx bench/http/server.ts CONFIG_FILE`, with an IPC channel).
 *
 * It is `deadbolt serve` (src/cli/commands/serve.ts) with the same configuration path
 * (defaults, then the JSON file, then `DEADBOLT_*` variables), the same pino logger at the
 * configured level, the same `createDeadbolt` and `buildApp`, listening on a free port. Three
 * differences, all for the benchmark:
 *   - the clock is a fixed clock (starting at the real time) that moves one TOTP period forward
 *     after the accounts are made, so the codes of the measured sign-ins are all for the current
 *     time step, and every account's step is fresh (the code that confirmed the setup cannot sign
 *     in again: replay protection);
 *   - an IPC channel to the driver: seeding, a raw argon2id rate (as many at a time as asked, or
 *     as deadbolt hashes at once: `password.hashConcurrency`), a signed-in session's token and
 *     forward-auth cookie, observing rounds (observe.ts), V8 CPU profiles;
 *   - no housekeeping timer (it runs every 10 minutes; a benchmark is over before).
 * Like `serve`, it runs the outbox's dispatcher (mails and webhook messages are sent from here).
 *
 * Seeding goes through the service functions, as a user would, except for what would make it
 * too slow for a two-minute benchmark: accounts get one shared argon2id hash of the benchmark
 * password (made once, with the configured parameters, so sign-ins verify at full cost and no
 * rehash happens), their recovery codes one shared hash too (so they cannot be used: the
 * benchmarks never do), and the login challenges of the second-step benchmark are issued with
 * `issueLoginChallenge`, the tail of the password step, without an argon2id verification each.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Session } from "node:inspector/promises";
import { hash, verify } from "@node-rs/argon2";
import { loadConfig } from "../../src/config/load.js";
import { createProcessLogger } from "../../src/cli/logger.js";
import { NO_METRICS } from "../../src/platform/metrics.js";
import { createDeadbolt, openConfiguredStore, resolveKeys } from "../../src/deadbolt.js";
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import { buildApp } from "../../src/app.js";
import { fixedClock } from "../../src/platform/clock.js";
import { createKeyedLimiter } from "../../src/platform/limiter.js";
import type { Logger } from "../../src/platform/logger.js";
import { nodeRandom } from "../../src/platform/random.js";
import { registerAccount } from "../../src/service/accounts.js";
import type { RequestContext, ServiceDeps } from "../../src/service/deps.js";
import { issueLoginChallenge } from "../../src/service/login.js";
import { createPasswordHasher, defaultHashConcurrency, type PasswordHasher } from "../../src/service/password-hasher.js";
import type { Argon2Parameters } from "../../src/domain/password/hash.js";
import { createSigningKeyCache } from "../../src/service/signing-key-cache.js";
import { createSession } from "../../src/service/sessions.js";
import { beginTOTPEnrollment, confirmTOTPEnrollment } from "../../src/service/totp-enrollment.js";
import { createRoundObserver } from "./observe.js";
import { BENCH_PASSWORD, BENCH_USER_AGENT, type LoginItem, type ReadyMessage, type SecondStepItem, type ServerReply, type ServerRequest } from "./protocol.js";

/** `Algorithm.Argon2id` of `@node-rs/argon2` (a const enum; see src/domain/password/hash.ts). */
const ARGON2ID = 2;
/** Accounts set up at once (PostgreSQL answers them over its pool in parallel). */
const SEED_CONCURRENCY = 8;
/** What the password step records about the client, here for the prepared challenges. */
const BENCH_CONTEXT: RequestContext = Object.freeze({ ipAddress: "127.0.0.1", userAgent: BENCH_USER_AGENT });

function send(message: ServerReply | ReadyMessage): void {
	process.send?.(message);
}

const configFile = process.argv[2];
const config = loadConfig({ env: process.env, ...(configFile === undefined ? {} : { file: configFile }) });
const logger = createProcessLogger(config);
const clock = fixedClock(Date.now());
const random = nodeRandom;
const { keys } = resolveKeys(config, random, logger as unknown as Logger);
const store = await openConfiguredStore(config);
const deadbolt = await createDeadbolt(config, { store, clock, random, keys, logger: logger as unknown as Logger });
// The same dependencies the use cases of `deadbolt` are bound to, for seeding. Seeding is not
// measured: its hasher uses every core, and the 10 recovery codes of each 2FA setup all get one
// shared hash (made once) instead of 10 argon2id hashes each.
const seedingHasher = createPasswordHasher(config.password.argon2, availableParallelism());
/** One argon2id hash with the recovery codes' parameters, made once: every seeded account's recovery codes get it (seeding only; they are never used). */
const recoveryCodeHashes = new Map<string, Promise<string>>();
const seedingPasswords: PasswordHasher = Object.freeze({
	hash: (password: string, parameters?: Argon2Parameters) => {
		if (parameters === undefined) return seedingHasher.hash(password);
		const key = JSON.stringify(parameters);
		let shared = recoveryCodeHashes.get(key);
		if (shared === undefined) recoveryCodeHashes.set(key, (shared = seedingHasher.hash("deadbolt-bench-recovery-code", parameters)));
		return shared;
	},
	verify: seedingHasher.verify,
});
const deps: ServiceDeps = Object.freeze({ store, clock, random, config, logger: deadbolt.logger, keys, passwords: seedingPasswords, attemptQueue: createKeyedLimiter(config.lockout.maxFailures), publicOrigin: deadbolt.publicOrigin, signingKeys: createSigningKeyCache(), metrics: NO_METRICS });
const app = await buildApp(deadbolt, { loggerInstance: logger });
await app.listen({ host: config.http.host, port: config.http.port });
// As `serve` does: the outbox's dispatcher sends mails and webhook messages in this process.
deadbolt.createDispatcher().start();
const address = app.server.address();
if (address === null || typeof address === "string") throw new Error("no TCP address");

let seeded = 0;

/** Creates one account with 2FA on (through the service functions); returns its id and TOTP key. */
async function createAccountWith2FA(passwordHash: string, verified: boolean): Promise<{ accountId: string; email: string; key: Uint8Array }> {
	const email = `bench-${process.pid}-${seeded++}@example.com`;
	const { account } = await registerAccount(deps, { email, password: null }, BENCH_CONTEXT);
	if (verified) await store.accounts.markEmailVerified(account.id, clock.now());
	await store.accounts.updatePasswordHash(account.id, passwordHash, clock.now());
	const withPassword = { ...account, passwordHash };
	// A session that has just proved the password (what sign-up gives), for the setup.
	const session = await createSession(deps, store, account.id, ["password"], BENCH_CONTEXT);
	const pending = await beginTOTPEnrollment(deps, withPassword, session.record, {}, BENCH_CONTEXT);
	const key = decodeBase32(pending.secret);
	await confirmTOTPEnrollment(deps, withPassword, session.record, { code: generateTOTP(key, clock.now()) }, BENCH_CONTEXT);
	return { accountId: account.id, email, key };
}

/** Runs `task(i)` for i in [0, count), `concurrency` at a time; results in order. */
async function pool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
	const results: T[] = new Array<T>(count);
	let next = 0;
	const worker = async (): Promise<void> => {
		while (next < count) {
			const index = next++;
			results[index] = await task(index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
	return results;
}

async function seed(secondStep: number, logins: number, verified: boolean): Promise<{ secondStep: SecondStepItem[]; logins: LoginItem[] }> {
	const { argon2 } = config.password;
	const passwordHash = await hash(BENCH_PASSWORD.normalize("NFKC"), { algorithm: ARGON2ID, memoryCost: argon2.memoryKiB, timeCost: argon2.iterations, parallelism: argon2.parallelism });
	const accounts = await pool(secondStep + logins, SEED_CONCURRENCY, () => createAccountWith2FA(passwordHash, verified));
	// A new time step: the step that confirmed each setup is used up (replay protection).
	clock.advance(config.totp.periodSeconds * 1000);
	const now = clock.now();
	const secondStepItems = await pool(secondStep, SEED_CONCURRENCY, async (index) => {
		const account = accounts[index]!;
		const challenge = await issueLoginChallenge(deps, deps.store, account.accountId, BENCH_CONTEXT, 1);
		return { challengeToken: challenge.challengeToken, code: generateTOTP(account.key, now) };
	});
	const loginItems = accounts.slice(secondStep).map((account) => ({ email: account.email, code: generateTOTP(account.key, now) }));
	return { secondStep: secondStepItems, logins: loginItems };
}

/** Raw `@node-rs/argon2` verify of the benchmark password against a hash with the configured parameters. */
async function argon2Rate(concurrency: number, durationMs: number): Promise<{ verifications: number; seconds: number }> {
	const { argon2 } = config.password;
	const password = BENCH_PASSWORD.normalize("NFKC");
	const passwordHash = await hash(password, { algorithm: ARGON2ID, memoryCost: argon2.memoryKiB, timeCost: argon2.iterations, parallelism: argon2.parallelism });
	const start = process.hrtime.bigint();
	const deadline = start + BigInt(durationMs) * 1_000_000n;
	let verifications = 0;
	const worker = async (): Promise<void> => {
		while (process.hrtime.bigint() < deadline) {
			if (!(await verify(passwordHash, password))) throw new Error("argon2 verify failed");
			verifications++;
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	return { verifications, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const observe = createRoundObserver();
let profiler: Session | null = null;

async function handle(request: ServerRequest): Promise<ServerReply> {
	switch (request.type) {
		case "seed": {
			const start = process.hrtime.bigint();
			const result = await seed(request.secondStep, request.logins, request.verified === true);
			return { id: request.id, type: "seeded", ...result, accounts: request.secondStep + request.logins, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
		}
		case "forward-auth-session": {
			const email = `bench-forward-auth-${process.pid}-${seeded++}@example.com`;
			const { account } = await registerAccount(deps, { email, password: null }, BENCH_CONTEXT);
			await store.accounts.markEmailVerified(account.id, clock.now());
			const session = await createSession(deps, store, account.id, ["password"], BENCH_CONTEXT);
			const forwardAuthToken = deadbolt.forwardAuthToken(session.token);
			if (forwardAuthToken === null) throw new Error("no forward-auth token for a new session");
			return { id: request.id, type: "forward-auth-session", accountId: account.id, email, sessionToken: session.token, forwardAuthToken };
		}
		case "argon2": {
			const concurrency = request.concurrency ?? config.password.hashConcurrency ?? defaultHashConcurrency();
			const result = await argon2Rate(concurrency, request.durationMs);
			return { id: request.id, type: "argon2", ...result, concurrency, threadpoolSize: Number(process.env["UV_THREADPOOL_SIZE"] ?? 4) };
		}
		case "observe-start":
		case "observe-stop":
			return observe(request);
		case "hand-seed":
			throw new Error("hand-seed is for bench/http/hand-verify.ts");
		case "profile-start":
			profiler = new Session();
			profiler.connect();
			await profiler.post("Profiler.enable");
			await profiler.post("Profiler.start");
			return { id: request.id, type: "profile-started" };
		case "profile-stop": {
			if (profiler === null) throw new Error("profile-stop before profile-start");
			const { profile } = await profiler.post("Profiler.stop");
			profiler.disconnect();
			profiler = null;
			writeFileSync(request.file, JSON.stringify(profile));
			return { id: request.id, type: "profile-written", file: request.file };
		}
	}
}

process.on("message", (message: ServerRequest) => {
	handle(message).then(send, (error: unknown) => send({ id: message.id, type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
// The driver going away (or closing the channel) ends the server.
process.on("disconnect", () => {
	void app
		.close()
		.then(() => deadbolt.close())
		.finally(() => process.exit(0));
});

send({ type: "ready", port: address.port });
