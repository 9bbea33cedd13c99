/**
 * The rows `npm run bench:scale` seeds (bench/scale.ts), made the way deadbolt makes them, in
 * column-oriented batches that both writers (seed-sqlite.ts, seed-postgres.ts) insert as they are:
 *   - `account`: a random 96-bit id (`generateId`), a unique normalized address
 *     `scale-<n>@example.com`, verified, the one shared argon2id hash of {@link BENCH_PASSWORD};
 *   - `totp_credential` for every other account (2FA on): a random 160-bit key sealed with
 *     deadbolt's own `sealTOTPKey` (AES-256-GCM under the bench's encryption key, a key-ring
 *     envelope bound to the row and its account), confirmed, SHA1/6/30 (the defaults), with the
 *     account's replay record (`totp_replay_until_ms`) at the end of its last used step;
 *   - `session`, one per account: a token `<id>.<secret>` made like `generateToken` and only the
 *     SHA-256 of its secret stored, AAL 2 and `amr` "pwd otp mfa" with 2FA (else 1, "pwd"),
 *     made within the last six days (alive: 30-day absolute and 7-day idle limits);
 *   - `security_event` (the dashboard's activity list, `listSecurityEvents`): ids of deadbolt's
 *     shape (12 hex digits of the time, 6 of a counter, a random id) in time order over the last
 *     year, each for a random account, mostly `login.succeeded` with the details deadbolt records.
 * No recovery codes, trusted devices or outbox rows: the measured paths do not read them.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServerKeys } from "../../src/service/deps.js";
import { sealTOTPKey } from "../../src/service/totp-key.js";
import { nodeRandom } from "../../src/platform/random.js";

const DAY_MS = 86_400_000;
const PERIOD_MS = 30_000;
const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/** Random bytes drawn from large buffers (one `randomBytes` call per MiB). */
class RandomPool {
	#buffer = Buffer.alloc(0);
	#offset = 0;

	take(length: number): Buffer {
		if (this.#offset + length > this.#buffer.length) {
			this.#buffer = randomBytes(1 << 20);
			this.#offset = 0;
		}
		const slice = this.#buffer.subarray(this.#offset, this.#offset + length);
		this.#offset += length;
		return slice;
	}

	/** A base64url string of `bytes` random bytes (96 bits: a deadbolt id; 256 bits: a token secret). */
	base64url(bytes: number): string {
		return this.take(bytes).toString("base64url");
	}

	/** A random integer in [0, bound) (bound < 2^32). */
	below(bound: number): number {
		return this.take(4).readUInt32LE(0) % bound;
	}
}

/** What to seed. */
export interface SeedPlan {
	readonly accounts: number;
	/** Activity rows in all (spread over the accounts at random). */
	readonly events: number;
	/** The argon2id hash every account gets (of BENCH_PASSWORD, with the configured parameters). */
	readonly passwordHash: string;
	/** The keys the bench server will run with (the TOTP keys are sealed under them). */
	readonly keys: ServerKeys;
	/** The seeding's "now", epoch ms: every row lies before it. */
	readonly nowMs: number;
}

/** Whether account `index` has 2FA on (every other one). */
export function hasTwoFactor(index: number): boolean {
	return index % 2 === 0;
}

export const ACCOUNT_COLUMNS = ["id", "email", "password_hash", "created_at", "updated_at", "email_verified_at", "groups", "totp_replay_until_ms"] as const;
export const TOTP_COLUMNS = ["id", "account_id", "secret_ciphertext", "algorithm", "digits", "period_seconds", "created_at", "confirmed_at", "last_used_step", "enrollment_session_id", "last_used_at"] as const;
export const SESSION_COLUMNS = ["id", "account_id", "secret_hash", "aal", "created_at", "last_active_at", "expires_at", "reauthenticated_at", "ip_address", "user_agent", "second_factor_at", "amr"] as const;
export const EVENT_COLUMNS = ["id", "account_id", "type", "created_at", "ip_address", "user_agent", "details"] as const;

/** Values of one table's columns, one array per column (same length), in the order of its `*_COLUMNS`. */
export type Columns = unknown[][];

/** A batch of accounts with their TOTP credentials and sessions. */
export interface AccountBatch {
	readonly accounts: Columns;
	readonly totp: Columns;
	readonly sessions: Columns;
}

function emptyColumns(count: number): Columns {
	return Array.from({ length: count }, () => []);
}

/** Makes accounts, their authenticators and sessions, `batchSize` accounts at a time; fills `ids` with the account ids. */
export function* accountBatches(plan: SeedPlan, batchSize: number, ids: string[]): Generator<AccountBatch> {
	const random = new RandomPool();
	const deps = { keys: plan.keys, random: nodeRandom };
	// Accounts made over the last two years, one after the other.
	const firstCreatedAt = plan.nowMs - 730 * DAY_MS;
	const spacing = (700 * DAY_MS) / Math.max(1, plan.accounts);
	for (let start = 0; start < plan.accounts; start += batchSize) {
		const batch: AccountBatch = { accounts: emptyColumns(ACCOUNT_COLUMNS.length), totp: emptyColumns(TOTP_COLUMNS.length), sessions: emptyColumns(SESSION_COLUMNS.length) };
		for (let index = start; index < Math.min(plan.accounts, start + batchSize); index++) {
			const id = random.base64url(12);
			ids.push(id);
			const createdAt = Math.floor(firstCreatedAt + index * spacing);
			const twoFactor = hasTwoFactor(index);
			// The session: made within the last six days, last active a little later.
			const sessionId = random.base64url(12);
			const sessionCreatedAt = plan.nowMs - 6 * DAY_MS + random.below(6 * DAY_MS - 3_600_000);
			const lastActiveAt = sessionCreatedAt + random.below(3_600_000);
			// The authenticator was last used to make that session.
			const lastUsedStep = Math.floor(sessionCreatedAt / PERIOD_MS);
			push(batch.accounts, [id, `scale-${index}@example.com`, plan.passwordHash, createdAt, createdAt, createdAt + 60_000, "[]", twoFactor ? (lastUsedStep + 1) * PERIOD_MS : 0]);
			if (twoFactor) {
				const credentialId = random.base64url(12);
				const sealed = sealTOTPKey(deps, { id: credentialId, accountId: id }, random.take(20));
				const setUpAt = createdAt + 120_000;
				push(batch.totp, [credentialId, id, Buffer.from(sealed), "SHA1", 6, 30, setUpAt, setUpAt + 30_000, lastUsedStep, sessionId, sessionCreatedAt]);
			}
			const secretHash = createHash("sha256").update(random.base64url(32), "utf8").digest("hex");
			push(batch.sessions, [sessionId, id, secretHash, twoFactor ? 2 : 1, sessionCreatedAt, lastActiveAt, sessionCreatedAt + 30 * DAY_MS, sessionCreatedAt, `198.51.100.${index % 250}`, USER_AGENT, twoFactor ? sessionCreatedAt : null, twoFactor ? "pwd otp mfa" : "pwd"]);
		}
		yield batch;
	}
}

const DETAILS_2FA = JSON.stringify({ factors: ["password", "totp"], newDevice: false });
const DETAILS_PASSWORD = JSON.stringify({ factors: ["password"], newDevice: false });
const DETAILS_NONE = JSON.stringify({});

/**
 * Makes `plan.events` activity rows in time order over the last year (ascending ids, as deadbolt
 * writes them), `batchSize` at a time, each for a random account of `ids`.
 */
export function* eventBatches(plan: SeedPlan, batchSize: number, ids: readonly string[]): Generator<Columns> {
	const random = new RandomPool();
	const first = plan.nowMs - 365 * DAY_MS;
	const spacing = (365 * DAY_MS - 60_000) / Math.max(1, plan.events);
	for (let start = 0; start < plan.events; start += batchSize) {
		const columns = emptyColumns(EVENT_COLUMNS.length);
		for (let index = start; index < Math.min(plan.events, start + batchSize); index++) {
			const accountIndex = random.below(ids.length);
			const createdAt = Math.floor(first + index * spacing);
			const id = `${createdAt.toString(16).padStart(12, "0")}${(index % 0x1000000).toString(16).padStart(6, "0")}${random.base64url(12)}`;
			// Nine sign-ins in ten, the rest a mistyped password.
			const failed = index % 10 === 9;
			const type = failed ? "login.password_failed" : "login.succeeded";
			const details = failed ? DETAILS_NONE : hasTwoFactor(accountIndex) ? DETAILS_2FA : DETAILS_PASSWORD;
			push(columns, [id, ids[accountIndex], type, createdAt, `198.51.100.${accountIndex % 250}`, USER_AGENT, details]);
		}
		yield columns;
	}
}

function push(columns: Columns, values: readonly unknown[]): void {
	for (let column = 0; column < values.length; column++) (columns[column] as unknown[]).push(values[column]);
}
