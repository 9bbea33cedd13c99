/**
 * Per-client-IP limits on the routes that check a credential (passwords and codes), with
 * `@fastify/rate-limit`. The client IP is the socket address, unless the operator configured
 * trusted proxies (`http.trustedProxies`): a forged `X-Forwarded-For` from anyone else changes
 * nothing. These limits slow down credential stuffing and enumeration from one address; the
 * per-account lockouts (service/throttle.ts, in the database) are what bound guessing against one
 * account from many addresses (OWASP Authentication Cheat Sheet, "Login Throttling").
 *
 * Where the counts live: without `rateLimit.redisUrl`, in this process (the library's in-memory
 * store), so N instances allow N times the limit. With it, in Redis (the library's Redis store,
 * keys `<rateLimit.redisKeyPrefix><client IP>`), shared by every instance. While Redis cannot be
 * reached, requests are counted in this process instead: never refused for it, never answered
 * with a 500, never held longer than one Redis command timeout (docs/decisions.md, "Per-IP limits
 * across instances").
 */
import rateLimit, { type RateLimitPluginOptions } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Redis } from "ioredis";
import type { Config } from "../../config/schema.js";
import { TooManyAttempts } from "../../errors.js";
import { loggableError, urlPasswords, type Logger } from "../../platform/logger.js";
import type { Metrics } from "../../platform/metrics.js";

/**
 * The routes (as registered, with their method) whose requests count toward the per-IP limit. The
 * admin API is not among them: its callers are the site's own backend (one IP for every user),
 * authenticated by a 32+ character key that cannot be guessed at any rate.
 */
export const CREDENTIAL_ROUTES: ReadonlySet<string> = new Set([
	"POST /api/v1/accounts",
	"POST /api/v1/login",
	"POST /api/v1/login/link",
	"POST /dashboard/sign-in-link",
	"POST /api/v1/login/totp",
	"POST /api/v1/login/recovery-code",
	"POST /api/v1/reauthenticate",
	"POST /api/v1/secure-account",
	"PUT /api/v1/password",
	"DELETE /api/v1/two-factor/totp",
	"POST /api/v1/two-factor/totp/enrollment",
	"POST /api/v1/two-factor/totp/enrollment/confirm",
	// Issue 14: the setup an operator requires, past its deadline (a setup token instead of a session).
	"POST /api/v1/two-factor/totp/required-setup",
	"POST /api/v1/two-factor/totp/required-setup/confirm",
	"POST /dashboard/two-factor/required-setup",
	"POST /dashboard/two-factor/required-setup/confirm",
	"POST /dashboard/sign-up",
	"POST /dashboard/sign-in",
	"POST /dashboard/sign-in/code",
	"POST /dashboard/sign-in/recovery-code",
	"POST /dashboard/settings/security/confirm",
	"POST /dashboard/settings/security/password",
	"POST /dashboard/settings/security/compromised",
	"POST /dashboard/settings/security/two-factor/setup",
	"POST /dashboard/settings/security/two-factor/confirm",
	"POST /dashboard/settings/security/two-factor/disable",
	// Issue 12: the step-up page and the access-token form's inline confirmation (password and code).
	"POST /dashboard/step-up",
	"POST /dashboard/settings/security/access-tokens",
	"POST /api/v1/password/forgot",
	"POST /api/v1/password/reset/code",
	"POST /api/v1/password/reset",
	"POST /api/v1/sign-up/finish",
	"POST /api/v1/account/email",
	"POST /dashboard/forgot-password",
	"POST /dashboard/reset-password/code",
	"POST /dashboard/reset-password",
	"POST /dashboard/sign-up/finish",
	"POST /dashboard/settings/email",
]);

/** The length of one counting window, in milliseconds (the limit is `rateLimit.perMinute`). */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * After a Redis count failed (timeout, lost connection), how long requests are counted in this
 * process before Redis is asked again, in milliseconds: during a silent network partition at most
 * one request in this period waits for a Redis timeout.
 */
export const REDIS_RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * How long the app's start waits for Redis to become ready, in milliseconds. A Redis that refuses
 * connections ends the wait at once; one that does not answer ends it after this. The app then
 * serves anyway, counting in this process until Redis is reachable (it keeps reconnecting).
 */
export const REDIS_START_WAIT_MS = 1_500;

/** Options of {@link credentialRateLimitPlugin}. */
export interface CredentialRateLimitOptions {
	/** `rateLimit.perMinute` and `rateLimit.redisKeyPrefix` are read. */
	readonly config: Config;
	/**
	 * The client through which instances share the counts (`Deadbolt.rateLimitRedis`), connected
	 * when the app starts and disconnected when it closes; null: counts stay in this process.
	 */
	readonly redis: Redis | null;
	/** Where the start-up line about the counts' place and failed Redis counts are logged. */
	readonly logger: Logger;
	/** Told of every refusal, with the route (`deadbolt_rate_limit_refusals_total`). */
	readonly metrics: Metrics;
}

type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The request's route as {@link CREDENTIAL_ROUTES} names it: its method and its pattern as registered (never the URL as sent). */
function routeOf(request: FastifyRequest): string {
	return `${request.method} ${request.routeOptions.url ?? ""}`;
}

/** Whether the request's route checks a credential. */
function isCredentialRoute(request: FastifyRequest): boolean {
	return CREDENTIAL_ROUTES.has(routeOf(request));
}

/**
 * Registers one `@fastify/rate-limit` instance in a context of its own (each has its own store)
 * and returns its handler, which counts the request and throws {@link TooManyAttempts} past the
 * limit (or the store's error, unless `skipOnError`).
 */
async function createLimiter(app: FastifyInstance, options: RateLimitPluginOptions): Promise<Limiter> {
	let limiter: Limiter | undefined;
	await app.register(async (scope) => {
		await scope.register(rateLimit, options);
		// No options here: the registration's own settings and store, keys `<nameSpace><ip>`.
		const handler = scope.rateLimit();
		limiter = async (request, reply) => {
			await handler.call(scope, request, reply);
		};
	});
	if (limiter === undefined) throw new Error("rate limiter was not registered");
	return limiter;
}

/** Starts connecting `redis` and waits until it is ready, has failed once, or `waitMs` passed. */
async function connectWithin(redis: Redis, waitMs: number): Promise<void> {
	if (redis.status === "wait" || redis.status === "end") {
		// A failure is logged by the client's "error" listener (deadbolt.ts) and retried in the background.
		redis.connect().catch(() => {});
	}
	if (redis.status === "ready") return;
	await new Promise<void>((resolve) => {
		const done = (): void => {
			clearTimeout(timer);
			redis.off("ready", done);
			redis.off("error", done);
			resolve();
		};
		const timer = setTimeout(done, waitMs);
		redis.once("ready", done);
		redis.once("error", done);
	});
}

/** How long closing the app waits for the Redis socket to close, in milliseconds (ioredis destroys it after its `disconnectTimeout`). */
const REDIS_CLOSE_WAIT_MS = 1_000;

/**
 * Disconnects `redis` without reconnecting, and resolves once its socket is closed (status
 * "end"), or at once when it has none. Between two reconnection attempts there is no socket:
 * ioredis then only cancels the next attempt and leaves the status at "reconnecting".
 */
async function disconnect(redis: Redis): Promise<void> {
	const hasSocket = redis.status === "ready" || redis.status === "connect" || redis.status === "connecting";
	const ended = hasSocket
		? new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, REDIS_CLOSE_WAIT_MS);
				timer.unref();
				redis.once("end", () => {
					clearTimeout(timer);
					resolve();
				});
			})
		: Promise.resolve();
	if (redis.status !== "end") redis.disconnect();
	await ended;
}

async function credentialRateLimit(app: FastifyInstance, options: CredentialRateLimitOptions): Promise<void> {
	const { perMinute, redisKeyPrefix } = options.config.rateLimit;
	const limits: RateLimitPluginOptions = {
		global: false,
		max: perMinute,
		timeWindow: RATE_LIMIT_WINDOW_MS,
		keyGenerator: (request: FastifyRequest) => request.ip,
		errorResponseBuilder: (request, context) => {
			options.metrics.rateLimitRefusal(routeOf(request));
			return new TooManyAttempts(context.ttl / 1000, `Too many attempts from your network. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`, { reason: "ip_rate_limit" });
		},
	};
	const inProcess = await createLimiter(app, limits);
	const { redis } = options;
	if (redis === null) {
		options.logger.info({ event: "rate_limit.in_process" }, "per-IP limits are kept in this process; set DEADBOLT_REDIS_URL to share them across instances");
		app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
			if (isCredentialRoute(request)) await inProcess(request, reply);
		});
		return;
	}

	// The library's Redis store; skipOnError is off so that a failed count is seen here and the
	// request is counted in this process instead of not at all.
	const shared = await createLimiter(app, { ...limits, redis, nameSpace: redisKeyPrefix, skipOnError: false });
	app.addHook("onClose", async () => {
		await disconnect(redis);
	});
	await connectWithin(redis, REDIS_START_WAIT_MS);
	let askRedisAgainAtMs = 0;
	const redisSecrets = urlPasswords(options.config.rateLimit.redisUrl);
	app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
		if (!isCredentialRoute(request)) return;
		if (redis.status === "ready" && performance.now() >= askRedisAgainAtMs) {
			try {
				await shared(request, reply);
				return;
			} catch (error) {
				if (error instanceof TooManyAttempts) throw error;
				askRedisAgainAtMs = performance.now() + REDIS_RETRY_AFTER_FAILURE_MS;
				options.logger.warn({ event: "rate_limit.redis.failed", err: loggableError(error, redisSecrets) }, "Redis did not count a request; it was counted in this process");
			}
		}
		await inProcess(request, reply);
	});
}

/** The per-IP limit plugin (applies to the whole app). */
export const credentialRateLimitPlugin = fp(credentialRateLimit, { name: "deadbolt-rate-limit" });
