/**
 * The time limits of the per-IP-limit Redis client (`deadbolt/rate-limit-redis.ts`), apart from it
 * so that reading them does not load ioredis (a start without Redis never loads it: issue 15).
 */

/** How long connecting to the per-IP-limit Redis may take before the attempt counts as failed, in milliseconds. */
export const REDIS_CONNECT_TIMEOUT_MS = 1_000;
/** How long one Redis command (one per-IP count) may take before it counts as failed, in milliseconds. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** The longest pause between two reconnection attempts to Redis, in milliseconds (attempt n waits min(200 n, this)). */
export const REDIS_MAX_RECONNECT_DELAY_MS = 5_000;
