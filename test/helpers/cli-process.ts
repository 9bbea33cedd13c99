/**
 * The built CLI (`dist/cli/main.js`, built by `npm test`'s pretest) run as operators run it:
 * `deadbolt migrate` and `deadbolt serve` as child processes with their own environment.
 *
 * Every child is started in a process group of its own (`detached`), remembered, and killed
 * by group when the test file ends ({@link stopAllCLIProcesses}, also on the worker's exit), so
 * a failed test leaves no server behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

/** The built CLI entry point. */
export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

/** This process's environment without any `DEADBOLT_*` variable (each test sets its own). */
export const CLEAN_ENV: Readonly<Record<string, string>> = Object.freeze(
	Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => !entry[0].startsWith("DEADBOLT_") && entry[1] !== undefined)),
);

/** Most bytes of a child's output kept for failure messages (the newest are kept). */
const OUTPUT_KEPT_BYTES = 256 * 1024;

/** Every child started here and not yet reaped. */
const running = new Set<ChildProcess>();

process.once("exit", () => {
	for (const child of running) killGroup(child, "SIGKILL");
});

/** How a child process ended. */
export interface Exit {
	/** The exit code, or null when a signal ended it. */
	readonly code: number | null;
	readonly signal: NodeJS.Signals | null;
}

/** A finished CLI command. */
export interface CLIResult extends Exit {
	readonly stdout: string;
	readonly stderr: string;
}

/**
 * Runs `node dist/cli/main.js <args>` and waits for it to end.
 * @param env - the whole environment of the child, on top of {@link CLEAN_ENV}
 * @param timeoutMs - the child is killed (SIGKILL) after this long; default 60 000
 */
export function runCLI(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<CLIResult> {
	const child = spawnCLI(args, env);
	let stdout = "";
	let stderr = "";
	child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
	const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
	return exitOf(child).then((exit) => {
		clearTimeout(timer);
		return { ...exit, stdout, stderr };
	});
}

/** A running `deadbolt serve`. */
export interface ServeProcess {
	/** `http://127.0.0.1:<port>`, as the server logged it. */
	readonly url: string;
	readonly pid: number;
	/** Resolves when the process has ended. */
	readonly exited: Promise<Exit>;
	/** What the process wrote so far (its newest 256 KiB), for failure messages. */
	output(): string;
	/** SIGTERM (a clean stop), then SIGKILL after `graceMs` (default 10 000); resolves when it has ended. */
	stop(graceMs?: number): Promise<Exit>;
	/** Sends `signal` (default SIGKILL) to the process group; resolves when it has ended. */
	kill(signal?: NodeJS.Signals): Promise<Exit>;
}

/**
 * Starts `node dist/cli/main.js serve` and resolves once it logs that it listens (pino's JSON
 * line "deadbolt is listening at ...", so `DEADBOLT_LOG_LEVEL` must be `info` or lower).
 * @param env - the whole environment of the child, on top of {@link CLEAN_ENV}
 * @param readyTimeoutMs - how long to wait for the listening line; default 30 000
 * @throws Error with the child's output when it exits or stays silent
 */
export async function startServe(env: Readonly<Record<string, string>>, readyTimeoutMs = 30_000): Promise<ServeProcess> {
	const child = spawnCLI(["serve"], env);
	const output = keptOutput(child);
	const exited = exitOf(child);
	const url = await new Promise<string>((resolvePromise, reject) => {
		const timer = setTimeout(() => {
			killGroup(child, "SIGKILL");
			reject(new Error(`deadbolt serve did not listen within ${readyTimeoutMs} ms; output:\n${output()}`));
		}, readyTimeoutMs);
		const onData = (): void => {
			const match = /deadbolt is listening at (http:\/\/[^ ]+) /.exec(output());
			if (match === null) return;
			clearTimeout(timer);
			child.stdout?.off("data", onData);
			resolvePromise(match[1] as string);
		};
		child.stdout?.on("data", onData);
		void exited.then((exit) => {
			clearTimeout(timer);
			reject(new Error(`deadbolt serve exited (code ${String(exit.code)}, signal ${String(exit.signal)}) before listening; output:\n${output()}`));
		});
	});
	const kill = (signal: NodeJS.Signals = "SIGKILL"): Promise<Exit> => {
		killGroup(child, signal);
		return exited;
	};
	return {
		url,
		pid: child.pid as number,
		exited,
		output,
		kill,
		stop(graceMs = 10_000): Promise<Exit> {
			killGroup(child, "SIGTERM");
			const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
			return exited.finally(() => clearTimeout(timer));
		},
	};
}

/** Kills (SIGKILL, by process group) every CLI process still running; resolves when all have ended. */
export async function stopAllCLIProcesses(): Promise<void> {
	const children = [...running];
	for (const child of children) killGroup(child, "SIGKILL");
	await Promise.all(children.map((child) => exitOf(child)));
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it for a listener that is
 * closed again at once).
 */
export function freePort(): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address !== null ? address.port : 0;
			server.close(() => resolvePromise(port));
		});
	});
}

function spawnCLI(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
	const child = spawn(process.execPath, [CLI, ...args], { env: { ...CLEAN_ENV, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
	running.add(child);
	child.once("exit", () => running.delete(child));
	return child;
}

/** Resolves when `child` has ended (at once when it already has). */
/**
 * Keeps the newest `keptBytes` of a child's stdout and stderr, interleaved as they came.
 * @returns what is kept so far
 */
export function keptOutput(child: ChildProcess, keptBytes = OUTPUT_KEPT_BYTES): () => string {
	let output = "";
	const append = (chunk: Buffer): void => {
		output += chunk.toString();
		if (output.length > keptBytes) output = output.slice(-keptBytes);
	};
	child.stdout?.on("data", append);
	child.stderr?.on("data", append);
	return () => output;
}

/** How a child ended (resolves at once when it already has). */
export function exitOf(child: ChildProcess): Promise<Exit> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
	return new Promise((resolvePromise) => child.once("exit", (code, signal) => resolvePromise({ code, signal })));
}

/** Signals the child's process group (it leads one: spawned `detached`); ignores one that is gone. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}
