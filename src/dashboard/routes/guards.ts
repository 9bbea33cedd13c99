/**
 * What stands before and after every dashboard route: the form-token and same-origin check of
 * every POST (`csrf.ts`), the page for a path that does not exist, and the pages for a database
 * outage (503) and too many attempts (429). Any other error goes on to the app's error handler
 * (a generic 500).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { StorageUnavailable, TooManyAttempts } from "../../errors.js";
import { csrfRejection } from "../csrf.js";
import { PATHS } from "../layout.js";
import { csrfRejectedPage, notFoundPage, tooManyRequestsPage, unavailablePage } from "../pages/errors.js";
import type { DashboardContext } from "./context.js";
import { sendPage } from "./forms.js";

/**
 * Where the "form refused" page sends the user back to: the page that showed the form (a POST-only
 * path of the Security page has no page of its own).
 */
function reloadPathFor(path: string): string {
	if (path === PATHS.signOut) return PATHS.home;
	if (path === PATHS.twoFactorConfirm) return PATHS.twoFactorSetup;
	if (path === PATHS.twoFactorSetup || path === PATHS.twoFactorDisable) return path;
	if (path === PATHS.password || path === PATHS.secureAccount) return path;
	if (path.startsWith(`${PATHS.securitySessions}/`) || path.startsWith(`${PATHS.security}/devices/`)) return PATHS.securitySessions;
	if (path === PATHS.recoveryCodes || path.startsWith(`${PATHS.securityTwoFactor}/`)) return PATHS.securityTwoFactor;
	if (path.startsWith(`${PATHS.security}/`)) return PATHS.security;
	return path;
}

/** Installs the CSRF check, the not-found page and the error pages on the dashboard's instance. */
export function installGuards(app: FastifyInstance, d: DashboardContext): void {
	const errorContext = (request: FastifyRequest, reply: FastifyReply) => {
		const auth = request.auth;
		return { issuer: d.issuer, email: auth?.account.email ?? null, csrf: auth === null ? null : d.csrfOf(request, reply) };
	};

	// A database outage gets a friendly page; anything else goes on to the app's error handler.
	app.setErrorHandler(async (error, request, reply) => {
		if (error instanceof StorageUnavailable) {
			request.log.error({ errorCode: error.code, reason: error.reason, err: error.cause }, "dashboard: storage unavailable");
			void reply.header("retry-after", "5");
			return sendPage(reply, 503, unavailablePage(errorContext(request, reply)));
		}
		if (error instanceof TooManyAttempts) {
			request.log.info({ errorCode: error.code, reason: error.reason }, "dashboard: too many attempts");
			void reply.header("retry-after", String(error.retryAfterSeconds));
			return sendPage(reply, 429, tooManyRequestsPage(errorContext(request, reply), error.message));
		}
		throw error;
	});

	app.setNotFoundHandler(async (request, reply) => sendPage(reply, 404, notFoundPage(errorContext(request, reply))));

	// Every POST: the form token must match its cookie, and the Origin must not be foreign.
	app.addHook("preHandler", async (request, reply) => {
		if (request.method !== "POST") return;
		const rejection = csrfRejection(request, d.config, d.cookies);
		if (rejection === null) return;
		// The matched route, never the raw request line (which may be an absolute URL to another host,
		// or carry a token): in the log and in the way back.
		const path = (request.routeOptions.url ?? PATHS.home).replace(/\/+$/, "");
		request.log.warn({ event: "dashboard.csrf_rejected", rejection, route: path, origin: request.headers.origin ?? null }, "dashboard form refused");
		const backTo = reloadPathFor(path);
		await sendPage(reply, 403, csrfRejectedPage(errorContext(request, reply), rejection, backTo));
		return reply;
	});
}
