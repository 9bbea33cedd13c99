/**
 * The forward-auth endpoints (issue 12): a reverse proxy asks, before every request to a protected
 * app, whether to let it through.
 *
 * - `/api/v1/authz/forward-auth`: Caddy `forward_auth`, Traefik `forwardAuth`. The original request
 *   is in `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri`. Not signed in: a browser gets 302 to
 *   the sign-in page (`rd` = the original URL), an API client 401.
 * - `/api/v1/authz/auth-request`: nginx `auth_request`, which passes on only 2xx, 401 and 403.
 *   The original request is in `X-Original-URL` and `X-Original-Method`; not signed in: 401 with
 *   `Location` (the nginx config turns it into the redirect).
 *
 * Both believe these headers only from `http.trustedProxies` (else 400 `ERR_PROXY_NOT_TRUSTED`),
 * answer every method (nginx asks with the original one), deny with 403 `ERR_ACCESS_DENIED`, and on
 * 200 set every identity header of {@link IDENTITY_HEADERS}, empty when unknown, so that a value a
 * client sent can never reach the app through a proxy that copies them. The credentials are the
 * forward-auth cookie (never the session cookie or token) or a personal access token (`dbpat_`) in
 * `Authorization: Bearer` or `Proxy-Authorization: Bearer`. Nothing is cached (§7 of the issue).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AccessDenied, EmailNotVerified, ForwardedRequestInvalid, ProxyNotTrusted, SecondFactorRequired, Unauthenticated } from "../../errors.js";
import { secondsSince, type ForwardAuthDecision } from "../../platform/metrics.js";
import type { AccessCredential, AccessOutcome, DenyReason, OriginalRequest } from "../../service/access.js";
import { acceptsHTML } from "../plugins/not-found.js";
import type { RouteOptions } from "./context.js";
import { errorResponses } from "../openapi/error-responses.js";

/** The identity headers as the document describes them. */
const IDENTITY_HEADER_SCHEMAS = Object.freeze({
	"Remote-User": { type: "string", description: "The verified email address (empty for a `bypass` rule)." },
	"Remote-Email": { type: "string", description: "The verified email address (empty for a `bypass` rule)." },
	"Remote-Groups": { type: "string", description: "The account's groups, comma-separated." },
	"Remote-Account-Id": { type: "string", description: "The account's id." },
	"Remote-AAL": { type: "string", description: "`aal1` or `aal2`." },
	"Remote-Assertion": { type: "string", description: "A signed JWT (ES256) with the same facts, audience the host: verify against /.well-known/jwks.json." },
});

/** The errors of both endpoints: no CSRF check (proxies send no Origin), no body limits of the API scope. */
const AUTHZ_ERRORS = errorResponses([], "ERR_PROXY_NOT_TRUSTED", "ERR_FORWARDED_REQUEST_INVALID", "ERR_UNAUTHENTICATED", "ERR_SECOND_FACTOR_REQUIRED", "ERR_EMAIL_NOT_VERIFIED", "ERR_ACCESS_DENIED");

/** What the document says of an endpoint (its answers are empty on 200 and 302: no serialization happens there). */
function authzSchema(summary: string, description: string, redirects: boolean) {
	return {
		summary,
		description: `${description} Any method (nginx asks with the original one); only from \`http.trustedProxies\`. Credentials: the forward-auth cookie, or a personal access token in \`Authorization\` or \`Proxy-Authorization\` (\`Bearer dbpat_...\`); never the session cookie or a session token. Not signed in: a browser (\`Accept\` names \`text/html\`) ${redirects ? "gets 302 to the sign-in page" : "gets 401 with \`Location\` (the sign-in page)"}, an API client 401. A second factor needed: \`ERR_SECOND_FACTOR_REQUIRED\` (a browser ${redirects ? "is sent to" : "gets \`Location\`"} the step-up page). Rules: docs/integrations.`,
		tags: ["forward-auth"],
		security: [{ forwardAuthCookie: [] }, { accessToken: [] }, {}],
		response: {
			200: { type: "null", description: "Allowed: every identity header is set (empty when unknown), no body.", headers: IDENTITY_HEADER_SCHEMAS },
			...(redirects ? { 302: { type: "null", description: "A browser not signed in (or to step up, or to verify its address): to the dashboard page, `rd` = the original URL.", headers: { Location: { type: "string", description: "`<publicUrl>/dashboard/sign-in?rd=...` (or `/dashboard/step-up?rd=`, `/dashboard?rd=`)" } } } } : {}),
			...AUTHZ_ERRORS,
		},
	};
}

/** The identity headers of an allowed request, in this order; all of them on every 200. */
export const IDENTITY_HEADERS = Object.freeze(["Remote-User", "Remote-Email", "Remote-Groups", "Remote-Account-Id", "Remote-AAL", "Remote-Assertion"] as const);

/** What a refused request is told, by reason (`service/access.ts` DenyReason). */
const DENY_MESSAGES: Readonly<Record<DenyReason, (host: string) => string>> = Object.freeze({
	rule: (host: string) => `You do not have access to ${host}.`,
	token_host: (host: string) => `This personal access token was not made for ${host}: create one that names it.`,
	token_assurance: (host: string) => `${host} asks for a second factor a personal access token cannot prove here (a recent code, or a token made with two-factor authentication on): sign in with a browser.`,
	token_unconfirmed_second_factor: (host: string) =>
		`${host} asks for two-factor authentication, and this account's authenticator app is not confirmed by email yet: sign in with a browser, open ${host} and follow "Email me the link" once.`,
});

/** What an API client is told when a browser would be sent to the step-up page (undefined: the error's own message). */
const SECOND_FACTOR_MESSAGES: Readonly<Record<"step_up" | "set_up_two_factor" | "confirm_two_factor", string | undefined>> = Object.freeze({
	step_up: undefined,
	set_up_two_factor: "This app asks for two-factor authentication: set it up in your account first.",
	confirm_two_factor: "This app asks for two-factor authentication confirmed by email: open the app in a browser and follow \"Email me the link\" once.",
});

/** Every method a proxy may ask about (nginx's `auth_request` subrequest keeps the original method). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** The dashboard pages a browser is sent to (dashboard/layout.ts PATHS; checked by test/http/authz.test.ts). */
const PAGES = Object.freeze({ signIn: "/dashboard/sign-in", stepUp: "/dashboard/step-up", home: "/dashboard" });

/** Forward-auth routes (under `/api/v1`, outside the CSRF check: proxies ask with the original method and no Origin). */
export const authzRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deadbolt, cookies }) => {
	/** The credential of the request: a personal access token first (an explicit choice of the client), else the forward-auth cookie. */
	const credentialOf = (request: FastifyRequest): AccessCredential | null => {
		for (const name of ["proxy-authorization", "authorization"] as const) {
			const match = /^Bearer\s+(\S+)\s*$/i.exec(singleHeader(request, name) ?? "");
			// Only a personal access token is ours: an app's own Bearer tokens pass through untouched.
			if (match !== null && deadbolt.hasAccessTokenPrefix(match[1] as string)) return { kind: "access_token", token: match[1] as string };
		}
		const cookie = request.cookies[cookies.forwardAuthName];
		return typeof cookie === "string" && cookie !== "" ? { kind: "forward_auth_cookie", token: cookie } : null;
	};

	/**
	 * The decision for every way the app may read the request: its path canonical, literal and
	 * percent-decoded (`OriginalRequest.otherPaths`), under its own method, GET for a HEAD, and any that a method-override
	 * header or `_method` parameter names (Express's method-override, Symfony and Laravel honour them). The first
	 * refusal wins, so that `POST` + `X-HTTP-Method-Override: DELETE` passes only where `DELETE` does.
	 */
	const decide = async (request: FastifyRequest, original: OriginalRequest): Promise<AccessOutcome> => {
		const paths = [original.access, ...original.otherPaths];
		// HEAD runs the app's GET handler (RFC 9110 §9.3.2; Express, Flask, Go do): it passes only where GET does.
		const implied = original.access.method === "HEAD" ? ["GET"] : [];
		const methods = [...new Set([original.access.method, ...implied, ...overrideMethods(request, original)])];
		const others = paths.flatMap((path) => methods.map((method) => ({ ...path, method }))).filter((reading) => !(reading.pathAndQuery === original.access.pathAndQuery && reading.method === original.access.method));
		// Allowed every way: the identity (and the connected-app record) of the request as the canonical reading.
		return deadbolt.decideAccess(original.access, credentialOf(request), others);
	};

	const answer = async (request: FastifyRequest, reply: FastifyReply, original: OriginalRequest, style: "redirect" | "location", decided: (kind: AccessOutcome["kind"]) => void): Promise<FastifyReply> => {
		const outcome = await decide(request, original);
		decided(outcome.kind);
		// Every request of every protected app passes here: allowed ones are logged at debug only.
		if (outcome.kind === "allow") request.log.debug(outcomeLogFields(outcome, original.access), "forward-auth decision");
		else request.log.info(outcomeLogFields(outcome, original.access), "forward-auth decision");
		if (outcome.kind === "allow") {
			const identity = outcome.identity;
			const values: Record<(typeof IDENTITY_HEADERS)[number], string> = {
				"Remote-User": identity?.email ?? "",
				"Remote-Email": identity?.email ?? "",
				"Remote-Groups": identity?.groups.join(",") ?? "",
				"Remote-Account-Id": identity?.accountId ?? "",
				"Remote-AAL": identity?.aal ?? "",
				"Remote-Assertion": identity === null ? "" : await deadbolt.issueAssertion({ ...identity, host: original.access.host }),
			};
			// HTTP field values are octets (RFC 9110 §5.5): an address of any script (RFC 6531) goes as its
			// UTF-8 bytes (Node writes a string's characters as single bytes, and refuses any above U+00FF).
			for (const name of IDENTITY_HEADERS) void reply.header(name, Buffer.from(values[name], "utf8").toString("latin1"));
			// No body: nginx keeps the connection to deadbolt open only after an auth_request answer without one.
			return reply.status(200).header("cache-control", "no-store").send();
		}
		if (outcome.kind === "deny") throw new AccessDenied(DENY_MESSAGES[outcome.reason](original.access.host), { reason: outcome.reason });
		const browser = acceptsHTML(singleHeader(request, "accept") ?? undefined);
		const page = outcome.kind === "sign_in" ? PAGES.signIn : outcome.kind === "verify_email" ? PAGES.home : PAGES.stepUp;
		const error =
			outcome.kind === "sign_in"
				? new Unauthenticated(undefined, { reason: outcome.reason })
				: outcome.kind === "verify_email"
					? new EmailNotVerified()
					: new SecondFactorRequired(SECOND_FACTOR_MESSAGES[outcome.kind], { reason: outcome.kind });
		if (browser) {
			const location = `${deadbolt.publicOrigin}${page}?rd=${encodeURIComponent(original.url)}`;
			if (style === "redirect") return reply.status(302).header("cache-control", "no-store").redirect(location, 302);
			void reply.header("location", location);
		}
		void reply.header("www-authenticate", 'Bearer realm="deadbolt"');
		throw error;
	};

	const guard = (request: FastifyRequest): void => {
		const peer = request.socket.remoteAddress ?? null;
		if (!deadbolt.isTrustedProxy(peer)) {
			// The peer's own address, told to the peer (and to the operator's log): what to add to http.trustedProxies.
			request.log.warn({ event: "forward_auth.untrusted_peer", peer }, "forward-auth request from an address not in http.trustedProxies");
			throw new ProxyNotTrusted(`This endpoint answers only proxies listed in http.trustedProxies; this request came from ${peer ?? "an unknown address"}. If that is your proxy, add it to http.trustedProxies.`, { reason: "untrusted_peer" });
		}
	};

	/**
	 * Runs one forward-auth request and counts its decision and time (`/metrics`): the outcome's
	 * kind; `invalid_request` for a peer that is not a trusted proxy or forwarded headers that make
	 * no request; `error` for anything else thrown before a decision.
	 */
	const measured = async (request: FastifyRequest, reply: FastifyReply, read: (request: FastifyRequest) => OriginalRequest, style: "redirect" | "location"): Promise<FastifyReply> => {
		const startedAt = performance.now();
		let decision: ForwardAuthDecision = "error";
		try {
			guard(request);
			return await answer(request, reply, read(request), style, (kind) => (decision = kind));
		} catch (error) {
			if (decision === "error" && (error instanceof ProxyNotTrusted || error instanceof ForwardedRequestInvalid)) decision = "invalid_request";
			throw error;
		} finally {
			deadbolt.metrics.forwardAuth(decision, secondsSince(startedAt));
		}
	};

	const readForwarded = (request: FastifyRequest): OriginalRequest => forwardedRequest(request, deadbolt.originalRequest);
	const readOriginalURL = (request: FastifyRequest): OriginalRequest => originalURLRequest(request, deadbolt.originalRequest);
	app.route({
		method: [...METHODS],
		url: "/authz/forward-auth",
		config: { sessionless: true, swagger: { exposeHeadRoute: true } },
		schema: authzSchema("Forward-auth for Caddy and Traefik", "Caddy `forward_auth`, Traefik `forwardAuth`: the original request in `X-Forwarded-Method`, `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Uri`.", true),
		handler: async (request, reply) => measured(request, reply, readForwarded, "redirect"),
	});
	app.route({
		method: [...METHODS],
		url: "/authz/auth-request",
		config: { sessionless: true, swagger: { exposeHeadRoute: true } },
		schema: authzSchema("Forward-auth for nginx auth_request", "nginx `auth_request` (which passes on only 2xx, 401 and 403): the original request in `X-Original-URL` and `X-Original-Method` (default: this request's method).", false),
		handler: async (request, reply) => measured(request, reply, readOriginalURL, "location"),
	});
};

/** Headers with which app frameworks take a request as another method. */
const METHOD_OVERRIDE_HEADERS = Object.freeze(["x-http-method-override", "x-http-method", "x-method-override"] as const);

/** The methods a method-override header or `_method` query parameter of the original request names (upper case). */
function overrideMethods(request: FastifyRequest, original: OriginalRequest): string[] {
	const named = METHOD_OVERRIDE_HEADERS.map((name) => singleHeader(request, name)).filter((value): value is string => value !== null);
	const query = original.access.pathAndQuery.indexOf("?");
	if (query !== -1) named.push(...new URLSearchParams(original.access.pathAndQuery.slice(query)).getAll("_method").filter((value) => value.trim() !== ""));
	return [...new Set(named.map((value) => methodOf(value.trim())))];
}

/** `service/access.ts` originalRequest. */
type OriginalOf = (url: string, method: string, clientAddress: string | null) => OriginalRequest;

/**
 * A header sent once, non-empty (an empty header is absent; a repeated one is refused). Node joins
 * the lines of a repeated header with ", " (`request.headers`), so the raw lines are counted: a
 * client's `X-Original-URL` before the proxy's must not become part of the URL.
 * @param name - lower case
 */
function singleHeader(request: FastifyRequest, name: string): string | null {
	const value = request.headers[name];
	if (Array.isArray(value) || repeatedHeaderNames(request).has(name)) throw new ForwardedRequestInvalid(`The ${name} header was sent more than once.`, { reason: "repeated_header" });
	return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** The lower-case names of the header lines a request repeats, by request: counted once per request, not once per header read. */
const repeatedHeaders = new WeakMap<FastifyRequest, ReadonlySet<string>>();

/** The lower-case names of the header lines `request` has more than once (`rawHeaders`: name, value, name, value...). */
function repeatedHeaderNames(request: FastifyRequest): ReadonlySet<string> {
	let repeated = repeatedHeaders.get(request);
	if (repeated === undefined) {
		const seen = new Set<string>();
		const found = new Set<string>();
		const raw = request.raw.rawHeaders;
		for (let i = 0; i < raw.length; i += 2) {
			const name = (raw[i] as string).toLowerCase();
			if (seen.has(name)) found.add(name);
			else seen.add(name);
		}
		repeated = found;
		repeatedHeaders.set(request, repeated);
	}
	return repeated;
}

function required(request: FastifyRequest, name: string): string {
	const value = singleHeader(request, name);
	if (value === null) throw new ForwardedRequestInvalid(`The proxy did not send ${name}: see docs/integrations for the proxy's configuration.`, { reason: "missing_header" });
	return value;
}

function methodOf(value: string): string {
	const method = value.toUpperCase();
	if (!/^[A-Z]{1,16}$/.test(method)) throw new ForwardedRequestInvalid("The original method is not an HTTP method.", { reason: "bad_method" });
	return method;
}

/** The original request of `forward-auth` (X-Forwarded-Method, -Proto, -Host, -Uri). */
function forwardedRequest(request: FastifyRequest, originalOf: OriginalOf): OriginalRequest {
	const method = methodOf(required(request, "x-forwarded-method"));
	const proto = required(request, "x-forwarded-proto").toLowerCase();
	const hostHeader = required(request, "x-forwarded-host");
	const uri = required(request, "x-forwarded-uri");
	if (proto !== "http" && proto !== "https") throw new ForwardedRequestInvalid("X-Forwarded-Proto must be http or https.", { reason: "bad_proto" });
	if (!uri.startsWith("/") || uri.startsWith("//")) throw new ForwardedRequestInvalid("X-Forwarded-Uri must be a path starting with /.", { reason: "bad_uri" });
	// A host and port only: a "/", "?", "#", "\" or "@" in it would move the rest into the path and judge another host.
	if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(hostHeader)) throw new ForwardedRequestInvalid("X-Forwarded-Host must be a host name and port.", { reason: "bad_host" });
	return originalOf(`${proto}://${hostHeader}${uri}`, method, clientOf(request));
}

/** The original request of `auth-request` (X-Original-URL, X-Original-Method; the request's own method when absent). */
function originalURLRequest(request: FastifyRequest, originalOf: OriginalOf): OriginalRequest {
	const url = required(request, "x-original-url");
	const method = methodOf(singleHeader(request, "x-original-method") ?? request.method);
	if (!/^https?:\/\//i.test(url)) throw new ForwardedRequestInvalid("X-Original-URL must be an absolute http or https URL.", { reason: "bad_url" });
	return originalOf(url, method, clientOf(request));
}

/** The client's address: `request.ip` is the X-Forwarded-For client when the peer is a trusted proxy (Fastify `trustProxy`). */
function clientOf(request: FastifyRequest): string | null {
	return request.ip ?? null;
}

/** What the decision log line says: the outcome, rule, host and method; never the path or query (they may carry tokens). */
function outcomeLogFields(outcome: AccessOutcome, access: OriginalRequest["access"]): Record<string, unknown> {
	return {
		event: "forward_auth.decision",
		outcome: outcome.kind,
		reason: "reason" in outcome ? outcome.reason : undefined,
		rule: outcome.decision.ruleIndex,
		host: access.host,
		method: access.method,
		accountId: "identity" in outcome ? (outcome.identity?.accountId ?? undefined) : "accountId" in outcome ? outcome.accountId : undefined,
	};
}
