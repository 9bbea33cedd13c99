import { describe, expect, it } from "vitest";
import { loggableError, urlPasswords } from "./logger.js";

describe("loggableError", () => {
	it("keeps message and code only, and removes the connection password from the message (raw and decoded)", () => {
		const secrets = urlPasswords("redis://:p%40ss%20word@cache.example.com:6379/0");
		expect(secrets).toEqual(["p%40ss%20word", "p@ss word"]);
		const error = Object.assign(new Error("ERR AUTH p@ss word called without any password configured for the default user"), { code: "ERR", command: { name: "auth", args: ["p@ss word"] } });
		const logged = loggableError(error, secrets);
		expect(logged).toEqual({ message: "ERR AUTH [redacted] called without any password configured for the default user", code: "ERR" });
		expect(JSON.stringify(logged)).not.toContain("p@ss word");
	});

	it("copes with no password, no URL and non-errors", () => {
		expect(urlPasswords(null)).toEqual([]);
		expect(urlPasswords("redis://cache:6379")).toEqual([]);
		expect(urlPasswords("not a url")).toEqual([]);
		expect(loggableError("boom", [])).toEqual({ message: "boom", code: undefined });
	});
});
