/** `deadbolt migrate`: applies the database migrations and prints what ran. */
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
