/**
 * Loads deadbolt's configuration once, at boot: defaults, then an optional JSON file, then
 * `DEADBOLT_*` environment variables, then explicit overrides (CLI flags, tests). The result is
 * validated against one closed schema and deep-frozen (DESIGN.md §3.5, rule 8).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Value } from "@sinclair/typebox/value";
import { ConfigInvalid } from "../errors.js";
import { normalizeGroupName } from "../domain/access/group-name.js";
import { twoFactorPolicyIssues } from "./two-factor-policy.js";
import { brandingIssues } from "./branding.js";
import { keyRingIssues, parseKeyRingText, type KeyRingSettings } from "./key-rings.js";
import { forwardAuthIssues } from "./forward-auth.js";
import { clientSecret, oidcIssues } from "./oidc.js";
import { DEFAULT_CONFIG } from "./defaults.js";
import { deepFreeze } from "./freeze.js";
import { ConfigSchema, type Config, type ConfigInput } from "./schema.js";

/** A partial configuration: any subset of {@link Config}, nested. */
export type ConfigOverrides = { [K in keyof ConfigInput]?: ConfigInput[K] extends readonly unknown[] ? ConfigInput[K] : ConfigInput[K] extends object ? Partial<ConfigInput[K]> | undefined : ConfigInput[K] };

/** What {@link loadConfig} reads. */
export interface LoadConfigOptions {
	/** Environment variables (default: none; pass `process.env` to read the process's). */
	env?: Readonly<Record<string, string | undefined>>;
	/** Path of a JSON configuration file; `DEADBOLT_CONFIG_FILE` in `env` is used when absent. */
	file?: string;
	/** Applied last (CLI flags, tests). */
	overrides?: unknown;
}

/** Each environment variable and the config path it sets, with how its text is read. */
export const ENV_VARIABLES: Readonly<Record<string, { path: readonly string[]; parse: "string" | "integer" | "list" | "keyring" }>> = deepFreeze({
	DEADBOLT_ISSUER: { path: ["issuer"], parse: "string" },
	DEADBOLT_DATA_DIR: { path: ["dataDir"], parse: "string" },
	DEADBOLT_HTTP_HOST: { path: ["http", "host"], parse: "string" },
	DEADBOLT_HTTP_PORT: { path: ["http", "port"], parse: "integer" },
	DEADBOLT_PUBLIC_URL: { path: ["http", "publicUrl"], parse: "string" },
	DEADBOLT_TRUSTED_PROXIES: { path: ["http", "trustedProxies"], parse: "list" },
	DEADBOLT_DATABASE_URL: { path: ["storage", "databaseUrl"], parse: "string" },
	DEADBOLT_REDIS_URL: { path: ["rateLimit", "redisUrl"], parse: "string" },
	DEADBOLT_REDIS_KEY_PREFIX: { path: ["rateLimit", "redisKeyPrefix"], parse: "string" },
	DEADBOLT_RATE_LIMIT_PER_MINUTE: { path: ["rateLimit", "perMinute"], parse: "integer" },
	DEADBOLT_POSTGRES_POOL_SIZE: { path: ["storage", "postgresPoolSize"], parse: "integer" },
	DEADBOLT_ENCRYPTION_KEY: { path: ["keys", "encryptionKey"], parse: "string" },
	DEADBOLT_HMAC_KEY: { path: ["keys", "hmacKey"], parse: "string" },
	DEADBOLT_ENCRYPTION_KEYS: { path: ["keys", "encryptionKeys"], parse: "keyring" },
	DEADBOLT_HMAC_KEYS: { path: ["keys", "hmacKeys"], parse: "keyring" },
	DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID: { path: ["keys", "primaryEncryptionKeyId"], parse: "string" },
	DEADBOLT_PRIMARY_HMAC_KEY_ID: { path: ["keys", "primaryHmacKeyId"], parse: "string" },
	DEADBOLT_ADMIN_API_KEY: { path: ["keys", "adminApiKey"], parse: "string" },
	DEADBOLT_INTROSPECTION_KEYS: { path: ["keys", "introspectionKeys"], parse: "list" },
	DEADBOLT_COOKIE_DOMAIN: { path: ["session", "cookieDomain"], parse: "string" },
	DEADBOLT_BRANDING_PRODUCT_NAME: { path: ["branding", "productName"], parse: "string" },
	DEADBOLT_BRANDING_LOGO_FILE: { path: ["branding", "logoFile"], parse: "string" },
	DEADBOLT_BRANDING_ACCENT_COLOR: { path: ["branding", "accentColor"], parse: "string" },
	DEADBOLT_BRANDING_ACCENT_COLOR_DARK: { path: ["branding", "accentColorDark"], parse: "string" },
	DEADBOLT_BRANDING_SUPPORT_URL: { path: ["branding", "supportUrl"], parse: "string" },
	DEADBOLT_BRANDING_FOOTER_TEXT: { path: ["branding", "footerText"], parse: "string" },
	DEADBOLT_SIGN_UP_MODE: { path: ["signUp", "mode"], parse: "string" },
	DEADBOLT_EMAIL_SMTP_URL: { path: ["email", "smtpUrl"], parse: "string" },
	DEADBOLT_EMAIL_FROM: { path: ["email", "from"], parse: "string" },
	DEADBOLT_EMAIL_TRANSPORT: { path: ["email", "transport"], parse: "string" },
	DEADBOLT_LOG_LEVEL: { path: ["log", "level"], parse: "string" },
	DEADBOLT_LOG_FORMAT: { path: ["log", "format"], parse: "string" },
} as const);

/** Environment variables deadbolt reads that are not config keys. */
const OTHER_ENV_VARIABLES = new Set(["DEADBOLT_CONFIG_FILE", "DEADBOLT_TEST_DATABASE_URL", "DEADBOLT_TEST_REDIS_URL"]);

/** Variables whose empty value means "not set" (null). */
const NULL_WHEN_EMPTY = new Set([
	"DEADBOLT_ISSUER",
	"DEADBOLT_PUBLIC_URL",
	"DEADBOLT_COOKIE_DOMAIN",
	"DEADBOLT_DATABASE_URL",
	"DEADBOLT_REDIS_URL",
	"DEADBOLT_EMAIL_SMTP_URL",
	"DEADBOLT_BRANDING_LOGO_FILE",
	"DEADBOLT_BRANDING_ACCENT_COLOR",
	"DEADBOLT_BRANDING_ACCENT_COLOR_DARK",
	"DEADBOLT_BRANDING_SUPPORT_URL",
	"DEADBOLT_BRANDING_FOOTER_TEXT",
	"DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID",
	"DEADBOLT_PRIMARY_HMAC_KEY_ID",
]);

/**
 * Loads, merges, validates and freezes the configuration.
 * @returns the frozen {@link Config}
 * @throws ConfigInvalid listing every problem at once (unknown keys, wrong types, keys of the wrong size, ...)
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
	const issues: string[] = [];
	const env = options.env ?? {};
	let merged: unknown = structuredClone(DEFAULT_CONFIG);

	const file = options.file ?? env["DEADBOLT_CONFIG_FILE"];
	if (file !== undefined && file !== "") {
		try {
			merged = mergeDeep(merged, JSON.parse(readFileSync(file, "utf8")));
		} catch (error) {
			issues.push(`config file ${file}: ${(error as Error).message}`);
		}
	}

	const fromEnv: Record<string, unknown> = {};
	const envIssuePaths: string[] = [];
	for (const [name, raw] of Object.entries(env)) {
		if (!name.startsWith("DEADBOLT_") || raw === undefined) continue;
		const spec = ENV_VARIABLES[name];
		if (spec === undefined) {
			if (!OTHER_ENV_VARIABLES.has(name)) issues.push(`${name}: unknown environment variable (known: ${Object.keys(ENV_VARIABLES).join(", ")})`);
			continue;
		}
		let value: unknown = raw;
		if (spec.parse === "integer") {
			value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
			if (typeof value !== "number") {
				issues.push(`${name}: must be a whole number, got "${raw}"`);
				envIssuePaths.push(spec.path.join("."));
			}
		} else if (spec.parse === "keyring") {
			value = parseKeyRingText(raw);
		} else if (spec.parse === "list") {
			value = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
		} else if (raw === "" && NULL_WHEN_EMPTY.has(name)) {
			value = null;
		}
		setPath(fromEnv, spec.path, value);
	}
	merged = mergeDeep(merged, fromEnv);
	if (options.overrides !== undefined) merged = mergeDeep(merged, options.overrides);

	const reported = new Set(envIssuePaths);
	for (const error of Value.Errors(ConfigSchema, merged)) {
		const where = error.path === "" ? "(root)" : error.path.slice(1).replaceAll("/", ".");
		// One message per mistake: an environment variable already reported is not reported again.
		if (reported.has(where) || [...reported].some((path) => where.startsWith(`${path}.`))) continue;
		reported.add(where);
		issues.push(`${describePath(where)}: ${FRIENDLY_MESSAGES[where] ?? error.message}`);
	}
	const redisUrl = (merged as { rateLimit?: Record<string, unknown> }).rateLimit?.["redisUrl"];
	// The schema checks the scheme; the rest of the URL is checked here, so a typo stops the start
	// instead of becoming a Redis that is never reached.
	if (typeof redisUrl === "string" && !reported.has("rateLimit.redisUrl") && !isRedisUrl(redisUrl)) {
		issues.push(`${describePath("rateLimit.redisUrl")}: ${REDIS_URL_MESSAGE}`);
	}
	const keys = (merged as { keys?: Record<string, unknown> }).keys ?? {};
	const ringPaths = ["encryptionKey", "hmacKey", "encryptionKeys", "hmacKeys", "primaryEncryptionKeyId", "primaryHmacKeyId"];
	// The rings' own checks (ids, sizes, primaries), once their types are right.
	if (!reported.has("keys") && ringPaths.every((name) => !reported.has(`keys.${name}`) && ![...reported].some((path) => path.startsWith(`keys.${name}.`)))) {
		issues.push(...keyRingIssues(keys as unknown as KeyRingSettings, decodeKey));
	}
	const input = merged as ConfigInput;
	// The branding's own checks (contrast, URL, logo file), on the keys whose type is right.
	if (isPlainObject(input.branding) && !reported.has("branding") && !reported.has("dataDir")) {
		const typed = Object.fromEntries(Object.entries(input.branding).map(([key, value]) => [key, reported.has(`branding.${key}`) || (key === "accentColorDark" && reported.has("branding.accentColor")) ? null : value]));
		issues.push(...brandingIssues(typed as ConfigInput["branding"], input.dataDir, describePath));
	}
	// An unset issuer is the product name, which must then be a valid issuer too.
	if (input.issuer === null && !reported.has("issuer") && typeof input.branding?.productName === "string" && input.branding.productName.includes(":")) {
		issues.push(`${describePath("issuer")}: not set, so it would be branding.productName "${input.branding.productName}", which has a colon (it separates issuer and account in authenticator apps); set issuer without one`);
	}
	// Checked again where they are used (service/network-policy.ts), with the same rule.
	const allowedNetworks = (merged as { webhooks?: { allowedNetworks?: unknown } }).webhooks?.allowedNetworks;
	if (Array.isArray(allowedNetworks) && !reported.has("webhooks.allowedNetworks")) {
		allowedNetworks.forEach((network, index) => {
			if (typeof network === "string" && !isCIDR(network)) issues.push(`webhooks.allowedNetworks[${index}]: "${network}" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (or one address)`);
		});
	}
	const metricsNetworks = (merged as { metrics?: { allowedNetworks?: unknown } }).metrics?.allowedNetworks;
	if (Array.isArray(metricsNetworks) && !reported.has("metrics.allowedNetworks")) {
		metricsNetworks.forEach((network, index) => {
			if (typeof network === "string" && !isCIDR(network)) issues.push(`metrics.allowedNetworks[${index}]: "${network}" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (or one address)`);
		});
	}
	issues.push(...forwardAuthIssues(input, reported));
	issues.push(...oidcIssues(input, reported, env));
	issues.push(...twoFactorPolicyIssues(input, reported));
	if (issues.length > 0) throw new ConfigInvalid(dedupe(issues));
	// A client's secretEnv is read once, here: the rest of deadbolt sees `secret`.
	const clients = input.oidc.clients.map((client) => {
		const secret = client.secretEnv === undefined ? null : clientSecret(client, env);
		return secret === null ? client : { ...client, secret };
	});
	// Group names as stored (`Admins` is the group `admins`), so that the policy matches accounts' groups.
	const twoFactorPolicy = { ...input.twoFactorPolicy, groups: input.twoFactorPolicy.groups.map((group) => normalizeGroupName(group) ?? group) };
	return deepFreeze({ ...input, issuer: input.issuer ?? input.branding.productName, oidc: { ...input.oidc, clients }, twoFactorPolicy });
}

/**
 * Decodes a 32-byte key given in base64 (standard or URL-safe, padding optional).
 * @returns the 32 key bytes, or null when the text is not base64 of exactly 32 bytes
 */
export function decodeKey(text: string): Uint8Array | null {
	const trimmed = text.trim();
	if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
	const bytes = Buffer.from(trimmed, trimmed.includes("-") || trimmed.includes("_") ? "base64url" : "base64");
	return bytes.length === 32 ? new Uint8Array(bytes) : null;
}

/** Whether `text` is an IPv4 or IPv6 CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address, as `webhooks.allowedNetworks` takes them. */
export function isCIDR(text: string): boolean {
	const [address = "", prefix, extra] = text.trim().split("/");
	const version = isIP(address);
	if (version === 0 || extra !== undefined || address.includes("%")) return false;
	return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

const REDIS_URL_MESSAGE = "must be a URL redis://[[user]:password@]host[:port][/db] (rediss:// for TLS), without query or fragment";

/**
 * Whether `text` is a Redis URL deadbolt accepts: scheme `redis:` or `rediss:` (TLS), a host,
 * an optional port, user and password (percent-encoded), an optional database number as the
 * path, and no query or fragment (ioredis would read a query as client options).
 */
export function isRedisUrl(text: string): boolean {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return false;
	}
	return (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "" && /^(\/\d{0,5})?$/.test(url.pathname) && url.search === "" && url.hash === "" && !text.includes("?") && !text.includes("#");
}

/** Messages for values whose schema error would say only "Expected union value". */
const FRIENDLY_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
	"http.publicUrl": "must be an origin such as https://auth.example.com (scheme and host, optional port, no path)",
	"storage.databaseUrl": "must be a postgres:// or postgresql:// URL",
	"rateLimit.redisUrl": REDIS_URL_MESSAGE,
	"rateLimit.redisKeyPrefix": "must be 1 to 64 characters of A-Z a-z 0-9 : . _ -",
	"log.level": "must be one of fatal, error, warn, info, debug, trace, silent",
	"log.format": "must be json (one JSON object a line, for machines) or pretty (for a terminal)",
	"totp.algorithm": "must be one of SHA1, SHA256, SHA512",
	issuer: "must be 1 to 64 characters without a colon (or null: branding.productName)",
	"branding.productName": "must be 1 to 64 characters without control characters",
	"branding.footerText": "must be 1 to 200 characters of plain text without control characters (or null)",
	"branding.logoFile": "must be the path of a PNG, SVG, WebP or JPEG file, relative to dataDir or absolute (or null)",
	"branding.accentColor": "must be a hex colour such as #0b5fff (or null: deadbolt's indigo)",
	"branding.accentColorDark": "must be a hex colour such as #8ab4ff (or null: derived from branding.accentColor)",
	"branding.supportUrl": "must be an http:// or https:// URL such as https://help.example.com (or null)",
	"keys.adminApiKey": "must be 32 to 256 printable characters without spaces (generate one with: openssl rand -base64 32)",
});

/** A config path, with the environment variable that sets it when there is one. */
function describePath(path: string): string {
	const variable = Object.entries(ENV_VARIABLES).find(([, spec]) => spec.path.join(".") === path)?.[0];
	return variable === undefined ? path : `${path} (${variable})`;
}

function dedupe(list: string[]): string[] {
	return [...new Set(list)];
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
	let node = target;
	for (const key of path.slice(0, -1)) {
		node[key] ??= {};
		node = node[key] as Record<string, unknown>;
	}
	node[path[path.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === "object" && !Array.isArray(value);
}

function mergeDeep(base: unknown, extra: unknown): unknown {
	if (!isPlainObject(base) || !isPlainObject(extra)) return extra === undefined ? base : extra;
	const out: Record<string, unknown> = { ...base };
	for (const [key, value] of Object.entries(extra)) {
		out[key] = key in base ? mergeDeep(base[key], value) : value;
	}
	return out;
}
