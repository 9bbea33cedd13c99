/**
 * Every migration of deadbolt's schema, as a static map (no filesystem provider, so a bundle
 * or a `dist/` copy carries them). Names sort lexically in the order they run; a released
 * entry never changes, new ones are appended (`0022-...` next).
 */
import type { Migration } from "kysely/migration";
import { initialMigration } from "./0001-initial.js";
import { trustedDevicesAndSecurityEventsMigration } from "./0002-trusted-devices-and-security-events.js";
import { lockoutCountMigration } from "./0003-lockout-count.js";
import { signInLinksMigration } from "./0004-sign-in-links.js";
import { serverKeyCheckMigration } from "./0005-server-key-check.js";
import { loginChallengeFirstFactorMigration } from "./0006-login-challenge-first-factor.js";
import { attemptsInFlightMigration } from "./0007-attempts-in-flight.js";
import { recoveryCodeLookupPrefixMigration } from "./0008-recovery-code-lookup-prefix.js";
import { outboxAndEmailTokensMigration } from "./0009-outbox-and-email-tokens.js";
import { sessionSecondFactorMigration } from "./0010-session-second-factor.js";
import { signingKeyMigration } from "./0011-signing-key.js";
import { accountGroupsMigration } from "./0012-account-groups.js";
import { accessTokenMigration } from "./0013-access-token.js";
import { sessionAppsMigration } from "./0014-session-apps.js";
import { twoFactorMailConfirmationMigration } from "./0015-two-factor-mail-confirmation.js";
import { oidcMigration } from "./0016-oidc.js";
import { accountDisabledMigration } from "./0017-account-disabled.js";
import { authenticatorsMigration } from "./0018-authenticators.js";
import { keyRingsMigration } from "./0019-key-rings.js";
import { sessionsWithoutSecondFactorMigration } from "./0020-sessions-without-second-factor.js";
import { retentionIndexesMigration } from "./0021-retention-indexes.js";

/** Migration name -> migration, in lexical (= execution) order. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
	"0001-initial": initialMigration,
	"0002-trusted-devices-and-security-events": trustedDevicesAndSecurityEventsMigration,
	"0003-lockout-count": lockoutCountMigration,
	"0004-sign-in-links": signInLinksMigration,
	"0005-server-key-check": serverKeyCheckMigration,
	"0006-login-challenge-first-factor": loginChallengeFirstFactorMigration,
	"0007-attempts-in-flight": attemptsInFlightMigration,
	"0008-recovery-code-lookup-prefix": recoveryCodeLookupPrefixMigration,
	"0009-outbox-and-email-tokens": outboxAndEmailTokensMigration,
	"0010-session-second-factor": sessionSecondFactorMigration,
	"0011-signing-key": signingKeyMigration,
	"0012-account-groups": accountGroupsMigration,
	"0013-access-token": accessTokenMigration,
	"0014-session-apps": sessionAppsMigration,
	"0015-two-factor-mail-confirmation": twoFactorMailConfirmationMigration,
	"0016-oidc": oidcMigration,
	"0017-account-disabled": accountDisabledMigration,
	"0018-authenticators": authenticatorsMigration,
	"0019-key-rings": keyRingsMigration,
	"0020-sessions-without-second-factor": sessionsWithoutSecondFactorMigration,
	"0021-retention-indexes": retentionIndexesMigration,
});

/**
 * The names of the migrations after `name`, newest first: what `migrateTo(name)` undoes, in order.
 * @param name - a key of {@link MIGRATIONS}
 */
export function migrationsAfter(name: string): string[] {
	return Object.keys(MIGRATIONS)
		.filter((migration) => migration > name)
		.sort()
		.reverse();
}
