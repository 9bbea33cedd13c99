/**
 * The TypeBox schema of deadbolt's configuration (DESIGN.md §3.5). Every object is closed
 * (`additionalProperties: false`): an unknown key is an error, not a silent typo.
 * Units are in the key names. Defaults and their sources are in `defaults.ts`; every key is
 * documented in `docs/config.md` (test-enforced).
 */
import { Type, type Static } from "@sinclair/typebox";
import { CLIENT_ID_MAX_LENGTH, CLIENT_ID_PATTERN, CLIENT_NAME_MAX_LENGTH, CLIENT_SECRET_MAX_LENGTH, CLIENT_SECRET_MIN_LENGTH, CLIENT_SECRET_PATTERN, CLIENT_URI_MAX_LENGTH, CLIENT_URIS_MAX } from "../domain/oidc/client-rules.js";
import { HEX_COLOR_PATTERN } from "./colors.js";

const closed = { additionalProperties: false } as const;
/** Text without control characters (C0, DEL, C1). */
const PLAIN_TEXT = "^[^\\x00-\\x1f\\x7f-\\x9f]+$";
const PositiveInt = (min = 1, max = Number.MAX_SAFE_INTEGER) => Type.Integer({ minimum: min, maximum: max });

/** An access rule's policy (`accessControl`): no check, a password, a password and a code, nobody. */
const AccessPolicySchema = Type.Union([Type.Literal("bypass"), Type.Literal("one_factor"), Type.Literal("two_factor"), Type.Literal("deny")]);

/** The schema; `Config` is its static type. */
/** What a key id may be (`domain/crypto/key-ring.ts` KEY_ID_PATTERN), as a schema pattern. */
const KEY_ID_SOURCE = "^[A-Za-z0-9._-]{1,32}$";

/** One key of a key ring: its id and the key, 32 bytes in base64 (checked further by `load.ts`). */
const KeyRingEntry = Type.Object({ id: Type.String({ pattern: KEY_ID_SOURCE }), key: Type.String({ minLength: 1 }) }, { additionalProperties: false });

export const ConfigSchema = Type.Object(
	{
		/** Name shown in authenticator apps (the key URI issuer); no colon. null: `branding.productName`. */
		issuer: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64, pattern: "^[^:]+$" })]),
		/** Directory of the SQLite file and the development keys. */
		dataDir: Type.String({ minLength: 1 }),
		totp: Type.Object(
			{
				algorithm: Type.Union([Type.Literal("SHA1"), Type.Literal("SHA256"), Type.Literal("SHA512")]),
				digits: PositiveInt(6, 8),
				periodSeconds: PositiveInt(15, 120),
				windowSteps: Type.Integer({ minimum: 0, maximum: 2 }),
				keyBytes: PositiveInt(16, 64),
				enrollmentTtlSeconds: PositiveInt(60, 86_400),
			},
			closed,
		),
		password: Type.Object(
			{
				minLength: PositiveInt(8, 64),
				maxLength: PositiveInt(64, 1024),
				/** Most argon2id hashes/verifications at once per process; null: cores minus one (at least 1). */
				hashConcurrency: Type.Union([Type.Null(), PositiveInt(1, 64)]),
				argon2: Type.Object(
					{
						memoryKiB: PositiveInt(19_456, 4_194_304),
						iterations: PositiveInt(1, 100),
						parallelism: PositiveInt(1, 16),
					},
					closed,
				),
			},
			closed,
		),
		recoveryCodes: Type.Object({ count: PositiveInt(5, 20) }, closed),
		loginChallenge: Type.Object({ ttlSeconds: PositiveInt(60, 3_600), maxAttempts: PositiveInt(1, 20) }, closed),
		lockout: Type.Object(
			{
				maxFailures: PositiveInt(3, 50),
				windowSeconds: PositiveInt(60, 86_400),
				durationSeconds: PositiveInt(60, 86_400),
				maxDurationSeconds: PositiveInt(60, 604_800),
			},
			closed,
		),
		session: Type.Object(
			{
				idleTtlSeconds: PositiveInt(60, 31_536_000),
				absoluteTtlSeconds: PositiveInt(60, 31_536_000),
				reauthenticationTtlSeconds: PositiveInt(60, 3_600),
				/**
				 * The parent domain (`example.test`) of the apps behind forward-auth: the forward-auth cookie is
				 * set on it, so one sign-in serves every app below it. null: that cookie stays on deadbolt's own host.
				 */
				cookieDomain: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 253 })]),
				/** A session is deleted this many seconds after its absolute end (`expiresAt`) by housekeeping. */
				retentionSeconds: PositiveInt(3_600, 31_536_000),
			},
			closed,
		),
		rateLimit: Type.Object(
			{
				/** Credential requests per client IP per minute. */
				perMinute: PositiveInt(5, 100_000),
				/**
				 * `null`: each process keeps its own per-IP counts; a `redis://` or `rediss://` URL
				 * (`redis://[[user]:password@]host[:port][/db]`) shares them through that Redis.
				 */
				redisUrl: Type.Union([Type.Null(), Type.String({ pattern: "^rediss?://" })]),
				/** Prefix of deadbolt's keys in that Redis (several deployments may share one server). */
				redisKeyPrefix: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9:._-]+$" }),
			},
			closed,
		),
		trustedDevice: Type.Object({ ttlSeconds: PositiveInt(3_600, 31_536_000) }, closed),
		/**
		 * The account's security activity (`security_event`): housekeeping deletes events older than
		 * `retentionSeconds`, at least 30 days (a mistake must not erase yesterday's trail), at most 10 years.
		 */
		activity: Type.Object({ retentionSeconds: PositiveInt(2_592_000, 315_360_000) }, closed),
		signInLink: Type.Object({ ttlSeconds: PositiveInt(60, 604_800) }, closed),
		/** Enforced two-factor authentication (docs/config.md, "Enforcing two-factor authentication"); checked further by `two-factor-policy.ts`. */
		twoFactorPolicy: Type.Object(
			{
				/** "off": optional; "everyone"; "groups": accounts in any of `groups`. */
				enforce: Type.Union([Type.Literal("off"), Type.Literal("everyone"), Type.Literal("groups")]),
				/** With `enforce: "groups"`: the groups it applies to. */
				groups: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 }),
				/** ISO 8601 date or instant enforcement started; required unless `enforce` is "off". */
				enforcedSince: Type.Union([Type.Null(), Type.String({ minLength: 10, maxLength: 40 })]),
				/** Days each account has, from the later of `enforcedSince` and its creation. */
				gracePeriodDays: Type.Integer({ minimum: 0, maximum: 365 }),
				/** Setup-link mails (`two_factor.setup_required`) per account per hour; beyond, a sign-in past the deadline mails nothing new. */
				setupLinksPerAccountPerHour: PositiveInt(1, 20),
			},
			closed,
		),
		storage: Type.Object(
			{
				/** `null`: SQLite at `<dataDir>/deadbolt.sqlite`; a postgres:// URL switches to PostgreSQL. */
				databaseUrl: Type.Union([Type.Null(), Type.String({ pattern: "^postgres(ql)?://" })]),
				postgresPoolSize: PositiveInt(1, 100),
			},
			closed,
		),
		http: Type.Object(
			{
				host: Type.String({ minLength: 1 }),
				port: Type.Integer({ minimum: 0, maximum: 65_535 }),
				/** The origin users see, e.g. https://auth.example.com; null means http://host:port. */
				publicUrl: Type.Union([Type.Null(), Type.String({ pattern: "^https?://[^/]+$" })]),
				bodyLimitBytes: PositiveInt(1_024, 1_048_576),
				/** Proxies whose X-Forwarded-For is believed (Fastify `trustProxy`): addresses/CIDRs. Empty: none. */
				trustedProxies: Type.Array(Type.String({ minLength: 1 })),
			},
			closed,
		),
		keys: Type.Object(
			{
				/** 32 bytes, base64: seals TOTP secrets (AES-256-GCM). null: development keys in dataDir. */
				encryptionKey: Type.Union([Type.Null(), Type.String({ minLength: 1 })]),
				/** 32 bytes, base64: keys the recovery-code hashes (HMAC-SHA-256). null: development keys. */
				hmacKey: Type.Union([Type.Null(), Type.String({ minLength: 1 })]),
				/** Encryption key ring (docs/operations.md, "Key rotation"): `[{id, key}]`, each key 32 bytes base64; `keys.encryptionKey` joins it with the id `default`. */
				encryptionKeys: Type.Array(KeyRingEntry),
				/** HMAC key ring: `[{id, key}]`, as `encryptionKeys`; `keys.hmacKey` joins it with the id `default`. */
				hmacKeys: Type.Array(KeyRingEntry),
				/** The id of the encryption key that seals new values. null: `default` when the ring has it, else the ring's only key. */
				primaryEncryptionKeyId: Type.Union([Type.Null(), Type.String({ pattern: KEY_ID_SOURCE })]),
				/** The id of the HMAC key that keys new values. null: as `primaryEncryptionKeyId`. */
				primaryHmacKeyId: Type.Union([Type.Null(), Type.String({ pattern: KEY_ID_SOURCE })]),
				/** How long a new signing key is published in the JWKS before it signs, in seconds (`deadbolt keys rotate --signing`). */
				signingKeyPublishAheadSeconds: PositiveInt(0, 604_800),
				/** How often an instance checks the store for a newer signing key, in seconds (no restart needed). */
				signingKeyRefreshSeconds: PositiveInt(1, 3_600),
				/** At least 32 characters: the bearer key of the admin API (`/api/v1/admin`). null: no admin API. */
				adminApiKey: Type.Union([Type.Null(), Type.String({ minLength: 32, maxLength: 256, pattern: "^[\\x21-\\x7e]+$" })]),
				/** Bearer keys of `POST /api/v1/introspect` (each at least 32 characters), for backends; apart from the admin key. Empty: no introspection. */
				introspectionKeys: Type.Array(Type.String({ minLength: 32, maxLength: 256, pattern: "^[\\x21-\\x7e]+$" })),
			},
			closed,
		),
		/** How the dashboard presents itself (docs/config.md, "Branding"); checked further by `branding.ts`. */
		branding: Type.Object(
			{
				/** The product's name: page titles, the header, the sign-in page; the issuer's default. */
				productName: Type.String({ minLength: 1, maxLength: 64, pattern: PLAIN_TEXT }),
				/** A PNG, SVG, WebP or JPEG file (relative to `dataDir`, or absolute), served at `/dashboard/assets/logo`. null: the padlock. */
				logoFile: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 4_096 })]),
				/** The light-scheme accent, `#rgb`/`#rrggbb`, checked for contrast at start. null: deadbolt's indigo. */
				accentColor: Type.Union([Type.Null(), Type.String({ pattern: HEX_COLOR_PATTERN })]),
				/** The dark-scheme accent. null: `accentColor` lightened until it passes on the dark backgrounds. */
				accentColorDark: Type.Union([Type.Null(), Type.String({ pattern: HEX_COLOR_PATTERN })]),
				/** An http(s) URL shown as "Get help" in the footer and on the sign-in and error pages. */
				supportUrl: Type.Union([Type.Null(), Type.String({ minLength: 1 })]),
				/** Plain text for the footer, instead of "Secured by deadbolt ...". */
				footerText: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 200, pattern: PLAIN_TEXT })]),
			},
			closed,
		),
		/** Who may create an account: `open` (anyone; the address starts unverified), `verified` (no account until the mailed link is opened), `closed` (operators only). */
		signUp: Type.Object({ mode: Type.Union([Type.Literal("open"), Type.Literal("verified"), Type.Literal("closed")]) }, closed),
		/** Mail to users (docs/email.md). */
		email: Type.Object(
			{
				/** `smtp://` or `smtps://` URL of the mail server (`smtp://user:pass@host:port`); null: no server (see `transport`). */
				smtpUrl: Type.Union([Type.Null(), Type.String({ pattern: "^smtps?://" })]),
				/** The From header: `Name <address>` or an address. */
				from: Type.String({ minLength: 3, maxLength: 320, pattern: PLAIN_TEXT }),
				/** `auto`: SMTP when `smtpUrl` is set, else `.eml` files (refused when `http.publicUrl` is https); `smtp`; `file`: `.eml` files under `fileDir`, chosen explicitly. */
				transport: Type.Union([Type.Literal("auto"), Type.Literal("smtp"), Type.Literal("file")]),
				/** Where `.eml` files go; null: `<dataDir>/mail`. */
				fileDir: Type.Union([Type.Null(), Type.String({ minLength: 1 })]),
				/** Refuse to send unless the server offers STARTTLS (ignored for `smtps://`). */
				requireTLS: Type.Boolean(),
				/** Check the server's certificate (turn off only for a test server with a self-signed certificate). */
				tlsRejectUnauthorized: Type.Boolean(),
				/** Most alert mails of one kind to one account per hour; more are recorded in the activity, not mailed. */
				alertsPerKindPerHour: PositiveInt(1, 100),
			},
			closed,
		),
		/** Links that verify an address (sign-up, a new address). */
		emailVerification: Type.Object({ ttlSeconds: PositiveInt(600, 604_800), resendsPerHour: PositiveInt(1, 20) }, closed),
		/** "Forgot password" links. */
		passwordReset: Type.Object({ ttlSeconds: PositiveInt(300, 3_600), perAccountPerHour: PositiveInt(1, 20), perIpPerHour: PositiveInt(1, 1_000) }, closed),
		/** Signed events to other systems (docs/webhooks.md). */
		webhooks: Type.Object(
			{
				/** Endpoints of the config file; more can be added through the admin API. */
				endpoints: Type.Array(
					Type.Object(
						{
							url: Type.String({ pattern: "^https?://" }),
							/** Event types, or `["*"]` for all. */
							events: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 }),
							/** Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes. */
							secret: Type.String({ pattern: "^whsec_[A-Za-z0-9+/=]{32,}$" }),
						},
						closed,
					),
				),
				/** Private or loopback networks (CIDRs) that endpoints added through the admin API may target; empty: public addresses only. */
				allowedNetworks: Type.Array(Type.String({ minLength: 1 })),
				/** How long one POST may take, in seconds. */
				timeoutSeconds: PositiveInt(1, 60),
			},
			closed,
		),
		/** The transactional outbox's dispatcher (one in each process). */
		outbox: Type.Object(
			{
				/** Attempts before a delivery is dead (dead letter). */
				maxAttempts: PositiveInt(1, 50),
				/** How long a claimed delivery is held before another dispatcher may take it over, in seconds. */
				leaseSeconds: PositiveInt(10, 3_600),
				/** How often the dispatcher looks for due deliveries, in milliseconds. */
				pollIntervalMillis: PositiveInt(50, 60_000),
				/** The pause after a delivery's first failed attempt, in milliseconds; each further failure doubles it (at most 1 hour), ± 20 %. */
				retryMinMillis: PositiveInt(10, 600_000),
				/** Delivered and dead deliveries are deleted after this many seconds. */
				retentionSeconds: PositiveInt(3_600, 31_536_000),
			},
			closed,
		),
		/** Who may reach the apps behind forward-auth (docs/integrations/README.md): the first matching rule decides. */
		accessControl: Type.Object(
			{
				/** The policy when no rule matches. */
				defaultPolicy: AccessPolicySchema,
				rules: Type.Array(
					Type.Object(
						{
							/** Hosts: exact (`app.example.test`) or `*.example.test` (every host below it). */
							domains: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1 }),
							/** Regular expressions on the path and query (`^/api/`). */
							resources: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1_024 }))),
							/** HTTP methods, upper case. */
							methods: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16 }))),
							/** The client's networks: CIDRs or addresses. */
							networks: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
							/** Only for members of one of these groups. */
							groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
							/** Only for these accounts (email addresses). */
							accounts: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 320 }))),
							policy: AccessPolicySchema,
							/** Step-up: a second factor proven longer ago than this is asked again (`two_factor` only). */
							maxSecondFactorAgeSeconds: Type.Optional(PositiveInt(10, 31_536_000)),
						},
						closed,
					),
				),
			},
			closed,
		),
		/**
		 * The OpenID Connect provider (docs/oidc.md): apps that sign their users in with deadbolt.
		 * Off while `clients` is empty and `enabled` false; when on, `http.publicUrl` is the issuer and must be set.
		 */
		oidc: Type.Object(
			{
				/** On even without `clients`: for clients added through the admin API or the CLI only. */
				enabled: Type.Boolean(),
				/** Life of an access token (userinfo, introspection), in seconds. */
				accessTokenTtlSeconds: PositiveInt(60, 86_400),
				/** Life of an ID token, in seconds. */
				idTokenTtlSeconds: PositiveInt(60, 86_400),
				/** Longest life of a refresh token, in seconds; it ends sooner with the deadbolt session it came from. */
				refreshTokenTtlSeconds: PositiveInt(300, 31_536_000),
				clients: Type.Array(
					Type.Object(
						{
							/** The client_id: letters, digits, `.`, `_`, `-`. */
							id: Type.String({ minLength: 1, maxLength: CLIENT_ID_MAX_LENGTH, pattern: CLIENT_ID_PATTERN }),
							/** Shown to users on the consent page and in Connected apps; default: the id. */
							name: Type.Optional(Type.String({ minLength: 1, maxLength: CLIENT_NAME_MAX_LENGTH, pattern: PLAIN_TEXT })),
							/** The client secret (confidential clients); at least 32 characters. */
							secret: Type.Optional(Type.String({ minLength: CLIENT_SECRET_MIN_LENGTH, maxLength: CLIENT_SECRET_MAX_LENGTH, pattern: CLIENT_SECRET_PATTERN })),
							/** The name of an environment variable that holds the secret instead. */
							secretEnv: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z_][A-Za-z0-9_]*$" })),
							/** Where the provider may send the code: exact match, no wildcard. */
							redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: CLIENT_URI_MAX_LENGTH }), { minItems: 1, maxItems: CLIENT_URIS_MAX }),
							/** Where RP-initiated logout may return: exact match. */
							postLogoutRedirectUris: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: CLIENT_URI_MAX_LENGTH }), { maxItems: CLIENT_URIS_MAX })),
							/** OpenID Connect Back-Channel Logout 1.0: where logout tokens are POSTed when a session ends. */
							backchannelLogoutUri: Type.Optional(Type.String({ minLength: 1, maxLength: CLIENT_URI_MAX_LENGTH })),
							/** A public client (a single-page or native app): no secret, PKCE required. */
							public: Type.Optional(Type.Boolean()),
							/** An app of the same operator: no consent page. */
							firstParty: Type.Optional(Type.Boolean()),
							/** The least assurance a sign-in needs: 1 = password, 2 = password and second factor (default 2). */
							minimumAal: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
							/** Only members of one of these groups may sign in (default: everyone, unless `accounts` is set). */
							groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
							/** Only these accounts (email addresses) may sign in, besides `groups`. */
							accounts: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 320 }))),
						},
						closed,
					),
				),
			},
			closed,
		),
		/** Prometheus metrics at `/metrics` (docs/metrics.md). */
		metrics: Type.Object(
			{
				/** Serve `/metrics`; false: the route does not exist (404) and nothing is measured. */
				enabled: Type.Boolean(),
				/** Client networks (CIDRs or single addresses) that may read `/metrics`; any other client gets 404. Empty: nobody. */
				allowedNetworks: Type.Array(Type.String({ minLength: 1, maxLength: 64 })),
			},
			closed,
		),
		log: Type.Object(
			{
				level: Type.Union(["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l))),
				/** `json`: one JSON object a line, for machines. `pretty`: coloured lines for a terminal (pino-pretty). */
				format: Type.Union([Type.Literal("json"), Type.Literal("pretty")]),
			},
			closed,
		),
	},
	closed,
);

/** The configuration as written (defaults, file, environment, overrides): `issuer` may be null. */
export type ConfigInput = Static<typeof ConfigSchema>;

/** deadbolt's configuration, deep-frozen after `loadConfig`: `issuer` resolved (null became `branding.productName`). */
export type Config = Omit<ConfigInput, "issuer"> & { issuer: string };
