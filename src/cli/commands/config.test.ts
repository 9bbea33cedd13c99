import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load.js";
import { redactConfig } from "./config.js";

describe("redactConfig", () => {
	it("hides the keys and the passwords of the database and Redis URLs, and keeps the rest", () => {
		const key = Buffer.alloc(32, 5).toString("base64");
		const config = loadConfig({
			env: {
				DEADBOLT_DATABASE_URL: "postgres://u:db-secret@db.example.com/deadbolt",
				DEADBOLT_REDIS_URL: "rediss://deadbolt:redis-secret@cache.example.com:6380/1",
				DEADBOLT_ENCRYPTION_KEY: key,
				DEADBOLT_HMAC_KEY: key,
			},
		});
		const shown = redactConfig(config) as typeof config;
		const text = JSON.stringify(shown);
		for (const secret of ["db-secret", "redis-secret", key]) expect(text).not.toContain(secret);
		expect(shown.rateLimit).toEqual({ perMinute: 30, redisUrl: "rediss://deadbolt:[redacted]@cache.example.com:6380/1", redisKeyPrefix: "deadbolt:rate-limit:" });
		expect(shown.storage.databaseUrl).toBe("postgres://u:[redacted]@db.example.com/deadbolt");
	});

	it("hides the SMTP URL's password and every webhook signing secret", () => {
		const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
		const config = loadConfig({
			env: { DEADBOLT_EMAIL_SMTP_URL: "smtp://mailer:smtp-secret@mail.example.com:587", DEADBOLT_PUBLIC_URL: "https://auth.example.com" },
			overrides: { webhooks: { endpoints: [{ url: "https://hooks.example.com/deadbolt", events: ["*"], secret }], allowedNetworks: [], timeoutSeconds: 10 } },
		});
		const text = JSON.stringify(redactConfig(config));
		for (const hidden of ["smtp-secret", secret, secret.slice(6)]) expect(text).not.toContain(hidden);
		expect(text).toContain("smtp://mailer:[redacted]@mail.example.com:587");
		expect(text).toContain("https://hooks.example.com/deadbolt");
	});
});
