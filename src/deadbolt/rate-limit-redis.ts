/**
 * The composition root's Redis client for the per-IP limits shared by instances
 * (`rateLimit.redisUrl`). Re-exported by `deadbolt.ts`.
 */
import { Redis } from "ioredis";
import { redactConnectionUrl } from "../config/redact.js";
import type { Config } from "../config/schema.js";
import { loggableError, urlPasswords, type Logger } from "../platform/logger.js";

import { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, REDIS_MAX_RECONNECT_DELAY_MS } from "./redis-timeouts.js";

export { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, REDIS_MAX_RECONNECT_DELAY_MS } from "./redis-timeouts.js";

/**
 * Creates the ioredis client for the per-IP limits named by `rateLimit.redisUrl`, or returns
 * null when that is null. The client connects lazily (`connect()`), so commands that never
 * serve HTTP (`migrate`, `config`, `account unlock`) never reach Redis. It is set up to fail
 * fast instead of queueing (docs/decisions.md, "Per-IP limits across instances"):
 * no offline queue (a command while disconnected fails at once), a command fails after
 * {@link REDIS_COMMAND_TIMEOUT_MS} and a connection attempt after {@link REDIS_CONNECT_TIMEOUT_MS},
 * no command is retried, and reconnection goes on forever in the background with growing pauses
 * (at most {@link REDIS_MAX_RECONNECT_DELAY_MS}). `rediss://` URLs use TLS.
 *
 * Logs once when Redis becomes reachable (info) and once when it stops being reachable (warn),
 * with the URL's password redacted; never once per failed reconnection.
 * @returns the client, not connected; null without a Redis URL
 */
export function openRateLimitRedis(config: Config, logger: Logger): Redis | null {
	const url = config.rateLimit.redisUrl;
	if (url === null) return null;
	const shown = redactConnectionUrl(url);
	const client = new Redis(url, {
		lazyConnect: true,
		enableOfflineQueue: false,
		connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
		commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 0,
		autoResendUnfulfilledCommands: false,
		retryStrategy: (attempt: number) => Math.min(attempt * 200, REDIS_MAX_RECONNECT_DELAY_MS),
		// Closing waits at most this long for the socket; also bounds ioredis's timer when it is
		// closed between two reconnection attempts (redis/ioredis#1247).
		disconnectTimeout: REDIS_COMMAND_TIMEOUT_MS,
		connectionName: "deadbolt-rate-limit",
	});
	let state: "unknown" | "up" | "down" = "unknown";
	client.on("ready", () => {
		if (state !== "up") logger.info({ event: "rate_limit.redis.up", redis: shown }, `per-IP limits are shared through Redis at ${shown}`);
		state = "up";
	});
	// ioredis emits "error" for every failed (re)connection; one line per outage is enough.
	const secrets = urlPasswords(url);
	client.on("error", (error: Error) => {
		if (state !== "down") {
			logger.warn(
				{ event: "rate_limit.redis.down", redis: shown, err: loggableError(error, secrets) },
				`Redis at ${shown} cannot be reached: per-IP limits are kept in this process until it answers again`,
			);
		}
		state = "down";
	});
	return client;
}
