/**
 * Migration `0020-sessions-without-second-factor` (issue 14, enforced two-factor authentication):
 * before it, the session that turned 2FA off kept its AAL2 (`aal` 2, `second_factor_at`, the second
 * factor's `amr` values), claiming a factor its account no longer had. Since then turning 2FA off
 * lowers that session to AAL1 (`SessionRepository.lowerSessionToOneFactor`); this migration does
 * the same for the live sessions left so: every unrevoked session at AAL2 whose account has no
 * confirmed TOTP credential gets `aal` 1, no `second_factor_at`, and its `amr` without `otp`, `rc`,
 * `dev` and `mfa` (the values of `domain/access/authentication-methods.ts`, repeated here: a
 * migration never changes with the code).
 *
 * `down` changes nothing: which sessions had AAL2 is not kept, and AAL1 is the truth for them.
 * Released migrations never change (DESIGN.md rule 10).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** The `amr` values of a second factor (RFC 8176 `otp`, `mfa`; deadbolt's `rc` and `dev`). */
const SECOND_FACTOR_AMR = new Set(["otp", "rc", "dev", "mfa"]);

/** Lowers the live AAL2 sessions of accounts without a confirmed TOTP credential to AAL1. */
async function up(db: Kysely<any>): Promise<void> {
	const sessions = (await db
		.selectFrom("session")
		.select(["id", "amr"])
		.where("aal", ">=", 2)
		.where("revoked_at", "is", null)
		.where(({ not, exists, selectFrom }) => not(exists(selectFrom("totp_credential").select("totp_credential.id").whereRef("totp_credential.account_id", "=", "session.account_id").where("totp_credential.confirmed_at", "is not", null))))
		.execute()) as { id: string; amr: string }[];
	for (const session of sessions) {
		const amr = session.amr
			.split(" ")
			.filter((value) => value !== "" && !SECOND_FACTOR_AMR.has(value))
			.join(" ");
		await db.updateTable("session").set({ aal: 1, second_factor_at: null, amr }).where("id", "=", session.id).execute();
	}
}

/** Nothing to undo (see the module comment). */
async function down(): Promise<void> {}

/** The migration, for `migrations/index.ts`. */
export const sessionsWithoutSecondFactorMigration: Migration = Object.freeze({ up, down });
