/**
 * "Connected apps" (issue 12 item 9): which apps behind the forward-auth proxy each session reached
 * recently, shown beside the session so that its owner sees where a session is in use (and, after
 * "sign out everywhere", that it ended there too). Written on allowed forward-auth requests at most
 * once a minute per session and host: a process remembers its last writes
 * ({@link APP_USE_INTERVAL_MILLIS}), and the store's conditional upsert holds the same bound across
 * instances. This is a record, not a cache: no decision ever reads it.
 */
import type { UnixMillis } from "../platform/clock.js";
import type { ServiceDeps } from "./deps.js";

/** At most one write per session and host in this interval. */
export const APP_USE_INTERVAL_MILLIS = 60_000;

/** The most session-and-host pairs a process remembers before it starts over (memory bound; the store still limits writes). */
const REMEMBERED_PAIRS = 10_000;

/** An app a session reached. */
export interface ConnectedApp {
	/** The host (lower case, no port). */
	readonly host: string;
	readonly lastUsedAt: UnixMillis;
}

const lastWrites = new WeakMap<ServiceDeps["store"], Map<string, UnixMillis>>();

/**
 * Records that `sessionId` reached `host`, unless this process did within the last minute.
 * Failures are logged and swallowed: the record must never refuse or delay an allowed request.
 */
export async function noteAppUse(deps: ServiceDeps, sessionId: string, host: string): Promise<void> {
	const now = deps.clock.now();
	let written = lastWrites.get(deps.store);
	if (written === undefined) {
		written = new Map();
		lastWrites.set(deps.store, written);
	}
	const key = `${sessionId} ${host}`;
	const last = written.get(key);
	if (last !== undefined && now - last < APP_USE_INTERVAL_MILLIS) return;
	if (written.size >= REMEMBERED_PAIRS) written.clear();
	written.set(key, now);
	try {
		await deps.store.sessions.recordSessionApp(sessionId, host, now, APP_USE_INTERVAL_MILLIS);
	} catch (error) {
		deps.logger.warn({ event: "connected_apps.write_failed", err: error }, "could not record an app use");
	}
}

/** The apps each session reached, newest first (at most `perSession` each), by session id. */
export async function connectedApps(deps: ServiceDeps, sessionIds: readonly string[], perSession = 5): Promise<ReadonlyMap<string, readonly ConnectedApp[]>> {
	const result = new Map<string, ConnectedApp[]>();
	for (const record of await deps.store.sessions.listSessionApps(sessionIds)) {
		const apps = result.get(record.sessionId) ?? [];
		if (apps.length < perSession) apps.push({ host: record.host, lastUsedAt: record.lastUsedAt });
		result.set(record.sessionId, apps);
	}
	return result;
}
