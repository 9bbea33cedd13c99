/**
 * The nginx of `npm run bench:forward-auth`: the docs' site file (docs/integrations/nginx.conf,
 * started by the proxy tests' harness, test/helpers/proxies.ts) plus a baseline site,
 * `plain.example.test`: a copy of the docs' protected-app server block with its one
 * `auth_request` line taken out. Both sites then do the same proxying (the same headers set, the
 * same cookie maps, a new connection to the upstream per request, as the docs' file does), and
 * the only difference between them is the subrequest to deadbolt. The `auth_request_set`
 * variables stay declared; without `auth_request` they are empty, so no identity header is sent.
 */
import { startNginx, type ProxyTargets, type RunningProxy } from "../../test/helpers/proxies.js";

/** The protected app of the docs' file. */
export const APP_HOST = "app.example.test";
/** The baseline site: the same app, no `auth_request`. */
export const PLAIN_HOST = "plain.example.test";

/** The docs' `auth_request` line in the app's `location /`. */
const AUTH_REQUEST_LINE = /^[ \t]*auth_request \/\.deadbolt\/authz;\n/m;

/**
 * The top-level `server { ... }` block of `site` whose `server_name` is `host` (a block opens
 * with `server {` at the start of a line and closes with `}` at the start of a line).
 * @throws Error when there is none
 */
function serverBlock(site: string, host: string): string {
	for (const match of site.matchAll(/^server \{\n[\s\S]*?^\}\n/gm)) {
		if (new RegExp(`^\\s*server_name ${host.replaceAll(".", "\\.")};$`, "m").test(match[0])) return match[0];
	}
	throw new Error(`docs/integrations/nginx.conf has no server block for ${host} (bench/forward-auth/nginx.ts)`);
}

/**
 * `site` with the baseline site appended.
 * @throws Error when the docs' file no longer has the app's block or its `auth_request` line
 */
export function withBaselineSite(site: string): string {
	const app = serverBlock(site, APP_HOST);
	if (!AUTH_REQUEST_LINE.test(app)) throw new Error("the app's server block in docs/integrations/nginx.conf has no `auth_request /.deadbolt/authz;` (bench/forward-auth/nginx.ts)");
	const plain = app.replace(`server_name ${APP_HOST};`, `server_name ${PLAIN_HOST};`).replace(AUTH_REQUEST_LINE, "");
	return `${site}\n# The benchmark's baseline: the app's block without auth_request.\n${plain}`;
}

/** Starts nginx from the docs' site file and the baseline site, in front of `targets`. */
export function startBenchNginx(targets: ProxyTargets): Promise<RunningProxy> {
	return startNginx(targets, undefined, withBaselineSite);
}
