/** docs/webhooks.md stays true: every event type has its section (with its payload's details), and nothing else. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SECURITY_EVENT_TYPES } from "../src/domain/events/event-types.js";
import { ERROR_CLASSES } from "../src/errors.js";

const doc = readFileSync(new URL("../docs/webhooks.md", import.meta.url), "utf8");

describe("docs/webhooks.md", () => {
	it("has a section for every event type, and only those", () => {
		const documented = [...doc.matchAll(/^### `([a-z_.]+)`$/gm)].map((m) => m[1]);
		expect([...documented].sort()).toEqual([...SECURITY_EVENT_TYPES].sort());
	});

	it("says what each event's details hold", () => {
		for (const type of SECURITY_EVENT_TYPES) {
			const section = doc.split(`### \`${type}\`\n`)[1]!.split("\n### ")[0]!.split("\n## ")[0]!;
			expect(section, type).toContain("`details`");
		}
	});

	it("names only error codes that exist", () => {
		const codes = new Set<string>(ERROR_CLASSES.map((c) => c.code));
		for (const [code] of doc.matchAll(/ERR_[A-Z_]+/g)) expect(codes.has(code), code).toBe(true);
	});
});
