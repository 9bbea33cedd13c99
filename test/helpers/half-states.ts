/**
 * "No half state": what must hold in deadbolt's tables whatever moment a process died at, because
 * each use case writes it in ONE transaction (DESIGN.md rule 7). Read straight from the database
 * (SQLite or PostgreSQL), after the server was killed.
 *
 * The rules, per account:
 * - 2FA on means one confirmed TOTP credential, its full set of recovery codes, and a
 *   `totp.enabled` event (confirmTOTPEnrollment writes all three); 2FA off means no recovery code
 *   and no such event. So: no recovery codes without a confirmed secret, and no secret confirmed
 *   halfway.
 * - With 2FA on, no password-only (AAL1) session is active except the one that confirmed the
 *   setup: turning 2FA on ends the others in the same transaction.
 * - Every session has its factors: each AAL2 session came with a `login.succeeded` event naming a
 *   second factor and a consumed login challenge; each AAL1 session with `account.created` or a
 *   password-only `login.succeeded`; each used recovery code with a `recovery_code.used` event.
 *   (Sign-up, sign-in and code use write the session, the event and the consumption together.)
 *
 * These hold for journeys of sign-up, setup, sign-in and recovery-code use; flows this workload
 * does not run (moving to a new phone, turning 2FA off, ...) would need rules of their own.
 */

/** The rows the rules read, as any driver returns them (instants may be strings or numbers). */
export interface TableSnapshot {
	readonly accounts: readonly { id: string }[];
	readonly totpCredentials: readonly { account_id: string; confirmed_at: unknown; enrollment_session_id: string | null }[];
	readonly recoveryCodes: readonly { account_id: string; used_at: unknown }[];
	readonly sessions: readonly { id: string; account_id: string; aal: unknown; revoked_at: unknown }[];
	readonly loginChallenges: readonly { account_id: string; consumed_at: unknown }[];
	readonly securityEvents: readonly { account_id: string; type: string; details: string }[];
}

/** The SELECTs of a {@link TableSnapshot} (portable SQL: SQLite and PostgreSQL). */
export const SNAPSHOT_QUERIES: Readonly<Record<keyof TableSnapshot, string>> = Object.freeze({
	accounts: "select id from account",
	totpCredentials: "select account_id, confirmed_at, enrollment_session_id from totp_credential",
	recoveryCodes: "select account_id, used_at from recovery_code",
	sessions: "select id, account_id, aal, revoked_at from session",
	loginChallenges: "select account_id, consumed_at from login_challenge",
	securityEvents: "select account_id, type, details from security_event",
});

/**
 * Reads a snapshot with `query` (runs one SELECT, returns its rows), one SELECT after another:
 * `query` may run on a single `pg` client, which must not be handed a query while it still
 * executes one (pg 8 warns "Calling client.query() when the client is already executing a query
 * is deprecated"; pg 9 refuses).
 */
export async function readSnapshot(query: (sql: string) => Promise<readonly unknown[]>): Promise<TableSnapshot> {
	const snapshot: Record<string, readonly unknown[]> = {};
	for (const [name, sql] of Object.entries(SNAPSHOT_QUERIES)) snapshot[name] = await query(sql);
	return snapshot as unknown as TableSnapshot;
}

/** The second factors a `login.succeeded` event can name. */
const SECOND_FACTORS = ["totp", "recovery_code", "trusted_device"];

/**
 * Every broken rule, one line each (`[]` when the tables are whole).
 * @param recoveryCodeCount - codes per set (`recoveryCodes.count`, default 10)
 */
export function findHalfStates(snapshot: TableSnapshot, recoveryCodeCount = 10): string[] {
	const problems: string[] = [];
	const byAccount = <T extends { account_id: string }>(rows: readonly T[], id: string): T[] => rows.filter((row) => row.account_id === id);
	for (const { id } of snapshot.accounts) {
		const confirmed = byAccount(snapshot.totpCredentials, id).filter((row) => row.confirmed_at !== null);
		const codes = byAccount(snapshot.recoveryCodes, id);
		const events = byAccount(snapshot.securityEvents, id);
		const sessions = byAccount(snapshot.sessions, id);
		const eventsOf = (type: string): typeof events => events.filter((event) => event.type === type);
		const factorsOf = (event: { details: string }): string[] => (JSON.parse(event.details) as { factors?: string[] }).factors ?? [];

		if (confirmed.length > 1) problems.push(`${id}: ${confirmed.length} confirmed TOTP credentials`);
		if (confirmed.length === 0 && codes.length > 0) problems.push(`${id}: ${codes.length} recovery codes without a confirmed TOTP secret`);
		if (confirmed.length > 0 && codes.length !== recoveryCodeCount) problems.push(`${id}: 2FA on with ${codes.length} recovery codes, not ${recoveryCodeCount}`);
		if ((confirmed.length > 0) !== (eventsOf("totp.enabled").length > 0)) problems.push(`${id}: 2FA ${confirmed.length > 0 ? "on without" : "off with"} a totp.enabled event`);

		const enrollingSession = confirmed[0]?.enrollment_session_id ?? null;
		const activePasswordOnly = sessions.filter((session) => Number(session.aal) === 1 && session.revoked_at === null && session.id !== enrollingSession);
		if (confirmed.length > 0 && activePasswordOnly.length > 0) problems.push(`${id}: 2FA on, yet ${activePasswordOnly.length} other password-only session(s) active`);

		// AAL2 sessions: those a second-factor sign-in made, plus AAL1 sessions raised to AAL2 by
		// proving a code later (the one that turned 2FA on, or a re-authentication with a code).
		const secondFactorSessions = sessions.filter((session) => Number(session.aal) === 2).length;
		const secondFactorSignIns = eventsOf("login.succeeded").filter((event) => factorsOf(event).some((factor) => SECOND_FACTORS.includes(factor))).length;
		const raisedSessions = secondFactorSessions - secondFactorSignIns;
		const raises = eventsOf("totp.enabled").length + eventsOf("reauthenticated").filter((event) => factorsOf(event).some((factor) => SECOND_FACTORS.includes(factor))).length;
		if (raisedSessions < 0 || raisedSessions > raises) problems.push(`${id}: ${secondFactorSessions} AAL2 session(s) but ${secondFactorSignIns} recorded second-factor sign-in(s) and ${raises} later code proof(s)`);
		const consumedChallenges = byAccount(snapshot.loginChallenges, id).filter((challenge) => challenge.consumed_at !== null).length;
		if (secondFactorSignIns > consumedChallenges) problems.push(`${id}: ${secondFactorSignIns} second-factor sign-in(s) but only ${consumedChallenges} consumed login challenge(s)`);

		const passwordOnlySessions = sessions.filter((session) => Number(session.aal) === 1).length;
		const passwordOnlySignIns = eventsOf("account.created").length + eventsOf("login.succeeded").filter((event) => factorsOf(event).join() === "password").length;
		if (passwordOnlySessions + Math.max(0, raisedSessions) !== passwordOnlySignIns) problems.push(`${id}: ${passwordOnlySessions} AAL1 session(s) but ${passwordOnlySignIns} recorded password-only sign-up(s)/sign-in(s) (${Math.max(0, raisedSessions)} raised to AAL2 since)`);

		const usedCodes = codes.filter((code) => code.used_at !== null).length;
		if (usedCodes !== eventsOf("recovery_code.used").length) problems.push(`${id}: ${usedCodes} used recovery code(s) but ${eventsOf("recovery_code.used").length} recovery_code.used event(s)`);
	}
	return problems;
}
