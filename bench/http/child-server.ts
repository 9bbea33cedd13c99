/**
 * The server processes of `npm run bench:http`: each runs under tsx in a child process of its
 * own, says on its IPC channel which port it listens on, and answers the driver's requests
 * (protocol.ts) there. Closing the channel stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReadyMessage, ServerReply, ServerRequest } from "./protocol.js";

/** The repository's root (the servers' working directory). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A child server process with its IPC channel. */
export class ChildServer {
	readonly #child: ChildProcess;
	readonly #pending = new Map<number, (reply: ServerReply) => void>();
	#nextId = 1;
	readonly exited: Promise<number | null>;
	readonly port: number;

	readonly script: string;

	private constructor(child: ChildProcess, port: number, script: string) {
		this.#child = child;
		this.port = port;
		this.script = script;
		this.exited = new Promise((resolve) =>
			child.once("exit", (code, signal) => {
				// A server that dies answers every pending request with an error.
				for (const [id, resolve] of this.#pending) resolve({ id, type: "error", message: `${script} exited (${signal ?? `code ${code}`})` });
				this.#pending.clear();
				resolve(code);
			}),
		);
		child.on("message", (reply: ServerReply) => {
			const resolve = this.#pending.get(reply.id);
			this.#pending.delete(reply.id);
			resolve?.(reply);
		});
		// Sending to a server that has gone: the exit handler above answers.
		child.on("error", () => {});
	}

	/**
	 * Starts `script` (relative to the repository) under tsx with `args`; resolves once it listens.
	 * @param logFile - where its standard output goes (deadbolt's JSON log lines); null: nowhere
	 */
	static async start(script: string, args: string[], env: NodeJS.ProcessEnv, logFile: string | null): Promise<ChildServer> {
		const log = logFile === null ? "ignore" : openSync(logFile, "a");
		const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, script), ...args], { cwd: ROOT, env, stdio: ["ignore", log, "inherit", "ipc"] });
		if (typeof log === "number") closeSync(log);
		const port = await new Promise<number>((resolve, reject) => {
			child.once("exit", (code) => reject(new Error(`${script} exited with code ${code} before listening${logFile === null ? "" : ` (log: ${logFile})`}`)));
			child.once("message", (message: ReadyMessage) => resolve(message.port));
		});
		child.removeAllListeners("exit");
		return new ChildServer(child, port, script);
	}

	/** Sends a request; resolves with its answer. */
	async call<T extends ServerReply["type"]>(request: DistributiveOmit<ServerRequest, "id">, expect: T): Promise<Extract<ServerReply, { type: T }>> {
		const id = this.#nextId++;
		const reply = await new Promise<ServerReply>((resolve) => {
			if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
				resolve({ id, type: "error", message: `${this.script} is not running` });
				return;
			}
			this.#pending.set(id, resolve);
			this.#child.send({ ...request, id });
		});
		if (reply.type === "error") throw new Error(`server: ${reply.message}`);
		if (reply.type !== expect) throw new Error(`server answered ${reply.type}, expected ${expect}`);
		return reply as Extract<ServerReply, { type: T }>;
	}

	/** The server's process id (for its CPU times in /proc). */
	get pid(): number {
		return this.#child.pid as number;
	}

	/** Closes the IPC channel (the server then closes and exits); kills it after 10 s. */
	async stop(): Promise<void> {
		if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
		this.#child.disconnect();
		const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
		await this.exited;
		clearTimeout(timer);
	}
}

/** The environment of a server: ours minus every DEADBOLT_* variable (deadbolt refuses unknown ones), plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("DEADBOLT_")) env[name] = value;
	return { ...env, ...extra };
}

/**
 * Starts the deadbolt bench server `script` (bench/http/server.ts) in `dir`: `config` written to
 * `dir/config.json`, its data (SQLite) in `dir/data`, its log in `dir/server.log`, fresh keys, a
 * free port, and PostgreSQL at `databaseUrl` (null: SQLite).
 */
export async function startBenchServer(script: string, dir: string, databaseUrl: string | null, config: Record<string, unknown>): Promise<ChildServer> {
	mkdirSync(dir, { recursive: true });
	const configFile = join(dir, "config.json");
	writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
	const env = childEnv({
		DEADBOLT_DATA_DIR: join(dir, "data"),
		DEADBOLT_HTTP_PORT: "0",
		DEADBOLT_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
		DEADBOLT_HMAC_KEY: randomBytes(32).toString("base64"),
		...(databaseUrl === null ? {} : { DEADBOLT_DATABASE_URL: databaseUrl }),
	});
	return ChildServer.start(script, [configFile], env, join(dir, "server.log"));
}
