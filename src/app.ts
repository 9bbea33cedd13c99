/**
 * Builds deadbolt's HTTP application from its two ways in: the JSON API (`http/`) under
 * `/api/v1` and the dashboard (`dashboard/`, built on the same HTTP plumbing) under `/dashboard`,
 * plus health checks and the answer to paths that match nothing (`http/plugins/not-found.ts`:
 * JSON for machines; for people a redirect from a typed path such as `/login`, or a page). It stands above both, so neither imports the other's assembly. It never
 * listens (`cli/commands/serve.ts` does), so every test
 * uses `app.inject` (DESIGN.md §3.7).
 */
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from "fastify";
import type { Deadbolt } from "./deadbolt.js";
import { PATHS } from "./dashboard/layout.js";
import { dashboardBrowserNotFound, dashboardRoutes } from "./dashboard/routes.js";
import { InvalidRequest, StorageUnavailable } from "./errors.js";
import { cookieSettings, isHttpsDeployment } from "./http/cookies.js";
import { createAPICSRFCheck } from "./http/plugins/csrf.js";
import { errorHandlerPlugin, STORAGE_RETRY_AFTER_SECONDS } from "./http/plugins/error-handler.js";
import { securityHeadersPlugin, securityHeaderValues } from "./http/plugins/security-headers.js";
import { notFoundPlugin } from "./http/plugins/not-found.js";
import { credentialRateLimitPlugin } from "./http/plugins/rate-limit.js";
import { QuietPathLogController, requestLogPlugin } from "./http/plugins/request-log.js";
import { sessionPlugin } from "./http/plugins/session.js";
import { docsPagePlugin } from "./http/openapi/docs-page.js";
import { HEALTH_SCHEMA, READY_SCHEMA } from "./http/health-schemas.js";
import { openapiPlugin } from "./http/openapi/document.js";
import { lazySchemaCompilers } from "./http/lazy-schema-compilers.js";
import { accountRoutes } from "./http/routes/accounts.js";
import { adminRoutes } from "./http/routes/admin.js";
import { authzRoutes } from "./http/routes/authz.js";
import { introspectionRoutes } from "./http/routes/introspect.js";
import { accountSecurityRoutes } from "./http/routes/account-security.js";
import { emailRoutes } from "./http/routes/email.js";
import { passwordResetRoutes } from "./http/routes/password-reset.js";
import { loginRoutes } from "./http/routes/login.js";
import { metricsRoutes } from "./http/routes/metrics.js";
import { sessionRoutes } from "./http/routes/session.js";
import { totpRoutes } from "./http/routes/totp.js";
import { authenticatorRoutes } from "./http/routes/authenticators.js";
import { requiredSetupRoutes } from "./http/routes/required-setup.js";
import { wellKnownRoutes } from "./http/routes/well-known.js";

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
	/** A pino logger (with deadbolt's redaction) for request logs; default: none. */
	loggerInstance?: FastifyBaseLogger;
	/** Told of every route as it is registered (before any): how a test lists them all (`test/http/openapi.test.ts`). */
	onRoute?: (route: RouteOptions) => void;
}

/**
 * Builds the Fastify instance (not listening).
 * @returns the app; `await app.ready()` or `app.inject(...)` to use it
 */
export async function buildApp(deadbolt: Deadbolt, options: BuildAppOptions = {}): Promise<FastifyInstance> {
	const { config } = deadbolt;
	const headers = securityHeaderValues(isHttpsDeployment(config), deadbolt.returnTargetSources());
	const app = Fastify({
		...(options.loggerInstance === undefined ? { logger: false } : { loggerInstance: options.loggerInstance }),
		// Fastify's two `info` lines a request, except on the checks that run before every request of a protected app.
		logController: new QuietPathLogController(),
		trustProxy: config.http.trustedProxies.length > 0 ? [...config.http.trustedProxies] : false,
		bodyLimit: config.http.bodyLimitBytes,
		// Strict input: wrong types are errors, not coerced; unknown fields are errors, not dropped.
		ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
		// Fastify's own compilers, each route's schemas compiled on its first request instead of at start (issue 15).
		schemaController: { compilersFactory: lazySchemaCompilers() },
		return503OnClosing: true,
		// Errors before routing (a malformed URL, ...): the same body shape and stable code.
		frameworkErrors: (error, request, reply) => {
			request.log.info({ fastifyCode: error.code }, "malformed request");
			const body = { statusCode: 400, code: InvalidRequest.code, error: "Bad Request", message: "The request is malformed." };
			void (reply as FastifyReply).status(400).headers(headers).send(body);
		},
		// Errors below HTTP (a body shorter than its Content-Length, ...): answered on the socket.
		clientErrorHandler: (error, socket) => {
			if (!socket.writable) return;
			const body = JSON.stringify({ statusCode: 400, code: InvalidRequest.code, error: "Bad Request", message: "The request is malformed." });
			const lines = ["HTTP/1.1 400 Bad Request", "content-type: application/json; charset=utf-8", `content-length: ${Buffer.byteLength(body)}`, "connection: close"];
			for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
			socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
			void error;
		},
	}).withTypeProvider<TypeBoxTypeProvider>();

	if (options.onRoute !== undefined) app.addHook("onRoute", options.onRoute);
	const cookies = cookieSettings(config);
	await app.register(cookie);
	await app.register(formbody, { bodyLimit: config.http.bodyLimitBytes });
	// First: its trace line marks the request's arrival, before any other hook runs.
	await app.register(requestLogPlugin);
	await app.register(errorHandlerPlugin);
	// A path no route matches: JSON for machines, a redirect or an HTML page for people.
	await app.register(notFoundPlugin, { browser: dashboardBrowserNotFound(deadbolt, cookies) });
	await app.register(securityHeadersPlugin, {
		hsts: isHttpsDeployment(config),
		returnTargetSources: deadbolt.returnTargetSources(),
		// OpenID Connect clients added through the admin API or the CLI: their origins, read for each page (no restart).
		...(deadbolt.oidc.enabled ? { moreFormActionSources: () => deadbolt.oidc.storedClientOrigins() } : {}),
	});
	// Before the session plugin: a request over the limit costs no database work.
	await app.register(credentialRateLimitPlugin, { config, redis: deadbolt.rateLimitRedis, logger: deadbolt.logger, metrics: deadbolt.metrics });
	await app.register(sessionPlugin, { deadbolt, cookies });
	// Before every route: it collects them as they are added (the document at /api/v1/openapi.json, the page at /api/v1/docs).
	await app.register(openapiPlugin, { cookies });
	await app.register(docsPagePlugin);

	app.get("/healthz", { schema: HEALTH_SCHEMA }, async () => ({ status: "ok" as const }));
	app.get("/readyz", { schema: READY_SCHEMA }, async (request, reply) => {
		try {
			await deadbolt.ready();
			return { status: "ready" as const };
		} catch (error) {
			request.log.warn({ err: error }, "not ready");
			return (reply as FastifyReply)
				.status(503)
				.header("retry-after", String(STORAGE_RETRY_AFTER_SECONDS))
				.send({ statusCode: 503, code: StorageUnavailable.code, error: "Service Unavailable", message: "The database cannot be reached." });
		}
	});
	app.get("/", async (_request, reply) => reply.redirect("/dashboard", 302));
	app.get("/favicon.ico", async (_request, reply) => reply.redirect("/dashboard/assets/favicon.svg", 301));
	// Where password managers send people to change a password (W3C "A Well-Known URL for Changing Passwords").
	app.get("/.well-known/change-password", async (_request, reply) => reply.redirect(PATHS.password, 302));
	// The public keys a `Remote-Assertion` verifies against (RFC 7517 §5).
	await app.register(wellKnownRoutes, { deadbolt, cookies });
	// Prometheus metrics (docs/metrics.md): the route exists only when metrics.enabled is true.
	if (deadbolt.metricsEndpoint !== null) {
		await app.register(metricsRoutes, { endpoint: deadbolt.metricsEndpoint });
		const networks = config.metrics.allowedNetworks;
		deadbolt.logger.info({ event: "metrics.enabled", allowedNetworks: networks }, `Prometheus metrics at /metrics for clients in ${networks.length === 0 ? "no network (metrics.allowedNetworks is empty)" : networks.join(", ")}`);
	}

	await app.register(
		async (api) => {
			api.addHook("onRequest", createAPICSRFCheck(config, cookies));
			await api.register(accountRoutes, { deadbolt, cookies });
			await api.register(loginRoutes, { deadbolt, cookies });
			await api.register(requiredSetupRoutes, { deadbolt, cookies });
			await api.register(sessionRoutes, { deadbolt, cookies });
			await api.register(totpRoutes, { deadbolt, cookies });
			await api.register(authenticatorRoutes, { deadbolt, cookies });
			await api.register(accountSecurityRoutes, { deadbolt, cookies });
			await api.register(adminRoutes, { deadbolt, cookies });
			await api.register(emailRoutes, { deadbolt, cookies });
			await api.register(passwordResetRoutes, { deadbolt, cookies });
			await api.register(introspectionRoutes, { deadbolt, cookies });
		},
		{ prefix: "/api/v1" },
	);
	// Proxies ask with the original method and without Origin: outside the API's CSRF check (they change nothing).
	await app.register(authzRoutes, { prefix: "/api/v1", deadbolt, cookies });
	await app.register(dashboardRoutes, { prefix: "/dashboard", deadbolt, cookies });
	// The OpenID Connect provider (docs/oidc.md), only when it is on (clients declared, or oidc.enabled): loaded on demand.
	if (deadbolt.oidc.enabled) {
		const { oidcRoutes } = await import("./oidc/routes.js");
		await app.register(oidcRoutes, { deadbolt, cookies });
		const clients = config.oidc.clients.length;
		deadbolt.logger.info({ event: "oidc.provider", issuer: deadbolt.publicOrigin, clients }, `OpenID Connect provider: issuer ${deadbolt.publicOrigin}, ${clients} client${clients === 1 ? "" : "s"} in the configuration (discovery: ${deadbolt.publicOrigin}/.well-known/openid-configuration)`);
	}
	return app;
}
