/**
 * A PostgreSQL server of a test's own, so that the test may stop, freeze and restart it without
 * touching the machine's shared server: `initdb` into a temporary directory (trust
 * authentication, user `postgres`), `pg_ctl start` on a free port of 127.0.0.1 with its socket
 * in that directory. Binaries come from the newest `/usr/lib/postgresql/<version>/bin` (Debian's
 * layout) or from `PATH`.
 *
 * PostgreSQL refuses to run as root: as root, every server command runs as the `postgres` user
 * (`runuser -u postgres --`), in a directory that user owns.
 *
 * Always {@link PrivatePostgres.destroy} it (afterAll): it stops the server (immediate mode)
 * and removes the directory. A server left frozen is thawed first.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./cli-process.js";
import type { Unmet } from "./requirements.js";
import { childPids } from "./system-tools.js";

/** A private PostgreSQL server. */
export interface PrivatePostgres {
	readonly port: number;
	/** `postgres://postgres@127.0.0.1:<port>/<database>` (default database `postgres`). */
	url(database?: string): string;
	/** Starts the server again after {@link stop} (nothing when it runs); resolves once it accepts connections. */
	start(): Promise<void>;
	/** Stops the server (`fast`: ends sessions, checkpoints; `immediate`: like a crash); nothing when it is stopped. */
	stop(mode?: "fast" | "immediate"): Promise<void>;
	/** The server's log so far (`pg_ctl -l`). */
	log(): string;
	/** SIGSTOPs the postmaster and every backend: the server is up but answers nothing. */
	freeze(): void;
	/** SIGCONTs what {@link freeze} stopped (nothing when nothing is frozen). */
	thaw(): void;
	/** Stops the server if it runs and removes its directory. */
	destroy(): Promise<void>;
}

/** Where `initdb` and `pg_ctl` are, or why they cannot be used. */
export type PostgresBinaries = { readonly binDir: string; readonly missing: null } | { readonly binDir: null; readonly missing: Unmet };

/** Finds the server binaries (newest Debian version first, then `PATH`), checking the `postgres` user when running as root. */
export function findPostgresBinaries(): PostgresBinaries {
	const candidates: string[] = [];
	const debianRoot = "/usr/lib/postgresql";
	if (existsSync(debianRoot)) {
		const versions = readdirSync(debianRoot).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
		candidates.push(...versions.map((version) => join(debianRoot, version, "bin")));
	}
	for (const dir of (process.env["PATH"] ?? "").split(":")) if (dir !== "") candidates.push(dir);
	const binDir = candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
	const install = "sudo apt-get install -y postgresql";
	if (binDir === undefined) return { binDir: null, missing: { missing: "the PostgreSQL server programs (initdb, pg_ctl) are not in /usr/lib/postgresql/<version>/bin or on PATH", enable: install } };
	if (isRoot() && postgresUser() === null) return { binDir: null, missing: { missing: "running as root, but there is no `postgres` user to run the private PostgreSQL server as", enable: install } };
	return { binDir, missing: null };
}

/**
 * Creates and starts a private server.
 * @throws Error when `initdb` or `pg_ctl start` fails (with their output)
 */
export async function startPrivatePostgres(binDir: string): Promise<PrivatePostgres> {
	const root = mkdtempSync(join(tmpdir(), "deadbolt-pg-"));
	const owner = isRoot() ? postgresUser() : null;
	if (owner !== null) chownSync(root, owner.uid, owner.gid);
	const dataDir = join(root, "data");
	const port = await freePort();
	const run = async (command: string, args: readonly string[]): Promise<string> => {
		const tool = join(binDir, command);
		const [file, argv] = owner === null ? [tool, args] : ["runuser", ["-u", "postgres", "--", tool, ...args]];
		try {
			return (await execFileAsync(file, argv, { encoding: "utf8", timeout: 90_000 })).stdout;
		} catch (error) {
			const failure = error as { stdout?: string; stderr?: string; message: string };
			const log = existsSync(join(root, "server.log")) ? readFileSync(join(root, "server.log"), "utf8") : "";
			throw new Error(`${command} ${args.join(" ")} failed: ${failure.message}\n${failure.stdout ?? ""}${failure.stderr ?? ""}\n${log}`);
		}
	};
	let running = false;
	let frozen: number[] = [];
	const start = async (): Promise<void> => {
		if (running) return;
		// fsync off: these servers are stopped cleanly or as a crash of the server alone (never of
		// the machine), where the kernel still holds every write; it spares a shared disk.
		const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
		await run("pg_ctl", ["-D", dataDir, "-l", join(root, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
		running = true;
	};
	const stop = async (mode: "fast" | "immediate" = "fast"): Promise<void> => {
		if (!running) return;
		await run("pg_ctl", ["-D", dataDir, "-m", mode, "-w", "-t", "60", "stop"]);
		running = false;
	};
	const signalServer = (signal: NodeJS.Signals, pids: readonly number[]): void => {
		for (const pid of pids) {
			try {
				process.kill(pid, signal);
			} catch {
				// Gone meanwhile.
			}
		}
	};
	// Should the worker end without afterAll (a crash, a timeout), the server goes with it.
	const stopOnExit = (): void => {
		const tool = join(binDir, "pg_ctl");
		const args = ["-D", dataDir, "-m", "immediate", "-w", "stop"];
		try {
			if (frozen.length > 0) signalServer("SIGCONT", frozen);
			if (running) execFileSync(owner === null ? tool : "runuser", owner === null ? args : ["-u", "postgres", "--", tool, ...args], { stdio: "ignore", timeout: 30_000 });
		} catch {
			// Nothing more can be done while exiting.
		}
		rmSync(root, { recursive: true, force: true });
	};
	process.once("exit", stopOnExit);
	await run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]);
	await start();
	return {
		port,
		url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
		start,
		stop,
		log: () => (existsSync(join(root, "server.log")) ? readFileSync(join(root, "server.log"), "utf8") : ""),
		freeze(): void {
			const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
			// The postmaster first, so that it starts no new backend meanwhile.
			frozen = [postmaster, ...childPids(postmaster)];
			signalServer("SIGSTOP", frozen);
		},
		thaw(): void {
			signalServer("SIGCONT", frozen);
			frozen = [];
		},
		async destroy(): Promise<void> {
			process.off("exit", stopOnExit);
			signalServer("SIGCONT", frozen);
			frozen = [];
			try {
				if (running) await stop("immediate");
			} finally {
				rmSync(root, { recursive: true, force: true });
			}
		},
	};
}

const execFileAsync = promisify(execFile);

function isRoot(): boolean {
	return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The `postgres` user's ids, or null when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
	try {
		const line = readFileSync("/etc/passwd", "utf8").split("\n").find((entry) => entry.startsWith("postgres:"));
		if (line === undefined) return null;
		const fields = line.split(":");
		return { uid: Number(fields[2]), gid: Number(fields[3]) };
	} catch {
		return null;
	}
}
