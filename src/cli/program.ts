/**
 * What every `deadbolt` command shares (commander 14): exit codes, the common options, loading
 * the configuration, turning errors into exit codes and messages, and who the operator is.
 * Usage errors (an unknown command or option, a missing argument, a bad value) print
 * `deadbolt: <problem>` and the command's help on stderr and exit 64; an invalid configuration
 * (also no database where an operator command looks: {@link requireDatabase}) exits 78; a refusal
 * (no such account, ...) prints `deadbolt: <message>` and exits 1.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { SQLITE_FILE } from "../deadbolt.js";
import { ConfigInvalid, DeadboltError } from "../errors.js";

/** Exit codes of the CLI (BSD sysexits EX_USAGE, EX_CONFIG). */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 64, CONFIG: 78 });

/** Where a command writes: one line at a time. */
export interface CommandOutput {
	readonly out: (line: string) => void;
	readonly err: (line: string) => void;
}

/** The process's stdout and stderr, a line at a time. */
export const STDIO: CommandOutput = Object.freeze({ out: (line: string) => void process.stdout.write(`${line}\n`), err: (line: string) => void process.stderr.write(`${line}\n`) });

/** A command line that makes no command: exit 64 with the message and the command's help. */
export class UsageError extends Error {}

/** The options every command that reads the configuration takes. */
export interface CommonOptions {
	readonly config?: string | undefined;
	readonly dataDir?: string | undefined;
}

/** Adds `--config` and `--data-dir` to a command. */
export function withCommonOptions(command: Command): Command {
	return command
		.addOption(new Option("--config <file>", "JSON configuration file (also DEADBOLT_CONFIG_FILE)"))
		.addOption(new Option("--data-dir <dir>", "SQLite file and development keys (also DEADBOLT_DATA_DIR; default ./data)"));
}

/**
 * The configuration: defaults, the file, `DEADBOLT_*` variables, then these options.
 * @throws ConfigInvalid listing every problem
 */
export function loadCliConfig(options: CommonOptions, overrides: Record<string, unknown> = {}): Config {
	const all = options.dataDir === undefined ? overrides : { ...overrides, dataDir: options.dataDir };
	return loadConfig({ env: process.env, ...(options.config === undefined ? {} : { file: options.config }), overrides: all });
}

/**
 * Refuses to run an operator command on a SQLite file that does not exist: it reads what a running
 * deadbolt wrote, never a new empty database made by mistake (a wrong `--data-dir` or a missing
 * `--config` is a configuration problem: {@link action} exits 78). Call it before anything opens
 * the store. Only `migrate`, `serve` and `restore <file>` may create the database.
 * @throws MissingDatabase naming the file and what to check
 */
export function requireDatabase(config: Config, command: string): void {
	if (config.storage.databaseUrl !== null) return;
	const file = join(config.dataDir, SQLITE_FILE);
	if (!existsSync(file)) throw new MissingDatabase(`there is no database at ${file}: run "${command}" with the configuration "deadbolt serve" uses (--config, --data-dir, DEADBOLT_* variables); on a new installation, run "deadbolt migrate" (or start "deadbolt serve") first`);
}

/** No database where an operator command looks (exit 78, like an invalid configuration). */
class MissingDatabase extends Error {}

/** The OS user running the CLI (the one who ran `sudo`, when run through it), for the audit trail; null when unknown. */
export function osOperator(): string | null {
	const sudoUser = process.env["SUDO_USER"];
	if (sudoUser !== undefined && sudoUser !== "") return sudoUser;
	try {
		return userInfo().username;
	} catch {
		return null;
	}
}

/** The error codes a command reports as a refusal (exit 1) with their message, not as a failure. */
const REFUSALS: ReadonlySet<string> = new Set([
	"ERR_NOT_FOUND",
	"ERR_INVALID_REQUEST",
	"ERR_EMAIL_TAKEN",
	"ERR_GROUP_NAME_INVALID",
	"ERR_ACCOUNT_DISABLED",
	"ERR_TOTP_NOT_ENABLED",
	"ERR_OIDC_DISABLED",
	"ERR_OIDC_CLIENT_EXISTS",
	"ERR_OIDC_CLIENT_READ_ONLY",
	"ERR_FORWARDED_REQUEST_INVALID",
	"ERR_WEBHOOK_TARGET_REFUSED",
	"ERR_DELIVERY_NOT_RETRYABLE",
]);

/** What `serve` returns: the process keeps running (its signal handlers end it). */
export const KEEPS_RUNNING = -1;

/** The exit code of the last command run (set by {@link action}). */
let lastExitCode: number = EXIT.OK;

/** The exit code the last command set. */
export function exitCodeOfLastCommand(): number {
	return lastExitCode;
}

/**
 * Wraps a command's work: its returned exit code is kept; a {@link UsageError} becomes 64 with the
 * command's help, `ConfigInvalid` and a missing database ({@link requireDatabase}) 78, a refusal ({@link REFUSALS}) or any other error 1, each with
 * `deadbolt: <message>` on stderr (and the cause of an unexpected failure).
 */
export function action<A extends unknown[]>(work: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
	return async (...args: A) => {
		const command = args.at(-1) as Command;
		try {
			const code = await work(...args);
			lastExitCode = code ?? EXIT.OK;
		} catch (error) {
			if (error instanceof UsageError) {
				process.stderr.write(`deadbolt: ${error.message}\n\n${command.helpInformation()}`);
				lastExitCode = EXIT.USAGE;
				return;
			}
			process.stderr.write(`deadbolt: ${(error as Error).message}\n`);
			if (error instanceof ConfigInvalid || error instanceof MissingDatabase) {
				lastExitCode = EXIT.CONFIG;
				return;
			}
			const expected = error instanceof DeadboltError && REFUSALS.has(error.code);
			const cause = (error as { cause?: unknown }).cause;
			if (!expected && cause instanceof Error) process.stderr.write(`  cause: ${cause.message}\n`);
			lastExitCode = EXIT.FAILURE;
		}
	};
}

/** The name of a command with its parents', as typed: `account unlock`. */
function pathOf(command: Command): string {
	const names: string[] = [];
	for (let at: Command | null = command; at !== null && at.parent !== null; at = at.parent) names.unshift(at.name());
	return names.join(" ");
}

/** Whether the command names an account (`<account>`: an email address or an account id). */
function takesAccount(command: Command): boolean {
	return command.registeredArguments.some((argument) => argument.name() === "account");
}

/**
 * Whether a word commander took for an option is rather an account id: ids are base64url, so one
 * in 64 begins with "-" (`-3DaDscSGBjpoD41`). A long option's look (`--json`, `--two-factor`) is not.
 */
function looksLikeAccountId(word: string): boolean {
	return /^-[A-Za-z0-9_-]{9,}$/.test(word) && !/^--[a-z][a-z-]*$/.test(word);
}

/** The problem commander found, in the CLI's words. */
function problemOf(error: CommanderError, command: Command): string {
	const path = pathOf(command);
	const unknownOption = /unknown option '([^']+)'/.exec(error.message);
	if (error.code === "commander.unknownOption" && unknownOption !== null) {
		const word = unknownOption[1]!;
		if (path === "") return `unknown option ${word}`;
		const hint = takesAccount(command) && looksLikeAccountId(word) ? `\naccount ids that begin with "-" go after "--": deadbolt ${path} -- ${word}` : "";
		return `"${path}" does not take ${word}${hint}`;
	}
	const unknownCommand = /unknown command '([^']+)'/.exec(error.message);
	if (error.code === "commander.unknownCommand" && unknownCommand !== null) return path === "" ? `unknown command "${unknownCommand[1]}"` : `"${path}" has no action "${unknownCommand[1]}"`;
	return `${path === "" ? "" : `"${path}": `}${error.message.replace(/^error: /, "")}`;
}

/**
 * Sets, on every command of the tree, how commander's own errors end: the usage error and the
 * command's help on stderr, exit 64; `--help` exits 0.
 */
export function finishCommandTree(root: Command): void {
	const visit = (command: Command): void => {
		command.configureOutput({ outputError: () => undefined });
		command.exitOverride((error) => {
			throw new ParsedExit(error, command);
		});
		for (const child of command.commands) visit(child);
	};
	visit(root);
}

/** How a command line ended inside commander (help shown, or a usage error). */
export class ParsedExit extends Error {
	readonly error: CommanderError;
	readonly command: Command;
	constructor(error: CommanderError, command: Command) {
		super(error.message);
		this.error = error;
		this.command = command;
	}

	/** Prints what the user needs and returns the exit code. */
	report(): number {
		const { error, command } = this;
		if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.OK;
		// A command with actions and none given: commander printed its help on stderr.
		if (error.code === "commander.help") return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
		process.stderr.write(`deadbolt: ${problemOf(error, command)}\n\n${command.helpInformation()}`);
		return EXIT.USAGE;
	}
}

/** Prints a value as indented JSON. */
export function printJSON(output: CommandOutput, value: unknown): void {
	output.out(JSON.stringify(value, null, 2));
}

/** `1 session`, `2 sessions`: a count and its noun, plural unless it is one. */
export function countOf(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
