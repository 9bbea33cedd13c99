/**
 * `deadbolt access check --url URL [--account EMAIL] [--method M] [--ip ADDRESS] [--json]`: which
 * access rule decides a request to a protected app and why (`service/access-check.ts`). Reads the
 * config's rules and, with `--account`, the account's groups, address and 2FA state; changes nothing.
 */
import type { Config } from "../../config/schema.js";
import { createDeadbolt } from "../../deadbolt.js";
import { ForwardedRequestInvalid, NotFound } from "../../errors.js";
import type { Command } from "commander";
import { action, loadCliConfig, requireDatabase, STDIO, UsageError, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

/** The options of `access check`. */
export interface AccessCheckOptions {
	readonly url?: string | undefined;
	readonly account?: string | undefined;
	readonly method?: string | undefined;
	readonly ip?: string | undefined;
	readonly json?: boolean | undefined;
}

/** What is wrong with the words and options of an `access` command; null when they are fine. */
export function accessUsageProblem(rest: readonly string[], options: AccessCheckOptions): string | null {
	if (rest[0] !== "check" || rest.length !== 1) return `"access" has one action: check (deadbolt access check --url URL [--account EMAIL])`;
	if (options.url === undefined || options.url === "") return `"access check" needs --url, the address of a request to a protected app`;
	return null;
}

/**
 * Runs `access check`.
 * @returns 0 printed, 1 refused (a URL that is not absolute http(s), an unknown account)
 */
export async function runAccessCommand(config: Config, options: AccessCheckOptions, output: CommandOutput): Promise<number> {
	const deadbolt = await createDeadbolt(config);
	try {
		const result = await deadbolt.explainAccess({ url: options.url ?? "", method: options.method ?? "GET", clientAddress: options.ip ?? null, email: options.account ?? null });
		if (options.json === true) {
			output.out(JSON.stringify(result, null, 2));
			return 0;
		}
		output.out(`request:  ${result.method} ${result.host}${result.pathAndQuery}${result.clientAddress === null ? "" : ` from ${result.clientAddress}`}`);
		output.out(`account:  ${result.account === null ? "(anonymous)" : `${result.account.email} (groups: ${result.account.groups.join(", ") || "none"}; address ${result.account.emailVerified ? "verified" : "not verified"}; 2FA ${result.account.twoFactorEnabled ? (result.account.twoFactorMailConfirmed ? "on, confirmed by email" : "on, not confirmed by email") : "off"})`}`);
		output.out(`decided by: ${result.ruleIndex === null ? `accessControl.defaultPolicy (no rule matched)` : `accessControl.rules[${result.ruleIndex}] ${JSON.stringify(result.rule)}`}`);
		output.out(`policy:   ${result.policy}${result.maxSecondFactorAgeSeconds === null ? "" : ` (maxSecondFactorAgeSeconds ${result.maxSecondFactorAgeSeconds})`}`);
		output.out(`result:   ${result.verdict}`);
		return 0;
	} catch (error) {
		if (error instanceof NotFound || error instanceof ForwardedRequestInvalid) {
			output.err(`deadbolt: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await deadbolt.close();
	}
}

/** Registers `access check` on `program`. */
export function registerAccessCommands(program: Command): void {
	const access = program.command("access").description("Forward-auth access rules (docs/integrations/README.md)");
	withCommonOptions(access.command("check").description("Which access rule decides a request, and what the account needs to get through"))
		.option("--url <url>", "the address of a request to a protected app (required)")
		.option("--account <account>", "the account making it (email); anonymous without")
		.option("--method <method>", "the request's method (default GET)")
		.option("--ip <address>", "the client's address")
		.option("--json", "print JSON")
		.action(
			action(async (options: CommonOptions & AccessCheckOptions) => {
				const problem = accessUsageProblem(["check"], options);
				if (problem !== null) throw new UsageError(problem);
				const config = loadCliConfig(options);
				requireDatabase(config, "access");
				return runAccessCommand(config, options, STDIO);
			}),
		);
}
