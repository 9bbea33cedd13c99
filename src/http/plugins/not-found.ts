/**
 * The answer to a request no route matched (issue 10 item 8). Machines keep the JSON 404
 * (`ERR_NOT_FOUND`, the error body of every failure); people get a page:
 *
 * 1. a path under `/api`, `/.well-known`, `/oidc` or `/metrics` is for machines: always JSON;
 * 2. a path people type (`/login`, `/sign-up`, `/security`, ...; GET or HEAD) is redirected (302)
 *    to its fixed page, for every client;
 * 3. a request whose `Accept` asks for `text/html` (a browser's navigation) gets the HTML 404
 *    page with a way home;
 * 4. anything else gets the JSON 404, as before.
 *
 * The pages come from the dashboard (`dashboard/routes.ts`); this plugin only decides. Paths under
 * `/dashboard` have the dashboard's own not-found handler (always HTML), which Fastify prefers
 * for its prefix.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { NotFound } from "../../errors.js";
import { recordOutcome } from "./request-log.js";

/** Path prefixes kept for machines: never a redirect or an HTML page there. */
export const MACHINE_PATH_PREFIXES: readonly string[] = Object.freeze(["/api", "/.well-known", "/oidc", "/metrics"]);

/** What the dashboard gives browsers instead of JSON. */
export interface BrowserNotFound {
	/** The fixed page a typed path leads to, or null (see `dashboard/typed-paths.ts`). */
	redirectFor(method: string, url: string): string | null;
	/** Answers 404 with the HTML "Page not found" page. */
	sendPage(request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
}

/** The path of a URL as sent: before `?` or `#`. */
function pathOf(url: string): string {
	return url.split(/[?#]/, 1)[0] ?? "";
}

/** Percent-decoded, or the text itself when it is not valid percent-encoding. */
function decoded(path: string): string {
	try {
		return decodeURIComponent(path);
	} catch {
		return path;
	}
}

/**
 * Whether a path is one of {@link MACHINE_PATH_PREFIXES} or below one (`/api`, `/api/...`),
 * compared without case, as sent and percent-decoded, with repeated slashes as one: when in
 * doubt, a path is the machines'.
 */
export function isMachinePath(url: string): boolean {
	const path = pathOf(url);
	return [path, decoded(path)].some((candidate) => {
		const normal = candidate.toLowerCase().replace(/\/{2,}/g, "/");
		return MACHINE_PATH_PREFIXES.some((prefix) => normal === prefix || normal.startsWith(`${prefix}/`));
	});
}

/**
 * Whether an `Accept` header asks for `text/html` (RFC 9110 §12.5.1): a `text/html` media range
 * with a weight above 0. `*∕*` alone (curl, most libraries) does not count: only browsers name HTML.
 */
export function acceptsHTML(accept: string | undefined): boolean {
	if (accept === undefined) return false;
	return accept.split(",").some((range) => {
		const [type, ...parameters] = range.split(";").map((part) => part.trim().toLowerCase());
		if (type !== "text/html") return false;
		const weight = parameters.find((parameter) => parameter.startsWith("q="));
		return weight === undefined || Number(weight.slice(2)) > 0;
	});
}

/** The JSON 404 (unchanged from before issue 10). */
function sendJSON(request: FastifyRequest, reply: FastifyReply): FastifyReply {
	recordOutcome(request, NotFound.code);
	return reply.status(404).send({ statusCode: 404, code: NotFound.code, error: "Not Found", message: `No route ${request.method} ${request.url.split("?")[0]}.` });
}

async function notFound(app: FastifyInstance, options: { browser?: BrowserNotFound }): Promise<void> {
	const { browser } = options;
	app.setNotFoundHandler(async (request, reply) => {
		if (browser === undefined || isMachinePath(request.url)) return sendJSON(request, reply);
		const target = browser.redirectFor(request.method, request.url);
		if (target !== null) return reply.redirect(target, 302);
		if (acceptsHTML(request.headers.accept)) return browser.sendPage(request, reply);
		return sendJSON(request, reply);
	});
}

/** The not-found plugin (not encapsulated: the app's handler; the dashboard keeps its own). */
export const notFoundPlugin = fp(notFound, { name: "deadbolt-not-found" });
