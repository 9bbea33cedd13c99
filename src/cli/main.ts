#!/usr/bin/env node
/**
 * The `deadbolt` command. Exit codes: 0 success, 1 failure, 64 usage error, 78 invalid
 * configuration (BSD sysexits EX_USAGE, EX_CONFIG).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { SQLITE_FILE } from "../deadbolt.js";
import { ConfigInvalid } from "../errors.js";
import { accessUsageProblem, runAccessCommand } from "./commands/access.js";
import { ACCOUNT_ACTION_OPTIONS, ACCOUNT_ACTIONS, isAccountAction, runAccountCommand } from "./commands/account.js";
import { BACKUP_COMMAND_OPTIONS, backupUsageProblem, runBackupCommand, runRestoreCommand } from "./commands/backup.js";
import { redactConfig } from "./commands/config.js";
import { migrate } from "./commands/migrate.js";
import { OIDC_COMMAND_OPTIONS, OIDC_USAGE, oidcUsageProblem, runOidcCommand } from "./commands/oidc.js";
import { outboxUsageProblem, runOutboxCommand } from "./commands/outbox.js";
import { serve } from "./commands/serve.js";
import { runWebhooksCommand, webhooksUsageProblem } from "./commands/webhooks.js";

/** Exit codes of the CLI. */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 64, CONFIG: 78 });

const USAGE = `Usage: deadbolt <command> [options]

Commands:
  serve      Start the HTTP server (dashboard at /dashboard, JSON API at /api/v1)
  migrate    Apply database migrations and exit
  config     Print the effective configuration (secrets redacted)
  account unlock <email>
             End every lock of an account (before 100 consecutive failed codes,
             after 90 with the default settings, two-factor sign-in stays
             locked until an operator runs this)
  account create <email>
             Create an account without a password and print a one-time
             sign-in link for it (its owner sets a password in the dashboard)
  account sign-out-everywhere <email>
             End every session and remembered device of an account (every
             app behind the forward-auth proxy refuses its next request)
  account sign-in-link <email>
             Print a new one-time sign-in link (it replaces the password
             step once; with two-factor authentication the code is still asked)
  account groups <email> [--set <group,group,...>] [--json]
             Print the account's groups (for access rules); --set replaces
             them first (--set '' removes every group)
  outbox list [--status pending|delivered|dead] [--channel email|webhook]
              [--limit N] [--json]
             Deliveries of mails and webhook messages, newest first
  outbox show <id> [--json]
             One delivery with its attempts (and a webhook's payload)
  outbox retry <id> | outbox retry --all-dead [--channel email|webhook]
             Send a dead (or delivered) delivery again, with the same id
  webhooks list [--json]
             Webhook endpoints: the config file's (config:<n>) and added ones
  webhooks add <url> --events <type,type,...|'*'> [--description <text>]
             Add an endpoint; prints its signing secret once (docs/webhooks.md)
  webhooks remove <id>
             Remove an added endpoint
  access check --url <url> [--account <email>] [--method <method>]
               [--ip <address>] [--json]
             Which forward-auth access rule decides a request, and what the
             account needs to get through (docs/integrations/README.md)
  oidc clients list|add|show|remove|rotate-secret ...
             OpenID Connect clients: add one (its secret printed once), list,
             show, remove, replace its secret ("deadbolt oidc --help"; docs/oidc.md)
  backup <file> [--force] [--json]
             Copy the SQLite database to <file> while deadbolt serves (consistent,
             atomic; --force replaces an existing file). On PostgreSQL: use pg_dump
  restore <file> [--json]
             Put a backup back (deadbolt stopped; the keys it was taken with
             configured), then end every session, device, link and token and
             mail owners of recovery codes (docs/operations.md)
  restore --already-restored [--json]
             Only that last step, after pg_restore or a snapshot was restored
  help       Show this help

Options:
  --config <file>   JSON configuration file (also DEADBOLT_CONFIG_FILE)
  --port <n>        HTTP port (also DEADBOLT_HTTP_PORT; default 8080)
  --host <addr>     HTTP bind address (also DEADBOLT_HTTP_HOST; default 127.0.0.1)
  --data-dir <dir>  SQLite file and development keys (also DEADBOLT_DATA_DIR; default ./data)

Configuration: see docs/config.md. Exit codes: 0 ok, 1 failure, 64 usage, 78 configuration.`;

/** Options of the outbox, webhooks, account groups and access commands only. */
const OPERATOR_OPTIONS = ["status", "channel", "limit", "json", "all-dead", "events", "description", "set", "url", "account", "method", "ip", "force", "already-restored"] as const;
const OUTBOX_OPTIONS: readonly string[] = ["status", "channel", "limit", "json", "all-dead"];
const WEBHOOKS_OPTIONS: readonly string[] = ["json", "events", "description"];
const ACCESS_OPTIONS: readonly string[] = ["url", "account", "method", "ip", "json"];

/** The SQLite file the config names when it does not exist (null: it exists, or the store is PostgreSQL). */
function missingSqliteDatabase(config: Config): string | null {
	if (config.storage.databaseUrl !== null) return null;
	const file = join(config.dataDir, SQLITE_FILE);
	return existsSync(file) ? null : file;
}

/** Options every command takes. */
const COMMON_OPTIONS = Object.freeze({
	config: { type: "string" },
	"data-dir": { type: "string" },
	help: { type: "boolean", short: "h" },
} as const);

/** The SQLite file's absence stops an operator command: it reads what a running deadbolt wrote, never a new empty database. */
function missingDatabaseMessage(config: Config, command: string): string | null {
	const missing = missingSqliteDatabase(config);
	return missing === null ? null : `deadbolt: there is no database at ${missing}: run "${command}" with the configuration "deadbolt serve" uses (--config, --data-dir, DEADBOLT_* variables)\n`;
}

/**
 * `deadbolt oidc ...`, parsed with its own options (`--account`, `--group`, `--redirect-uri`
 * repeat here; see `commands/oidc.ts`).
 */
async function oidcMain(argv: string[]): Promise<number> {
	let parsed;
	try {
		parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...OIDC_COMMAND_OPTIONS } });
	} catch (error) {
		process.stderr.write(`deadbolt: ${(error as Error).message}\n\n${OIDC_USAGE}\n`);
		return EXIT.USAGE;
	}
	if (parsed.values.help === true) {
		process.stdout.write(`${OIDC_USAGE}\n`);
		return EXIT.OK;
	}
	const words = parsed.positionals.slice(1);
	const problem = oidcUsageProblem(words, parsed.values);
	if (problem !== null) {
		process.stderr.write(`deadbolt: ${problem}\n\n${OIDC_USAGE}\n`);
		return EXIT.USAGE;
	}
	try {
		const config = loadConfig({ env: process.env, ...(parsed.values.config === undefined ? {} : { file: parsed.values.config }), overrides: parsed.values["data-dir"] === undefined ? {} : { dataDir: parsed.values["data-dir"] } });
		const missing = missingDatabaseMessage(config, "oidc");
		if (missing !== null) {
			process.stderr.write(missing);
			return EXIT.FAILURE;
		}
		return await runOidcCommand(config, words, parsed.values, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
	} catch (error) {
		if (error instanceof ConfigInvalid) {
			process.stderr.write(`deadbolt: ${error.message}\n`);
			return EXIT.CONFIG;
		}
		process.stderr.write(`deadbolt: ${(error as Error).message}\n`);
		return EXIT.FAILURE;
	}
}

async function main(argv: string[]): Promise<number> {
	// `oidc` has options of its own (repeatable ones): find the command first, leniently.
	const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: { ...COMMON_OPTIONS, port: { type: "string" }, host: { type: "string" } } });
	if (positionals[0] === "oidc") return oidcMain(argv);
	let parsed;
	try {
		parsed = parseArgs({
			args: argv,
			allowPositionals: true,
			strict: true,
			options: {
				...COMMON_OPTIONS,
				port: { type: "string" },
				host: { type: "string" },
				status: { type: "string" },
				channel: { type: "string" },
				limit: { type: "string" },
				json: { type: "boolean" },
				"all-dead": { type: "boolean" },
				events: { type: "string" },
				description: { type: "string" },
				url: { type: "string" },
				account: { type: "string" },
				method: { type: "string" },
				ip: { type: "string" },
				set: { type: "string" },
				force: { type: "boolean" },
				"already-restored": { type: "boolean" },
			},
		});
	} catch (error) {
		process.stderr.write(`deadbolt: ${(error as Error).message}\n\n${USAGE}\n`);
		return EXIT.USAGE;
	}
	const [command = "help", ...rest] = parsed.positionals;
	if (parsed.values.help === true || command === "help") {
		process.stdout.write(`${USAGE}\n`);
		return EXIT.OK;
	}
	const isAccount = command === "account" && isAccountAction(rest[0]) && rest.length === 2;
	if (command === "account" && !isAccount) {
		const problem = isAccountAction(rest[0]) ? `"account ${rest[0]}" takes one email address` : `"account" needs an action: ${ACCOUNT_ACTIONS.join(", ")}`;
		process.stderr.write(`deadbolt: ${problem}\n\n${USAGE}\n`);
		return EXIT.USAGE;
	}
	const operatorOptions = OPERATOR_OPTIONS.filter((name) => parsed.values[name] !== undefined);
	const isBackupCommand = command === "backup" || command === "restore";
	if (isBackupCommand) {
		const problem = backupUsageProblem(command, rest, parsed.values);
		const foreign = operatorOptions.filter((name) => !BACKUP_COMMAND_OPTIONS[command].includes(name));
		if (problem !== null || foreign.length > 0) {
			process.stderr.write(`deadbolt: ${problem ?? `"${command}" does not take --${foreign.join(", --")}`}\n\n${USAGE}\n`);
			return EXIT.USAGE;
		}
	} else if (command === "outbox" || command === "webhooks" || command === "access") {
		const problem = command === "outbox" ? outboxUsageProblem(rest, parsed.values) : command === "webhooks" ? webhooksUsageProblem(rest, parsed.values) : accessUsageProblem(rest, parsed.values);
		const allowed = command === "outbox" ? OUTBOX_OPTIONS : command === "webhooks" ? WEBHOOKS_OPTIONS : ACCESS_OPTIONS;
		const foreign = operatorOptions.filter((name) => !allowed.includes(name));
		if (problem !== null || foreign.length > 0) {
			process.stderr.write(`deadbolt: ${problem ?? `"${command}" does not take --${foreign.join(", --")}`}\n\n${USAGE}\n`);
			return EXIT.USAGE;
		}
	} else if (isAccount && isAccountAction(rest[0])) {
		const allowed: readonly string[] = ACCOUNT_ACTION_OPTIONS[rest[0]];
		const foreign = operatorOptions.filter((name) => !allowed.includes(name));
		if (foreign.length > 0) {
			process.stderr.write(`deadbolt: "account ${rest[0]}" does not take --${foreign.join(", --")}\n\n${USAGE}\n`);
			return EXIT.USAGE;
		}
	} else if (operatorOptions.length > 0) {
		process.stderr.write(`deadbolt: --${operatorOptions[0]} belongs to the outbox, webhooks, account groups, access, backup and restore commands\n\n${USAGE}\n`);
		return EXIT.USAGE;
	}
	const isOperatorCommand = command === "outbox" || command === "webhooks" || command === "access";
	if (!isAccount && !isOperatorCommand && !isBackupCommand && (rest.length > 0 || !["serve", "migrate", "config"].includes(command))) {
		process.stderr.write(`deadbolt: unknown command "${[command, ...rest].join(" ")}"\n\n${USAGE}\n`);
		return EXIT.USAGE;
	}
	const overrides: Record<string, unknown> = {};
	if (parsed.values.port !== undefined) {
		if (!/^\d+$/.test(parsed.values.port)) {
			process.stderr.write(`deadbolt: --port must be a whole number\n`);
			return EXIT.USAGE;
		}
		overrides["http"] = { port: Number(parsed.values.port) };
	}
	if (parsed.values.host !== undefined) overrides["http"] = { ...(overrides["http"] as object), host: parsed.values.host };
	if (parsed.values["data-dir"] !== undefined) overrides["dataDir"] = parsed.values["data-dir"];
	try {
		const config = loadConfig({ env: process.env, ...(parsed.values.config === undefined ? {} : { file: parsed.values.config }), overrides });
		if (command === "config") {
			process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
			return EXIT.OK;
		}
		if (isAccount && isAccountAction(rest[0])) {
			return await runAccountCommand(
				config,
				rest[0],
				rest[1] as string,
				{ out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
				{ set: parsed.values.set, json: parsed.values.json },
			);
		}
		const output = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
		if (isOperatorCommand) {
			// They read what a running deadbolt wrote: never a new, empty database made by mistake.
			const missing = missingDatabaseMessage(config, command);
			if (missing !== null) {
				process.stderr.write(missing);
				return EXIT.FAILURE;
			}
		}
		if (command === "backup") return await runBackupCommand(config, rest[0] as string, parsed.values, output);
		if (command === "restore") return await runRestoreCommand(config, rest[0] ?? null, parsed.values, output);
		if (command === "outbox") return await runOutboxCommand(config, rest, parsed.values, output);
		if (command === "webhooks") return await runWebhooksCommand(config, rest, parsed.values, output);
		if (command === "access") return await runAccessCommand(config, parsed.values, output);
		if (command === "migrate") {
			await migrate(config, (line) => process.stdout.write(`${line}\n`));
			return EXIT.OK;
		}
		await serve(config);
		return -1; // keeps running
	} catch (error) {
		if (error instanceof ConfigInvalid) {
			process.stderr.write(`deadbolt: ${error.message}\n`);
			return EXIT.CONFIG;
		}
		process.stderr.write(`deadbolt: ${(error as Error).message}\n`);
		const cause = (error as { cause?: unknown }).cause;
		if (cause instanceof Error) process.stderr.write(`  cause: ${cause.message}\n`);
		return EXIT.FAILURE;
	}
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
