/** Plain-text tables for the CLI: columns padded to their widest cell, two spaces apart. */

/**
 * Formats rows under a header, one line each (trailing spaces trimmed).
 * @param header - the column titles
 * @param rows - cells in the header's order
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
	const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
	return [line(header), ...rows.map(line)];
}
