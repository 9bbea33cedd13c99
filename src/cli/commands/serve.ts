/**
 * `deadbolt serve`: opens the store (running migrations), resolves the keys (development keys
 * in the data directory when none are configured, with a warning), decides where mails go
 * (refusing mail settings that cannot work), listens, and starts the outbox dispatcher, which
 * the stop awaits.
 */
import type { Command } from "commander";
import { action, KEEPS_RUNNING, loadCliConfig, UsageError, withCommonOptions, type CommonOptions } from "../program.js";
import type { Config } from "../../config/schema.js";
import { createDeadbolt, HOUSEKEEPING_INTERVAL_MS } from "../../deadbolt.js";

import { buildApp } from "../../app.js";
import type { Logger } from "../../platform/logger.js";
import { createProcessLogger } from "../logger.js";

/** Starts the server; resolves once it listens. Stops cleanly on SIGINT and SIGTERM. */
export async function serve(config: Config): Promise<void> {
	const logger = createProcessLogger(config);
	const deadbolt = await createDeadbolt(config, { logger: logger as unknown as Logger });
	let dispatcher: ReturnType<typeof deadbolt.createDispatcher>;
	try {
		// Mail settings that are refused stop the start before anything listens.
		dispatcher = deadbolt.createDispatcher();
	} catch (error) {
		await deadbolt.close();
		throw error;
	}
	const app = await buildApp(deadbolt, { loggerInstance: logger });
	const storage = config.storage.databaseUrl === null ? `SQLite in ${config.dataDir}` : "PostgreSQL";
	await app.listen({
		host: config.http.host,
		port: config.http.port,
		listenTextResolver: (address) => `deadbolt is listening at ${address} (dashboard: ${address}/dashboard, storage: ${storage})`,
	});
	const purge = (): void => {
		deadbolt.purgeExpired().catch((error: unknown) => logger.warn({ err: error }, "housekeeping failed"));
	};
	dispatcher.start();
	purge();
	const housekeeping = setInterval(purge, HOUSEKEEPING_INTERVAL_MS);
	housekeeping.unref();
	let closing = false;
	const stop = (signal: string): void => {
		if (closing) return;
		closing = true;
		clearInterval(housekeeping);
		logger.info({ event: "server.stopping", signal }, "stopping");
		// The HTTP server first (no new requests), then the dispatcher's sends under way, then the store.
		void app
			.close()
			.then(() => deadbolt.close())
			.then(() => process.exit(0), (error: unknown) => {
				logger.error({ err: error }, "error while stopping");
				process.exit(1);
			});
	};
	process.once("SIGINT", () => stop("SIGINT"));
	process.once("SIGTERM", () => stop("SIGTERM"));
}

/** Registers `serve` on `program`. */
export function registerServeCommand(program: Command): void {
	withCommonOptions(program.command("serve").description("Start the HTTP server (dashboard at /dashboard, JSON API at /api/v1)"))
		.option("--port <n>", "HTTP port (also DEADBOLT_HTTP_PORT; default 8080)")
		.option("--host <addr>", "HTTP bind address (also DEADBOLT_HTTP_HOST; default 127.0.0.1)")
		.action(
			action(async (options: CommonOptions & { port?: string; host?: string }) => {
				if (options.port !== undefined && !/^\d+$/.test(options.port)) throw new UsageError("--port must be a whole number");
				const http = { ...(options.port === undefined ? {} : { port: Number(options.port) }), ...(options.host === undefined ? {} : { host: options.host }) };
				await serve(loadCliConfig(options, Object.keys(http).length === 0 ? {} : { http }));
				return KEEPS_RUNNING;
			}),
		);
}
