/**
 * Security headers on every response: no caching of anything (tokens, codes and secrets pass
 * through here), a Content-Security-Policy that allows no inline script (OWASP ASVS 5.0 §3.4),
 * no MIME sniffing, no framing, no referrer to other sites.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * The Content-Security-Policy: scripts and styles from this origin only, never inline.
 * @param returnTargetSources - CSP host sources of the apps a form may end on after its redirect
 *   (the sign-in, step-up and sign-out forms send the browser back to the app behind the proxy;
 *   browsers hold the redirect after a form to `form-action`): `service/access.ts` returnTargetSources
 */
export function contentSecurityPolicy(returnTargetSources: readonly string[] = []): string {
	return [
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		["form-action 'self'", ...returnTargetSources].join(" "),
		"frame-ancestors 'none'",
		"base-uri 'none'",
	].join("; ");
}

/** The Content-Security-Policy of a deployment without forward-auth rules. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/**
 * The routes whose successful answers may be cached for 5 minutes (`public, max-age=300`): a
 * static asset of the dashboard, and the JWK Set (`routes/well-known.ts`), which holds only public
 * keys and which every upstream fetches. Nothing else, ever.
 */
const CACHEABLE_ROUTES: ReadonlySet<string> = new Set(["/dashboard/assets/:name", "/.well-known/jwks.json"]);

/**
 * The headers every response carries (lower-case names). `Cache-Control` is `no-store` except
 * on a found static asset and the JWK Set ({@link CACHEABLE_ROUTES}).
 */
export function securityHeaderValues(hsts: boolean, returnTargetSources: readonly string[] = []): Readonly<Record<string, string>> {
	return Object.freeze({
		"cache-control": "no-store",
		"content-security-policy": contentSecurityPolicy(returnTargetSources),
		"x-content-type-options": "nosniff",
		"x-frame-options": "DENY",
		// same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on form posts.
		"referrer-policy": "same-origin",
		"cross-origin-opener-policy": "same-origin",
		"cross-origin-resource-policy": "same-origin",
		"permissions-policy": "camera=(), microphone=(), geolocation=()",
		...(hsts ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
	});
}

/** Options of {@link securityHeadersPlugin}. */
export interface SecurityHeadersOptions {
	readonly hsts: boolean;
	/** `form-action` sources known at start (`service/access.ts` returnTargetSources). */
	readonly returnTargetSources?: readonly string[];
	/**
	 * `form-action` sources read at request time, for HTML pages only (the OpenID Connect clients
	 * added through the admin API or the CLI: a consent, sign-in or logout form ends, after
	 * redirects, on the app). Absent: none.
	 */
	readonly moreFormActionSources?: () => Promise<readonly string[]>;
}

async function securityHeaders(app: FastifyInstance, options: SecurityHeadersOptions): Promise<void> {
	const headers = securityHeaderValues(options.hsts, options.returnTargetSources);
	const more = options.moreFormActionSources;
	app.addHook("onSend", async (request, reply, payload) => {
		void reply.headers(headers);
		// Only a page holds forms: other answers keep the policy computed at start (no database read).
		if (more !== undefined && String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
			// A page is never lost to a failed read: the policy then stays the one of the start (a form may not end on an added app).
			const read = await more().catch((error: unknown) => {
				request.log.warn({ event: "csp.sources_unavailable", err: error }, "could not read the added OpenID Connect clients for form-action");
				return [] as readonly string[];
			});
			const extra = read.filter((source) => !(options.returnTargetSources ?? []).includes(source));
			if (extra.length > 0) void reply.header("content-security-policy", contentSecurityPolicy([...(options.returnTargetSources ?? []), ...extra]));
		}
		// Only a found static asset and the JWK Set may be cached; anything else (pages, errors, API answers) never.
		if (request.routeOptions.url !== undefined && CACHEABLE_ROUTES.has(request.routeOptions.url) && reply.statusCode === 200) void reply.header("cache-control", "public, max-age=300");
		return payload;
	});
}

/** The security-headers plugin (applies to the whole app). */
export const securityHeadersPlugin = fp(securityHeaders, { name: "deadbolt-security-headers" });
