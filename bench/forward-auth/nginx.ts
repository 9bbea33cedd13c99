/**
 * The nginx of `npm run bench:forward-auth`: the docs' site file (docs/integrations/nginx.conf,
 * started by the proxy tests' harness, test/helpers/proxies.ts) plus a baseline site,
 * `plain.example.test`: a copy of the docs' protected-app server block with its one
 * `auth_request` line taken out. Both sites then do the same proxying (the same headers set, the
 * same cookie maps, a new connection to the upstream per request, as the docs' file does), and
 * the only difference between them is the subrequest to deadbolt. The `auth_request_set`
 * variables stay declared; without `auth_request` they are empty, so no identity header is sent.
 *
 * And two variants of the docs' app block, each on a port of its own (the same `server_name`, so
 * deadbolt sees the same original URL), to say where the cost lies:
 *   - new connection: its subrequests open a new connection to deadbolt each, as nginx does by
 *     default (the docs' file before it declared `upstream deadbolt` with `keepalive`);
 *   - free check: its subrequests go to the Fastify floor instead of deadbolt (`GET /allow`,
 *     always 200 without a body, no identity), over kept connections as in the docs' file: what
 *     nginx's `auth_request` costs with an auth server that does nothing.
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

/** Idle connections to the floor each nginx worker keeps in the free-check variant (as the docs' `upstream deadbolt`). */
const KEEPALIVE_CONNECTIONS = 16;

/** Where the variants listen, and where the free check asks. */
export interface VariantPorts {
	/** The new-connection variant's loopback port. */
	readonly newConnection: number;
	/** The free-check variant's loopback port. */
	readonly freeCheck: number;
	/** The Fastify floor (`host:port`), which answers the free check. */
	readonly floor: string;
}

/**
 * `site` with the baseline site and the two variants appended.
 * @param deadbolt - deadbolt's address in `site` (`host:port`)
 * @throws Error when the docs' file no longer has what is changed here
 */
export function withBenchSites(site: string, deadbolt: string, variants: VariantPorts): string {
	const app = serverBlock(site, APP_HOST);
	const fail = (what: string): never => {
		throw new Error(`docs/integrations/nginx.conf has no ${what} (bench/forward-auth/nginx.ts)`);
	};
	if (!AUTH_REQUEST_LINE.test(app)) fail("`auth_request /.deadbolt/authz;` in the app's server block");
	if (!site.includes(`upstream deadbolt {\n\tserver ${deadbolt};\n`)) fail(`\`upstream deadbolt { server ${deadbolt}; ... }\``);
	const plain = app.replace(`server_name ${APP_HOST};`, `server_name ${PLAIN_HOST};`).replace(AUTH_REQUEST_LINE, "");
	const listen = /^([ \t]*)listen 127\.0\.0\.1:\d+;$/m;
	const subrequest = /^([ \t]*)proxy_pass http:\/\/deadbolt(\/api\/v1\/authz\/auth-request);$/m;
	// The subrequest's HTTP/1.1 without `Connection: close`, which lets nginx keep the connection.
	const keptConnection = /^[ \t]*proxy_http_version 1\.1;\n[ \t]*proxy_set_header Connection "";\n/m;
	if (!listen.test(app)) fail("`listen` in the app's server block");
	if (!subrequest.test(app)) fail("`proxy_pass http://deadbolt/api/v1/authz/auth-request;` in the app's server block");
	if (!keptConnection.test(app)) fail('`proxy_http_version 1.1;` then `proxy_set_header Connection "";` in the app\'s server block');
	const newConnection = app
		.replace(listen, `$1listen 127.0.0.1:${variants.newConnection};`)
		.replace(subrequest, `$1proxy_pass http://${deadbolt}$2;`)
		.replace(keptConnection, "");
	const freeCheck = app.replace(listen, `$1listen 127.0.0.1:${variants.freeCheck};`).replace(subrequest, "$1proxy_pass http://deadbolt_free_check/allow;");
	return [
		site,
		"# The benchmark's baseline: the app's block without auth_request.",
		plain,
		"# The benchmark's new-connection variant: the app's block, a new connection to deadbolt per subrequest (nginx's default).",
		newConnection,
		"# The benchmark's free check: the app's block, its subrequests answered by a hello world over kept connections.",
		`upstream deadbolt_free_check {\n\tserver ${variants.floor};\n\tkeepalive ${KEEPALIVE_CONNECTIONS};\n}\n`,
		freeCheck,
	].join("\n");
}

/** Starts nginx from the docs' site file, the baseline site and the variants, in front of `targets`. */
export function startBenchNginx(targets: ProxyTargets, variants: VariantPorts): Promise<RunningProxy> {
	return startNginx(targets, undefined, (site) => withBenchSites(site, targets.deadbolt, variants));
}
