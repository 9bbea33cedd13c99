/**
 * `deadbolt keys <action>`: key rings and rotation (docs/operations.md, "Key rotation").
 * - `status [--json]`: the key ids of this instance, what depends on each (sealed values per
 *   table, unused recovery codes and their accounts), the recorded and retired ids, the signing keys;
 * - `rotate [--batch-size N] [--json]`: re-seals every sealed value under the primary encryption
 *   key, in batches, printing progress; safe while instances serve, resumable (run it again);
 * - `rotate --signing [--json]`: a new signing key, published in the JWKS ahead of signing;
 *   older keys leave the JWKS once the longest token life has passed since their successor signs;
 * - `retire <id> [--hmac] [--json]`: retires an encryption (or, with `--hmac`, an HMAC) key id,
 *   refused (exit 1, ERR_KEY_IN_USE) while it is primary or anything depends on it.
 * Exit codes: 0 done, 1 refused or failed, 64 usage, 78 configuration.
 */
import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { DeadboltError } from "../../errors.js";
import { action, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";
import { formatTable } from "../table.js";

type KeyStatus = Awaited<ReturnType<Deadbolt["keyStatus"]>>;

/** The actions of `deadbolt keys`. */
export const KEYS_ACTIONS = Object.freeze(["status", "rotate", "retire"] as const);

/** Parsed options of `deadbolt keys`. */
interface KeysOptions {
	readonly json?: boolean | undefined;
	readonly signing?: boolean | undefined;
	readonly hmac?: boolean | undefined;
	readonly "batch-size"?: string | undefined;
}

/**
 * What is wrong with the words and options after `keys`, or null when they make a command.
 * @param words - the words after `keys`
 */
export function keysUsageProblem(words: readonly string[], options: KeysOptions): string | null {
	const [action, ...args] = words;
	if (!(KEYS_ACTIONS as readonly string[]).includes(action ?? "")) return `"keys" needs an action: ${KEYS_ACTIONS.join(", ")}`;
	const batch = options["batch-size"];
	if (batch !== undefined && (!/^\d{1,5}$/.test(batch) || Number(batch) < 1 || Number(batch) > 10_000)) return "--batch-size must be a whole number from 1 to 10000";
	if (action === "status") return args.length === 0 && options.signing !== true && options.hmac !== true && batch === undefined ? null : `"keys status" takes only --json`;
	if (action === "rotate") {
		if (args.length > 0 || options.hmac === true) return `"keys rotate" takes --signing, --batch-size and --json`;
		return options.signing === true && batch !== undefined ? `"keys rotate --signing" takes no --batch-size` : null;
	}
	return args.length === 1 && options.signing !== true && batch === undefined ? null : `"keys retire" takes one key id (and --hmac, --json)`;
}

/** The status as lines for a person. */
function statusLines(status: KeyStatus): string[] {
	const lines: string[] = [];
	const encryptionIds = [...new Set([...status.encryption.keyIds, ...Object.keys(status.encryption.sealedValues)])];
	lines.push(`encryption keys (primary "${status.encryption.primaryId}"):`);
	lines.push(
		...formatTable(
			["ID", "HELD", "RETIRED", "SEALED VALUES", "BY TABLE"],
			encryptionIds.map((id) => {
				const uses = status.encryption.sealedValues[id] ?? {};
				const total = Object.values(uses).reduce((sum, count) => sum + (count ?? 0), 0);
				const retired = status.recorded.find((record) => record.kind === "encryption" && record.keyId === id)?.retiredAt ?? null;
				return [id, status.encryption.keyIds.includes(id) ? "yes" : "NO", retired === null ? "" : new Date(retired).toISOString(), String(total), Object.entries(uses).map(([source, count]) => `${source}=${count}`).join(" ")];
			}),
		).map((line) => `  ${line}`),
	);
	lines.push(`hmac keys (primary "${status.hmac.primaryId}"):`);
	const hmacIds = [...new Set([...status.hmac.keyIds, ...Object.keys(status.hmac.recoveryCodes)])];
	lines.push(
		...formatTable(
			["ID", "HELD", "RETIRED", "RECOVERY CODES", "ACCOUNTS"],
			hmacIds.map((id) => {
				const uses = status.hmac.recoveryCodes[id] ?? { codes: 0, accounts: 0 };
				const retired = status.recorded.find((record) => record.kind === "hmac" && record.keyId === id)?.retiredAt ?? null;
				return [id, status.hmac.keyIds.includes(id) ? "yes" : "NO", retired === null ? "" : new Date(retired).toISOString(), String(uses.codes), String(uses.accounts)];
			}),
		).map((line) => `  ${line}`),
	);
	lines.push("signing keys (JWKS):");
	lines.push(...formatTable(["KID", "GENERATION", "SIGNS FROM", "SIGNING"], status.signingKeys.map((key) => [key.kid, String(key.generation), new Date(key.activatesAt).toISOString(), key.active ? "yes" : "not yet"])).map((line) => `  ${line}`));
	return lines;
}

/**
 * Runs one `keys` action on a parsed configuration.
 * @returns the exit code: 0 done, 1 refused (ERR_KEY_IN_USE, ERR_NOT_FOUND) or a value left unsealed
 * @throws StorageUnavailable and other failures (the caller reports them)
 */
export async function runKeysCommand(config: Config, words: readonly string[], options: KeysOptions, output: CommandOutput): Promise<number> {
	const [action, id = ""] = words;
	const deadbolt = await createDeadbolt(config);
	try {
		if (action === "status") {
			const status = await deadbolt.keyStatus();
			if (options.json === true) output.out(JSON.stringify(status, null, 2));
			else for (const line of statusLines(status)) output.out(line);
			return 0;
		}
		if (action === "rotate" && options.signing === true) {
			const rotation = await deadbolt.rotateSigningKey();
			if (options.json === true) output.out(JSON.stringify({ ...rotation, activatesAt: new Date(rotation.activatesAt).toISOString() }, null, 2));
			else {
				output.out(rotation.createdKid === null ? `a newer signing key is already published; it signs from ${new Date(rotation.activatesAt).toISOString()}` : `signing key ${rotation.createdKid} published; it signs from ${new Date(rotation.activatesAt).toISOString()}`);
				output.out(`${rotation.retired} older signing key(s) left the JWKS; run "deadbolt keys rotate --signing" again after the longest token life to retire the previous key`);
			}
			return 0;
		}
		if (action === "rotate") {
			const report = await deadbolt.resealUnderPrimary({
				...(options["batch-size"] === undefined ? {} : { batchSize: Number(options["batch-size"]) }),
				onProgress: (progress) => {
					if (options.json !== true) output.err(`${progress.source}: ${progress.seen} seen, ${progress.report.resealed} re-sealed so far`);
				},
			});
			if (options.json === true) output.out(JSON.stringify(report, null, 2));
			else output.out(`re-sealed ${report.resealed}, already current ${report.current}, changed meanwhile ${report.changedMeanwhile}, under a key this instance lacks ${report.missingKey}, unopenable ${report.unopenable}`);
			return report.missingKey > 0 || report.unopenable > 0 ? 1 : 0;
		}
		const kind = options.hmac === true ? "hmac" : "encryption";
		await deadbolt.retireKey(kind, id);
		if (options.json === true) output.out(JSON.stringify({ retired: { kind, keyId: id } }));
		else {
			output.out(`the ${kind} key "${id}" is retired: remove it from every instance's configuration`);
			// This command sees its own configuration only: an instance still running with the key as primary goes on using it.
			if (kind === "encryption") output.out(`check first that no instance still runs with "${id}" as its primary key (restarted since the primary changed): "deadbolt keys status" must keep showing 0 uses of "${id}"`);
		}
		return 0;
	} catch (error) {
		if (error instanceof DeadboltError && (error.code === "ERR_KEY_IN_USE" || error.code === "ERR_NOT_FOUND")) {
			output.err(`deadbolt: ${error.code}: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

type ParsedKeysOptions = CommonOptions & KeysOptions;

/** Runs a keys action after its checks. */
async function runChecked(words: readonly string[], options: ParsedKeysOptions): Promise<number> {
	const problem = keysUsageProblem(words, options);
	if (problem !== null) throw new UsageError(problem);
	const config = loadCliConfig(options);
	requireDatabase(config, "keys");
	return runKeysCommand(config, words, options, STDIO);
}

/** Registers `keys status|rotate|retire` on `program`. */
export function registerKeysCommands(program: Command): void {
	const keys = program
		.command("keys")
		.description('Key rings: what uses each key, re-seal under the primary key, rotate the signing key, retire a key (docs/operations.md, "Key rotation")')
		.addHelpText(
			"after",
			`
In order (docs/operations.md, "Key rotation"):
  deadbolt keys status                  what depends on each key id
  deadbolt keys rotate                  re-seal every secret under the primary encryption key
  deadbolt keys retire <old id>         once nothing uses it (refused with exit 1 otherwise)
  deadbolt keys rotate --signing        a new JWKS signing key, published ahead`,
		);
	withCommonOptions(keys.command("status").description("What depends on each key id (sealed values, recovery codes), and the signing keys"))
		.option("--json", "print JSON")
		.action(action(async (options: ParsedKeysOptions) => runChecked(["status"], options)));
	withCommonOptions(keys.command("rotate").description("Re-seal every secret under the primary encryption key (resumable, safe while serving); with --signing, add a signing key published ahead"))
		.option("--signing", "rotate the signing key (JWKS) instead")
		.option("--batch-size <n>", "rows per batch (default 100)")
		.option("--json", "print JSON")
		.action(action(async (options: ParsedKeysOptions & { batchSize?: string }) => runChecked(["rotate"], { ...options, "batch-size": options.batchSize })));
	withCommonOptions(keys.command("retire").description("Retire an encryption key id (an HMAC key id with --hmac) that nothing uses; refused (exit 1, ERR_KEY_IN_USE) otherwise"))
		.argument("<id>", "the key id")
		.option("--hmac", "an HMAC key id")
		.option("--json", "print JSON")
		.action(action(async (id: string, options: ParsedKeysOptions) => runChecked(["retire", id], options)));
}
