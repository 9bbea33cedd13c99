/**
 * The Kysely view of deadbolt's schema (DESIGN.md §3.3, §3.6): one interface per table,
 * singular snake_case table names, snake_case columns. This type never leaves `storage/kysely/`
 * and the openers; `service/` sees only the records of `storage/store.ts`.
 *
 * Column conventions:
 * - instants are integer epoch milliseconds in columns named `*_at` (`integer` in SQLite,
 *   `bigint` in PostgreSQL, where the opener parses int8 to `number`);
 * - state is a nullable instant (`confirmed_at`, `used_at`, `revoked_at`, `consumed_at`),
 *   never a boolean;
 * - bytes are `blob` (SQLite) / `bytea` (PostgreSQL); both drivers return a `Buffer`.
 *
 * The tables are created by the migrations of `migrations/` (`0001-initial.ts`, then
 * `0002-trusted-devices-and-security-events.ts`, `0003-lockout-count.ts`, ..., `0009-outbox-and-email-tokens.ts`, ..., `0015-two-factor-mail-confirmation.ts`);
 * keep them in step.
 */
import type { ColumnType, Generated } from "kysely";
import type { DeliveryAttemptRecord, DeliveryChannel, DeliveryStatus, EmailTokenPurpose, LoginChallengePurpose, TOTPEnrollmentPurpose } from "../store.js";

/** An epoch-millisecond instant as stored (`integer` / `bigint`), always UTC. */
export type EpochMsColumn = number;

/** Table `account`: one row per account; `email` is unique. */
export interface AccountTable {
	/** Primary key, an opaque id chosen by `service/`. */
	id: string;
	/** Normalized email (trimmed, lower case); unique. */
	email: string;
	/** argon2id PHC string; null for an account without a password. */
	password_hash: string | null;
	created_at: EpochMsColumn;
	updated_at: EpochMsColumn;
	/** When the address was proved by a link (migration 0009); null while unverified. */
	email_verified_at: EpochMsColumn | null;
	/** The account's groups, a JSON array of group names as text, `'[]'` for none (migration 0012). */
	groups: string;
	/** When a mailed link confirmed the account's second factor (migration 0015); null: not confirmed. */
	second_factor_mail_confirmed_at: EpochMsColumn | null;
	/** The account's one TOTP replay record: the end of the last time step accepted from any authenticator, Unix ms; 0 when none (migration 0018). */
	totp_replay_until_ms: ColumnType<number, number | undefined, number>;
	/** When an operator disabled the account (migration 0017); null: it may sign in. */
	disabled_at: EpochMsColumn | null;
}

/** Table `deleted_account` (migration 0017): what is kept of an account an operator deleted; no foreign key. */
export interface DeletedAccountTable {
	/** The deleted account's id (the primary key). */
	account_id: string;
	deleted_at: EpochMsColumn;
	/** When the account had been created. */
	created_at: EpochMsColumn;
	/** `"cli"` or `"admin_api"`. */
	via: string;
	/** The operator's OS user (the CLI), or null (the admin API: its key names no one). */
	operator: string | null;
	/** The operator's reason, as typed. */
	reason: string;
}

/** Table `totp_credential`: pending (`confirmed_at` null) or confirmed TOTP credentials. */
export interface TOTPCredentialTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** The sealed key (AES-256-GCM by `service/`); opaque bytes here. */
	secret_ciphertext: Uint8Array;
	/** `"SHA1"`, `"SHA256"` or `"SHA512"`. */
	algorithm: string;
	/** Code length, 6 to 8. */
	digits: number;
	/** Time step length in seconds. */
	period_seconds: number;
	created_at: EpochMsColumn;
	confirmed_at: EpochMsColumn | null;
	/** The session that started the enrollment (no foreign key: sessions are kept as revoked rows). */
	enrollment_session_id: string | null;
	/** When a pending enrollment lapses; null once confirmed. */
	expires_at: EpochMsColumn | null;
	/** Last accepted RFC 6238 time step T of this authenticator; -1 when none (the replay check is `account.totp_replay_until_ms`). */
	last_used_step: number;
	/** The name its owner gave it; null when none (migration 0018). */
	name: string | null;
	/** When a code of it was last accepted; null when never (migration 0018). */
	last_used_at: EpochMsColumn | null;
	/** A pending row's purpose, `'add'` or `'replace'`; null for a first setup (migration 0018). */
	purpose: TOTPEnrollmentPurpose | null;
}

/** Table `recovery_code`: one row per code, stored as a hash. */
export interface RecoveryCodeTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** argon2id PHC string when `lookup_prefix` is set; HMAC-SHA-256 of the normalized code, lower-case hex, when it is null (codes issued before 0008). */
	code_hash: string;
	/** The code's first characters in clear, unique per account (index `recovery_code_account_id_lookup_prefix_idx`); null before 0008. */
	lookup_prefix: string | null;
	created_at: EpochMsColumn;
	used_at: EpochMsColumn | null;
	/** The HMAC key id the code was made under (migration 0019); null: `default`. */
	hmac_key_id: string | null;
}

/** Table `session`: signed-in sessions; only a hash of the token secret is kept. */
/** `oidc_payload` (migration 0016): the OpenID Connect provider's stored models. */
export interface OidcPayloadTable {
	/** The library's model name: `Session`, `Interaction`, `Grant`, `AuthorizationCode`, `AccessToken`, `RefreshToken`, ... */
	model: string;
	id: string;
	/** The library's payload, JSON. */
	payload: string;
	grant_id: string | null;
	uid: string | null;
	user_code: string | null;
	/** On a grant: the deadbolt session it was given under. */
	session_id: string | null;
	account_id: string | null;
	client_id: string | null;
	sid: string | null;
	created_at: EpochMsColumn;
	expires_at: EpochMsColumn | null;
	consumed_at: EpochMsColumn | null;
	last_used_at: EpochMsColumn | null;
}

/** `oidc_client` (migration 0016): OpenID Connect clients added through the admin API or the CLI. */
export interface OidcClientTable {
	id: string;
	name: string;
	/** The client secret sealed by `service/`; null for a public client. */
	sealed_secret: Uint8Array | null;
	/** JSON array. */
	redirect_uris: string;
	/** JSON array. */
	post_logout_redirect_uris: string;
	backchannel_logout_uri: string | null;
	/** 0 or 1: a property of the client (public: no secret, PKCE), not a state. */
	public: number;
	/** 0 or 1: no consent page. */
	first_party: number;
	/** 1 or 2. */
	minimum_aal: number;
	/** JSON array, or null: no limit by group. */
	groups: string | null;
	/** JSON array, or null: no limit by account. */
	accounts: string | null;
	created_at: EpochMsColumn;
}

/** `session_app` (migration 0014): the hosts behind the forward-auth proxy a session reached. */
export interface SessionAppTable {
	/** References `session.id`, ON DELETE CASCADE. */
	session_id: string;
	/** Normalized host (lower case, no port). */
	host: string;
	/** Unix ms; written at most once a minute per session and host. */
	last_used_at: EpochMsColumn;
}

export interface SessionTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** SHA-256 of the token secret, lower-case hex. */
	secret_hash: string;
	/** Authenticator assurance level: 1 or 2. */
	aal: number;
	created_at: EpochMsColumn;
	last_active_at: EpochMsColumn;
	/** Absolute end of the session. */
	expires_at: EpochMsColumn;
	reauthenticated_at: EpochMsColumn;
	revoked_at: EpochMsColumn | null;
	ip_address: string | null;
	user_agent: string | null;
	/** The last time a TOTP or recovery code was typed in this session; null: never. */
	second_factor_at: EpochMsColumn | null;
	/** Authentication methods (RFC 8176 values and deadbolt's own), space-separated. */
	amr: string;
}

/** Table `login_challenge`: the state between the password step and the second factor. */
export interface LoginChallengeTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** SHA-256 of the challenge token secret, lower-case hex. */
	secret_hash: string;
	created_at: EpochMsColumn;
	expires_at: EpochMsColumn;
	/** Code attempts reserved so far. */
	attempts: number;
	max_attempts: number;
	consumed_at: EpochMsColumn | null;
	ip_address: string | null;
	user_agent: string | null;
	/** `password` or `sign_in_link` (migration 0006; `password` for older rows). */
	first_factor: string;
	/** `sign_in` or `set_up_two_factor` (migration 0018; `sign_in` for older rows). */
	purpose: ColumnType<LoginChallengePurpose, LoginChallengePurpose | undefined, LoginChallengePurpose>;
}

/** Table `sign_in_link` (migration 0004): one-time links standing in for the password step. */
export interface SignInLinkTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** SHA-256 of the link token's secret, lower-case hex. */
	secret_hash: string;
	created_at: EpochMsColumn;
	expires_at: EpochMsColumn;
	consumed_at: EpochMsColumn | null;
}

/** Table `server_key_check` (migration 0005): one row, `id = 'server'`, proving which server keys the data was written with. */
export interface ServerKeyCheckTable {
	id: string;
	/** HMAC-SHA-256 of a fixed text under the HMAC key, lower-case hex. */
	hmac_check: string;
	/** A fixed text sealed under the encryption key (AES-256-GCM). */
	sealed_check: Uint8Array;
	created_at: EpochMsColumn;
}

/**
 * Table `signing_key` (migration 0011): the keys assertions are signed with, shared by every
 * instance; the one of the highest `generation` (unique) is in use.
 */
export interface SigningKeyTable {
	/** The key id (`kid`): the RFC 7638 SHA-256 thumbprint of the public key, base64url. */
	kid: string;
	/** 1 for the first key, one more for each later key; unique, so one key per generation. */
	generation: number;
	/** The JWS algorithm (RFC 7518 §3.1), `ES256`. */
	algorithm: string;
	/** The private key as a JWK (JSON), sealed under the encryption key (AES-256-GCM), bound to `kid`. */
	sealed_private_jwk: Uint8Array;
	/** The public key as a JWK (JSON text): `kty`, `crv`, `x`, `y`. */
	public_jwk: string;
	created_at: EpochMsColumn;
	/** When the key starts signing (migration 0019); published in the JWKS before. null: since `created_at`. */
	activates_at: EpochMsColumn | null;
	/** When the key left the JWKS (migration 0019); null while published. */
	retired_at: EpochMsColumn | null;
}

/** Table `server_key` (migration 0019): the proof of each key id of the key rings (`service/server-keys.ts`). */
export interface ServerKeyTable {
	/** `"encryption"` or `"hmac"` (checked by the schema). */
	kind: "encryption" | "hmac";
	key_id: string;
	/** HMAC-SHA-256 of a fixed text, hex (hmac), or a fixed text sealed under the key, base64 (encryption). */
	check_value: string;
	created_at: EpochMsColumn;
	/** When `deadbolt keys retire` retired the key; null while in use. */
	retired_at: EpochMsColumn | null;
}

/** Table `auth_failure`: one failure counter per (account, kind); that pair is the primary key. */
export interface AuthFailureTable {
	/** References `account.id`, ON DELETE CASCADE. */
	account_id: string;
	/** `"password"` or `"second_factor"` (checked by the schema). */
	kind: string;
	failure_count: number;
	last_failure_at: EpochMsColumn;
	locked_until: EpochMsColumn | null;
	/** Locks in a row (migration 0003); reset with the row when an attempt succeeds. */
	lockout_count: Generated<number>;
	/** Attempts reserved and not yet settled (migration 0007); 0 once `in_flight_expires_at` passed. */
	attempts_in_flight: Generated<number>;
	/** The lease of the attempts in flight, extended by each reservation (migration 0007). */
	in_flight_expires_at: Generated<EpochMsColumn>;
}

/** Table `trusted_device` (migration 0002): "remember this device" tokens; only a hash of the secret is kept. */
export interface TrustedDeviceTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE; indexed. */
	account_id: string;
	/** SHA-256 of the current token secret, lower-case hex; replaced at every use (rotation). */
	secret_hash: string;
	created_at: EpochMsColumn;
	last_used_at: EpochMsColumn;
	/** Absolute end; moved forward at every rotation. */
	expires_at: EpochMsColumn;
	revoked_at: EpochMsColumn | null;
	ip_address: string | null;
	user_agent: string | null;
}

/** Table `security_event` (migration 0002): an account's security activity, append-only. */
export interface SecurityEventTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE; indexed with `created_at`. */
	account_id: string;
	/** A stable word such as `"login.succeeded"`. */
	type: string;
	created_at: EpochMsColumn;
	ip_address: string | null;
	user_agent: string | null;
	/** Safe facts about the event, JSON-encoded text (never parsed here). */
	details: string;
}

/** Table `delivery` (migration 0009): the transactional outbox, one message per recipient. */
export interface DeliveryTable {
	/** The stable message id (`webhook-id`, Message-ID). */
	id: string;
	/** The security event reported, or null (no foreign key: a message may report none). */
	event_id: string | null;
	/** References `account.id`, ON DELETE CASCADE; null for a message before any account exists. */
	account_id: string | null;
	/** `"email"` or `"webhook"` (checked by the schema). */
	channel: DeliveryChannel;
	kind: string;
	/** The address, or the webhook endpoint id. */
	target: string;
	/** Safe facts, JSON-encoded text. */
	payload: string;
	/** A link token sealed by `service/`; null when none, or once delivered or dead. */
	sealed_secret: Uint8Array | null;
	/** `"pending"`, `"delivered"` or `"dead"` (checked by the schema). */
	status: DeliveryStatus;
	attempts: number;
	next_attempt_at: EpochMsColumn;
	/** 0 when no dispatcher holds the lease. */
	lease_expires_at: EpochMsColumn;
	lease_owner: string | null;
	last_error: string | null;
	created_at: EpochMsColumn;
	delivered_at: EpochMsColumn | null;
}

/** Table `delivery_attempt` (migration 0009): the delivery log. */
export interface DeliveryAttemptTable {
	id: string;
	/** References `delivery.id`, ON DELETE CASCADE; indexed. */
	delivery_id: string;
	attempted_at: EpochMsColumn;
	/** `"delivered"` or `"failed"` (checked by the schema). */
	outcome: DeliveryAttemptRecord["outcome"];
	detail: string;
	duration_millis: number;
}

/** Table `webhook_endpoint` (migration 0009): endpoints added through the admin API. */
export interface WebhookEndpointTable {
	id: string;
	url: string;
	/** JSON array of event types. */
	events: string;
	/** The signing secret sealed by `service/`. */
	sealed_secret: Uint8Array;
	created_at: EpochMsColumn;
	description: string | null;
}

/** Table `email_token` (migration 0009): single-use mailed links; only a hash of the secret is kept. */
export interface EmailTokenTable {
	id: string;
	/** `"verify_email"`, `"reset_password"`, `"change_email"`, `"sign_up"`, `"confirm_two_factor"` or `"approve_email_change"` (checked by the schema; the last two since migration 0015). */
	purpose: EmailTokenPurpose;
	/** References `account.id`, ON DELETE CASCADE; null for a sign-up before the account exists. */
	account_id: string | null;
	email: string;
	/** SHA-256 of the token secret, lower-case hex. */
	secret_hash: string;
	password_hash: string | null;
	created_at: EpochMsColumn;
	expires_at: EpochMsColumn;
	consumed_at: EpochMsColumn | null;
	second_factor_verified_at: EpochMsColumn | null;
	/** Code attempts reserved so far. */
	attempts: number;
	ip_address: string | null;
}

/** Table `access_token` (migration 0013): personal access tokens; only a hash of the secret is kept. */
export interface AccessTokenTable {
	id: string;
	/** References `account.id`, ON DELETE CASCADE; indexed. */
	account_id: string;
	name: string;
	/** SHA-256 of the token secret, lower-case hex. */
	secret_hash: string;
	/** JSON array of normalized host patterns. */
	hosts: string;
	/** 1 or 2. */
	aal: number;
	created_at: EpochMsColumn;
	expires_at: EpochMsColumn;
	last_used_at: EpochMsColumn | null;
	last_used_ip: string | null;
	revoked_at: EpochMsColumn | null;
}

/** Every table of deadbolt's schema, for `Kysely<Database>`. */
export interface Database {
	account: AccountTable;
	totp_credential: TOTPCredentialTable;
	recovery_code: RecoveryCodeTable;
	session: SessionTable;
	session_app: SessionAppTable;
	oidc_payload: OidcPayloadTable;
	oidc_client: OidcClientTable;
	login_challenge: LoginChallengeTable;
	auth_failure: AuthFailureTable;
	trusted_device: TrustedDeviceTable;
	security_event: SecurityEventTable;
	sign_in_link: SignInLinkTable;
	server_key_check: ServerKeyCheckTable;
	server_key: ServerKeyTable;
	signing_key: SigningKeyTable;
	delivery: DeliveryTable;
	delivery_attempt: DeliveryAttemptTable;
	webhook_endpoint: WebhookEndpointTable;
	email_token: EmailTokenTable;
	access_token: AccessTokenTable;
	deleted_account: DeletedAccountTable;
}
