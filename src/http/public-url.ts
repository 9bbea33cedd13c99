/**
 * The origin users reach deadbolt at, and the links built on it (sign-in links given out by the
 * CLI and the admin API).
 */
import type { Config } from "../config/schema.js";

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

/** The dashboard address that redeems a sign-in link: `<origin>/dashboard/sign-in-link?token=<token>`. */
export function signInLinkURL(config: Config, token: string): string {
	return `${publicOrigin(config)}/dashboard/sign-in-link?token=${encodeURIComponent(token)}`;
}
