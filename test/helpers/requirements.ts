/**
 * The rule for a suite that needs something this machine may lack (a program from a Debian
 * package, a PostgreSQL or Redis server): without it the suite is skipped with ONE line saying
 * what was skipped, why, and the one command that enables it; when `CI=true` it fails instead
 * (a suite that did not run proves nothing).
 */
import { describe, test } from "vitest";

/** What a suite needs that this machine lacks. */
export interface Unmet {
	/** What is missing, e.g. "oathtool is not installed". */
	readonly missing: string;
	/** The one command that provides it, e.g. "sudo apt-get install -y oathtool". */
	readonly enable: string;
}

/** True when the run must not skip anything (`CI=true`). */
export function requiredByCI(): boolean {
	return process.env["CI"] === "true";
}

/** The one line printed for a skipped suite: `skipped "<title>": <missing>. To run it: <enable>`. */
export function skipLine(title: string, unmet: Unmet): string {
	return `skipped "${title}": ${unmet.missing}. To run it: ${unmet.enable}`;
}

/**
 * Declares a suite that needs something the machine may lack: with `unmet` null it is an
 * ordinary `describe`; otherwise it prints {@link skipLine} and is skipped, or, when `CI=true`,
 * is replaced by one failing test naming what is missing and the command that provides it.
 */
export function describeWhen(title: string, unmet: Unmet | null, body: () => void): void {
	if (unmet === null) {
		describe(title, body);
	} else if (requiredByCI()) {
		test(`${title}: what it needs is available (required when CI=true)`, () => {
			throw new Error(`${unmet.missing}; required when CI=true. Provide it with: ${unmet.enable}`);
		});
	} else {
		console.warn(skipLine(title, unmet));
		describe.skip(`${title} (skipped: ${unmet.missing})`, body);
	}
}
