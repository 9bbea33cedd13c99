/**
 * Request detail for `log.level` `debug` and `trace` (at `info` and above these lines are not
 * written, and Fastify's own "incoming request" / "request completed" stay as they are, except on
 * the hot paths of {@link isQuietPath}).
 *
 * - `debug`: one line a request when it is answered: the matched route pattern (never the raw URL,
 *   which may carry a token in its path or query), method, status, response time in ms, outcome
 *   (`ok`, or the error code on failures), under the request's `reqId`.
 * - `trace`: also a line when the request arrives and one when its handler starts, with the time
 *   spent before it (body parsing, rate limits, session lookup, validation).
 *
 * No header, body, query or parameter value is logged here (OWASP ASVS 5.0 §16.2.5).
 */
import { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import fp from "fastify-plugin";

/** The error code a failed request was answered with, once known (see {@link recordOutcome}). */
const outcomes = new WeakMap<FastifyRequest, string>();

/**
 * Records the error code a request is answered with (`ERR_INVALID_CREDENTIALS`, ...), for the
 * request detail line; the last one recorded wins. Thrown errors are recorded on their own (their
 * `code`); the error handler records the code it actually answers with.
 */
export function recordOutcome(request: FastifyRequest, errorCode: string): void {
	outcomes.set(request, errorCode);
}

/**
 * The outcome of an answered request: `ok` below 400; else the recorded error code, or
 * `HTTP_<status>` when none was recorded (a page that answered a failure without throwing).
 */
export function outcomeOf(request: FastifyRequest, statusCode: number): string {
	if (statusCode < 400) return "ok";
	return outcomes.get(request) ?? `HTTP_${statusCode}`;
}

/** The matched route pattern (`/api/v1/sessions/:id`), or `(no route)` for a request no route matched. */
function routeOf(request: FastifyRequest): string {
	return request.routeOptions.url ?? "(no route)";
}

/** Milliseconds, to a tenth. */
function roundMs(milliseconds: number): number {
	return Math.round(milliseconds * 10) / 10;
}

/**
 * The paths whose two `info` lines Fastify does not write ({@link QuietPathLogController}): the checks
 * that run before every request of every protected app (forward-auth, the session check
 * integrators' backends call, the health check). At their rate the lines would be most of the log
 * and a sizeable share of each check's CPU (docs/performance.md). A refused request there still
 * gets the "request completed" line at `info`, a forward-auth refusal also its decision's
 * line, an allowed check a `debug` line, and `log.level=debug` writes the request detail line for
 * every request, these included.
 */
export function isQuietPath(url: string | undefined): boolean {
	if (url === undefined) return false;
	const query = url.indexOf("?");
	const path = query === -1 ? url : url.slice(0, query);
	return path.startsWith("/api/v1/authz/") || path === "/api/v1/session" || path === "/healthz";
}

/**
 * Fastify's request lines (its `logController` option), quiet on the paths of {@link isQuietPath}
 * where a request succeeds: no "incoming request", and "request completed" only for a refused
 * request (status 400 and above), then with the request (method and URL, redacted like the
 * "incoming request" line it did not have). Every other line Fastify writes (errors, a failed
 * serializer, a broken stream) is written for these paths too.
 */
export class QuietPathLogController extends LogController {
	override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
		if (!isQuietPath(request.url)) super.incomingRequest(request, reply, metadata);
	}

	override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
		if (error != null || !isQuietPath(request.url)) {
			super.requestCompleted(error, request, reply, metadata);
			return;
		}
		if (reply.statusCode >= 400) reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
	}
}

/** pino's numeric levels. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Whether the app's logger writes lines of `level` (a logger without one, or `silent`, writes none). */
function writes(app: FastifyInstance, level: "trace" | "debug"): boolean {
	const configured = LEVEL_VALUES[app.log.level];
	return configured !== undefined && configured <= (LEVEL_VALUES[level] as number);
}

async function requestLog(app: FastifyInstance): Promise<void> {
	// Hooks only for the levels that write their lines: each async hook costs every request.
	if (writes(app, "trace")) {
		app.addHook("onRequest", async (request: FastifyRequest) => {
			request.log.trace({ event: "http.request_received", method: request.method, route: routeOf(request) }, "request received");
		});
		app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
			request.log.trace({ event: "http.handler_started", method: request.method, route: routeOf(request), elapsedMs: roundMs(reply.elapsedTime) }, "handler started");
		});
	}
	if (!writes(app, "debug")) return;
	app.addHook("onError", async (request: FastifyRequest, _reply: FastifyReply, error: FastifyError) => {
		const code = (error as { code?: unknown }).code;
		recordOutcome(request, typeof code === "string" && code !== "" ? code : (error.name ?? "Error"));
	});
	app.addHook("onResponse", async (request: FastifyRequest, reply: FastifyReply) => {
		const route = routeOf(request);
		const statusCode = reply.statusCode;
		const responseTimeMs = roundMs(reply.elapsedTime);
		const outcome = outcomeOf(request, statusCode);
		request.log.debug({ event: "http.request_detail", method: request.method, route, statusCode, responseTimeMs, outcome }, `${request.method} ${route} ${statusCode} ${outcome} in ${responseTimeMs} ms`);
	});
}

/** The request-detail plugin (not encapsulated: it applies to the whole app). */
export const requestLogPlugin = fp(requestLog, { name: "deadbolt-request-log" });
