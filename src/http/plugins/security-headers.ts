/**
 * Security headers on every response: no caching of anything (tokens, codes and secrets pass
 * through here), a Content-Security-Policy that allows no inline script (OWASP ASVS 5.0 §3.4),
 * no MIME sniffing, no framing, no referrer to other sites.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** The Content-Security-Policy: scripts and styles from this origin only, never inline. */
export const CONTENT_SECURITY_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
].join("; ");

async function securityHeaders(app: FastifyInstance, options: { hsts: boolean }): Promise<void> {
	app.addHook("onSend", async (request, reply, payload) => {
		const isAsset = request.url.startsWith("/dashboard/assets/");
		void reply.header("cache-control", isAsset ? "public, max-age=300" : "no-store");
		void reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
		void reply.header("x-content-type-options", "nosniff");
		void reply.header("x-frame-options", "DENY");
		// same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on form posts.
		void reply.header("referrer-policy", "same-origin");
		void reply.header("cross-origin-opener-policy", "same-origin");
		void reply.header("cross-origin-resource-policy", "same-origin");
		void reply.header("permissions-policy", "camera=(), microphone=(), geolocation=()");
		if (options.hsts) void reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
		return payload;
	});
}

/** The security-headers plugin (applies to the whole app). */
export const securityHeadersPlugin = fp(securityHeaders, { name: "deadbolt-security-headers" });
