/**
 * Real reverse proxies in front of deadbolt, for the forward-auth tests: Debian's `nginx-light`
 * (built with `auth_request`) and `caddy` (2.6, `forward_auth`), each started from the very config
 * file the docs show (docs/integrations/nginx.conf, docs/integrations/Caddyfile) on a loopback
 * port, and the protected app behind them: `processes/echo-upstream.mjs`, which answers with the
 * request headers it received.
 *
 * The docs' files name readable places; the tests rewrite only these tokens (each must be in the
 * file, or the start fails, so a docs change that drops one is noticed):
 * - both: `127.0.0.1:9091` (deadbolt) and `127.0.0.1:8000` (the app) become the test's addresses;
 * - nginx: every `listen 80;` becomes `listen 127.0.0.1:<port>;`. The docs' file is a site file
 *   (http context); the test wraps it in a main config of its own (no daemon, pid, temp paths and
 *   logs in a temporary directory, workers as the current user);
 * - Caddy: every site address line `<name>.example.test {` becomes
 *   `http://<name>.example.test:<port> {` (plain HTTP on the test port, no certificates), and a
 *   global options block is put first: `admin off` (no admin endpoint on :2019, which parallel
 *   runs would share), `default_bind 127.0.0.1`.
 *
 * Every process runs in a process group of its own, is remembered, and is killed by group when
 * the test file calls {@link stopProxies} or the worker exits. Without the program the suite is
 * skipped (or fails when `CI=true`), see {@link proxyUnmet}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exitOf, freePort, keptOutput } from "./cli-process.js";
import type { Unmet } from "./requirements.js";
import { debianProgram, findOnPath } from "./system-tools.js";

/** The docs' config files, loaded as they are. */
export const DOCS_NGINX_CONF = resolve(import.meta.dirname, "../../docs/integrations/nginx.conf");
export const DOCS_CADDYFILE = resolve(import.meta.dirname, "../../docs/integrations/Caddyfile");
/** Where the docs' files say deadbolt and the app listen. */
export const DOCS_DEADBOLT_ADDRESS = "127.0.0.1:9091";
export const DOCS_UPSTREAM_ADDRESS = "127.0.0.1:8000";

/** The two proxies the tests drive. */
export type ProxyKind = "nginx" | "caddy";
export const PROXY_KINDS: readonly ProxyKind[] = ["nginx", "caddy"];

const PROCESSES = resolve(import.meta.dirname, "processes");
/** Most bytes of a child's output kept for failure messages (the newest). */
const OUTPUT_KEPT_BYTES = 128 * 1024;
/** How long a proxy or the upstream may take to listen. A bound for a hung start, not a check of speed. */
const START_TIMEOUT_MS = 20_000;

/** What is unmet to run `kind`: its program is not on PATH. @returns null when installed */
export function proxyUnmet(kind: ProxyKind): Unmet | null {
	return kind === "nginx" ? debianProgram("nginx", "nginx-light") : debianProgram("caddy", "caddy");
}

/** Where the proxied parts listen, as `host:port`. */
export interface ProxyTargets {
	/** deadbolt (replaces {@link DOCS_DEADBOLT_ADDRESS}). */
	readonly deadbolt: string;
	/** The protected app (replaces {@link DOCS_UPSTREAM_ADDRESS}). */
	readonly upstream: string;
}

/** A started child process. */
interface Started {
	readonly child: ChildProcess;
	readonly exited: Promise<void>;
	output(): string;
}

/** A running proxy. */
export interface RunningProxy {
	readonly kind: ProxyKind;
	/** The process id of its main process (nginx: the master; its workers are its children). */
	readonly pid: number;
	/** The loopback port it listens on (every site of the config). */
	readonly port: number;
	/** The config it was started with, after the substitutions (for failure messages). */
	readonly config: string;
	/** `http://<host>:<port>`, e.g. `origin("app.example.test")`. */
	origin(host: string): string;
	/** What the process wrote so far (its newest 128 KiB). */
	output(): string;
	/** Kills it (SIGKILL) and resolves when it has ended. */
	stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.once("exit", () => {
	for (const child of running) killGroup(child);
	for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** Kills every proxy and upstream still running, and removes their temporary directories. */
export async function stopProxies(): Promise<void> {
	const children = [...running];
	for (const child of children) killGroup(child);
	await Promise.all(children.map((child) => exitOf(child)));
	for (const dir of directories) rmSync(dir, { recursive: true, force: true });
	directories.clear();
}

/**
 * Starts `kind` from the docs' config in front of `targets`.
 * @param port - the loopback port to listen on (default: a free one); known in advance when
 *   deadbolt's `http.publicUrl` must name it
 */
export function startProxy(kind: ProxyKind, targets: ProxyTargets, port?: number): Promise<RunningProxy> {
	return kind === "nginx" ? startNginx(targets, port) : startCaddy(targets, port);
}

/**
 * The docs' nginx site file with the test's substitutions (see the file header).
 * @throws Error when the file lacks a token the tests rewrite
 */
export function nginxSiteForTest(text: string, port: number, targets: ProxyTargets): string {
	return replaceTokens("docs/integrations/nginx.conf", text, [
		[/^(\s*)listen 80;$/gm, `$1listen 127.0.0.1:${port};`],
		[DOCS_DEADBOLT_ADDRESS, targets.deadbolt],
		[DOCS_UPSTREAM_ADDRESS, targets.upstream],
	]);
}

/**
 * The docs' Caddyfile with the test's substitutions (see the file header).
 * @throws Error when the file lacks a token the tests rewrite, or has a global options block
 */
export function caddyfileForTest(text: string, port: number, targets: ProxyTargets): string {
	if (/^\{/m.test(text)) throw new Error("docs/integrations/Caddyfile has a global options block: the tests put their own first; merge them in proxies.ts");
	const sites = replaceTokens("docs/integrations/Caddyfile", text, [
		[/^([a-z0-9.-]+\.example\.test) \{$/gm, `http://$1:${port} {`],
		[DOCS_DEADBOLT_ADDRESS, targets.deadbolt],
		[DOCS_UPSTREAM_ADDRESS, targets.upstream],
	]);
	return `{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n${sites}`;
}

/**
 * Starts nginx (`nginx -p <dir> -e stderr -c <dir>/nginx.conf`) from the docs' site file.
 * @param extend - changes the site file after the substitutions (bench/forward-auth.ts adds a
 *   site without `auth_request`); default none
 */
export async function startNginx(targets: ProxyTargets, port?: number, extend: (site: string) => string = (site) => site): Promise<RunningProxy> {
	const dir = temporaryDirectory("deadbolt-nginx-");
	port ??= await freePort();
	const site = extend(nginxSiteForTest(readFileSync(DOCS_NGINX_CONF, "utf8"), port, targets));
	writeFileSync(join(dir, "site.conf"), site);
	for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, temp));
	// As root, nginx would run its workers as `nobody`, which cannot enter this 0700 directory.
	const user = process.getuid?.() === 0 ? "user root root;\n" : "";
	const main = `${user}daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path ${join(dir, "client_body")};
	proxy_temp_path ${join(dir, "proxy")};
	fastcgi_temp_path ${join(dir, "fastcgi")};
	uwsgi_temp_path ${join(dir, "uwsgi")};
	scgi_temp_path ${join(dir, "scgi")};
	include ${join(dir, "site.conf")};
}
`;
	writeFileSync(join(dir, "nginx.conf"), main);
	const started = startProcess("nginx", ["-p", dir, "-e", "stderr", "-c", join(dir, "nginx.conf")], {});
	await waitForPort(port, started, `nginx (config:\n${site})`);
	return proxyOf("nginx", port, site, started);
}

/** Starts Caddy (`caddy run --adapter caddyfile`) from the docs' Caddyfile. */
export async function startCaddy(targets: ProxyTargets, port?: number): Promise<RunningProxy> {
	const dir = temporaryDirectory("deadbolt-caddy-");
	port ??= await freePort();
	const caddyfile = caddyfileForTest(readFileSync(DOCS_CADDYFILE, "utf8"), port, targets);
	const file = join(dir, "Caddyfile");
	writeFileSync(file, caddyfile);
	// Caddy keeps its data (certificates, autosaved config) under HOME / XDG_*: this directory.
	const env = { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
	const started = startProcess("caddy", ["run", "--config", file, "--adapter", "caddyfile"], env);
	await waitForPort(port, started, `caddy (Caddyfile:\n${caddyfile})`);
	return proxyOf("caddy", port, caddyfile, started);
}

/** One request the upstream received, as it echoes it. */
export interface EchoedRequest {
	readonly method: string;
	readonly url: string;
	/** Node's view: lower-case names, repeated headers joined. */
	readonly headers: Readonly<Record<string, string | string[] | undefined>>;
	/** Every header line as it arrived: [name, value]. */
	readonly rawHeaders: readonly (readonly [string, string])[];
}

/** The running upstream. */
export interface EchoUpstream {
	readonly port: number;
	readonly pid: number;
	/** `127.0.0.1:<port>` */
	readonly address: string;
	stop(): Promise<void>;
}

/** Starts `processes/echo-upstream.mjs` on a free loopback port. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
	const started = startProcess(process.execPath, [join(PROCESSES, "echo-upstream.mjs")], {});
	const port = await new Promise<number>((resolvePort, reject) => {
		const timer = setTimeout(() => reject(new Error(`echo-upstream did not listen within ${START_TIMEOUT_MS} ms:\n${started.output()}`)), START_TIMEOUT_MS);
		const onData = (): void => {
			const match = /LISTENING (\d+)/.exec(started.output());
			if (match === null) return;
			clearTimeout(timer);
			resolvePort(Number(match[1]));
		};
		started.child.stdout?.on("data", onData);
		void started.exited.then(() => {
			clearTimeout(timer);
			reject(new Error(`echo-upstream ended before listening:\n${started.output()}`));
		});
	});
	return { port, pid: started.child.pid as number, address: `127.0.0.1:${port}`, stop: () => stopStarted(started) };
}

/** An answer from a proxy. */
export interface ProxiedResponse {
	readonly status: number;
	readonly headers: IncomingHttpHeaders;
	readonly body: string;
	/** The body as the upstream's echo, or null when the answer is not one (not the upstream's). */
	readonly echoed: EchoedRequest | null;
}

/** What one request through a proxy carries. */
export interface ProxiedRequestOptions {
	readonly method?: string;
	/** Extra header lines, in order; a name may repeat (a forged header sent twice). */
	readonly headers?: readonly (readonly [string, string])[];
	/**
	 * The request target as written on the request line: default the path; an absolute URL
	 * (`http://other.example.test/`) tests a request line that names another host than `Host`.
	 */
	readonly target?: string;
	/** A form body (`application/x-www-form-urlencoded`, sent with its Content-Type). */
	readonly form?: Readonly<Record<string, string>>;
}

/**
 * One HTTP/1.1 request to the proxy's loopback port with `Host: <host>:<port>` (no DNS: the proxy
 * picks the site by that header). Redirects are not followed.
 */
export function proxiedRequest(proxy: RunningProxy, host: string, path: string, options: ProxiedRequestOptions = {}): Promise<ProxiedResponse> {
	const headers: [string, string][] = [["Host", `${host}:${proxy.port}`], ...(options.headers ?? []).map(([name, value]): [string, string] => [name, value])];
	const body = options.form === undefined ? null : new URLSearchParams(options.form).toString();
	if (body !== null) headers.push(["Content-Type", "application/x-www-form-urlencoded"], ["Content-Length", String(Buffer.byteLength(body))]);
	return new Promise((resolveResponse, reject) => {
		const request = httpRequest({ host: "127.0.0.1", port: proxy.port, method: options.method ?? "GET", path: options.target ?? path, headers: headers.flat(), setHost: false, timeout: 15_000 }, (response) => {
			let body = "";
			response.setEncoding("utf8");
			response.on("data", (chunk: string) => (body += chunk));
			response.on("end", () => resolveResponse({ status: response.statusCode ?? 0, headers: response.headers, body, echoed: echoOf(body) }));
			response.on("error", reject);
		});
		request.on("timeout", () => request.destroy(new Error(`${options.method ?? "GET"} ${host}${path} through ${proxy.kind}: no answer within 15 s`)));
		request.on("error", reject);
		request.end(body ?? undefined);
	});
}

/**
 * The identity headers the upstream received, by lower-case name; also any header whose name
 * normalizes to one of them (`Remote_User`, `REMOTE-USER`), which must never arrive from a client.
 * @returns name -> every value that arrived under a spelling of it
 */
export function identityHeadersOf(echoed: EchoedRequest): Record<string, string[]> {
	const found: Record<string, string[]> = {};
	for (const [name, value] of echoed.rawHeaders) {
		const normalized = name.toLowerCase().replaceAll("_", "-");
		if (!normalized.startsWith("remote-")) continue;
		(found[normalized] ??= []).push(value);
	}
	return found;
}

function echoOf(body: string): EchoedRequest | null {
	try {
		const parsed = JSON.parse(body) as Partial<EchoedRequest>;
		return typeof parsed.method === "string" && Array.isArray(parsed.rawHeaders) ? (parsed as EchoedRequest) : null;
	} catch {
		return null;
	}
}

function replaceTokens(file: string, text: string, replacements: readonly (readonly [string | RegExp, string])[]): string {
	let result = text;
	for (const [token, value] of replacements) {
		const found = typeof token === "string" ? result.includes(token) : new RegExp(token.source, token.flags.replace("g", "")).test(result);
		if (!found) throw new Error(`${file} no longer has ${String(token)}, which the tests rewrite (test/helpers/proxies.ts)`);
		result = typeof token === "string" ? result.replaceAll(token, value) : result.replace(token, value);
	}
	return result;
}

function temporaryDirectory(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	directories.add(dir);
	return dir;
}

function startProcess(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Started {
	const executable = command === process.execPath ? command : findOnPath(command);
	if (executable === null) throw new Error(`${command} is not installed`);
	const child = spawn(executable, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
	running.add(child);
	const output = keptOutput(child, OUTPUT_KEPT_BYTES);
	const exited = exitOf(child).then(() => void running.delete(child));
	return { child, exited, output };
}

async function stopStarted(started: Started): Promise<void> {
	killGroup(started.child);
	await started.exited;
}

function proxyOf(kind: ProxyKind, port: number, config: string, started: Started): RunningProxy {
	return { kind, pid: started.child.pid as number, port, config, origin: (host) => `http://${host}:${port}`, output: started.output, stop: () => stopStarted(started) };
}

/** Resolves once 127.0.0.1:`port` accepts a connection; fails when the process ends first. */
async function waitForPort(port: number, started: Started, what: string): Promise<void> {
	let ended = false;
	void started.exited.then(() => (ended = true));
	const deadline = Date.now() + START_TIMEOUT_MS;
	for (;;) {
		if (ended) throw new Error(`${what}\nended before listening on ${port}; output:\n${started.output()}`);
		if (await accepts(port)) return;
		if (Date.now() > deadline) throw new Error(`${what}\ndid not listen on ${port} within ${START_TIMEOUT_MS} ms; output:\n${started.output()}`);
		await new Promise((done) => setTimeout(done, 50));
	}
}

function accepts(port: number): Promise<boolean> {
	return new Promise((done) => {
		const socket = connect({ host: "127.0.0.1", port });
		socket.once("connect", () => {
			socket.destroy();
			done(true);
		});
		socket.once("error", () => done(false));
	});
}

function killGroup(child: ChildProcess): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, "SIGKILL");
	} catch {
		// Gone already.
	}
}
