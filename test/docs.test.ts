/** The docs stay true: every error code and every config key is documented, and nothing else. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/config/defaults.js";
import { ENV_VARIABLES } from "../src/config/load.js";
import { ConfigInvalid, ERROR_CLASSES, TooManyAttempts } from "../src/errors.js";
import { STATUS_BY_CODE } from "../src/http/plugins/status-codes.js";

function leafPaths(value: unknown, prefix = ""): string[] {
	if (value !== null && typeof value === "object" && !Array.isArray(value)) {
		return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix === "" ? key : `${prefix}.${key}`));
	}
	return [prefix];
}

describe("docs/errors.md", () => {
	const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
	const documented = [...doc.matchAll(/^## (ERR_[A-Z_]+)$/gm)].map((m) => m[1]);
	const codes = ERROR_CLASSES.map((c) => c.code);

	it("documents every error code, and only those", () => {
		expect([...documented].sort()).toEqual([...codes].sort());
	});

	it("states each code's HTTP status as in the status table", () => {
		for (const code of codes) {
			const section = doc.split(`## ${code}\n`)[1]!.split("\n## ")[0]!;
			const status = STATUS_BY_CODE[code];
			if (code === "ERR_CONFIG_INVALID") expect(section).toContain("500");
			else expect(section, code).toContain(`**HTTP ${status}`);
		}
	});

	it("each error class has matching static and instance codes", () => {
		for (const ErrorClass of ERROR_CLASSES) {
			// Each constructor's first argument is optional or accepts this value.
			const first = ErrorClass === TooManyAttempts ? 1 : ErrorClass === ConfigInvalid ? ["x"] : undefined;
			const instance = new (ErrorClass as never as new (arg: unknown) => { code: string; name: string })(first);
			expect(instance.code).toBe(ErrorClass.code);
			expect(instance.name).toBe(ErrorClass.name);
		}
	});
});

describe("docs/config.md", () => {
	const doc = readFileSync(new URL("../docs/config.md", import.meta.url), "utf8");
	const rows = [...doc.matchAll(/^\| `([a-zA-Z0-9.]+)` \|([^|]*)\| `([^`]*)` \|/gm)];
	const documented = rows.map((m) => m[1]);
	const keys = leafPaths(DEFAULT_CONFIG);

	it("documents every config key, and only those", () => {
		expect([...documented].sort()).toEqual([...keys].sort());
	});

	it("states each key's default as in DEFAULT_CONFIG", () => {
		for (const row of rows) {
			const value = row[1]!.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], DEFAULT_CONFIG);
			const shown = Array.isArray(value) ? JSON.stringify(value) : String(value);
			expect(row[3], row[1]).toBe(shown);
		}
	});

	it("names each key's environment variable as the loader reads it", () => {
		for (const [name, spec] of Object.entries(ENV_VARIABLES)) {
			const row = rows.find((r) => r[1] === spec.path.join("."));
			expect(row?.[2], name).toContain(name);
		}
	});
});
