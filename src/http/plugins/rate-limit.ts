/**
 * Per-client-IP limits on the routes that check a credential (passwords and codes), with
 * `@fastify/rate-limit` (in-process store). The client IP is the socket address, unless the
 * operator configured trusted proxies (`http.trustedProxies`): a forged `X-Forwarded-For` from
 * anyone else changes nothing. These limits slow down credential stuffing and enumeration from one
 * address; the per-account lockouts (service/throttle.ts, in the database) are what bound guessing
 * against one account from many addresses (OWASP Authentication Cheat Sheet, "Login Throttling").
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../../config/schema.js";
import { TooManyAttempts } from "../../errors.js";

/** The routes (as registered, with their method) whose requests count toward the per-IP limit. */
export const CREDENTIAL_ROUTES: ReadonlySet<string> = new Set([
	"POST /api/v1/accounts",
	"POST /api/v1/login",
	"POST /api/v1/login/link",
	"POST /api/v1/admin/accounts",
	"POST /api/v1/admin/sign-in-links",
	"POST /dashboard/sign-in-link",
	"POST /api/v1/login/totp",
	"POST /api/v1/login/recovery-code",
	"POST /api/v1/reauthenticate",
	"POST /api/v1/secure-account",
	"PUT /api/v1/password",
	"DELETE /api/v1/two-factor/totp",
	"POST /api/v1/two-factor/totp/enrollment",
	"POST /api/v1/two-factor/totp/enrollment/confirm",
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
]);

async function credentialRateLimit(app: FastifyInstance, options: { config: Config }): Promise<void> {
	const { perMinute } = options.config.rateLimit;
	await app.register(rateLimit, { global: false });
	const limit = app.rateLimit({
		max: perMinute,
		timeWindow: 60_000,
		keyGenerator: (request: FastifyRequest) => request.ip,
		errorResponseBuilder: (_request, context) =>
			new TooManyAttempts(context.ttl / 1000, `Too many attempts from your network. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`, { reason: "ip_rate_limit" }),
	});
	app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
		if (!CREDENTIAL_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ""}`)) return;
		await limit.call(app, request, reply);
	});
}

/** The per-IP limit plugin (applies to the whole app). */
export const credentialRateLimitPlugin = fp(credentialRateLimit, { name: "deadbolt-rate-limit" });
