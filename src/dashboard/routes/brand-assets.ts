/**
 * `GET /dashboard/assets/logo` and `GET /dashboard/assets/brand.css`: the operator's logo
 * (`branding.logoFile`) and accent colours (`branding.accentColor`), from deadbolt's own origin
 * (the CSP allows images and styles from 'self' only). Both were read and checked at start
 * (`config/branding.ts`); without the setting, each path is the not-found page.
 *
 * The logo keeps the content type its extension and content agreed on, with `nosniff` (every
 * response has it), and a CSP of its own: an SVG opened directly, not as an image, runs no script
 * and loads nothing (`default-src 'none'; sandbox`); its inline styles still apply.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deadbolt } from "../../deadbolt.js";
import { brandStylesheet } from "../brand.js";

/** The logo's own Content-Security-Policy (replaces the pages' one on that response). */
export const LOGO_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/** How long browsers may keep the logo and the stylesheet, as the other assets (seconds). */
const ASSET_MAX_AGE_SECONDS = 300;

/** After the app's security headers (route hooks run last): a found asset may be cached. */
async function cacheable(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
	if (reply.statusCode === 200) void reply.header("cache-control", `public, max-age=${ASSET_MAX_AGE_SECONDS}`);
	return payload;
}

/** Registers the two routes on the dashboard's instance (paths relative to `/dashboard`). */
export function registerBrandAssetRoutes(app: FastifyInstance, deadbolt: Deadbolt): void {
	const { logo, palette } = deadbolt.branding;
	const stylesheet = palette === null ? null : Buffer.from(brandStylesheet(palette), "utf8");
	app.get("/assets/brand.css", { onSend: cacheable }, async (_request, reply) => {
		if (stylesheet === null) return reply.callNotFound();
		return reply.type("text/css; charset=utf-8").send(stylesheet);
	});
	app.get(
		"/assets/logo",
		{
			onSend: async (request, reply, payload) => {
				if (reply.statusCode === 200) void reply.header("content-security-policy", LOGO_CONTENT_SECURITY_POLICY);
				return cacheable(request, reply, payload);
			},
		},
		async (_request, reply) => {
			if (logo === null) return reply.callNotFound();
			return reply.type(logo.contentType).send(logo.bytes);
		},
	);
}
