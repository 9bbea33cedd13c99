/**
 * Security activity: an audit trail of what happened to an account, with time, IP address and
 * device, shown to its owner (NIST SP 800-63B §6.1 records of bound authenticators; OWASP ASVS
 * 5.0 §16.3 authentication events). Details are safe facts only: never a password, code, token
 * or secret.
 */
import { generateId } from "../domain/crypto/token.js";
import type { SecurityEventDetails, SecurityEventType } from "../domain/events/event-types.js";
import type { UnixMillis } from "../platform/clock.js";
import type { Repositories, SecurityEventRecord } from "../storage/store.js";
import type { RequestContext, ServiceDeps } from "./deps.js";
import { describeDevice, type DeviceDescription } from "./devices.js";
import { enqueueEventDeliveries } from "./outbox.js";

export type { SecurityEventDetails, SecurityEventType } from "../domain/events/event-types.js";

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
 * Records an event, and queues in the same place what it calls for (alert mail, webhook
 * messages: `outbox.ts`). Pass a transaction's repositories so that the event and its messages
 * are part of the change they report (DESIGN.md §3.10).
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
	await enqueueEventDeliveries(deps, repositories, record, details);
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
