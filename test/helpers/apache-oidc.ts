/**
 * Debian's Apache with `mod_auth_openidc` (package libapache2-mod-auth-openidc, 2.4.12.3 on
 * Debian 12) as an OpenID Connect relying party written by others in another language: the
 * tests point it at deadbolt's issuer and drive a browser through it.
 *
 * Each call of {@link startApacheRelyingParty} runs its own `apache2 -DFOREGROUND` (its own
 * ServerRoot, config, PidFile and logs in a temporary directory, the Debian modules from
 * {@link APACHE_MODULES_DIR}) on one loopback port, in a process group of its own, remembered and
 * killed when the test file calls {@link stopApacheRelyingParties} or the worker exits. Its paths:
 *
 * - `/`: a static page (200) that no authentication guards.
 * - `/protected/`: `AuthType openid-connect` + `Require valid-user` (default of
 *   {@link ApacheRelyingPartyOptions.protectedLines}). The redirect URI is
 *   `/protected/redirect_uri`; mod_auth_openidc answers there the authorization response, the
 *   local / RP-initiated logout (`?logout=<return URL>`) and the back-channel logout
 *   (`POST ?logout=backchannel`, form field `logout_token`).
 * - `/aal2/`: `AuthType openid-connect` + `Require claim acr:urn:deadbolt:aal2` (default of
 *   {@link ApacheRelyingPartyOptions.aal2Lines}; {@link APACHE_STEP_UP_LINES} make Apache send a
 *   signed-in aal1 user back to the provider with `acr_values` instead of refusing).
 *
 * A signed-in page under both answers 200 with the ID token's payload and the userinfo response
 * as mod_auth_openidc hands them to applications (environment variables `OIDC_id_token_payload`,
 * `OIDC_userinfo_json`, `OIDC_CLAIM_*`), in response headers (read them with
 * {@link signedInAs}) and in the page (server-side includes, HTML-escaped, ids `sub`, `acr`,
 * `amr`, `sid`, `id-token-payload`).
 *
 * No provider is contacted at start: mod_auth_openidc fetches the discovery document
 * (`OIDCProviderMetadataURL`) on the first request that needs it and caches it (shm) for a day.
 * Without Apache or the module the suite is skipped (or fails when `CI=true`), see
 * {@link apacheRelyingPartyUnmet}.
 * @see https://github.com/OpenIDC/mod_auth_openidc/blob/v2.4.12.3/auth_openidc.conf (every directive used here)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitOf, freePort, keptOutput } from "./cli-process.js";
import type { Unmet } from "./requirements.js";
import { findOnPath } from "./system-tools.js";

/** Where Debian's apache2 package and its module packages put the modules (`LoadModule` paths). */
export const APACHE_MODULES_DIR = "/usr/lib/apache2/modules";
/** The `acr` of a session proven with a second factor (DESIGN / issue 13: `urn:deadbolt:aal2`). */
export const AAL2_ACR = "urn:deadbolt:aal2";
/** The default lines of `<Location /protected>` after `AuthType openid-connect`. */
export const APACHE_PROTECTED_LINES: readonly string[] = Object.freeze(["Require valid-user"]);
/** The default lines of `<Location /aal2>` after `AuthType openid-connect`: refuse (401) without aal2. */
export const APACHE_AAL2_LINES: readonly string[] = Object.freeze([`Require claim acr:${AAL2_ACR}`]);
/**
 * `<Location /aal2>` lines that step up instead of refusing: a signed-in user whose ID token lacks
 * `acr` aal2 is sent back to the provider (`OIDCUnAutzAction auth`), and every authorization
 * request from this path asks for aal2 (`OIDCPathAuthRequestParams acr_values=...`).
 */
export const APACHE_STEP_UP_LINES: readonly string[] = Object.freeze([
	`Require claim acr:${AAL2_ACR}`,
	"OIDCUnAutzAction auth",
	`OIDCPathAuthRequestParams "acr_values=${AAL2_ACR}"`,
]);

/** The modules loaded, from {@link APACHE_MODULES_DIR} (mod_unixd, mod_log_config are built in). */
const MODULES: readonly (readonly [name: string, file: string])[] = [
	["mpm_event_module", "mod_mpm_event.so"],
	["authn_core_module", "mod_authn_core.so"],
	["authz_core_module", "mod_authz_core.so"],
	// `Require valid-user`.
	["authz_user_module", "mod_authz_user.so"],
	["mime_module", "mod_mime.so"],
	["dir_module", "mod_dir.so"],
	["include_module", "mod_include.so"],
	["headers_module", "mod_headers.so"],
	["auth_openidc_module", "mod_auth_openidc.so"],
];

/** Most bytes of Apache's stdout/stderr kept for failure messages (the newest). */
const OUTPUT_KEPT_BYTES = 64 * 1024;
/** How long Apache may take to listen. A bound for a hung start, not a check of speed. */
const START_TIMEOUT_MS = 20_000;
/** How long Apache may take to end after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * What is unmet to run Apache with mod_auth_openidc: `apache2` (on PATH or in /usr/sbin, where
 * Debian puts it and a non-root PATH may not look) or the module file.
 * @returns null when both are installed
 */
export function apacheRelyingPartyUnmet(): Unmet | null {
	const enable = "sudo apt-get install -y apache2 libapache2-mod-auth-openidc";
	if (apacheProgram() === null) return { missing: "apache2 is not installed (Debian package apache2)", enable };
	if (!existsSync(join(APACHE_MODULES_DIR, "mod_auth_openidc.so"))) return { missing: `mod_auth_openidc is not installed (Debian package libapache2-mod-auth-openidc, ${APACHE_MODULES_DIR}/mod_auth_openidc.so)`, enable };
	return null;
}

/** What {@link startApacheRelyingParty} is told. */
export interface ApacheRelyingPartyOptions {
	/** The provider's issuer URL, without a trailing slash; its discovery document is `<issuer>/.well-known/openid-configuration`. */
	readonly issuer: string;
	readonly clientId: string;
	/** Sent with `client_secret_basic` when the discovery document lists it, else the first method listed that the module supports. */
	readonly clientSecret: string;
	/** The loopback port (default: a free one); known in advance when the provider's client config must name the redirect URI. */
	readonly port?: number;
	/** The host name in the URLs Apache builds (redirect URI, cookies); default "127.0.0.1". Apache listens on 127.0.0.1 whatever it is. */
	readonly host?: string;
	/** `OIDCScope`; default "openid email". */
	readonly scope?: string;
	/**
	 * `OIDCIDTokenSignedResponseAlg`: the only `alg` Apache accepts for ID tokens and logout tokens
	 * (2.4.12.3 compares it in `oidc_proto_jwt_verify` and in the back-channel handler); default
	 * "ES256", what deadbolt signs with; null to accept any `alg` the module supports.
	 */
	readonly idTokenSignedResponseAlg?: string | null;
	/** The lines of `<Location /protected>` after `AuthType openid-connect`; default {@link APACHE_PROTECTED_LINES}. */
	readonly protectedLines?: readonly string[];
	/** The lines of `<Location /aal2>` after `AuthType openid-connect`; default {@link APACHE_AAL2_LINES}. */
	readonly aal2Lines?: readonly string[];
	/** More server-level lines, put after the OIDC directives (a later directive of the same name wins). */
	readonly extraConfig?: readonly string[];
	/** `LogLevel`; default "warn auth_openidc:info" ("warn auth_openidc:debug" shows every token check). */
	readonly logLevel?: string;
}

/** A running Apache relying party. */
export interface ApacheRelyingParty {
	/** The process id of Apache's parent process (its children are in its process group). */
	readonly pid: number;
	readonly port: number;
	/** `http://<host>:<port>` */
	readonly baseUrl: string;
	/** `<baseUrl>/protected/redirect_uri`: the client's redirect URI to register at the provider. */
	readonly redirectUri: string;
	/** `<redirectUri>?logout=backchannel`: the client's back-channel logout URI to register at the provider. */
	readonly backchannelLogoutUri: string;
	/** `<baseUrl>/protected/`, guarded by `Require valid-user` (by default). */
	readonly protectedUrl: string;
	/** `<baseUrl>/aal2/`, guarded by `Require claim acr:urn:deadbolt:aal2` (by default). */
	readonly aal2Url: string;
	/** The apache2.conf it runs, with the client secret and the crypto passphrase masked (for failure messages). */
	readonly config: string;
	/**
	 * The URL that ends the Apache session and, when the provider's discovery document has an
	 * `end_session_endpoint`, sends the browser there (RP-initiated logout, with `id_token_hint`).
	 * @param returnTo - where to land afterwards (`post_logout_redirect_uri`); default `<baseUrl>/`
	 */
	logoutUrl(returnTo?: string): string;
	/** Apache's error log so far (mod_auth_openidc writes its reasons there) and its stdout/stderr. */
	errorLog(): string;
	/** The access log so far (combined format), e.g. to see the provider's back-channel POSTs. */
	accessLog(): string;
	/** Ends it (SIGTERM, SIGKILL after 5 s) and resolves when it has ended; removes its directory. */
	stop(): Promise<void>;
}

/** The URLs of an Apache relying party on `port`, as {@link startApacheRelyingParty} will configure them. */
export function apacheRelyingPartyUrls(port: number, host = "127.0.0.1"): Pick<ApacheRelyingParty, "baseUrl" | "redirectUri" | "backchannelLogoutUri" | "protectedUrl" | "aal2Url"> {
	const baseUrl = `http://${host}:${port}`;
	const redirectUri = `${baseUrl}/protected/redirect_uri`;
	return { baseUrl, redirectUri, backchannelLogoutUri: `${redirectUri}?logout=backchannel`, protectedUrl: `${baseUrl}/protected/`, aal2Url: `${baseUrl}/aal2/` };
}

const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.once("exit", () => {
	for (const child of running) signalGroup(child, "SIGKILL");
	for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** Ends every Apache still running and removes their temporary directories. */
export async function stopApacheRelyingParties(): Promise<void> {
	const children = [...running];
	await Promise.all(children.map((child) => stopChild(child)));
	for (const dir of directories) rmSync(dir, { recursive: true, force: true });
	directories.clear();
}

/**
 * The config {@link startApacheRelyingParty} writes (exported for failure messages and the docs).
 * @param dir - the ServerRoot: holds `htdocs/`, `logs/`, `run/`
 * @param cryptoPassphrase - `OIDCCryptoPassphrase` (encrypts state and session cookies)
 */
export function apacheRelyingPartyConfig(options: ApacheRelyingPartyOptions, dir: string, port: number, cryptoPassphrase: string): string {
	const urls = apacheRelyingPartyUrls(port, options.host);
	const issuer = options.issuer.replace(/\/+$/, "");
	const alg = options.idTokenSignedResponseAlg === undefined ? "ES256" : options.idTokenSignedResponseAlg;
	// As root, Apache's children run as another user (it refuses root); Debian's is www-data.
	const user = process.getuid?.() === 0 ? "User www-data\nGroup www-data\n" : "";
	const location = (path: string, lines: readonly string[]): string => `<Location ${path}>\n\tAuthType openid-connect\n${lines.map((line) => `\t${line}\n`).join("")}</Location>`;
	const claimHeaders = [
		...[
			["X-OIDC-ID-Token-Payload", "OIDC_id_token_payload"],
			["X-OIDC-Userinfo", "OIDC_userinfo_json"],
		].map(([header, variable]) => `\tHeader set ${header} "%{${variable}}e" env=${variable}`),
		// The request's user itself, not an environment variable a handler may or may not have set.
		'\tHeader set X-Remote-User "expr=%{REMOTE_USER}" "expr=-n %{REMOTE_USER}"',
	].join("\n");
	return `# Written by test/helpers/apache-oidc.ts for one test run.
ServerRoot ${dir}
DefaultRuntimeDir ${join(dir, "run")}
PidFile ${join(dir, "run", "apache2.pid")}
Listen 127.0.0.1:${port}
ServerName ${options.host ?? "127.0.0.1"}:${port}
${user}${MODULES.map(([name, file]) => `LoadModule ${name} ${join(APACHE_MODULES_DIR, file)}`).join("\n")}

# Small: a test machine has two cores.
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 1
MaxSpareThreads 32

ErrorLog ${join(dir, "logs", "error.log")}
LogLevel ${options.logLevel ?? "warn auth_openidc:info"}
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog ${join(dir, "logs", "access.log")} combined
TypesConfig ${existsSync("/etc/mime.types") ? "/etc/mime.types" : "/dev/null"}
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
SSIUndefinedEcho "(unset)"
DirectoryIndex index.shtml index.html
DocumentRoot ${join(dir, "htdocs")}
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory ${join(dir, "htdocs")}>
	Options +Includes
	Require all granted
</Directory>

# The relying party (mod_auth_openidc, one provider, from its discovery document).
OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration
OIDCClientID ${options.clientId}
OIDCClientSecret ${options.clientSecret}
OIDCRedirectURI ${urls.redirectUri}
OIDCCryptoPassphrase ${cryptoPassphrase}
OIDCScope "${options.scope ?? "openid email"}"
OIDCPKCEMethod S256
${alg === null ? "" : `OIDCIDTokenSignedResponseAlg ${alg}\n`}OIDCSessionType server-cache
OIDCCacheType shm
# Explicit SameSite on its cookies: the state cookie Lax (it must come back on the provider's
# redirect), the session cookie Lax when set and Strict when renewed. Off, on plain HTTP, the
# module sets no SameSite at all (it adds SameSite=None only over HTTPS).
OIDCCookieSameSite On
# The claims reach the page as environment variables (no backend, no request headers).
OIDCPassClaimsAs environment
OIDCPassIDTokenAs claims payload
OIDCPassUserInfoAs claims json
${(options.extraConfig ?? []).join("\n")}

${location("/protected", options.protectedLines ?? APACHE_PROTECTED_LINES)}
${location("/aal2", options.aal2Lines ?? APACHE_AAL2_LINES)}
<LocationMatch "^/(protected|aal2)/">
${claimHeaders}
</LocationMatch>
`;
}

/** The page of a signed-in user (server-side includes; `echo` escapes HTML by default). */
const SIGNED_IN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Apache relying party: signed in</title></head>
<body>
<h1>Signed in to the Apache relying party</h1>
<dl>
<dt>sub</dt><dd id="sub"><!--#echo var="OIDC_CLAIM_sub" --></dd>
<dt>acr</dt><dd id="acr"><!--#echo var="OIDC_CLAIM_acr" --></dd>
<dt>amr</dt><dd id="amr"><!--#echo var="OIDC_CLAIM_amr" --></dd>
<dt>sid</dt><dd id="sid"><!--#echo var="OIDC_CLAIM_sid" --></dd>
<dt>email</dt><dd id="email"><!--#echo var="OIDC_CLAIM_email" --></dd>
<dt>REMOTE_USER</dt><dd id="remote-user"><!--#echo var="REMOTE_USER" --></dd>
</dl>
<pre id="id-token-payload"><!--#echo var="OIDC_id_token_payload" --></pre>
</body></html>
`;

/**
 * Starts Apache with mod_auth_openidc (see the file header) and resolves once it accepts
 * connections.
 * @throws Error when Apache ends before listening (e.g. a directive the module rejects; the
 *   message holds its output and error log) or does not listen within 20 s
 */
export async function startApacheRelyingParty(options: ApacheRelyingPartyOptions): Promise<ApacheRelyingParty> {
	const program = apacheProgram();
	if (program === null) throw new Error("apache2 is not installed (Debian package apache2)");
	const dir = mkdtempSync(join(tmpdir(), "deadbolt-apache-"));
	directories.add(dir);
	const port = options.port ?? (await freePort());
	const urls = apacheRelyingPartyUrls(port, options.host);
	const cryptoPassphrase = randomBytes(32).toString("base64url");
	for (const sub of ["logs", "run", "tmp", "htdocs", "htdocs/protected", "htdocs/aal2"]) mkdirSync(join(dir, sub));
	writeFileSync(join(dir, "htdocs", "index.html"), "<!doctype html><title>Apache relying party</title><p>Not protected.</p>\n");
	writeFileSync(join(dir, "htdocs", "protected", "index.shtml"), SIGNED_IN_PAGE);
	writeFileSync(join(dir, "htdocs", "aal2", "index.shtml"), SIGNED_IN_PAGE);
	const config = apacheRelyingPartyConfig(options, dir, port, cryptoPassphrase);
	const configFile = join(dir, "apache2.conf");
	// The config holds the client secret and the passphrase: only its owner reads it (the parent
	// reads it before it starts children). As root the children run as www-data: they may
	// traverse the directory (no listing) and read the pages.
	writeFileSync(configFile, config, { mode: 0o600 });
	if (process.getuid?.() === 0) {
		chmodSync(dir, 0o711);
		for (const sub of ["htdocs", "htdocs/protected", "htdocs/aal2", "tmp"]) chmodSync(join(dir, sub), 0o755);
	}
	const masked = config.replaceAll(options.clientSecret, "<client secret>").replaceAll(cryptoPassphrase, "<crypto passphrase>");
	const child = spawn(program, ["-d", dir, "-f", configFile, "-DFOREGROUND"], {
		// mod_auth_openidc names its cache mutexes after the temporary directory (apr_temp_dir_get).
		env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", TMPDIR: join(dir, "tmp") },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	running.add(child);
	const output = keptOutput(child, OUTPUT_KEPT_BYTES);
	void exitOf(child).then(() => running.delete(child));
	const errorLog = (): string => `${readIfThere(join(dir, "logs", "error.log"))}${output() === "" ? "" : `\n(stdout/stderr)\n${output()}`}`;
	try {
		await waitForPort(port, child, () => `apache2 (config:\n${masked})\n${errorLog()}`);
	} catch (error) {
		await stopChild(child);
		throw error;
	}
	return {
		pid: child.pid as number,
		port,
		...urls,
		config: masked,
		logoutUrl: (returnTo = `${urls.baseUrl}/`) => `${urls.redirectUri}?logout=${encodeURIComponent(returnTo)}`,
		errorLog,
		accessLog: () => readIfThere(join(dir, "logs", "access.log")),
		stop: async () => {
			await stopChild(child);
			rmSync(dir, { recursive: true, force: true });
			directories.delete(dir);
		},
	};
}

/** Who a signed-in page of the Apache relying party says is signed in, from its response headers. */
export interface ApacheSignedIn {
	/** `REMOTE_USER`: mod_auth_openidc's default is `<sub>@<issuer without https://>`. */
	readonly remoteUser: string | null;
	/** The ID token's payload as mod_auth_openidc validated and stored it. */
	readonly idToken: Readonly<Record<string, unknown>>;
	/** The userinfo response, or null when the module did not call the userinfo endpoint. */
	readonly userinfo: Readonly<Record<string, unknown>> | null;
}

/**
 * Reads {@link ApacheSignedIn} from the headers of a 200 answer of `/protected/` or `/aal2/`.
 * @returns null when the answer carries no ID token (not a signed-in page)
 */
export function signedInAs(headers: IncomingHttpHeaders | Headers): ApacheSignedIn | null {
	const get = (name: string): string | null => {
		const value = headers instanceof Headers ? headers.get(name) : headers[name.toLowerCase()];
		return typeof value === "string" ? value : Array.isArray(value) ? (value[0] ?? null) : null;
	};
	const idToken = get("X-OIDC-ID-Token-Payload");
	if (idToken === null) return null;
	const userinfo = get("X-OIDC-Userinfo");
	return { remoteUser: get("X-Remote-User"), idToken: JSON.parse(idToken) as Record<string, unknown>, userinfo: userinfo === null ? null : (JSON.parse(userinfo) as Record<string, unknown>) };
}

function apacheProgram(): string | null {
	const found = findOnPath("apache2");
	if (found !== null) return found;
	try {
		accessSync("/usr/sbin/apache2", constants.X_OK);
		return "/usr/sbin/apache2";
	} catch {
		return null;
	}
}

function readIfThere(file: string): string {
	try {
		return readFileSync(file, "utf8");
	} catch {
		return "";
	}
}

/** SIGTERM to the group (Apache's graceful stop of its children), SIGKILL after {@link STOP_TIMEOUT_MS}. */
async function stopChild(child: ChildProcess): Promise<void> {
	signalGroup(child, "SIGTERM");
	const timer = setTimeout(() => signalGroup(child, "SIGKILL"), STOP_TIMEOUT_MS);
	await exitOf(child);
	clearTimeout(timer);
	// Children that outlived the parent.
	signalGroup(child, "SIGKILL", true);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals, evenIfEnded = false): void {
	if (child.pid === undefined) return;
	if (!evenIfEnded && (child.exitCode !== null || child.signalCode !== null)) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Gone already.
	}
}

/** Resolves once 127.0.0.1:`port` accepts a connection; fails when the process ends first. */
async function waitForPort(port: number, child: ChildProcess, what: () => string): Promise<void> {
	let ended = false;
	void exitOf(child).then(() => (ended = true));
	const deadline = Date.now() + START_TIMEOUT_MS;
	for (;;) {
		if (ended) throw new Error(`${what()}\nended before listening on ${port}`);
		if (await accepts(port)) return;
		if (Date.now() > deadline) throw new Error(`${what()}\ndid not listen on ${port} within ${START_TIMEOUT_MS} ms`);
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
