import { describe, expect, it } from "vitest";
import { redactConnectionUrl } from "./redact.js";

describe("redactConnectionUrl", () => {
	it("hides every form of a database password", () => {
		expect(redactConnectionUrl("postgres://u:hunter2@h:5432/db")).toBe("postgres://u:[redacted]@h:5432/db");
		expect(redactConnectionUrl("postgresql://:hunter2@h/db")).not.toContain("hunter2");
		expect(redactConnectionUrl("postgres://u@h/db?password=hunter2&sslmode=require")).toBe("postgres://u@h/db?password=[redacted]&sslmode=require");
		expect(redactConnectionUrl("postgres://u@h/db?sslpassword=hunter2")).not.toContain("hunter2");
		expect(redactConnectionUrl("postgres://u:hun/ter2@h/db")).not.toContain("ter2");
		expect(redactConnectionUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
	});

	it("hides a Redis password, with or without a user", () => {
		expect(redactConnectionUrl("redis://:hunter2@cache.example.com:6379/0")).toBe("redis://:[redacted]@cache.example.com:6379/0");
		expect(redactConnectionUrl("rediss://deadbolt:hun%40ter2@cache.example.com:6380")).toBe("rediss://deadbolt:[redacted]@cache.example.com:6380");
		expect(redactConnectionUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
	});

	it("redacts a value that is not a URL whole", () => {
		expect(redactConnectionUrl("hunter2")).toBe("[redacted: not a URL]");
	});
});
