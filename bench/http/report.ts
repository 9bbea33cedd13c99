/**
 * What the HTTP benchmarks (`bench/http.ts`, `bench/forward-auth.ts`) share to print and to start
 * progress: number formatting, a plain-text table, how busy the machine is.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

/** A number with thousands separators and `digits` decimals; `-` when not finite. */
export function formatNumber(value: number, digits = 0): string {
	if (!Number.isFinite(value)) return "-";
	return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints rows of cells under `header`; the columns in `right` are right-aligned, the last one left free. */
export function printTable(header: string[], rows: string[][], right: ReadonlySet<number>): void {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((line) => (line[column] ?? "").length)));
	const format = (line: string[]): string =>
		line
			.map((cell, column) => (column === line.length - 1 ? cell : right.has(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number)))
			.join("  ")
			.trimEnd();
	console.log(format(header));
	console.log(format(widths.map((width) => "-".repeat(width))));
	for (const line of rows) console.log(format(line));
}

/** The load average and, on Linux, the share of time runnable tasks waited for a CPU (PSI). */
export function machineLoad(): string {
	let pressure = "";
	try {
		const some = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"));
		if (some !== null) pressure = `; CPU pressure ${some[1]}% (10 s), ${some[2]}% (60 s)`;
	} catch {
		// No pressure stall information here.
	}
	return `load average ${loadavg().map((value) => value.toFixed(2)).join(", ")} (1, 5, 15 min)${pressure}`;
}

/** A progress line while the benchmark runs. */
export function progress(text: string): void {
	process.stdout.write(`  ${text}\n`);
}
