import { describe, expect, it } from "vitest";
import { accessTokenCoversHost, normalizeHostPattern, parseHostList } from "./token-hosts.js";

describe("normalizeHostPattern", () => {
	it.each([
		["app.example.test", "app.example.test"],
		["  App.Example.TEST  ", "app.example.test"],
		["app.example.test:8443", "app.example.test"],
		["app.example.test.", "app.example.test"],
		["*.example.test", "*.example.test"],
		["*.Example.Test:443", "*.example.test"],
		["localhost", "localhost"],
		["127.0.0.1", "127.0.0.1"],
	])("accepts %j as %j", (input, pattern) => expect(normalizeHostPattern(input)).toBe(pattern));

	it.each(["", "*", "*.", "*.test", "a.*.example.test", "**.example.test", "https://app.example.test/", "app.example.test/x", "[::1]", "app example", "-app.example.test", "app_x.example.test", "user@app.example.test"])(
		"refuses %j",
		(input) => expect(normalizeHostPattern(input)).toBeNull(),
	);
});

describe("parseHostList", () => {
	it("reads one a line or comma-separated, normalizes, drops repeats and empty entries", () => {
		expect(parseHostList("app.example.test\n*.Example.Test, grafana.example.test,\r\n\napp.example.test  ")).toEqual({
			patterns: ["app.example.test", "*.example.test", "grafana.example.test"],
			invalid: [],
		});
	});

	it("reports the refused entries as typed", () => {
		expect(parseHostList("ok.example.test, https://bad.example.test/ *")).toEqual({ patterns: ["ok.example.test"], invalid: ["https://bad.example.test/", "*"] });
	});

	it("is empty for blank text", () => {
		expect(parseHostList(" \n, ")).toEqual({ patterns: [], invalid: [] });
	});
});

describe("accessTokenCoversHost", () => {
	it.each([
		[["app.example.test"], "app.example.test", true],
		[["app.example.test"], "other.example.test", false],
		[["app.example.test"], "app.example.test.evil.test", false],
		[["*.example.test"], "app.example.test", true],
		[["*.example.test"], "a.b.example.test", true],
		[["*.example.test"], "example.test", false],
		[["*.example.test"], "evilexample.test", false],
		[["a.example.test", "*.other.test"], "x.other.test", true],
		[[], "app.example.test", false],
	])("%j covers %s: %s", (patterns, host, expected) => expect(accessTokenCoversHost(patterns, host)).toBe(expected));
});
