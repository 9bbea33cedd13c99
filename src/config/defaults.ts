/**
 * Every default of deadbolt's configuration, in one deep-frozen table, each with its unit and
 * source (DESIGN.md §3.5, rule 8). Secrets have no default: `keys.*` are null here and come from
 * the environment, or from development keys generated in the data directory.
 */
import type { ConfigInput } from "./schema.js";
import { deepFreeze } from "./freeze.js";

/** The defaults. */
export const DEFAULT_CONFIG: ConfigInput = deepFreeze({
	issuer: null, // shown in authenticator apps (Key Uri Format "issuer"); null: branding.productName
	dataDir: "./data", // SQLite file and development keys
	totp: {
		algorithm: "SHA1", // RFC 6238 §1.2 default; the only one every authenticator app honours (KUF "algorithm")
		digits: 6, // RFC 4226 §5.3 minimum, what every app shows
		periodSeconds: 30, // seconds; RFC 6238 §5.2 recommended time step
		windowSteps: 1, // steps each side; RFC 6238 §5.2 "at most one time step" of network delay
		keyBytes: 20, // bytes = 160 bits; RFC 4226 §4 R6, RFC 6238 §5.1 (HMAC-SHA-1 output length)
		enrollmentTtlSeconds: 600, // seconds = 10 minutes to scan and confirm
	},
	password: {
		minLength: 8, // code points; NIST SP 800-63B §5.1.1.2
		maxLength: 256, // code points; >= 64 (NIST SP 800-63B §5.1.1.2), bounded against hashing DoS (OWASP ASVS 6.2.9)
		hashConcurrency: null, // null: the machine's cores minus one (at least 1): one core stays with the event loop (measured, docs/performance.md)
		argon2: {
			memoryKiB: 19_456, // KiB = 19 MiB; OWASP Password Storage Cheat Sheet, Argon2id
			iterations: 2, // OWASP Password Storage Cheat Sheet, Argon2id
			parallelism: 1, // OWASP Password Storage Cheat Sheet, Argon2id
		},
	},
	recoveryCodes: {
		count: 10, // codes per set (GitHub, Better Auth); each 12 characters (58.9 bits), see docs/decisions.md
	},
	loginChallenge: {
		ttlSeconds: 600, // seconds = 10 minutes (Better Auth twoFactorCookieMaxAge, Auth0 mfa_token)
		maxAttempts: 5, // code attempts per challenge (Better Auth default)
	},
	lockout: {
		maxFailures: 10, // consecutive second-factor failures per account; NIST SP 800-63B §5.2.2 caps at 100
		windowSeconds: 900, // seconds = 15 minutes in which failures add up
		durationSeconds: 900, // seconds = 15 minutes for the first lock (Better Auth DEFAULT_ACCOUNT_LOCKOUT_*); doubles with each lock in a row
		maxDurationSeconds: 86_400, // seconds = 24 hours: the longest lock (NIST SP 800-63B §5.2.2 growing delays)
	},
	session: {
		idleTtlSeconds: 604_800, // seconds = 7 days without activity
		absoluteTtlSeconds: 2_592_000, // seconds = 30 days whatever the activity (NIST SP 800-63B §4.1.3, AAL1)
		reauthenticationTtlSeconds: 300, // seconds = 5 minutes of "sudo mode" after a password confirmation
		cookieDomain: null, // null: the forward-auth cookie stays on deadbolt's host; "example.test" shares one sign-in with every app below it
		retentionSeconds: 7_776_000, // seconds = 90 days an ended session's row is kept after its absolute end (the admin list's last sign-in reads it)
	},
	rateLimit: {
		perMinute: 30, // requests per client IP per minute to the routes that check a password or code
		redisUrl: null, // null: counted in each process; a redis:// URL shares the counts between instances
		redisKeyPrefix: "deadbolt:rate-limit:", // keys in that Redis: <prefix><client IP>, expiring with the minute
	},
	trustedDevice: {
		ttlSeconds: 2_592_000, // seconds = 30 days a remembered device skips the code step (OWASP MFA CS; Better Auth TRUST_DEVICE_COOKIE_MAX_AGE)
	},
	activity: {
		retentionSeconds: 34_560_000, // seconds = 400 days: a year of activity (PCI DSS v4.0 10.5.1 keeps audit logs 12 months) plus a month's margin to look back across a year
	},
	signInLink: {
		ttlSeconds: 3_600, // seconds = 1 hour a one-time sign-in link stays usable (OWASP Forgot Password CS: short-lived, single use)
	},
	twoFactorPolicy: {
		enforce: "off", // 2FA is each user's choice until an operator enforces it
		groups: [], // with enforce "groups": the groups it applies to
		enforcedSince: null, // ISO 8601: when enforcement started (required once enforced)
		gracePeriodDays: 14, // days each account has to set up 2FA (Google Workspace's default enrollment period is 1 week to 6 months; 2 weeks)
		setupLinksPerAccountPerHour: 3, // setup-link mails per account per hour after the deadline (as passwordReset.perAccountPerHour): beyond, a sign-in mails nothing new
	},
	storage: {
		databaseUrl: null, // null: embedded SQLite at <dataDir>/deadbolt.sqlite
		postgresPoolSize: 10, // connections per process
	},
	http: {
		host: "127.0.0.1", // loopback only until an operator says otherwise
		port: 8080,
		publicUrl: null, // null: http://<host>:<port>
		bodyLimitBytes: 16_384, // bytes = 16 KiB; nothing deadbolt accepts is larger
		trustedProxies: [], // no X-Forwarded-For is believed by default
	},
	keys: {
		encryptionKey: null, // secret: env DEADBOLT_ENCRYPTION_KEY
		hmacKey: null, // secret: env DEADBOLT_HMAC_KEY
		encryptionKeys: [], // secrets: env DEADBOLT_ENCRYPTION_KEYS ("id:base64,id:base64"); keys.encryptionKey joins as id "default"
		hmacKeys: [], // secrets: env DEADBOLT_HMAC_KEYS, same form; keys.hmacKey joins as id "default"
		primaryEncryptionKeyId: null, // env DEADBOLT_PRIMARY_ENCRYPTION_KEY_ID; null: "default", or the ring's only key
		primaryHmacKeyId: null, // env DEADBOLT_PRIMARY_HMAC_KEY_ID; null: as above
		signingKeyPublishAheadSeconds: 900, // s = 15 min: a new JWKS key is published this long before it signs (JWKS answers are cached 5 min)
		signingKeyRefreshSeconds: 30, // s: how often an instance looks for a newer signing key (one small query)
		adminApiKey: null, // secret: env DEADBOLT_ADMIN_API_KEY; null turns the admin API off
		introspectionKeys: [], // secrets: env DEADBOLT_INTROSPECTION_KEYS (comma-separated); none turns POST /api/v1/introspect off
	},
	branding: {
		productName: "deadbolt", // page titles, the header, the sign-in page, the issuer's default
		logoFile: null, // null: the padlock mark
		accentColor: null, // null: deadbolt's indigo (#4338ca light, #818cf8 dark)
		accentColorDark: null, // null: accentColor lightened until it passes WCAG AA on the dark backgrounds
		supportUrl: null, // null: no "Get help" link
		footerText: null, // null: "Secured by deadbolt · two-factor authentication with any authenticator app"
	},
	signUp: {
		mode: "open", // anyone may sign up; the address starts unverified (a banner asks to verify it)
	},
	email: {
		smtpUrl: null, // null: no mail server; with transport "auto" mails are written as .eml files
		from: "deadbolt <no-reply@localhost>", // set this with your domain
		transport: "auto", // smtp when smtpUrl is set, else .eml files (refused with an https publicUrl)
		fileDir: null, // null: <dataDir>/mail
		requireTLS: false, // true: refuse a server without STARTTLS
		tlsRejectUnauthorized: true, // check the server's certificate
		alertsPerKindPerHour: 3, // alert mails of one kind per account per hour; the activity log keeps every event
	},
	emailVerification: {
		ttlSeconds: 86_400, // seconds = 24 hours a verification link stays usable
		resendsPerHour: 3, // verification mails per account (or address) per hour
	},
	passwordReset: {
		ttlSeconds: 1_800, // seconds = 30 minutes (OWASP Forgot Password Cheat Sheet: short-lived, single use)
		perAccountPerHour: 3, // reset links per account per hour
		perIpPerHour: 20, // reset requests per client IP per hour
	},
	webhooks: {
		endpoints: [], // none; see docs/webhooks.md
		allowedNetworks: [], // endpoints from the admin API may target public addresses only
		timeoutSeconds: 10, // seconds one POST may take (Standard Webhooks recommends a short timeout)
	},
	outbox: {
		maxAttempts: 12, // attempts before dead letter: backoff 5 s doubling to 1 h covers about 6 hours
		leaseSeconds: 60, // seconds a claimed delivery is held (a process killed mid-delivery frees it after this)
		pollIntervalMillis: 1_000, // milliseconds between looks for due deliveries (new ones are sent at once in the process that made them)
		retryMinMillis: 5_000, // milliseconds before the first retry; doubles per failure up to 1 hour, ± 20 % jitter
		retentionSeconds: 2_592_000, // seconds = 30 days delivered and dead deliveries are kept for the delivery log
	},
	accessControl: {
		defaultPolicy: "deny", // nothing behind forward-auth is reachable until a rule says so
		rules: [], // see docs/integrations/README.md
	},
	oidc: {
		enabled: false, // on anyway when clients are declared; true: on for clients added through the admin API or CLI only
		accessTokenTtlSeconds: 600, // ten minutes: short, userinfo and introspection check the session anyway
		idTokenTtlSeconds: 600,
		refreshTokenTtlSeconds: 2_592_000, // 30 days at most; a refresh token ends with its deadbolt session
		clients: [], // no OpenID Connect provider until a client is declared; see docs/oidc.md
	},
	metrics: {
		enabled: false, // no /metrics route, nothing measured; see docs/metrics.md
		allowedNetworks: ["127.0.0.0/8", "::1/128"], // loopback only: a Prometheus on the same host (or behind a trusted proxy on it, judged by the client it names)
	},
	log: {
		level: "info",
		format: "json",
	},
});
