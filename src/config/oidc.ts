/**
 * The checks of `oidc.clients` that the schema cannot express (docs/oidc.md, "Clients"): unique
 * ids; a secret for every confidential client and none for a public one; absolute redirect URIs
 * without a fragment, over https except to a loopback host (RFC 9700 §2.1, §4.1.1; OpenID Connect
 * Core §3.1.2.1); and `http.publicUrl`, the issuer, set. Run at start, so a mistake stops the
 * start with a line that names the client, never a sign-in that fails later. The rules themselves
 * are `domain/oidc/client-rules.ts`, shared with clients added through the admin API and the CLI.
 */
import { normalizeGroupName } from "../domain/access/group-name.js";
import { clientIdProblem, clientSecretProblem, clientUriProblem } from "../domain/oidc/client-rules.js";
import type { ConfigInput } from "./schema.js";

type ClientInput = ConfigInput["oidc"]["clients"][number];

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
	if ([...reported].some((at) => at === "oidc" || at.startsWith("oidc.clients") || at === "oidc.enabled")) return [];
	if (input.oidc?.enabled === true && (!Array.isArray(clients) || clients.length === 0) && typeof input.http?.publicUrl !== "string") {
		return ["oidc.enabled: set http.publicUrl too (it is the issuer every app checks, and the address apps send users to)"];
	}
	if (!Array.isArray(clients) || clients.length === 0) return [];
	const issues: string[] = [];
	if (typeof input.http?.publicUrl !== "string") issues.push("oidc.clients: set http.publicUrl too (it is the issuer every app checks, and the address apps send users to)");
	const seen = new Set<string>();
	clients.forEach((client, index) => {
		const at = `oidc.clients[${index}] ("${client.id}")`;
		const idProblem = clientIdProblem(client.id);
		if (idProblem !== null) issues.push(`${at}.id: ${idProblem}`);
		if (seen.has(client.id)) issues.push(`${at}: the id is used by an earlier client; ids must be unique`);
		seen.add(client.id);
		if (client.secret !== undefined && client.secretEnv !== undefined) issues.push(`${at}: set secret or secretEnv, not both`);
		if (client.public === true) {
			if (client.secret !== undefined || client.secretEnv !== undefined) issues.push(`${at}: a public client has no secret (it proves itself with PKCE); remove secret/secretEnv or set public to false`);
		} else {
			const secret = clientSecret(client, env);
			if (client.secret === undefined && client.secretEnv === undefined) issues.push(`${at}: a confidential client needs secret (32 characters or more) or secretEnv; or set public: true`);
			else if (secret === null) issues.push(`${at}: the environment variable ${client.secretEnv} is not set`);
			else if (clientSecretProblem(secret) !== null) issues.push(`${at}: the secret from ${client.secretEnv} ${clientSecretProblem(secret)}`);
		}
		for (const group of client.groups ?? []) {
			if (normalizeGroupName(group) === null) issues.push(`${at}.groups: "${group}" is not a group name (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit)`);
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
