/** Common flows for service tests: a signed-up account, and one with 2FA enabled. */
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import type { NewSession } from "../../src/service/sessions.js";
import type { AccountRecord } from "../../src/storage/store.js";
import type { TestDeadbolt } from "./deadbolt.js";
import { mailsTo, tokenOf } from "./mailed-links.js";

export const PASSWORD = "correct horse battery staple";

/** An account with a session, 2FA off. */
export interface SignedUp {
	readonly account: AccountRecord;
	/** Replaced when the session's token rotates (re-authentication, password change, 2FA on). */
	session: NewSession;
	readonly email: string;
}

let counter = 0;

/** Registers a fresh account. */
export async function signUp(t: TestDeadbolt, email = `user${++counter}@example.com`): Promise<SignedUp> {
	const { account, session } = await t.deadbolt.registerAccount({ email, password: PASSWORD });
	return { account, session: session!, email };
}

/** An account with 2FA enabled: the key, the recovery codes and the step used to confirm. */
export interface Enrolled extends SignedUp {
	readonly key: Uint8Array;
	readonly secret: string;
	readonly recoveryCodes: readonly string[];
}

/** Registers an account and enables 2FA with a code at the clock's current time. */
export async function signUpWith2FA(t: TestDeadbolt, email?: string): Promise<Enrolled> {
	const signedUp = await signUp(t, email);
	const auth = await t.deadbolt.validateSession(signedUp.session.token);
	const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: PASSWORD });
	const key = decodeBase32(pending.secret);
	// Step 1 proved the password: the session went on under a new token (rotation), as a client would see it.
	const rotated = await t.deadbolt.validateSession(pending.sessionToken ?? signedUp.session.token);
	const confirmed = await t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(key, t.clock.now()) });
	// Turning 2FA on rotates the session's token (the one from sign-up stopped working).
	return { ...signedUp, session: { ...signedUp.session, token: confirmed.sessionToken }, key, secret: pending.secret, recoveryCodes: confirmed.recoveryCodes };
}

/** A TOTP code for the clock's time plus `offsetSteps` steps (30 s each). */
export function codeAt(t: TestDeadbolt, key: Uint8Array, offsetSteps = 0): string {
	return generateTOTP(key, t.clock.now() + offsetSteps * 30_000);
}

/** Signs in with the password and returns the challenge token (2FA accounts). */
export async function passwordStep(t: TestDeadbolt, email: string): Promise<string> {
	const result = await t.deadbolt.beginLogin({ email, password: PASSWORD });
	if (result.kind !== "challenge") throw new Error("expected a login challenge");
	return result.challenge.challengeToken;
}

/**
 * What the owner of an enrolled account does once before apps behind `two_factor` rules accept its
 * authenticator (`service/two-factor-mail-confirmation.ts`): the address verified (marked in the
 * store when it is not), "Email me the link" from the AAL2 session, and the mailed link used from it.
 */
export async function confirmSecondFactorByMail(t: TestDeadbolt, enrolled: SignedUp): Promise<void> {
	if ((await t.store.accounts.findAccountById(enrolled.account.id))?.emailVerifiedAt === null) await t.store.accounts.markEmailVerified(enrolled.account.id, t.clock.now());
	const auth = await t.deadbolt.validateSession(enrolled.session.token);
	// The mail this request queues (an earlier one may carry the same instant on the test clock).
	const earlier = new Set((await mailsTo(t.store, enrolled.email, "two_factor.confirm")).map((mail) => mail.id));
	if ((await t.deadbolt.requestTwoFactorMailConfirmation(auth)) === "already_confirmed") return;
	const mail = (await mailsTo(t.store, enrolled.email, "two_factor.confirm")).find((candidate) => !earlier.has(candidate.id));
	const token = mail === undefined ? null : tokenOf(mail);
	if (token === null) throw new Error(`no new two_factor.confirm mail to ${enrolled.email}`);
	await t.deadbolt.confirmTwoFactorByMail(auth, { token });
}
