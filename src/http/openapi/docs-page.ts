/**
 * The browsable page of the API document: Swagger UI (`@fastify/swagger-ui`, its files served from
 * this origin out of the package: no CDN) at `/api/v1/docs`, reading the document at
 * `/api/v1/docs/json` (the same as `/api/v1/openapi.json`).
 *
 * Content-Security-Policy: the page runs under deadbolt's policy (`plugins/security-headers.ts`:
 * scripts and styles from this origin only, never inline, no framing), with one relaxation for
 * this page's paths only, {@link docsPageContentSecurityPolicy}: Swagger UI writes `style`
 * attributes into its markup (folding panels, the syntax highlighter), so `style-src` adds
 * `'unsafe-inline'` there. No inline script, no `eval`, no other origin. The validator badge
 * (which would load an image from validator.swagger.io) is off.
 */
import swaggerUI from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { API_DOCS_PATH } from "./document.js";

/**
 * The Content-Security-Policy of the page and its files: deadbolt's (`policy`, as the
 * security-headers plugin set it), with `'unsafe-inline'` styles (style attributes; scripts stay
 * `'self'` only).
 */
export function docsPageContentSecurityPolicy(policy: string): string {
	return policy.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';");
}

/**
 * Registers the page (encapsulated: its CSP hook applies to its own routes only). Register after
 * the security-headers plugin, whose hook runs first and whose CSP this one replaces.
 */
export async function docsPagePlugin(app: FastifyInstance): Promise<void> {
	await app.register(swaggerUI, {
		routePrefix: API_DOCS_PATH,
		// No validator badge (an image from another origin); deep links to operations.
		validatorUrl: false,
		uiConfig: { deepLinking: true, docExpansion: "list", defaultModelsExpandDepth: 0, tryItOutEnabled: false },
		theme: { title: "deadbolt API" },
		// The header the security-headers plugin set (its hook runs first), relaxed for these routes only.
		transformStaticCSP: (header) => docsPageContentSecurityPolicy(header),
	});
}
