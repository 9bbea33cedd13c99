import { describe, expect, it } from "vitest";
import { ConfigInvalid } from "../errors.js";
import { DEFAULT_CONFIG } from "./defaults.js";
import { loadConfig } from "./load.js";

const KEY = Buffer.alloc(32, 3).toString("base64");

function problems(env: Record<string, string>, overrides?: unknown): readonly string[] {
	try {
		loadConfig({ env, overrides });
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigInvalid);
		return (error as ConfigInvalid).issues;
	}
	return [];
}

describe("loadConfig", () => {
	it("without input returns the frozen defaults, the issuer being the product name", () => {
		const config = loadConfig();
		expect(config).toEqual({ ...DEFAULT_CONFIG, issuer: "deadbolt" });
		expect(Object.isFrozen(config.totp)).toBe(true);
	});

	it("reads DEADBOLT_* variables into their nested keys", () => {
		const config = loadConfig({ env: { DEADBOLT_HTTP_PORT: "9000", DEADBOLT_ISSUER: "Acme", DEADBOLT_TRUSTED_PROXIES: "10.0.0.1, 10.0.0.2", DEADBOLT_ENCRYPTION_KEY: KEY, DEADBOLT_HMAC_KEY: KEY } });
		expect(config.http.port).toBe(9000);
		expect(config.issuer).toBe("Acme");
		expect(config.http.trustedProxies).toEqual(["10.0.0.1", "10.0.0.2"]);
		expect(config.keys.encryptionKey).toBe(KEY);
	});

	it("reports every problem at once, one line per mistake, naming the variable", () => {
		const issues = problems({ DEADBOLT_HTTP_PORT: "abc", DEADBOLT_ENCRYPTION_KEY: "short", DEADBOLT_HMAC_KEY: KEY, DEADBOLT_LOG_LEVEL: "verbose", DEADBOLT_TYPO: "1" });
		expect(issues.filter((i) => i.includes("DEADBOLT_HTTP_PORT") && !i.startsWith("DEADBOLT_TYPO"))).toHaveLength(1);
		expect(issues.some((i) => i.includes("DEADBOLT_ENCRYPTION_KEY") && i.includes("32 bytes"))).toBe(true);
		expect(issues.some((i) => i.includes("DEADBOLT_LOG_LEVEL") && i.includes("debug"))).toBe(true);
		expect(issues.some((i) => i.startsWith("DEADBOLT_TYPO: unknown"))).toBe(true);
	});

	it("refuses unknown keys, out-of-range values and a colon in the issuer", () => {
		expect(problems({}, { totp: { digits: 9 } }).join()).toContain("totp.digits");
		expect(problems({}, { nope: 1 }).length).toBeGreaterThan(0);
		expect(problems({ DEADBOLT_ISSUER: "a:b" }).join()).toContain("without a colon");
		expect(problems({}, { password: { argon2: { memoryKiB: 1024 } } }).join()).toContain("password.argon2.memoryKiB");
	});

	it("reads DEADBOLT_LOG_FORMAT (json by default, or pretty) and refuses any other format, naming the variable", () => {
		expect(loadConfig().log.format).toBe("json");
		expect(loadConfig({ env: { DEADBOLT_LOG_FORMAT: "pretty" } }).log.format).toBe("pretty");
		expect(problems({ DEADBOLT_LOG_FORMAT: "text" })).toEqual(["log.format (DEADBOLT_LOG_FORMAT): must be json (one JSON object a line, for machines) or pretty (for a terminal)"]);
		expect(problems({}, { log: { format: "PRETTY" } }).join()).toContain("log.format (DEADBOLT_LOG_FORMAT)");
	});

	it("refuses one key without the other", () => {
		expect(problems({ DEADBOLT_HMAC_KEY: KEY }).join()).toContain("set both");
	});

	it("reads DEADBOLT_REDIS_URL and DEADBOLT_REDIS_KEY_PREFIX; an empty URL means none", () => {
		expect(loadConfig().rateLimit.redisUrl).toBeNull();
		const config = loadConfig({ env: { DEADBOLT_REDIS_URL: "rediss://deadbolt:p%40ss@cache.example.com:6380/2", DEADBOLT_REDIS_KEY_PREFIX: "acme:limits:" } });
		expect(config.rateLimit).toEqual({ perMinute: 30, redisUrl: "rediss://deadbolt:p%40ss@cache.example.com:6380/2", redisKeyPrefix: "acme:limits:" });
		expect(loadConfig({ env: { DEADBOLT_REDIS_URL: "" } }).rateLimit.redisUrl).toBeNull();
		expect(loadConfig({ env: { DEADBOLT_REDIS_URL: "redis://[::1]:6379" } }).rateLimit.redisUrl).toBe("redis://[::1]:6379");
	});

	it("refuses a Redis URL that is not redis:// or rediss://, has no host, a path that is not a database number, a query or a bad port", () => {
		for (const url of ["http://cache:6379", "cache:6379", "redis://", "redis:///0", "redis://cache/x", "redis://cache:6379/0?family=6", "redis://cache#x", "redis://cache:99999", "REDIS://cache"]) {
			const issues = problems({ DEADBOLT_REDIS_URL: url });
			expect(issues, url).toHaveLength(1);
			expect(issues[0], url).toContain("rateLimit.redisUrl (DEADBOLT_REDIS_URL): must be a URL redis://");
		}
		expect(problems({}, { rateLimit: { redisUrl: 6379 } }).join()).toContain("DEADBOLT_REDIS_URL");
		expect(problems({ DEADBOLT_REDIS_KEY_PREFIX: "has space" }).join()).toContain("DEADBOLT_REDIS_KEY_PREFIX");
		expect(problems({ DEADBOLT_REDIS_KEY_PREFIX: "" }).join()).toContain("DEADBOLT_REDIS_KEY_PREFIX");
	});

	it("refuses a public URL with a path and a database URL that is not postgres", () => {
		expect(problems({ DEADBOLT_PUBLIC_URL: "https://auth.example.com/x" }).join()).toContain("DEADBOLT_PUBLIC_URL");
		expect(problems({ DEADBOLT_DATABASE_URL: "mysql://x" }).join()).toContain("postgres://");
	});

	it("checks twoFactorPolicy: enforcedSince an ISO date, required once enforced; groups listed and valid, and normalized", () => {
		expect(problems({}, { twoFactorPolicy: { enforce: "everyone" } }).join()).toContain("twoFactorPolicy.enforcedSince: required");
		expect(problems({}, { twoFactorPolicy: { enforce: "everyone", enforcedSince: "next monday" } }).join()).toContain("ISO 8601");
		expect(problems({}, { twoFactorPolicy: { enforce: "groups", enforcedSince: "2026-12-07" } }).join()).toContain("at least one group");
		expect(problems({}, { twoFactorPolicy: { enforce: "groups", enforcedSince: "2026-12-07", groups: ["bad name"] } }).join()).toContain("twoFactorPolicy.groups[0]");
		const config = loadConfig({ env: {}, overrides: { twoFactorPolicy: { enforce: "groups", enforcedSince: "2026-12-07T09:00:00Z", groups: ["Admins"] } } });
		expect(config.twoFactorPolicy.groups).toEqual(["admins"]);
	});
});
