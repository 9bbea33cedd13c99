/** `deadbolt migrate`: applies the database migrations and prints what ran. */
import type { Command } from "commander";
import { action, loadCliConfig, STDIO, withCommonOptions, type CommonOptions } from "../program.js";
import type { Config } from "../../config/schema.js";
import { openConfiguredStore } from "../../deadbolt.js";

/**
 * Opens the configured store, which migrates it to the latest schema (Kysely's migrator lock
 * makes concurrent runs safe), and closes it.
 */
export async function migrate(config: Config, out: (line: string) => void): Promise<void> {
	const store = await openConfiguredStore(config);
	await store.close();
	out(`migrations: up to date (${store.dialect})`);
}

/** Registers `migrate` on `program`. */
export function registerMigrateCommand(program: Command): void {
	withCommonOptions(program.command("migrate").description("Apply database migrations and exit")).action(
		action(async (options: CommonOptions) => {
			await migrate(loadCliConfig(options), STDIO.out);
		}),
	);
}
