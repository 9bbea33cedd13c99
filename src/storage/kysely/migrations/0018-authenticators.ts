/**
 * Migration `0018-authenticators` (issue 14, "several authenticators per account" and "enforce 2FA"):
 *
 * - `totp_credential.name` (text, nullable): the name its owner gave the authenticator ("Work
 *   phone"); null for authenticators enrolled before this migration (shown as "Authenticator app").
 * - `totp_credential.last_used_at` (nullable instant): when a code of this authenticator was last
 *   accepted; null when never (or before this migration).
 * - `totp_credential.purpose` (text, nullable): what confirming a pending credential does: `'add'`
 *   (another authenticator beside the account's others) or `'replace'` (moving to a new phone: the
 *   others are removed in the same write); null for a first setup and for rows before this migration
 *   (a pending row of an account with 2FA on then replaces, as it did before).
 * - `account.totp_replay_until_ms` (instant, not null, 0 when none): the account's ONE replay
 *   record (RFC 6238 §5.2): the end of the last time step accepted from ANY of its authenticators,
 *   in Unix milliseconds. A code is accepted only when its time step starts at or after it, with a
 *   compare-and-set on this column, so two authenticators never double a step's uses. An instant
 *   rather than a step number: authenticators set up before and after a change of
 *   `totp.periodSeconds` have steps of different lengths, whose numbers cannot be compared.
 *   Backfilled with the end of the last step used by the account's confirmed credentials, so no
 *   code already used becomes usable again.
 * - `login_challenge.purpose` (text, not null, `'sign_in'` for existing rows): `'sign_in'` (between the
 *   password and the code) or `'set_up_two_factor'` (enforced 2FA past its deadline: the state between
 *   a proved first factor and a first authenticator, whose token is only mailed to the account's
 *   address or handed over by an operator's sign-in link).
 *
 * Released migrations never change (DESIGN.md rule 10).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { portableColumnTypes } from "./column-types.js";

/** Adds the five columns and backfills the account's replay record. */
async function up(db: Kysely<any>): Promise<void> {
	const { int64 } = portableColumnTypes(db);
	await db.schema.alterTable("totp_credential").addColumn("name", "text").execute();
	await db.schema.alterTable("totp_credential").addColumn("last_used_at", int64).execute();
	await db.schema.alterTable("totp_credential").addColumn("purpose", "text").execute();
	await db.schema.alterTable("account").addColumn("totp_replay_until_ms", int64, (col) => col.notNull().defaultTo(0)).execute();
	await db.schema.alterTable("login_challenge").addColumn("purpose", "text", (col) => col.notNull().defaultTo("sign_in")).execute();
	await sql`update account set totp_replay_until_ms = coalesce((select max((last_used_step + 1) * period_seconds * 1000) from totp_credential where totp_credential.account_id = account.id and confirmed_at is not null and last_used_step >= 0), 0)`.execute(db);
}

/**
 * Keeps the newest confirmed credential of each account (one authenticator per account before
 * this migration), gives it the account's replay record, and drops the columns.
 */
async function down(db: Kysely<any>): Promise<void> {
	await sql`delete from totp_credential where confirmed_at is not null and id <> (select c.id from totp_credential c where c.account_id = totp_credential.account_id and c.confirmed_at is not null order by c.confirmed_at desc, c.id desc limit 1)`.execute(db);
	await sql`update totp_credential set last_used_step = (select case when a.totp_replay_until_ms = 0 then -1 else a.totp_replay_until_ms / (totp_credential.period_seconds * 1000) - 1 end from account a where a.id = totp_credential.account_id) where confirmed_at is not null`.execute(db);
	await db.deleteFrom("login_challenge").where("purpose", "<>", "sign_in").execute();
	await db.schema.alterTable("login_challenge").dropColumn("purpose").execute();
	await db.schema.alterTable("account").dropColumn("totp_replay_until_ms").execute();
	await db.schema.alterTable("totp_credential").dropColumn("purpose").execute();
	await db.schema.alterTable("totp_credential").dropColumn("last_used_at").execute();
	await db.schema.alterTable("totp_credential").dropColumn("name").execute();
}

/** The migration, for `migrations/index.ts`. */
export const authenticatorsMigration: Migration = Object.freeze({ up, down });
