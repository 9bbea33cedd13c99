/**
 * `deadbolt oidc clients <action>`: OpenID Connect clients (docs/oidc.md, "Clients added through
 * the admin API or the CLI"), like the admin API, against the configured database:
 * - `list [--json]`: the config file's clients (read-only here) and the added ones;
 * - `add <id> --redirect-uri <uri> [--redirect-uri ...] [--name text] [--post-logout-redirect-uri uri ...]
 *   [--backchannel-logout-uri uri] [--public] [--first-party] [--minimum-aal 1|2] [--group g ...]
 *   [--account email ...] [--json]`: adds one and prints its secret once (none for --public);
 * - `show <id> [--json]`: one client (never a secret);
 * - `remove <id> [--json]`: removes an added one, ending its grants and tokens;
 * - `rotate-secret <id> [--json]`: a new secret for an added confidential client, printed once.
 * Flags are named like the config file's keys (`redirectUris` is `--redirect-uri`, repeatable).
 * Its options are parsed apart from the other commands' (`oidcCommandOptions`): `--account` is
 * repeatable here, and a single value in `access check`.
 */
import type { Config } from "../../config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { DeadboltError } from "../../errors.js";
import { formatTable } from "../table.js";
import type { Command } from "commander";
import { action, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

/** The actions of `deadbolt oidc clients`. */
export const OIDC_CLIENTS_ACTIONS = Object.freeze(["list", "add", "show", "remove", "rotate-secret"] as const);

/** One of {@link OIDC_CLIENTS_ACTIONS}. */
export type OidcClientsAction = (typeof OIDC_CLIENTS_ACTIONS)[number];

/** The options of `deadbolt oidc clients` as parsed from the command line. */
export interface OidcClientsOptions {
	readonly json?: boolean | undefined;
	readonly name?: string | undefined;
	readonly "redirect-uri"?: readonly string[] | undefined;
	readonly "post-logout-redirect-uri"?: readonly string[] | undefined;
	readonly "backchannel-logout-uri"?: string | undefined;
	readonly public?: boolean | undefined;
	readonly "first-party"?: boolean | undefined;
	readonly "minimum-aal"?: string | undefined;
	readonly group?: readonly string[] | undefined;
	readonly account?: readonly string[] | undefined;
}

/** The actions of `deadbolt oidc clients`, for its help. */
export const OIDC_ACTIONS_HELP = `
Actions:
  list [--json]
             OpenID Connect clients: the config file's (read-only here) and the
             ones added with this command or the admin API
  add <id> --redirect-uri <uri> [--redirect-uri <uri> ...] [--name <text>]
           [--post-logout-redirect-uri <uri> ...] [--backchannel-logout-uri <uri>]
           [--public] [--first-party] [--minimum-aal 1|2]
           [--group <group> ...] [--account <email> ...] [--json]
             Add a client; prints its client secret once (none for --public)
  show <id> [--json]
             One client (never its secret)
  remove <id> [--json]
             Remove an added client; its grants and tokens end at once
  rotate-secret <id> [--json]
             A new secret for an added confidential client, printed once; the
             old one stops working at once

Redirect URIs are exact matches: https (plain http only to localhost, 127.0.0.1,
[::1]), no fragment. The provider must be on: a client in oidc.clients, or
oidc.enabled (docs/oidc.md). Exit codes: 0 done, 1 refused, 64 usage, 78 configuration.`;

/** The options that only `add` takes. */
const ADD_ONLY: readonly (keyof OidcClientsOptions)[] = ["name", "redirect-uri", "post-logout-redirect-uri", "backchannel-logout-uri", "public", "first-party", "minimum-aal", "group", "account"];

/**
 * What is wrong with the words and options of `deadbolt oidc ...`, or null when they make a command.
 * @param words - the words after `oidc`
 */
export function oidcUsageProblem(words: readonly string[], options: OidcClientsOptions): string | null {
	const [noun, action, ...args] = words;
	if (noun !== "clients") return `"oidc" needs "clients" and an action: ${OIDC_CLIENTS_ACTIONS.join(", ")}`;
	if (action === undefined || !(OIDC_CLIENTS_ACTIONS as readonly string[]).includes(action)) return `"oidc clients" needs an action: ${OIDC_CLIENTS_ACTIONS.join(", ")}`;
	const addOptions = ADD_ONLY.filter((name) => options[name] !== undefined);
	if (action !== "add" && addOptions.length > 0) return `"oidc clients ${action}" does not take --${addOptions.join(", --")}`;
	switch (action) {
		case "list":
			return args.length === 0 ? null : `"oidc clients list" takes no argument`;
		case "add":
			if (args.length !== 1) return `"oidc clients add" takes one client id`;
			if ((options["redirect-uri"] ?? []).length === 0) return `"oidc clients add" needs --redirect-uri (repeat it for each)`;
			if (options["minimum-aal"] !== undefined && options["minimum-aal"] !== "1" && options["minimum-aal"] !== "2") return `--minimum-aal is 1 or 2`;
			return null;
		default:
			return args.length === 1 ? null : `"oidc clients ${action}" takes one client id`;
	}
}

type ClientView = Awaited<ReturnType<Deadbolt["oidc"]["listClients"]>>[number];

/**
 * Runs one `oidc clients` action (the words checked by {@link oidcUsageProblem} first).
 * @returns the exit code: 0 done, 1 refused (the rules, an id taken, no such client, a config file client, the provider off)
 * @throws StorageUnavailable and other failures (the caller reports them)
 */
export async function runOidcCommand(config: Config, words: readonly string[], options: OidcClientsOptions, output: CommandOutput): Promise<number> {
	const [, action, argument = ""] = words as [string, OidcClientsAction, string?];
	const json = options.json === true;
	const deadbolt = await createDeadbolt(config);
	try {
		switch (action) {
			case "list": {
				const clients = await deadbolt.oidc.listClients();
				if (json) output.out(JSON.stringify(clients.map(clientJSON), null, 2));
				else if (clients.length === 0) output.out("no OpenID Connect clients");
				else for (const line of formatTable(["ID", "SOURCE", "NAME", "TYPE", "AAL", "REDIRECT URIS"], clients.map(clientRow))) output.out(line);
				return 0;
			}
			case "show": {
				const client = await deadbolt.oidc.showClient(argument);
				if (json) output.out(JSON.stringify(clientJSON(client), null, 2));
				else for (const line of clientLines(client)) output.out(line);
				return 0;
			}
			case "add": {
				const { client, secret } = await deadbolt.oidc.addClient({
					id: argument,
					name: options.name,
					redirectUris: options["redirect-uri"] ?? [],
					postLogoutRedirectUris: options["post-logout-redirect-uri"],
					backchannelLogoutUri: options["backchannel-logout-uri"],
					public: options.public,
					firstParty: options["first-party"],
					minimumAal: options["minimum-aal"] === undefined ? undefined : options["minimum-aal"] === "1" ? 1 : 2,
					groups: options.group,
					accounts: options.account,
				});
				if (json) {
					output.out(JSON.stringify({ client: clientJSON(client), secret }, null, 2));
				} else {
					output.out(`added: ${client.id} (${client.public ? "public: no secret, PKCE required" : "confidential"})`);
					if (secret !== null) {
						output.out("client secret (shown this once; give it to the app, it cannot be read back):");
						output.out(secret);
					}
				}
				return 0;
			}
			case "remove": {
				const { grantsEnded } = await deadbolt.oidc.removeClient(argument);
				if (json) output.out(JSON.stringify({ id: argument, grantsEnded }, null, 2));
				else output.out(`removed: ${argument} (${grantsEnded} grant${grantsEnded === 1 ? "" : "s"} ended with their tokens)`);
				return 0;
			}
			case "rotate-secret": {
				const { client, secret } = await deadbolt.oidc.rotateClientSecret(argument);
				if (json) {
					output.out(JSON.stringify({ client: clientJSON(client), secret }, null, 2));
				} else {
					output.out(`new secret for ${client.id} (shown this once; the old one no longer works):`);
					output.out(secret);
				}
				return 0;
			}
		}
	} catch (error) {
		if (error instanceof DeadboltError && ["ERR_NOT_FOUND", "ERR_INVALID_REQUEST", "ERR_OIDC_DISABLED", "ERR_OIDC_CLIENT_EXISTS", "ERR_OIDC_CLIENT_READ_ONLY"].includes(error.code)) {
			output.err(`deadbolt: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

function clientJSON(client: ClientView) {
	return { ...client, createdAt: client.createdAt === null ? null : new Date(client.createdAt).toISOString() };
}

function clientRow(client: ClientView): string[] {
	return [client.id, client.source, client.name, client.public ? "public" : "confidential", String(client.minimumAal), client.redirectUris.join(" ")];
}

function clientLines(client: ClientView): string[] {
	const list = (values: readonly string[] | null, none: string): string => (values === null || values.length === 0 ? none : values.join(", "));
	return [
		`id:                        ${client.id}`,
		`name:                      ${client.name}`,
		`source:                    ${client.source}`,
		`type:                      ${client.public ? "public (no secret, PKCE required)" : "confidential (client_secret_basic)"}`,
		`first party (no consent):  ${client.firstParty ? "yes" : "no"}`,
		`minimum AAL:               ${client.minimumAal}`,
		`redirect URIs:             ${list(client.redirectUris, "(none)")}`,
		`post-logout redirect URIs: ${list(client.postLogoutRedirectUris, "(none)")}`,
		`back-channel logout URI:   ${client.backchannelLogoutUri ?? "(none)"}`,
		`groups:                    ${list(client.groups, "(any)")}`,
		`accounts:                  ${list(client.accounts, "(any)")}`,
		`added:                     ${client.createdAt === null ? "(config file)" : new Date(client.createdAt).toISOString()}`,
	];
}

/** Adds a repeated option's value to the ones before. */
function collect(value: string, previous: string[] | undefined): string[] {
	return [...(previous ?? []), value];
}

type ParsedOidcOptions = CommonOptions & {
	json?: boolean;
	name?: string;
	redirectUri?: string[];
	postLogoutRedirectUri?: string[];
	backchannelLogoutUri?: string;
	public?: boolean;
	firstParty?: boolean;
	minimumAal?: string;
	group?: string[];
	account?: string[];
};

/** The parsed options in the names {@link oidcUsageProblem} reads. */
function oidcOptionsOf(options: ParsedOidcOptions): OidcClientsOptions {
	return {
		json: options.json,
		name: options.name,
		"redirect-uri": options.redirectUri,
		"post-logout-redirect-uri": options.postLogoutRedirectUri,
		"backchannel-logout-uri": options.backchannelLogoutUri,
		public: options.public,
		"first-party": options.firstParty,
		"minimum-aal": options.minimumAal,
		group: options.group,
		account: options.account,
	};
}

async function runChecked(words: readonly string[], parsed: ParsedOidcOptions): Promise<number> {
	const options = oidcOptionsOf(parsed);
	const problem = oidcUsageProblem(words, options);
	if (problem !== null) throw new UsageError(problem);
	const config = loadCliConfig(parsed);
	requireDatabase(config, "oidc");
	return runOidcCommand(config, words, options, STDIO);
}

/** Registers `oidc clients list|add|show|remove|rotate-secret` on `program`. */
export function registerOidcCommands(program: Command): void {
	const oidc = program.command("oidc").description("The OpenID Connect provider (docs/oidc.md)").usage("clients <action> [options]");
	const clients = oidc.command("clients").description("OpenID Connect clients: add one (its secret printed once), list, show, remove, replace its secret").addHelpText("after", OIDC_ACTIONS_HELP);
	const sub = (name: string, description: string) => withCommonOptions(clients.command(name).description(description)).option("--json", "print JSON");
	sub("list", "The config file's clients (read-only here) and the added ones").action(action(async (options: ParsedOidcOptions) => runChecked(["clients", "list"], options)));
	sub("add", "Add a client; prints its client secret once (none for --public)")
		.argument("<id>", "the client_id")
		.option("--redirect-uri <uri>", "a redirect URI (repeat for each; at least one)", collect)
		.option("--name <text>", "the name users see")
		.option("--post-logout-redirect-uri <uri>", "a post-logout redirect URI (repeatable)", collect)
		.option("--backchannel-logout-uri <uri>", "where back-channel logout tokens go")
		.option("--public", "a public client: no secret, PKCE required")
		.option("--first-party", "no consent screen")
		.option("--minimum-aal <1|2>", "2: a second factor is required")
		.option("--group <group>", "only accounts in this group (repeatable)", collect)
		.option("--account <email>", "only this account (repeatable)", collect)
		.action(action(async (id: string, options: ParsedOidcOptions) => runChecked(["clients", "add", id], options)));
	for (const [name, description] of [
		["show", "One client (never its secret)"],
		["remove", "Remove an added client; its grants and tokens end at once"],
		["rotate-secret", "A new secret for an added confidential client, printed once"],
	] as const) {
		sub(name, description)
			.argument("<id>", "the client_id")
			.action(action(async (id: string, options: ParsedOidcOptions) => runChecked(["clients", name, id], options)));
	}
}
