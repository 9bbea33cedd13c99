/**
 * Operators' reads (issue 14 item 1): the account list with search, filters and cursor paging, and
 * one account with its sessions, remembered devices, personal access tokens (never a token's value
 * or hash), connected OpenID Connect apps and recent security activity. Shared by the admin API and
 * the CLI (`admin.ts`). Reads record nothing.
 *
 * The list is in email order; a page is one statement (`AccountDirectoryRepository.listAccounts`):
 * the `account.email` unique index gives the order and the cursor, so a page reads its rows plus
 * what the filters skip, and never one query per account.
 */
import { GroupNameInvalid, InvalidRequest } from "../errors.js";
import { normalizeGroupName } from "../domain/access/group-name.js";
import type { UnixMillis } from "../platform/clock.js";
import type { AccountListEntry } from "../storage/store.js";
import { findTargetAccount, type AccountRef } from "./admin.js";
import type { ServiceDeps } from "./deps.js";
import { describeDevice, type DeviceDescription } from "./devices.js";
import { listConnectedOidcApps, type ConnectedOidcApp } from "./oidc-grants.js";
import { listSecurityEvents, type SecurityEventView } from "./security-events.js";
import { trustedDeviceView, type TrustedDeviceView } from "./trusted-devices.js";
import { twoFactorRequirementOf } from "./required-two-factor.js";

/** Most accounts in one page of the list. */
export const ACCOUNT_PAGE_MAX = 500;
/** Accounts in a page when the caller names no limit. */
export const ACCOUNT_PAGE_DEFAULT = 50;
/** Security events shown with one account. */
export const ACCOUNT_ACTIVITY_SHOWN = 50;

/** The list's filters and paging, as the admin API's query and the CLI's options give them. */
export interface AccountListRequest {
	/** Only emails containing this text (any case). */
	readonly search?: string | undefined;
	/** Only emails starting with this text (any case). */
	readonly prefix?: string | undefined;
	readonly twoFactor?: boolean | undefined;
	readonly locked?: boolean | undefined;
	readonly disabled?: boolean | undefined;
	/** A group name (normalized as groups are). */
	readonly group?: string | undefined;
	/** 1 to {@link ACCOUNT_PAGE_MAX}; default {@link ACCOUNT_PAGE_DEFAULT}. */
	readonly limit?: number | undefined;
	/** `nextCursor` of the previous page. */
	readonly cursor?: string | undefined;
}

/** One account as operators see it in the list. */
export interface AccountSummary {
	readonly id: string;
	readonly email: string;
	readonly emailVerified: boolean;
	readonly hasPassword: boolean;
	readonly twoFactorEnabled: boolean;
	/**
	 * When an operator's policy (`twoFactorPolicy`) requires two-factor authentication of this
	 * account and it has none: the deadline (Unix milliseconds), past or to come; null otherwise
	 * (not required, or set up). Who has not complied yet.
	 */
	readonly twoFactorDeadline: UnixMillis | null;
	/** Required, not set up, and past the deadline: the account can only set it up ({@link twoFactorDeadline}). */
	readonly twoFactorOverdue: boolean;
	/** Whether the password or the second factor is locked now. */
	readonly locked: boolean;
	/** Until when (the later of the two locks); null when not locked. */
	readonly lockedUntil: UnixMillis | null;
	readonly disabled: boolean;
	readonly disabledAt: UnixMillis | null;
	/** When its newest kept session began; null when none is kept (sessions are purged some time after they end). */
	readonly lastSignInAt: UnixMillis | null;
	readonly groups: readonly string[];
	readonly createdAt: UnixMillis;
}

/** A page of the list. */
export interface AccountPage {
	readonly accounts: readonly AccountSummary[];
	/** Pass as `cursor` for the next page; null on the last one. */
	readonly nextCursor: string | null;
}

function summaryOf(deps: ServiceDeps, entry: AccountListEntry, now: UnixMillis): AccountSummary {
	const { account } = entry;
	const locked = entry.lockedUntil !== null && entry.lockedUntil > now;
	const requirement = twoFactorRequirementOf(deps, account, entry.twoFactorEnabled);
	return {
		id: account.id,
		email: account.email,
		emailVerified: account.emailVerifiedAt !== null,
		hasPassword: account.passwordHash !== null,
		twoFactorEnabled: entry.twoFactorEnabled,
		twoFactorDeadline: entry.twoFactorEnabled ? null : requirement.deadline,
		twoFactorOverdue: requirement.overdue,
		locked,
		lockedUntil: locked ? entry.lockedUntil : null,
		disabled: account.disabledAt !== null,
		disabledAt: account.disabledAt,
		lastSignInAt: entry.lastSignInAt,
		groups: account.groups,
		createdAt: account.createdAt,
	};
}

/** The cursor of a page that ends at `email`: the address, base64url (opaque to callers). */
function cursorAfter(email: string): string {
	return Buffer.from(email, "utf8").toString("base64url");
}

/** @throws InvalidRequest for a cursor this function did not make */
function emailOfCursor(cursor: string): string {
	const email = /^[A-Za-z0-9_-]{1,700}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
	// eslint-disable-next-line no-control-regex
	if (email === "" || /[\u0000-\u001f\u007f]/.test(email) || cursorAfter(email) !== cursor) throw new InvalidRequest("The cursor is not one this list gave.", [{ field: "cursor", rule: "invalid", message: "Pass the nextCursor of the previous page, as it was." }]);
	return email;
}

/** Search text as stored emails are: trimmed, lower case; null when blank. */
function searchText(text: string | undefined, field: string): string | null {
	if (text === undefined) return null;
	const trimmed = text.trim().normalize("NFC").toLowerCase();
	if (trimmed.length > 254) throw new InvalidRequest(`${field} is at most 254 characters.`, [{ field, rule: "too_long", message: `${field} is at most 254 characters.` }]);
	// No address holds a control character (and PostgreSQL refuses NUL in text): refused, not a 503.
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new InvalidRequest(`${field} has a control character.`, [{ field, rule: "invalid", message: `${field} has a control character.` }]);
	return trimmed === "" ? null : trimmed;
}

/**
 * A page of accounts, by email ascending: those matching every filter given, after the cursor.
 * @throws InvalidRequest for a cursor it did not make, a limit out of 1 to {@link ACCOUNT_PAGE_MAX}, or search text over 254 characters
 * @throws GroupNameInvalid for a `group` that is no group name
 */
export async function listAccounts(deps: ServiceDeps, request: AccountListRequest = {}): Promise<AccountPage> {
	const limit = request.limit ?? ACCOUNT_PAGE_DEFAULT;
	if (!Number.isInteger(limit) || limit < 1 || limit > ACCOUNT_PAGE_MAX) throw new InvalidRequest(`limit is a whole number from 1 to ${ACCOUNT_PAGE_MAX}.`, [{ field: "limit", rule: "range", message: `1 to ${ACCOUNT_PAGE_MAX}` }]);
	let group: string | null = null;
	if (request.group !== undefined) {
		group = normalizeGroupName(request.group);
		if (group === null) throw new GroupNameInvalid(`"${request.group.slice(0, 80)}" is not a group name: use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit.`);
	}
	const now = deps.clock.now();
	// One more than asked: whether a next page exists, without a count over every account.
	const entries = await deps.store.accountDirectory.listAccounts({
		search: searchText(request.search, "search"),
		prefix: searchText(request.prefix, "prefix"),
		twoFactor: request.twoFactor ?? null,
		locked: request.locked ?? null,
		disabled: request.disabled ?? null,
		group,
		afterEmail: request.cursor === undefined ? null : emailOfCursor(request.cursor),
		limit: limit + 1,
		now,
	});
	const page = entries.slice(0, limit).map((entry) => summaryOf(deps, entry, now));
	const last = page.at(-1);
	return { accounts: page, nextCursor: entries.length > limit && last !== undefined ? cursorAfter(last.email) : null };
}

/** A session of the account, as operators see it (never its token). */
export interface AdminSessionView {
	readonly id: string;
	/** 1: the password (or a link) only; 2: with a second factor. */
	readonly aal: number;
	readonly createdAt: UnixMillis;
	readonly lastActiveAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly device: DeviceDescription;
}

/** A remembered device (never its token): the same view as its owner's. */
export type AdminTrustedDeviceView = TrustedDeviceView;

/** A personal access token: its name and facts, never its value or hash. */
export interface AdminAccessTokenView {
	readonly id: string;
	readonly name: string;
	readonly hosts: readonly string[];
	readonly aal: number;
	readonly createdAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly lastUsedAt: UnixMillis | null;
	readonly lastUsedIp: string | null;
}

/** One account in full, as operators see it. */
export interface AccountDetails {
	readonly account: AccountSummary;
	/** Live sessions, newest first. */
	readonly sessions: readonly AdminSessionView[];
	readonly trustedDevices: readonly AdminTrustedDeviceView[];
	/** Live (not revoked, not expired) tokens. */
	readonly accessTokens: readonly AdminAccessTokenView[];
	readonly connectedApps: readonly ConnectedOidcApp[];
	/** The latest {@link ACCOUNT_ACTIVITY_SHOWN} security events, newest first. */
	readonly activity: readonly SecurityEventView[];
}

function hostsOf(text: string): readonly string[] {
	try {
		const value: unknown = JSON.parse(text);
		return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
	} catch {
		return [];
	}
}

/**
 * One account with everything an operator needs to help its owner.
 * @throws NotFound when no account matches
 */
export async function showAccount(deps: ServiceDeps, target: AccountRef): Promise<AccountDetails> {
	const found = await findTargetAccount(deps, target);
	const now = deps.clock.now();
	const [entry] = await deps.store.accountDirectory.listAccounts({ search: null, prefix: null, twoFactor: null, locked: null, disabled: null, group: null, afterEmail: null, limit: 1, now, exactEmail: found.email });
	const account = entry ?? { account: found, twoFactorEnabled: false, lockedUntil: null, lastSignInAt: null };
	const [sessions, devices, tokens, connectedApps, activity] = await Promise.all([
		deps.store.sessions.listActiveSessions(found.id, now),
		deps.store.trustedDevices.listActiveTrustedDevices(found.id, now),
		deps.store.accessTokens.listAccountAccessTokens(found.id),
		listConnectedOidcApps(deps, found.id),
		listSecurityEvents(deps, found.id, { limit: ACCOUNT_ACTIVITY_SHOWN }),
	]);
	return {
		account: summaryOf(deps, account, now),
		sessions: sessions
			.map((session) => ({ id: session.id, aal: session.aal, createdAt: session.createdAt, lastActiveAt: session.lastActiveAt, expiresAt: session.expiresAt, ipAddress: session.ipAddress, device: describeDevice(session.userAgent) }))
			.sort((a, b) => b.createdAt - a.createdAt),
		trustedDevices: devices.map(trustedDeviceView),
		accessTokens: tokens
			.filter((token) => token.revokedAt === null && token.expiresAt > now)
			.map((token) => ({ id: token.id, name: token.name, hosts: hostsOf(token.hosts), aal: token.aal, createdAt: token.createdAt, expiresAt: token.expiresAt, lastUsedAt: token.lastUsedAt, lastUsedIp: token.lastUsedIp })),
		connectedApps,
		activity,
	};
}
