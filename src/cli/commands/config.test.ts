import { describe, expect, it } from "vitest";
import { redactDatabaseUrl } from "./config.js";

describe("redactDatabaseUrl", () => {
	it("hides every form of a database password", () => {
		expect(redactDatabaseUrl("postgres://u:hunter2@h:5432/db")).toBe("postgres://u:[redacted]@h:5432/db");
		expect(redactDatabaseUrl("postgresql://:hunter2@h/db")).not.toContain("hunter2");
		expect(redactDatabaseUrl("postgres://u@h/db?password=hunter2&sslmode=require")).toBe("postgres://u@h/db?password=[redacted]&sslmode=require");
		expect(redactDatabaseUrl("postgres://u@h/db?sslpassword=hunter2")).not.toContain("hunter2");
		expect(redactDatabaseUrl("postgres://u:hun/ter2@h/db")).not.toContain("ter2");
		expect(redactDatabaseUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
	});
});
