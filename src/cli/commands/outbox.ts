/**
 * `deadbolt outbox <action>`: the transactional outbox for operators (docs/webhooks.md, "Delivery log").
 * - `list [--status pending|delivered|dead] [--channel email|webhook] [--limit N] [--json]`: deliveries, newest first;
 * - `show <id> [--json]`: one delivery with its attempts (webhooks: the payload too);
 * - `retry <id>` / `retry --all-dead [--channel ...]`: send a dead (or delivered) delivery again, same id.
 */
import type { Config } from "../../config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { DeadboltError } from "../../errors.js";
import { formatTable } from "../table.js";
import type { Command } from "commander";
import { action, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

/** The actions of `deadbolt outbox`. */
export const OUTBOX_ACTIONS = Object.freeze(["list", "show", "retry"] as const);

/** One of {@link OUTBOX_ACTIONS}. */
export type OutboxAction = (typeof OUTBOX_ACTIONS)[number];

/** The options of `deadbolt outbox` as parsed from the command line. */
export interface OutboxOptions {
	readonly status?: string | undefined;
	readonly channel?: string | undefined;
	readonly limit?: string | undefined;
	readonly json?: boolean | undefined;
	readonly "all-dead"?: boolean | undefined;
}

const STATUSES = ["pending", "delivered", "dead"] as const;
const CHANNELS = ["email", "webhook"] as const;

type DeliveryView = Awaited<ReturnType<Deadbolt["listDeliveries"]>>[number];
type AttemptView = Awaited<ReturnType<Deadbolt["showDelivery"]>>["attempts"][number];

/**
 * What is wrong with the words and options of `deadbolt outbox ...`, or null when they make a command.
 * @param words - the words after `outbox`
 */
export function outboxUsageProblem(words: readonly string[], options: OutboxOptions): string | null {
	const [action, ...args] = words;
	if (!(OUTBOX_ACTIONS as readonly string[]).includes(action ?? "")) return `"outbox" needs an action: ${OUTBOX_ACTIONS.join(", ")}`;
	if (options.status !== undefined && !(STATUSES as readonly string[]).includes(options.status)) return `--status must be one of ${STATUSES.join(", ")}`;
	if (options.channel !== undefined && !(CHANNELS as readonly string[]).includes(options.channel)) return `--channel must be one of ${CHANNELS.join(", ")}`;
	if (options.limit !== undefined && (!/^\d{1,3}$/.test(options.limit) || Number(options.limit) < 1 || Number(options.limit) > 500)) return "--limit must be a whole number from 1 to 500";
	switch (action as OutboxAction) {
		case "list":
			if (args.length > 0 || options["all-dead"] === true) return `"outbox list" takes only --status, --channel, --limit and --json`;
			return null;
		case "show":
			if (args.length !== 1 || options.status !== undefined || options.channel !== undefined || options.limit !== undefined || options["all-dead"] === true) return `"outbox show" takes one delivery id (and --json)`;
			return null;
		case "retry":
			if (options.status !== undefined || options.limit !== undefined || options.json === true) return `"outbox retry" takes a delivery id, or --all-dead (with --channel)`;
			if (options["all-dead"] === true) return args.length === 0 ? null : `"outbox retry --all-dead" takes no delivery id`;
			return args.length === 1 && options.channel === undefined ? null : `"outbox retry" takes one delivery id, or --all-dead`;
	}
}

/**
 * Runs one outbox action (the words checked by {@link outboxUsageProblem} first).
 * @returns the exit code: 0 done, 1 refused (no such delivery, or it cannot be sent again)
 * @throws StorageUnavailable and other failures (the caller reports them)
 */
export async function runOutboxCommand(config: Config, words: readonly string[], options: OutboxOptions, output: CommandOutput): Promise<number> {
	const [action, id = ""] = words as [OutboxAction, string?];
	const deadbolt = await createDeadbolt(config);
	try {
		switch (action) {
			case "list": {
				const deliveries = await deadbolt.listDeliveries({
					...(options.status === undefined ? {} : { status: options.status as (typeof STATUSES)[number] }),
					...(options.channel === undefined ? {} : { channel: options.channel as (typeof CHANNELS)[number] }),
					...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
				});
				if (options.json === true) output.out(JSON.stringify(deliveries.map(deliveryJSON), null, 2));
				else if (deliveries.length === 0) output.out("no deliveries");
				else for (const line of formatTable(["ID", "STATUS", "CHANNEL", "KIND", "TARGET", "ATTEMPTS", "CREATED", "NEXT / LAST ERROR"], deliveries.map(deliveryRow))) output.out(line);
				return 0;
			}
			case "show": {
				const { delivery, attempts } = await deadbolt.showDelivery(id);
				if (options.json === true) output.out(JSON.stringify({ delivery: deliveryJSON(delivery), attempts: attempts.map(attemptJSON) }, null, 2));
				else printDelivery(delivery, attempts, output);
				return 0;
			}
			case "retry": {
				if (options["all-dead"] === true) {
					const { retried, skipped } = await deadbolt.retryDeadDeliveries(options.channel === undefined ? {} : { channel: options.channel as (typeof CHANNELS)[number] });
					output.out(`queued again: ${retried.length} dead deliver${retried.length === 1 ? "y" : "ies"}`);
					for (const { id: skippedId, reason } of skipped) output.out(`skipped: ${skippedId} (${reason.replaceAll("_", " ")})`);
					return 0;
				}
				const delivery = await deadbolt.retryDelivery(id);
				output.out(`queued again: ${delivery.id} (${delivery.channel} ${delivery.kind} to ${delivery.target}), due now; the same id is kept`);
				return 0;
			}
		}
	} catch (error) {
		if (error instanceof DeadboltError && ["ERR_NOT_FOUND", "ERR_DELIVERY_NOT_RETRYABLE", "ERR_INVALID_REQUEST"].includes(error.code)) {
			output.err(`deadbolt: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

function deliveryJSON(delivery: DeliveryView) {
	return { ...delivery, nextAttemptAt: iso(delivery.nextAttemptAt), createdAt: iso(delivery.createdAt), deliveredAt: iso(delivery.deliveredAt) };
}

function attemptJSON(attempt: AttemptView) {
	return { ...attempt, attemptedAt: iso(attempt.attemptedAt) };
}

function deliveryRow(delivery: DeliveryView): string[] {
	const next = delivery.status === "pending" ? `next ${iso(delivery.nextAttemptAt)}` : "";
	const last = delivery.lastError === null ? "" : delivery.lastError;
	return [delivery.id, delivery.status, delivery.channel, delivery.kind, delivery.target, String(delivery.attempts), iso(delivery.createdAt) ?? "", [next, last].filter((part) => part !== "").join("; ")];
}

function printDelivery(delivery: DeliveryView, attempts: readonly AttemptView[], output: CommandOutput): void {
	const fields: [string, string | null][] = [
		// A back-channel logout (kind "oidc.backchannel_logout", target `oidc:<clientId>`) is a POST of a logout token, not a Standard Webhooks message.
		["id", `${delivery.id}${delivery.channel === "webhook" && !delivery.target.startsWith("oidc:") ? " (webhook-id)" : ""}`],
		["status", `${delivery.status}, ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}${attempts.length > delivery.attempts ? ` since the last manual retry (${attempts.length} in the log below)` : ""}`],
		["channel", delivery.channel],
		["kind", delivery.kind],
		[delivery.channel === "email" ? "recipient" : "endpoint", delivery.target],
		["event", delivery.eventId],
		["account", delivery.accountId],
		["created", iso(delivery.createdAt)],
		["next attempt", iso(delivery.nextAttemptAt)],
		["delivered", iso(delivery.deliveredAt)],
		["last error", delivery.lastError],
	];
	for (const [name, value] of fields) if (value !== null) output.out(`${`${name}:`.padEnd(14)}${value}`);
	output.out(attempts.length === 0 ? "attempts:     none yet" : "attempts:");
	for (const attempt of attempts) output.out(`  ${iso(attempt.attemptedAt)}  ${attempt.outcome.padEnd(9)}  ${attempt.detail} (${attempt.durationMillis} ms)`);
	if (delivery.payload !== null) {
		output.out("payload:");
		for (const line of JSON.stringify(delivery.payload, null, 2).split("\n")) output.out(`  ${line}`);
	}
}

/** Runs an outbox action after its semantic checks (a value out of its set is a usage error). */
async function runChecked(words: readonly string[], options: OutboxOptions & CommonOptions): Promise<number> {
	const problem = outboxUsageProblem(words, options);
	if (problem !== null) throw new UsageError(problem);
	const config = loadCliConfig(options);
	requireDatabase(config, "outbox");
	return runOutboxCommand(config, words, options, STDIO);
}

type ParsedOutboxOptions = CommonOptions & { status?: string; channel?: string; limit?: string; json?: boolean; allDead?: boolean };

/** The parsed options in the names {@link outboxUsageProblem} reads. */
function outboxOptionsOf(options: ParsedOutboxOptions): OutboxOptions & CommonOptions {
	return { config: options.config, dataDir: options.dataDir, status: options.status, channel: options.channel, limit: options.limit, json: options.json, "all-dead": options.allDead };
}

/** Registers `outbox list|show|retry` on `program`. */
export function registerOutboxCommands(program: Command): void {
	const outbox = program.command("outbox").description("Deliveries of mails and webhook messages (the transactional outbox)");
	withCommonOptions(outbox.command("list").description("Deliveries, newest first"))
		.option("--status <status>", "pending, delivered or dead")
		.option("--channel <channel>", "email or webhook")
		.option("--limit <n>", "at most this many, 1 to 500")
		.option("--json", "print JSON")
		.action(action(async (options: ParsedOutboxOptions) => runChecked(["list"], outboxOptionsOf(options))));
	withCommonOptions(outbox.command("show").description("One delivery with its attempts (and a webhook's payload)"))
		.argument("<id>", "delivery id")
		.option("--json", "print JSON")
		.action(action(async (id: string, options: ParsedOutboxOptions) => runChecked(["show", id], outboxOptionsOf(options))));
	withCommonOptions(outbox.command("retry").description("Send a dead (or delivered) delivery again, with the same id; or --all-dead"))
		.argument("[id]", "delivery id")
		.option("--all-dead", "every dead delivery (of --channel)")
		.option("--channel <channel>", "with --all-dead: email or webhook")
		.action(action(async (id: string | undefined, options: ParsedOutboxOptions) => runChecked(id === undefined ? ["retry"] : ["retry", id], outboxOptionsOf(options))));
}
