#!/usr/bin/env node
/**
 * The `deadbolt` command (commander 14). Each command group lives in its own file under
 * `commands/` and registers itself here; docs/cli.md is the reference. Exit codes: 0 success,
 * 1 refused or failed, 64 usage error, 78 invalid configuration (BSD sysexits EX_USAGE, EX_CONFIG).
 */
import { Command } from "commander";
import { registerAccessCommands } from "./commands/access.js";
import { registerAccountCommands, registerAccountsCommands } from "./commands/account.js";
import { registerBackupCommands } from "./commands/backup.js";
import { registerConfigCommand } from "./commands/config.js";
import { registerHousekeepingCommand } from "./commands/housekeeping.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerOidcCommands } from "./commands/oidc.js";
import { registerOutboxCommands } from "./commands/outbox.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerWebhooksCommands } from "./commands/webhooks.js";
import { EXIT, exitCodeOfLastCommand, finishCommandTree, KEEPS_RUNNING, ParsedExit } from "./program.js";

export { EXIT } from "./program.js";

/** An overview after the command list of `deadbolt --help`. */
const OVERVIEW = `
Common tasks:
  deadbolt serve                                  start the server
  deadbolt accounts list --search alice           find accounts
  deadbolt account show alice@example.com         one account in full
  deadbolt account unlock|disable|enable|delete|reset-2fa|sign-out-everywhere <account>
  deadbolt account create|sign-in-link|groups <account>
  deadbolt outbox list|show|retry                 mails and webhook deliveries
  deadbolt webhooks list|add|remove               webhook endpoints
  deadbolt access check --url <url>               which access rule decides a request
  deadbolt oidc clients list|add|show|remove|rotate-secret
  deadbolt keys status|rotate|retire              key rings and rotation
  deadbolt backup <file> | restore <file>         SQLite backups (docs/operations.md)
  deadbolt restore --already-restored             after pg_restore or a snapshot
  deadbolt housekeeping                           prune now (after lowering a retention)

Every command takes --help. Configuration: docs/config.md; every command: docs/cli.md.
Exit codes: 0 ok, 1 refused or failed, 64 usage, 78 configuration.`;

/** The whole command tree. */
export function buildProgram(): Command {
	const program = new Command("deadbolt").description("deadbolt: accounts with two-factor authentication, forward-auth and OpenID Connect").addHelpText("after", OVERVIEW);
	registerServeCommand(program);
	registerMigrateCommand(program);
	registerConfigCommand(program);
	registerHousekeepingCommand(program);
	registerAccountCommands(program);
	registerAccountsCommands(program);
	registerOutboxCommands(program);
	registerWebhooksCommands(program);
	registerAccessCommands(program);
	registerOidcCommands(program);
	registerKeysCommands(program);
	registerBackupCommands(program);
	// Another group goes here, from its own file.
	finishCommandTree(program);
	return program;
}

async function main(argv: string[]): Promise<number> {
	const program = buildProgram();
	if (argv.length === 0) {
		process.stdout.write(program.helpInformation());
		return EXIT.OK;
	}
	try {
		await program.parseAsync(argv, { from: "user" });
	} catch (error) {
		if (error instanceof ParsedExit) return error.report();
		throw error;
	}
	return exitCodeOfLastCommand();
}

const code = await main(process.argv.slice(2));
if (code !== KEEPS_RUNNING) process.exit(code);
