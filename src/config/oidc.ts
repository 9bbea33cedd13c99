/**
 * The checks of `oidc.clients` that the schema cannot express (docs/oidc.md, "Clients"): unique
 * ids; a secret for every confidential client and none for a public one; absolute redirect URIs
 * without a fragment, over https except to a loopback host (RFC 9700 §2.1, §4.1.1; OpenID Connect
 * Core §3.1.2.1); and `http.publicUrl`, the issuer, set. Run at start, so a mistake stops the
 * start with a line that names the client, never a sign-in that fails later.
 */
import type { ConfigInput } from "./schema.js";

type ClientInput = ConfigInput["oidc"]["clients"][number];

/** Hosts a plain-http redirect may go to: the user's own machine (RFC 8252 §7.3). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Why `text` cannot be a redirect or logout URI, or null when it can.
 * @param text - the URI as configured
 */
export function clientUriProblem(text: string): string | null {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return "is not an absolute URL";
	}
	if (url.hash !== "" || text.includes("#")) return "must not have a fragment (#)";
	if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
	if (url.protocol === "https:") return null;
	if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname) ? null : "must use https (plain http only to localhost, 127.0.0.1 or [::1])";
	return "must be an https URL";
}

/**
 * The secret of a confidential client: `secret`, or the environment variable `secretEnv` names.
 * @returns the secret, or null when neither gives one
 */
export function clientSecret(client: Pick<ClientInput, "secret" | "secretEnv">, env: Readonly<Record<string, string | undefined>>): string | null {
	if (client.secret !== undefined) return client.secret;
	if (client.secretEnv !== undefined) return env[client.secretEnv] ?? null;
	return null;
}

/**
 * Problems of `oidc.clients`, each a line for the start's error; parts the schema already reported
 * (`reported`, by dotted path) are skipped.
 * @param env - the environment a `secretEnv` is read from
 */
export function oidcIssues(input: ConfigInput, reported: ReadonlySet<string>, env: Readonly<Record<string, string | undefined>>): string[] {
	const clients = input.oidc?.clients;
	if (!Array.isArray(clients) || clients.length === 0 || [...reported].some((at) => at === "oidc" || at.startsWith("oidc.clients"))) return [];
	const issues: string[] = [];
	if (typeof input.http?.publicUrl !== "string") issues.push("oidc.clients: set http.publicUrl too (it is the issuer every app checks, and the address apps send users to)");
	const seen = new Set<string>();
	clients.forEach((client, index) => {
		const at = `oidc.clients[${index}] ("${client.id}")`;
		if (seen.has(client.id)) issues.push(`${at}: the id is used by an earlier client; ids must be unique`);
		seen.add(client.id);
		if (client.secret !== undefined && client.secretEnv !== undefined) issues.push(`${at}: set secret or secretEnv, not both`);
		if (client.public === true) {
			if (client.secret !== undefined || client.secretEnv !== undefined) issues.push(`${at}: a public client has no secret (it proves itself with PKCE); remove secret/secretEnv or set public to false`);
		} else {
			const secret = clientSecret(client, env);
			if (client.secret === undefined && client.secretEnv === undefined) issues.push(`${at}: a confidential client needs secret (32 characters or more) or secretEnv; or set public: true`);
			else if (secret === null) issues.push(`${at}: the environment variable ${client.secretEnv} is not set`);
			else if (secret.length < 32 || !/^[\x21-\x7e]+$/.test(secret)) issues.push(`${at}: the secret from ${client.secretEnv} must be 32 printable ASCII characters or more, without spaces`);
		}
		const uriLists: [string, readonly string[]][] = [
			["redirectUris", client.redirectUris],
			["postLogoutRedirectUris", client.postLogoutRedirectUris ?? []],
			["backchannelLogoutUri", client.backchannelLogoutUri === undefined ? [] : [client.backchannelLogoutUri]],
		];
		for (const [key, uris] of uriLists) {
			uris.forEach((uri) => {
				const problem = clientUriProblem(uri);
				if (problem !== null) issues.push(`${at}.${key}: "${uri}" ${problem}`);
			});
		}
	});
	return issues;
}
