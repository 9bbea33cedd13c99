/**
 * Test fixtures: a deadbolt on a real SQLite database (in memory unless a path is given), a
 * fixed clock, a deterministic random source and fixed keys. No mocks.
 */
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../src/deadbolt.js";
import { fixedClock, type FixedClock } from "../../src/platform/clock.js";
import type { Logger } from "../../src/platform/logger.js";
import { sequenceRandom } from "../../src/platform/random.js";
import type { ServerKeys } from "../../src/service/deps.js";
import type { PasswordHasher } from "../../src/service/password-hasher.js";
import { openSqliteStore } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";

/** 2026-01-01T00:00:10Z: a step start plus 10 s, so +-1 step stays inside the same minute. */
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 10);

/** Fixed test keys (never used outside tests). */
export const TEST_KEYS: ServerKeys = Object.freeze({
	encryptionKey: new Uint8Array(32).fill(7),
	hmacKey: new Uint8Array(32).fill(9),
});

/** A deadbolt for tests, with handles on its parts. */
export interface TestDeadbolt {
	readonly deadbolt: Deadbolt;
	readonly store: Store;
	readonly clock: FixedClock;
	readonly config: Config;
	/** Lines logged (objects), for checks that nothing secret is logged. */
	readonly logs: Record<string, unknown>[];
}

/** A logger that records every entry. */
export function recordingLogger(logs: Record<string, unknown>[]): Logger {
	const make = (level: string, bindings: Record<string, unknown>): Logger => {
		const write = (level: string) => (first: unknown, message?: string): void => {
			logs.push(typeof first === "string" ? { ...bindings, level, msg: first } : { ...bindings, ...(first as object), level, msg: message });
		};
		return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error"), child: (more) => make(level, { ...bindings, ...more }) };
	};
	return make("info", {});
}

let instances = 0;

/** Builds a test deadbolt. Each instance's random stream differs (ids stay unique in a shared database). */
export async function createTestDeadbolt(options: { overrides?: unknown; seed?: string; sqlitePath?: string; store?: Store; passwords?: PasswordHasher } = {}): Promise<TestDeadbolt> {
	const config = loadConfig({ overrides: mergeOverrides({ dataDir: "/nonexistent-test-data-dir", log: { level: "silent" } }, options.overrides) });
	const store = options.store ?? (await openSqliteStore({ path: options.sqlitePath ?? ":memory:" }));
	const clock = fixedClock(T0);
	const logs: Record<string, unknown>[] = [];
	const deadbolt = await createDeadbolt(config, {
		store,
		clock,
		random: sequenceRandom(`${options.seed ?? "test"}:${process.pid}:${instances++}`),
		keys: TEST_KEYS,
		logger: recordingLogger(logs),
		...(options.passwords === undefined ? {} : { passwords: options.passwords }),
	});
	return { deadbolt, store, clock, config, logs };
}

function mergeOverrides(base: Record<string, unknown>, extra: unknown): unknown {
	return extra === undefined ? base : { ...base, ...(extra as object) };
}
