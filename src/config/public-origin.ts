/**
 * The origin users reach deadbolt at: the one base of every link deadbolt gives out (mails,
 * sign-in links), never a request's Host header.
 */
import type { Config } from "./schema.js";

/**
 * `http.publicUrl` when set; otherwise `http://<host>:<port>` (a wildcard bind address becomes
 * 127.0.0.1, an IPv6 address gets brackets). No trailing slash.
 */
export function publicOrigin(config: Config): string {
	if (config.http.publicUrl !== null) return config.http.publicUrl.replace(/\/+$/, "");
	const { host, port } = config.http;
	const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
	return `http://${shown}:${port}`;
}
