/**
 * Programs of this machine that some suites use as independent peers (OATH Toolkit's
 * `oathtool`, ZBar's `zbarimg`, Debian's `chromium`): found on `PATH` as a shell would, with the
 * Debian package and the one command that installs a missing one; and the children of a process.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Unmet } from "./requirements.js";

/**
 * The absolute path of the executable `command` in the first `PATH` directory that has one.
 * @returns null when no directory of `PATH` has it
 */
export function findOnPath(command: string): string | null {
	for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
		if (dir === "") continue;
		const file = join(dir, command);
		try {
			accessSync(file, constants.X_OK);
			return file;
		} catch {
			// not here: try the next directory
		}
	}
	return null;
}

/**
 * What is unmet when the program `command` of the Debian package `debianPackage` is not on `PATH`.
 * @returns null when it is there
 */
export function debianProgram(command: string, debianPackage: string): Unmet | null {
	if (findOnPath(command) !== null) return null;
	return { missing: `${command} is not installed (Debian package ${debianPackage})`, enable: `sudo apt-get install -y ${debianPackage}` };
}

/** Options of {@link oathtoolTOTP}. */
export interface OathtoolOptions {
	/** HMAC hash (`--totp=MODE`); default "sha1". */
	readonly algorithm?: "sha1" | "sha256" | "sha512";
	/** Default 6. */
	readonly digits?: number;
	/** Step length in seconds; default 30. */
	readonly periodSeconds?: number;
}

/**
 * A TOTP code computed by OATH Toolkit's `oathtool` for the base32 `secretBase32` at `atUnixMillis`.
 * @throws Error when `oathtool` is not installed
 */
export function oathtoolTOTP(secretBase32: string, atUnixMillis: number, options: OathtoolOptions = {}): string {
	const now = new Date(atUnixMillis).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
	const args = [`--totp=${options.algorithm ?? "sha1"}`, "-b", `--digits=${options.digits ?? 6}`, `--time-step-size=${options.periodSeconds ?? 30}s`, `--now=${now}`, secretBase32];
	return execFileSync("oathtool", args, { encoding: "utf8" }).trim();
}

/** The process ids whose parent is `pid`, from /proc (Linux; none elsewhere). */
export function childPids(pid: number): number[] {
	let entries: string[];
	try {
		entries = readdirSync("/proc");
	} catch {
		return [];
	}
	const children: number[] = [];
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			// Field 4 (ppid) follows the command name in parentheses, which may itself hold spaces.
			const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
			if (ppid === pid) children.push(Number(entry));
		} catch {
			// Ended meanwhile.
		}
	}
	return children;
}
