/**
 * Security activity: an audit trail of what happened to an account, with time, IP address and
 * device, shown to its owner (NIST SP 800-63B §6.1 records of bound authenticators; OWASP ASVS
 * 5.0 §16.3 authentication events). Details are safe facts only: never a password, code, token
 * or secret.
 */
import { generateId } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { Repositories, SecurityEventRecord } from "../storage/store.js";
import type { RequestContext, ServiceDeps } from "./deps.js";
import { describeDevice, type DeviceDescription } from "./devices.js";

/** Every kind of security event. */
export type SecurityEventType =
	| "account.created"
	| "account.secured"
	| "account.unlocked"
	| "login.succeeded"
	| "login.password_failed"
	| "login.second_factor_failed"
	| "login.locked"
	| "recovery_code.used"
	| "totp.enabled"
	| "totp.disabled"
	| "totp.replaced"
	| "recovery_codes.regenerated"
	| "password.changed"
	| "password.set"
	| "sign_in_link.issued"
	| "reauthenticated"
	| "session.revoked"
	| "sessions.revoked"
	| "device.trusted"
	| "device.revoked";

/** Safe facts attached to an event (numbers, short words). */
export type SecurityEventDetails = Readonly<Record<string, string | number | boolean | readonly string[]>>;

let sequence = 0;

/**
 * An id that sorts in recording order within a process, even for events of the same millisecond
 * (lists order by time, then by id): 12 hex digits of the time, 6 of a process-wide counter, then
 * random characters so ids from several processes never collide.
 */
function eventId(createdAt: number, random: string): string {
	sequence = (sequence + 1) % 0x1000000;
	return `${createdAt.toString(16).padStart(12, "0")}${sequence.toString(16).padStart(6, "0")}${random}`;
}

/**
 * Records an event. Pass a transaction's repositories to make the event part of the change.
 */
export async function recordSecurityEvent(deps: ServiceDeps, repositories: Repositories, accountId: string, type: SecurityEventType, context: RequestContext, details: SecurityEventDetails = {}): Promise<void> {
	const createdAt = deps.clock.now();
	const record: SecurityEventRecord = {
		id: eventId(createdAt, generateId(deps.random)),
		accountId,
		type,
		createdAt,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
		details: JSON.stringify(details),
	};
	await repositories.securityEvents.insertSecurityEvent(record);
}

/** An event as its owner sees it. */
export interface SecurityEventView {
	readonly id: string;
	readonly type: SecurityEventType;
	readonly createdAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly device: DeviceDescription;
	readonly details: SecurityEventDetails;
}

/** Most events returned at once. */
export const SECURITY_EVENTS_PAGE_MAX = 100;

/**
 * The account's security activity, newest first.
 * @param limit - 1 to 100 (default 50)
 * @param before - only events strictly before this instant (epoch ms), for the next page
 */
export async function listSecurityEvents(deps: ServiceDeps, accountId: string, options: { limit?: number; before?: UnixMillis } = {}): Promise<SecurityEventView[]> {
	const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 50)), SECURITY_EVENTS_PAGE_MAX);
	const records = await deps.store.securityEvents.listSecurityEvents(accountId, limit, options.before);
	return records.map((record) => ({
		id: record.id,
		type: record.type as SecurityEventType,
		createdAt: record.createdAt,
		ipAddress: record.ipAddress,
		device: describeDevice(record.userAgent),
		details: JSON.parse(record.details) as SecurityEventDetails,
	}));
}
