/**
 * Flows for the delivery tests, on a test deadbolt: an account whose address is verified (so it
 * gets alert mails) with 2FA on, draining the outbox with a dispatcher, and queuing a link mail as
 * the accounts flows do.
 */
import { decodeBase32 } from "../../src/domain/encoding/base32.js";
import { generateTOTP } from "../../src/domain/otp/totp.js";
import type { Dispatcher } from "../../src/delivery/dispatcher.js";
import { silentLogger } from "../../src/platform/logger.js";
import { nodeRandom } from "../../src/platform/random.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import { enqueueLinkMail, type LinkMailKind } from "../../src/service/outbox.js";
import { TEST_KEYS, type TestDeadbolt } from "./deadbolt.js";
import { signUp, type Enrolled } from "./flows.js";

/** Registers an account, marks its address verified, and turns 2FA on (which queues an alert). */
export async function verifiedWith2FA(t: TestDeadbolt, email: string): Promise<Enrolled> {
	const signedUp = await signUp(t, email);
	await t.store.accounts.markEmailVerified(signedUp.account.id, t.clock.now());
	const auth = await t.deadbolt.validateSession(signedUp.session.token);
	const pending = await t.deadbolt.beginTOTPEnrollment(auth.account, auth.session, { password: "correct horse battery staple" });
	const key = decodeBase32(pending.secret);
	const rotated = await t.deadbolt.validateSession(pending.sessionToken ?? signedUp.session.token);
	const confirmed = await t.deadbolt.confirmTOTPEnrollment(rotated.account, rotated.session, { code: generateTOTP(key, t.clock.now()) });
	return { ...signedUp, session: { ...signedUp.session, token: confirmed.sessionToken }, key, secret: pending.secret, recoveryCodes: confirmed.recoveryCodes };
}

/** Runs the dispatcher until a look finds nothing due. @returns how many attempts were made */
export async function drain(dispatcher: Dispatcher): Promise<number> {
	let total = 0;
	for (let claimed = await dispatcher.runOnce(); claimed > 0; claimed = await dispatcher.runOnce()) total += claimed;
	return total;
}

/** Queues a link mail as the accounts flows do (in a transaction of its own). */
export async function queueLinkMail(t: TestDeadbolt, request: { readonly to: string; readonly kind: LinkMailKind; readonly token: string | null; readonly accountId?: string | null }): Promise<void> {
	// enqueueLinkMail needs the keys, the clock and randomness of a deadbolt with TEST_KEYS.
	const deps = { store: t.store, clock: t.clock, random: nodeRandom, config: t.config, logger: silentLogger, keys: TEST_KEYS } as unknown as ServiceDeps;
	await t.store.transaction((tx) => enqueueLinkMail(deps, tx, { accountId: request.accountId ?? null, to: request.to, kind: request.kind, link: request.token === null ? null : { token: request.token, ttlSeconds: 3_600 } }));
}
