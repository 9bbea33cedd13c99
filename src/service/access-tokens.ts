/**
 * Personal access tokens (issue 12): credentials for mobile apps, scripts and API clients behind
 * the forward-auth proxy, sent as `Authorization: Bearer dbpat_...` (or `Proxy-Authorization`).
 * They work only at the authz and introspection endpoints, never as a session of the dashboard
 * or the API (the session plugin parses session tokens only: `dbpat_...` never parses as one).
 *
 * Decisions (docs/integrations/access-tokens.md says the same to users):
 * - Created by the owner in the dashboard, after a recent confirmation (sudo mode), by an account
 *   with a verified address. Shown once; only the SHA-256 of the secret is stored.
 * - Each names the hosts it may reach (exact or `*.` wildcard, 1 to {@link ACCESS_TOKEN_HOSTS_MAX});
 *   anywhere else it is refused (`token_host`), whatever the rules say.
 * - Every token expires: 1 to {@link ACCESS_TOKEN_MAX_EXPIRES_IN_DAYS} days after creation.
 * - Its assurance is that of the session that made it: `aal2` when made from a session that proved
 *   a second factor, else `aal1`. A `two_factor` rule accepts only an `aal2` token; a rule with
 *   `maxSecondFactorAgeSeconds` accepts none (a token cannot prove a recent code).
 * - Ended by: revoking it (one or all), "I think my account is compromised", a password reset by
 *   mail, and turning 2FA off (all of the account's tokens), and the account's deletion. Not by
 *   signing out (everywhere), nor by a password change or a new phone: tokens are listed and
 *   revoked on their own page, which says so.
 * - The last use (time and client address) is written at most once a minute per token.
 */
import { isDisplayableName } from "../domain/text/display-name.js";
import { isTwoFactorOverdue } from "../domain/access/two-factor-policy.js";
import { accessTokenCoversHost, ACCESS_TOKEN_HOSTS_MAX, normalizeHostPattern, parseHostList } from "../domain/access/token-hosts.js";
import { generateAccessToken, isWellFormedId, parseAccessToken, verifyTokenSecret } from "../domain/crypto/token.js";
import { InvalidRequest, NotFound, Unauthenticated, type Violation } from "../errors.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccessTokenRecord, AccountRecord } from "../storage/store.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";

export { ACCESS_TOKEN_HOSTS_MAX } from "../domain/access/token-hosts.js";

/** The longest a token may live: 365 days. */
export const ACCESS_TOKEN_MAX_EXPIRES_IN_DAYS = 365;
/** The longest name, in characters. */
export const ACCESS_TOKEN_NAME_MAX_LENGTH = 64;
/** The most tokens an account may have that are neither revoked nor expired. */
export const ACCESS_TOKENS_PER_ACCOUNT_MAX = 50;
/** The last use is written at most once per this many milliseconds per token (it is on every request's path). */
export const ACCESS_TOKEN_LAST_USE_INTERVAL_MS = 60_000;
/** Revoked and expired tokens stay listed (as such, in the store) this long before housekeeping deletes them: 30 days, in days. */
export const ENDED_ACCESS_TOKEN_RETENTION_DAYS = 30;

const DAY_SECONDS = 86_400;

/** A token as its owner sees it in the list (never its secret). */
export interface AccessTokenView {
	readonly id: string;
	readonly name: string;
	/** The hosts it may reach, normalized (`app.example.test`, `*.example.test`). */
	readonly hosts: readonly string[];
	/** What a `two_factor` rule sees: `aal2` when made from a session with a second factor. */
	readonly aal: "aal1" | "aal2";
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	/** Whether it has expired (it stays listed until revoked or deleted by housekeeping). */
	readonly expired: boolean;
	/** The last accepted request (to the minute); null: never used. */
	readonly lastUsedAt: UnixMillis | null;
	/** The client address of that request; null when unknown. */
	readonly lastUsedIp: string | null;
}

/** A token just made: `token` is shown once and never stored. */
export interface NewAccessToken {
	/** `dbpat_<id>.<secret>`, 66 characters. */
	readonly token: string;
	readonly view: AccessTokenView;
}

/** What the owner asks for. */
export interface AccessTokenRequest {
	/** A name to recognise it by (1 to 64 characters after trimming). */
	readonly name: string;
	/** Host patterns: a list, or text with one a line or comma-separated. */
	readonly hosts: string | readonly string[];
	/** Its lifetime in whole days, 1 to {@link ACCESS_TOKEN_MAX_EXPIRES_IN_DAYS}. */
	readonly expiresInDays: number;
}

/** The hosts of a stored token (its JSON array). */
export function accessTokenHosts(record: AccessTokenRecord): string[] {
	const hosts: unknown = JSON.parse(record.hosts);
	return Array.isArray(hosts) ? hosts.filter((host): host is string => typeof host === "string") : [];
}

function toView(deps: ServiceDeps, record: AccessTokenRecord): AccessTokenView {
	return {
		id: record.id,
		name: record.name,
		hosts: accessTokenHosts(record),
		aal: record.aal >= 2 ? "aal2" : "aal1",
		createdAt: record.createdAt,
		expiresAt: record.expiresAt,
		expired: record.expiresAt <= deps.clock.now(),
		lastUsedAt: record.lastUsedAt,
		lastUsedIp: record.lastUsedIp,
	};
}

/** The request's fields checked and normalized, or every problem at once. */
function checkRequest(input: AccessTokenRequest): { name: string; hosts: string[]; expiresInDays: number } {
	const violations: Violation[] = [];
	const name = input.name.trim();
	if (name === "") violations.push({ field: "name", rule: "required", message: "Give the token a name, e.g. what will use it." });
	else if ([...name].length > ACCESS_TOKEN_NAME_MAX_LENGTH) violations.push({ field: "name", rule: "too_long", message: `Use at most ${ACCESS_TOKEN_NAME_MAX_LENGTH} characters for the name.` });
	else if (!isDisplayableName(name)) violations.push({ field: "name", rule: "invalid", message: "The name cannot contain control or invisible formatting characters." });
	const list = typeof input.hosts === "string" ? parseHostList(input.hosts) : hostsOfList(input.hosts);
	if (list.invalid.length > 0) {
		violations.push({ field: "hosts", rule: "invalid", message: `Not a host name or *. and a domain: ${list.invalid.slice(0, 5).join(", ")}. Write hosts like app.example.com or *.example.com (no https://, no path).` });
	} else if (list.patterns.length === 0) {
		violations.push({ field: "hosts", rule: "required", message: "Name at least one host the token may reach, e.g. app.example.com." });
	} else if (list.patterns.length > ACCESS_TOKEN_HOSTS_MAX) {
		violations.push({ field: "hosts", rule: "too_many", message: `Name at most ${ACCESS_TOKEN_HOSTS_MAX} hosts (a *. wildcard covers many).` });
	}
	const days = input.expiresInDays;
	if (!Number.isInteger(days) || days < 1 || days > ACCESS_TOKEN_MAX_EXPIRES_IN_DAYS) {
		violations.push({ field: "expiresInDays", rule: "out_of_range", message: `Choose an expiry of 1 to ${ACCESS_TOKEN_MAX_EXPIRES_IN_DAYS} days.` });
	}
	if (violations.length > 0) throw new InvalidRequest(violations[0]!.message, violations);
	return { name, hosts: [...list.patterns], expiresInDays: days };
}

function hostsOfList(hosts: readonly string[]): { patterns: string[]; invalid: string[] } {
	const patterns: string[] = [];
	const invalid: string[] = [];
	for (const entry of hosts) {
		const pattern = normalizeHostPattern(entry);
		if (pattern === null) invalid.push(entry);
		else if (!patterns.includes(pattern)) patterns.push(pattern);
	}
	return { patterns, invalid };
}

/**
 * Creates a personal access token for the signed-in account. Needs a recent confirmation (sudo
 * mode) and a verified address. The token's assurance is the session's (`aal2` from a session
 * with a second factor). Records `access_token.created` (the owner is mailed about it).
 * @returns the token (show it once) and its view
 * @throws ReauthenticationRequired; InvalidRequest (fields `name`, `hosts`, `expiresInDays`; `email`
 *   rule `unverified`; `name` rule `too_many_tokens` past {@link ACCESS_TOKENS_PER_ACCOUNT_MAX});
 *   Unauthenticated when the session ended meanwhile
 */
export async function createAccessToken(deps: ServiceDeps, auth: AuthenticatedSession, input: AccessTokenRequest, context: RequestContext = NO_CONTEXT): Promise<NewAccessToken> {
	requireRecentReauthentication(deps, auth.session);
	if (auth.account.emailVerifiedAt === null) {
		const message = "Verify your email address first: tokens are for accounts with a verified address.";
		throw new InvalidRequest(message, [{ field: "email", rule: "unverified", message }]);
	}
	const checked = checkRequest(input);
	const generated = generateAccessToken(deps.random);
	const record = await deps.store.transaction(async (tx) => {
		// Under the account's lock, like every end of access: "I think my account is compromised"
		// racing this either runs first (and this session is gone: refused here) or after (and ends the token).
		await tx.accounts.lockAccount(auth.account.id);
		const session = await tx.sessions.findSession(auth.session.id);
		if (session === null || session.revokedAt !== null) throw new Unauthenticated(undefined, { reason: "revoked_meanwhile" });
		const now = deps.clock.now();
		const live = (await tx.accessTokens.listAccountAccessTokens(auth.account.id)).filter((token) => token.expiresAt > now);
		if (live.length >= ACCESS_TOKENS_PER_ACCOUNT_MAX) {
			const message = `You have ${ACCESS_TOKENS_PER_ACCOUNT_MAX} active tokens, the most an account may have. Revoke the ones you no longer use first.`;
			throw new InvalidRequest(message, [{ field: "name", rule: "too_many_tokens", message }]);
		}
		const created: AccessTokenRecord = {
			id: generated.id,
			accountId: auth.account.id,
			name: checked.name,
			secretHash: generated.secretHash,
			hosts: JSON.stringify(checked.hosts),
			aal: auth.session.aal >= 2 ? 2 : 1,
			createdAt: now,
			expiresAt: now + secondsToMillis(checked.expiresInDays * DAY_SECONDS),
			lastUsedAt: null,
			lastUsedIp: null,
			revokedAt: null,
		};
		await tx.accessTokens.insertAccessToken(created);
		await recordSecurityEvent(deps, tx, auth.account.id, "access_token.created", context, {
			accessTokenId: created.id,
			name: created.name,
			hosts: checked.hosts,
			expiresInDays: checked.expiresInDays,
			aal: created.aal >= 2 ? "aal2" : "aal1",
		});
		return created;
	});
	deps.logger.info({ event: "access_token.created", accountId: auth.account.id, accessTokenId: record.id, hosts: checked.hosts, aal: record.aal }, "personal access token created");
	return { token: generated.token, view: toView(deps, record) };
}

/** The account's tokens that are not revoked (expired ones marked, until housekeeping), newest first. */
export async function listAccessTokens(deps: ServiceDeps, auth: AuthenticatedSession): Promise<AccessTokenView[]> {
	return (await deps.store.accessTokens.listAccountAccessTokens(auth.account.id)).map((record) => toView(deps, record));
}

/**
 * Revokes one of the account's tokens: the next request with it is refused. Ending access needs
 * no confirmation.
 * @throws NotFound when the account has no unrevoked token with that id
 */
export async function revokeAccessToken(deps: ServiceDeps, auth: AuthenticatedSession, accessTokenId: string, context: RequestContext = NO_CONTEXT): Promise<void> {
	if (!isWellFormedId(accessTokenId)) throw new NotFound("No such access token.");
	await deps.store.transaction(async (tx) => {
		if (!(await tx.accessTokens.revokeAccessToken(auth.account.id, accessTokenId, deps.clock.now()))) throw new NotFound("No such access token.");
		await recordSecurityEvent(deps, tx, auth.account.id, "access_token.revoked", context, { scope: "one", accessTokenId });
	});
	deps.logger.info({ event: "access_token.revoked", accountId: auth.account.id, accessTokenId }, "personal access token revoked");
}

/**
 * Revokes every token of the account. Ending access needs no confirmation.
 * @returns how many were revoked (expired ones included)
 */
export async function revokeAllAccessTokens(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<number> {
	const count = await deps.store.transaction(async (tx) => {
		await tx.accounts.lockAccount(auth.account.id);
		const revoked = await tx.accessTokens.revokeAccountAccessTokens(auth.account.id, deps.clock.now());
		await recordSecurityEvent(deps, tx, auth.account.id, "access_token.revoked", context, { scope: "all", accessTokens: revoked });
		return revoked;
	});
	deps.logger.info({ event: "access_token.revoked", accountId: auth.account.id, scope: "all", accessTokens: count }, "personal access tokens revoked");
	return count;
}

/** Why a token was not accepted (logged; the client is told only that it was refused). */
export type AccessTokenRefusal = "malformed" | "unknown" | "mismatch" | "revoked" | "expired" | "account_gone" | "account_disabled" | "two_factor_overdue";

/** What a presented token turned out to be. */
export type AccessTokenValidation =
	/** A live token that may reach the host: its record (with its hosts) and account. */
	| { readonly kind: "valid"; readonly token: AccessTokenRecord; readonly hosts: readonly string[]; readonly account: AccountRecord }
	/** A live token, but not made for this host (deny reason `token_host`). */
	| { readonly kind: "host_not_covered"; readonly token: AccessTokenRecord; readonly hosts: readonly string[]; readonly account: AccountRecord }
	| { readonly kind: "refused"; readonly reason: AccessTokenRefusal };

/**
 * Checks a personal access token: well-formed, known, the secret's hash matching (constant time),
 * not revoked, not expired, its account there, and (unless `host` is null) made for `host`. A token
 * accepted for its host records its use (at most once per {@link ACCESS_TOKEN_LAST_USE_INTERVAL_MS}).
 * Nothing is cached: a revocation refuses the very next request, on every instance.
 * @param host - the request's normalized host (lower case, no port); null: no host check (introspection)
 * @param clientAddress - the client's address, recorded as the last use's; null when unknown
 */
export async function validateAccessToken(deps: ServiceDeps, token: string, host: string | null, clientAddress: string | null = null): Promise<AccessTokenValidation> {
	const parsed = parseAccessToken(token);
	if (parsed === null) return { kind: "refused", reason: "malformed" };
	const record = await deps.store.accessTokens.findAccessToken(parsed.id);
	if (record === null) return { kind: "refused", reason: "unknown" };
	if (!verifyTokenSecret(parsed.secret, record.secretHash)) return { kind: "refused", reason: "mismatch" };
	if (record.revokedAt !== null) return { kind: "refused", reason: "revoked" };
	const now = deps.clock.now();
	if (record.expiresAt <= now) return { kind: "refused", reason: "expired" };
	const account = await deps.store.accounts.findAccountById(record.accountId);
	if (account === null) return { kind: "refused", reason: "account_gone" };
	if (account.disabledAt !== null) return { kind: "refused", reason: "account_disabled" };
	// Enforced 2FA past the deadline: a token made without a second factor opens nothing (as its sessions).
	if (record.aal < 2 && deps.config.twoFactorPolicy.enforce !== "off" && isTwoFactorOverdue(deps.config.twoFactorPolicy, account, deps.clock.now())) return { kind: "refused", reason: "two_factor_overdue" };
	const hosts = accessTokenHosts(record);
	if (host !== null && !accessTokenCoversHost(hosts, host)) return { kind: "host_not_covered", token: record, hosts, account };
	if (record.lastUsedAt === null || now - record.lastUsedAt >= ACCESS_TOKEN_LAST_USE_INTERVAL_MS) {
		// One write a minute per token at most, whatever the number of instances (the condition decides).
		await deps.store.accessTokens.touchAccessToken(record.id, { now, ipAddress: clientAddress, unlessUsedAfter: now - ACCESS_TOKEN_LAST_USE_INTERVAL_MS });
	}
	return { kind: "valid", token: record, hosts, account };
}
