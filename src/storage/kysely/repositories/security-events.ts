/** Security events: appended, then read newest first, a page at a time; the oldest deleted in batches (retention). */
import type { UnixMillis } from "../../../platform/clock.js";
import type { SecurityEventDevice, SecurityEventRecord, SecurityEventRepository } from "../../store.js";
import { checkDeleteBatch, countWritten, findEvery, type Executor, type Guard } from "../executor.js";
import { prepared } from "../prepared.js";
import { recordTable } from "../record-table.js";
import { rowMapping } from "../rows.js";

/** Most security events one {@link SecurityEventRepository.listSecurityEvents} call returns. */
const SECURITY_EVENTS_LIST_MAX = 500;

const securityEventRows = rowMapping<SecurityEventRecord>({ id: true, accountId: true, type: true, createdAt: true, ipAddress: true, userAgent: true, details: true });

/** `listRecentEventDevices`'s statement (every sign-in runs it), compiled once per dialect. */
const RECENT_EVENT_DEVICES = prepared("security_event.recentDevices", (db, accountId: string, firstType: string, secondType: string, limit: number) =>
	db.selectFrom("security_event").select(["type", "user_agent", "created_at"]).where("account_id", "=", accountId).where("type", "in", [firstType, secondType]).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit),
);

/** @throws TypeError unless `limit` is an integer from 1 to {@link SECURITY_EVENTS_LIST_MAX} */
function checkListLimit(name: string, limit: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > SECURITY_EVENTS_LIST_MAX) {
		throw new TypeError(`${name}: limit must be an integer from 1 to ${SECURITY_EVENTS_LIST_MAX}, not ${String(limit)}`);
	}
}

/** The security event repository over `db`. */
export function createSecurityEventRepository(db: Executor, guard: Guard): SecurityEventRepository {
	const events = recordTable(db, guard, "security_event", securityEventRows);
	return Object.freeze({
		insertSecurityEvent: events.insert,
		async listRecentEventDevices(accountId: string, types: readonly [string, string], limit: number): Promise<SecurityEventDevice[]> {
			checkListLimit("listRecentEventDevices", limit);
			const rows = await guard(() => RECENT_EVENT_DEVICES.rows(db, accountId, types[0], types[1], limit));
			return rows.map((row) => ({ type: row.type, userAgent: row.user_agent, createdAt: Number(row.created_at) }));
		},
		async listSecurityEvents(accountId: string, limit: number, before?: UnixMillis): Promise<SecurityEventRecord[]> {
			checkListLimit("listSecurityEvents", limit);
			if (before !== undefined && !Number.isSafeInteger(before)) {
				throw new TypeError(`listSecurityEvents: before must be an epoch-ms integer, not ${String(before)}`);
			}
			return findEvery(
				guard,
				() => {
					const query = db.selectFrom("security_event").selectAll().where("account_id", "=", accountId);
					return (before === undefined ? query : query.where("created_at", "<", before)).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit);
				},
				securityEventRows.toRecord,
			);
		},
		deleteSecurityEventsBefore(before: UnixMillis, limit: number): Promise<number> {
			checkDeleteBatch("deleteSecurityEventsBefore", limit);
			return countWritten(guard, () =>
				db.deleteFrom("security_event").where("id", "in", db.selectFrom("security_event").select("id").where("created_at", "<", before).orderBy("created_at").limit(limit)),
			);
		},
	});
}
