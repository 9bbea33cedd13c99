/**
 * `deadbolt webhooks <action>`: webhook endpoints (docs/webhooks.md), like the admin API.
 * - `list [--json]`: the config file's endpoints (`config:<n>`, read-only) and the added ones;
 * - `add <url> --events a,b|* [--description text] [--json]`: adds one and prints its signing secret once;
 * - `remove <id>`: removes an added one.
 */
import type { Config } from "../../config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { DeadboltError } from "../../errors.js";
import { formatTable } from "../table.js";
import type { Command } from "commander";
import { action, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

/** The actions of `deadbolt webhooks`. */
export const WEBHOOKS_ACTIONS = Object.freeze(["list", "add", "remove"] as const);

/** One of {@link WEBHOOKS_ACTIONS}. */
export type WebhooksAction = (typeof WEBHOOKS_ACTIONS)[number];

/** The options of `deadbolt webhooks` as parsed from the command line. */
export interface WebhooksOptions {
	readonly events?: string | undefined;
	readonly description?: string | undefined;
	readonly json?: boolean | undefined;
}

type EndpointView = Awaited<ReturnType<Deadbolt["listWebhookEndpoints"]>>[number];

/**
 * What is wrong with the words and options of `deadbolt webhooks ...`, or null when they make a command.
 * @param words - the words after `webhooks`
 */
export function webhooksUsageProblem(words: readonly string[], options: WebhooksOptions): string | null {
	const [action, ...args] = words;
	switch (action) {
		case "list":
			return args.length === 0 && options.events === undefined && options.description === undefined ? null : `"webhooks list" takes only --json`;
		case "add":
			if (args.length !== 1) return `"webhooks add" takes one URL`;
			return options.events === undefined || options.events.trim() === "" ? `"webhooks add" needs --events, a comma-separated list of event types or *` : null;
		case "remove":
			return args.length === 1 && options.events === undefined && options.description === undefined && options.json !== true ? null : `"webhooks remove" takes one endpoint id`;
		default:
			return `"webhooks" needs an action: ${WEBHOOKS_ACTIONS.join(", ")}`;
	}
}

/**
 * Runs one webhooks action (the words checked by {@link webhooksUsageProblem} first).
 * @returns the exit code: 0 done, 1 refused (bad URL or events, a private target, no such endpoint)
 * @throws StorageUnavailable and other failures (the caller reports them)
 */
export async function runWebhooksCommand(config: Config, words: readonly string[], options: WebhooksOptions, output: CommandOutput): Promise<number> {
	const [action, argument = ""] = words as [WebhooksAction, string?];
	const deadbolt = await createDeadbolt(config);
	try {
		switch (action) {
			case "list": {
				const endpoints = await deadbolt.listWebhookEndpoints();
				if (options.json === true) output.out(JSON.stringify(endpoints.map(endpointJSON), null, 2));
				else if (endpoints.length === 0) output.out("no webhook endpoints");
				else for (const line of formatTable(["ID", "SOURCE", "URL", "EVENTS", "DESCRIPTION"], endpoints.map(endpointRow))) output.out(line);
				return 0;
			}
			case "add": {
				const events = (options.events ?? "").split(",").map((type) => type.trim()).filter((type) => type !== "");
				const { endpoint, secret } = await deadbolt.addWebhookEndpoint({ url: argument, events, description: options.description ?? null });
				if (options.json === true) {
					output.out(JSON.stringify({ endpoint: endpointJSON(endpoint), secret }, null, 2));
				} else {
					output.out(`added: ${endpoint.id} ${endpoint.url} (events: ${endpoint.events.join(", ")})`);
					output.out("signing secret (shown this once; give it to the receiver, it cannot be read back):");
					output.out(secret);
				}
				return 0;
			}
			case "remove":
				await deadbolt.removeWebhookEndpoint(argument);
				output.out(`removed: ${argument}`);
				return 0;
		}
	} catch (error) {
		if (error instanceof DeadboltError && ["ERR_NOT_FOUND", "ERR_INVALID_REQUEST", "ERR_WEBHOOK_TARGET_REFUSED"].includes(error.code)) {
			output.err(`deadbolt: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

function endpointJSON(endpoint: EndpointView) {
	return { ...endpoint, createdAt: endpoint.createdAt === null ? null : new Date(endpoint.createdAt).toISOString() };
}

function endpointRow(endpoint: EndpointView): string[] {
	return [endpoint.id, endpoint.source, endpoint.url, endpoint.events.join(","), endpoint.description ?? ""];
}

type ParsedWebhooksOptions = CommonOptions & WebhooksOptions;

/** Runs a webhooks action after its checks. */
async function runChecked(words: readonly string[], options: ParsedWebhooksOptions): Promise<number> {
	const problem = webhooksUsageProblem(words, options);
	if (problem !== null) throw new UsageError(problem);
	const config = loadCliConfig(options);
	requireDatabase(config, "webhooks");
	return runWebhooksCommand(config, words, options, STDIO);
}

/** Registers `webhooks list|add|remove` on `program`. */
export function registerWebhooksCommands(program: Command): void {
	const webhooks = program.command("webhooks").description("Webhook endpoints: the config file's (config:<n>) and added ones (docs/webhooks.md)");
	withCommonOptions(webhooks.command("list").description("Every endpoint"))
		.option("--json", "print JSON")
		.action(action(async (options: ParsedWebhooksOptions) => runChecked(["list"], options)));
	withCommonOptions(webhooks.command("add").description("Add an endpoint; prints its signing secret once"))
		.argument("<url>", "the endpoint's https URL")
		.option("--events <types>", "comma-separated event types, or * for every one")
		.option("--description <text>", "a note for operators")
		.option("--json", "print JSON")
		.action(action(async (url: string, options: ParsedWebhooksOptions) => runChecked(["add", url], options)));
	withCommonOptions(webhooks.command("remove").description("Remove an added endpoint"))
		.argument("<id>", "endpoint id")
		.action(action(async (id: string, options: ParsedWebhooksOptions) => runChecked(["remove", id], options)));
}
