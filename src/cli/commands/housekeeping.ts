/**
 * `deadbolt housekeeping [--json]`: runs housekeeping once, as `deadbolt serve` does at start and
 * every 10 minutes (`service/housekeeping.ts`), and prints how many rows of each kind it deleted.
 * For operators after lowering a retention (`activity.retentionSeconds`, `session.retentionSeconds`,
 * `outbox.retentionSeconds`), or on a database no server runs on. Safe beside running servers.
 */
import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { createDeadbolt, type Deadbolt } from "../../deadbolt.js";
import { action, loadCliConfig, printJSON, requireDatabase, STDIO, withCommonOptions, type CommandOutput, type CommonOptions } from "../program.js";

type HousekeepingResult = Awaited<ReturnType<Deadbolt["purgeExpired"]>>;

/** Each count's line in the text output, in order. */
const LINES: readonly (readonly [keyof HousekeepingResult, string])[] = [
	["expiredActivity", "security events past activity.retentionSeconds"],
	["endedSessions", "sessions past session.retentionSeconds after their end"],
	["settledDeliveries", "delivered and dead deliveries past outbox.retentionSeconds"],
	["endedAccessTokens", "personal access tokens ended 30 days ago"],
	["expiredLoginChallenges", "expired half-way sign-ins"],
	["expiredSignInLinks", "expired sign-in links"],
	["endedOidcGrants", "OpenID Connect grants of ended sessions (apps told)"],
	["expiredOidcPayloads", "expired OpenID Connect rows"],
];

/**
 * Runs housekeeping once on the configured database and prints what it deleted: one
 * `<count>  <what>` line per kind, or with `json` the counts as one JSON object.
 * @throws StorageUnavailable when the database fails (the caller reports it)
 */
export async function runHousekeeping(config: Config, json: boolean, output: CommandOutput): Promise<void> {
	const deadbolt = await createDeadbolt(config);
	try {
		const result = await deadbolt.purgeExpired();
		if (json) printJSON(output, result);
		else for (const [key, what] of LINES) output.out(`${String(result[key]).padStart(9)}  ${what}`);
	} finally {
		await deadbolt.close();
	}
}

/** Registers `housekeeping` on `program`. */
export function registerHousekeepingCommand(program: Command): void {
	withCommonOptions(program.command("housekeeping").description("Delete expired rows and rows past their retention once (as serve does every 10 minutes), and print how many"))
		.option("--json", "print JSON")
		.action(
			action(async (options: CommonOptions & { json?: boolean }) => {
				const config = loadCliConfig(options);
				requireDatabase(config, "housekeeping");
				await runHousekeeping(config, options.json === true, STDIO);
			}),
		);
}
