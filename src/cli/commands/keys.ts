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
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { createDeadbolt, SQLITE_FILE, type Deadbolt } from "../../deadbolt.js";
import { ConfigInvalid, DeadboltError } from "../../errors.js";
type KeyStatus = Awaited<ReturnType<Deadbolt["keyStatus"]>>;
import { formatTable } from "../table.js";
import type { CommandOutput } from "./account.js";

/** The actions of `deadbolt keys`. */
export const KEYS_ACTIONS = Object.freeze(["status", "rotate", "retire"] as const);

/** The help of `deadbolt keys`. */
export const KEYS_USAGE = `Usage: deadbolt keys <action> [options]

  keys status [--json]                 What depends on each key id (sealed values, recovery codes), signing keys
  keys rotate [--batch-size N] [--json]
                                       Re-seal every secret under the primary encryption key (resumable, safe while serving)
  keys rotate --signing [--json]       Add a signing key (published ahead), retire old ones after the longest token life
  keys retire <id> [--hmac] [--json]   Retire an encryption key id (an HMAC key id with --hmac) that nothing uses

Options: --config FILE, --data-dir DIR, --help
Exit codes: 0 done, 1 refused (ERR_KEY_IN_USE) or failed, 64 usage, 78 configuration.
See docs/operations.md, "Key rotation".`;

const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 64, CONFIG: 78 });

const OPTIONS = Object.freeze({
	config: { type: "string" },
	"data-dir": { type: "string" },
	help: { type: "boolean", short: "h" },
	json: { type: "boolean" },
	signing: { type: "boolean" },
	hmac: { type: "boolean" },
	"batch-size": { type: "string" },
} as const);

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
			return EXIT.OK;
		}
		if (action === "rotate" && options.signing === true) {
			const rotation = await deadbolt.rotateSigningKey();
			if (options.json === true) output.out(JSON.stringify({ ...rotation, activatesAt: new Date(rotation.activatesAt).toISOString() }, null, 2));
			else {
				output.out(rotation.createdKid === null ? `a newer signing key is already published; it signs from ${new Date(rotation.activatesAt).toISOString()}` : `signing key ${rotation.createdKid} published; it signs from ${new Date(rotation.activatesAt).toISOString()}`);
				output.out(`${rotation.retired} older signing key(s) left the JWKS; run "deadbolt keys rotate --signing" again after the longest token life to retire the previous key`);
			}
			return EXIT.OK;
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
			return report.missingKey > 0 || report.unopenable > 0 ? EXIT.FAILURE : EXIT.OK;
		}
		const kind = options.hmac === true ? "hmac" : "encryption";
		await deadbolt.retireKey(kind, id);
		if (options.json === true) output.out(JSON.stringify({ retired: { kind, keyId: id } }));
		else output.out(`the ${kind} key "${id}" is retired: remove it from every instance's configuration`);
		return EXIT.OK;
	} catch (error) {
		if (error instanceof DeadboltError && (error.code === "ERR_KEY_IN_USE" || error.code === "ERR_NOT_FOUND")) {
			output.err(`deadbolt: ${error.code}: ${error.message}`);
			return EXIT.FAILURE;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

/**
 * `deadbolt keys ...` from the command line (`argv` starts with `keys`), with its own options.
 * @returns the exit code
 */
export async function keysMain(argv: readonly string[], output: CommandOutput): Promise<number> {
	let parsed;
	try {
		parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
	} catch (error) {
		output.err(`deadbolt: ${(error as Error).message}\n\n${KEYS_USAGE}`);
		return EXIT.USAGE;
	}
	if (parsed.values.help === true) {
		output.out(KEYS_USAGE);
		return EXIT.OK;
	}
	const words = parsed.positionals.slice(1);
	const problem = keysUsageProblem(words, parsed.values);
	if (problem !== null) {
		output.err(`deadbolt: ${problem}\n\n${KEYS_USAGE}`);
		return EXIT.USAGE;
	}
	try {
		const config = loadConfig({ env: process.env, ...(parsed.values.config === undefined ? {} : { file: parsed.values.config }), overrides: parsed.values["data-dir"] === undefined ? {} : { dataDir: parsed.values["data-dir"] } });
		if (config.storage.databaseUrl === null && !existsSync(join(config.dataDir, SQLITE_FILE))) {
			output.err(`deadbolt: there is no database at ${join(config.dataDir, SQLITE_FILE)}: run "keys" with the configuration "deadbolt serve" uses (--config, --data-dir, DEADBOLT_* variables)`);
			return EXIT.FAILURE;
		}
		return await runKeysCommand(config, words, parsed.values, output);
	} catch (error) {
		if (error instanceof ConfigInvalid) {
			output.err(`deadbolt: ${error.message}`);
			return EXIT.CONFIG;
		}
		output.err(`deadbolt: ${(error as Error).message}`);
		return EXIT.FAILURE;
	}
}
