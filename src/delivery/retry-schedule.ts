/**
 * When a failed delivery is tried again (docs/email.md and docs/webhooks.md, "Retries"): attempt n
 * (1-based) failed → the next one after min(`outbox.retryMinMillis` × 2^(n-1), 1 hour), ± 20 %
 * jitter so a burst of failures does not retry in lockstep; after `outbox.maxAttempts` attempts the
 * delivery is dead (dead letter, `deadbolt outbox retry` revives it).
 */
import type { RandomSource } from "../platform/random.js";

/** The longest pause between two attempts: 1 hour, in milliseconds. */
export const MAX_RETRY_DELAY_MILLIS = 3_600_000;

/** How far the pause may move either way: ± 20 %. */
export const RETRY_JITTER = 0.2;

/** A uniform number in [0, 1) from 4 random bytes. */
function unitInterval(random: RandomSource): number {
	const bytes = new Uint8Array(4);
	random.fill(bytes);
	return new DataView(bytes.buffer).getUint32(0) / 0x1_0000_0000;
}

/**
 * The pause after failed attempt `attempt`, in milliseconds.
 * @param attempt - the 1-based number of the attempt that failed
 * @param minMillis - the pause after the first failure (`outbox.retryMinMillis`, default 5 000)
 */
export function retryDelayMillis(attempt: number, minMillis: number, random: RandomSource): number {
	const base = Math.min(minMillis * 2 ** Math.max(0, Math.min(attempt - 1, 40)), MAX_RETRY_DELAY_MILLIS);
	const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * unitInterval(random);
	return Math.max(1, Math.round(base * factor));
}

/** What becomes of a delivery after a failed attempt. */
export type AfterFailure = { readonly status: "pending"; readonly nextAttemptAt: number } | { readonly status: "dead" };

/**
 * Decides what follows failed attempt `attempt` (1-based) at `now`.
 * @param permanent - the failure says that trying again cannot help (HTTP 410 Gone, the endpoint or account is gone)
 */
export function afterFailure(attempt: number, now: number, options: { readonly maxAttempts: number; readonly minMillis: number; readonly permanent: boolean }, random: RandomSource): AfterFailure {
	if (options.permanent || attempt >= options.maxAttempts) return { status: "dead" };
	return { status: "pending", nextAttemptAt: now + retryDelayMillis(attempt, options.minMillis, random) };
}
