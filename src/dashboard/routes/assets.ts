/**
 * `GET /dashboard/assets/dashboard.css|dashboard.js|favicon.svg`: the static files, read once at
 * startup (the favicon is the padlock of the header; every page links it, so browsers never ask
 * for `/favicon.ico`).
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

/** The static files served under `/dashboard/assets/`, with their content types. */
const ASSET_TYPES: Readonly<Record<string, string>> = Object.freeze({
	"dashboard.css": "text/css; charset=utf-8",
	"dashboard.js": "text/javascript; charset=utf-8",
	"favicon.svg": "image/svg+xml",
});

/** A static file, read once at startup. */
interface Asset {
	readonly body: Buffer;
	readonly contentType: string;
}

/**
 * Reads the assets from `src/dashboard/assets` under tsx/vitest, `dist/dashboard/assets` after
 * `npm run build`, which copies them.
 * @throws Error naming the missing file, so a broken build fails at startup
 */
function loadAssets(): ReadonlyMap<string, Asset> {
	const folder = new URL("../assets/", import.meta.url);
	const assets = new Map<string, Asset>();
	for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
		const url = new URL(name, folder);
		try {
			assets.set(name, { body: readFileSync(url), contentType });
		} catch (error) {
			throw new Error(`dashboard asset missing: ${url.pathname} (does the build copy src/dashboard/assets?)`, { cause: error });
		}
	}
	return assets;
}

/** Registers `GET /assets/:name` (only the files listed above; anything else is the not-found page). */
export function registerAssetRoutes(app: FastifyInstance): void {
	const assets = loadAssets();
	app.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
		const asset = Object.hasOwn(ASSET_TYPES, request.params.name) ? assets.get(request.params.name) : undefined;
		if (asset === undefined) return reply.callNotFound();
		return reply.type(asset.contentType).send(asset.body);
	});
}
