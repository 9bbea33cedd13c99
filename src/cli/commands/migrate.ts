/** `deadbolt migrate`: applies the database migrations and prints which ran. */
import type { Command } from "commander";
import { action, loadCliConfig, STDIO, withCommonOptions, type CommonOptions } from "../program.js";
import type { Config } from "../../config/schema.js";
import { migrateConfiguredDatabase } from "../../deadbolt.js";

/**
 * Opens the configured store, which migrates it to the latest schema (Kysely's migrator lock
 * makes concurrent runs safe), closes it, and prints one `applied: <name>` line per migration
 * this run applied, then where the schema stands:
 * `migrations: up to date (sqlite, schema 0020-sessions-without-second-factor; 20 applied now)`, or
 * `migrations: already up to date (sqlite, schema 0020-sessions-without-second-factor; none applied)`.
 * @throws StorageUnavailable when the database cannot be opened or a migration fails
 */
export async function migrate(config: Config, out: (line: string) => void): Promise<void> {
	const report = await migrateConfiguredDatabase(config);
	for (const name of report.applied) out(`applied: ${name}`);
	if (report.applied.length === 0) out(`migrations: already up to date (${report.dialect}, schema ${report.schema}; none applied)`);
	else out(`migrations: up to date (${report.dialect}, schema ${report.schema}; ${report.applied.length} applied now)`);
}

/** Registers `migrate` on `program`. */
export function registerMigrateCommand(program: Command): void {
	withCommonOptions(program.command("migrate").description("Apply database migrations, print which ran, and exit")).action(
		action(async (options: CommonOptions) => {
			await migrate(loadCliConfig(options), STDIO.out);
		}),
	);
}
