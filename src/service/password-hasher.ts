/**
 * argon2id hashing and verification as the services use it: with the configured costs, and at
 * most `password.hashConcurrency` at once per process. argon2id is built to use memory and CPU
 * (19 MiB and ~10 ms of a core each, OWASP Password Storage Cheat Sheet); libuv's pool would run
 * four at once, which on a two-core machine leaves the event loop waiting for a CPU (every other
 * request slows down) and evicts caches. Capping at the cores minus one keeps one core for the
 * event loop; extra sign-ins wait their turn instead (measured by `npm run bench:http`).
 */
import { availableParallelism } from "node:os";
import { hashPassword, verifyPassword, type Argon2Parameters } from "../domain/password/hash.js";
import { AttemptsInFlight } from "../errors.js";
import { createLimiter } from "../platform/limiter.js";
import { NO_METRICS, secondsSince, type Metrics } from "../platform/metrics.js";

/** The `Retry-After` of an attempt refused because the checks before it kept it waiting, in seconds. */
export const ATTEMPTS_IN_FLIGHT_RETRY_SECONDS = 5;

/** Hashes and verifies passwords. */
export interface PasswordHasher {
	/**
	 * A PHC string of `password` with the configured costs, or with `parameters` (recovery codes
	 * use their own, `RECOVERY_CODE_ARGON2`).
	 */
	hash(password: string, parameters?: Argon2Parameters): Promise<string>;
	/**
	 * Whether `password` matches `passwordHash` (false for a malformed hash).
	 * @param startBy - a `performance.now()` instant: when the verification has not started by
	 *   then (waiting its turn under load), it is not run at all
	 * @throws AttemptsInFlight when `startBy` passed before its turn came (nothing was checked)
	 */
	verify(passwordHash: string, password: string, startBy?: number): Promise<boolean>;
}

/** `password.hashConcurrency` when null: the machine's cores minus one, at least one. */
export function defaultHashConcurrency(): number {
	return Math.max(1, availableParallelism() - 1);
}

/**
 * Creates the process's password hasher (also used for recovery codes, under the same cap).
 * @param concurrency - most hashes or verifications running at once (default {@link defaultHashConcurrency})
 * @param metrics - told how long each hash or verification waited for its slot (`/metrics`)
 */
export function createPasswordHasher(parameters: Argon2Parameters, concurrency: number | null = null, metrics: Metrics = NO_METRICS): PasswordHasher {
	const limit = createLimiter(concurrency ?? defaultHashConcurrency());
	return Object.freeze({
		hash: (password: string, costs: Argon2Parameters = parameters) => {
			const queuedAt = performance.now();
			return limit(() => {
				metrics.hashQueueWait("hash", secondsSince(queuedAt));
				return hashPassword(password, costs);
			});
		},
		verify: (passwordHash: string, password: string, startBy?: number) => {
			const queuedAt = performance.now();
			return limit(() => {
				metrics.hashQueueWait("verify", secondsSince(queuedAt));
				if (startBy !== undefined && performance.now() > startBy) throw new AttemptsInFlight(ATTEMPTS_IN_FLIGHT_RETRY_SECONDS, { reason: "check_not_started_in_time" });
				return verifyPassword(passwordHash, password);
			});
		},
	});
}
