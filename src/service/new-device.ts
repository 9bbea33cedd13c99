/**
 * Sign-ins, recorded with whether they came from a new device (issue 11: "new sign-in from a new
 * browser or device" alerts). What counts as a new device: a browser and operating system (as
 * `describeDevice` reads the User-Agent) with which the account has not signed in, nor been
 * created, among its last {@link RECENT_SIGN_INS_CHECKED} sign-ins (and its creation) of the last
 * `activity.retentionSeconds`. A User-Agent is what the client says (OWASP MFA Cheat Sheet), so
 * this only decides whether to tell the owner, never whether to let anyone in. A remembered device
 * is never new.
 *
 * Retention (issue 15): housekeeping deletes events older than `activity.retentionSeconds`, so
 * the answer reads only the events of that period: it is the same whether housekeeping has run
 * yet or not. When no sign-in of the period is left, the device is new if the account is older
 * than the period (a dormant account signing in again is told to its owner) and not new otherwise
 * (an account's first sign-in: there is nothing to compare with).
 */
import type { AccountRecord, Repositories } from "../storage/store.js";
import { secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { describeDevice } from "./devices.js";
import { recordSecurityEvent } from "./security-events.js";

/** How many of the account's latest sign-ins are looked through for the same device. */
export const RECENT_SIGN_INS_CHECKED = 200;

/**
 * The event types in which a device was seen signing in (or signing up). Only these are read: other
 * events (failed passwords, which anyone who knows the address can cause) never push the account's
 * sign-ins out of what is compared.
 */
const SIGN_IN_TYPES = ["login.succeeded", "account.created"] as const;

/** The account that signs in, as its sign-in's transaction read it: which, and since when. */
export type SigningInAccount = Pick<AccountRecord, "id" | "createdAt">;

/**
 * Whether this sign-in's device is new to the account (see the module comment).
 * @param tx - the repositories of the sign-in's transaction
 */
export async function isNewDevice(deps: ServiceDeps, tx: Repositories, account: SigningInAccount, context: RequestContext): Promise<boolean> {
	const since = deps.clock.now() - secondsToMillis(deps.config.activity.retentionSeconds);
	const events = (await tx.securityEvents.listRecentEventDevices(account.id, SIGN_IN_TYPES, RECENT_SIGN_INS_CHECKED)).filter((event) => event.createdAt >= since);
	if (events.length === 0) return account.createdAt < since;
	// An account created without a User-Agent (operator, admin API) names no device: it is not
	// compared, else a sign-in that sends none ("Unknown device") would match it and never be new.
	const devices = events.filter((event) => !(event.type === "account.created" && event.userAgent === null));
	if (devices.length === 0) return false;
	const label = describeDevice(context.userAgent).label;
	return !devices.some((event) => describeDevice(event.userAgent).label === label);
}

/**
 * Records a successful sign-in (`login.succeeded`, with its factors and `newDevice`) inside the
 * sign-in's transaction; a new device's sign-in mails its owner (`alertKindOf`).
 * @param factors - what was proved, e.g. `["password", "totp"]`; one with `"trusted_device"` is never new
 */
export async function recordSignIn(deps: ServiceDeps, tx: Repositories, account: SigningInAccount, context: RequestContext, factors: readonly string[]): Promise<void> {
	const newDevice = !factors.includes("trusted_device") && (await isNewDevice(deps, tx, account, context));
	await recordSecurityEvent(deps, tx, account.id, "login.succeeded", context, { factors, newDevice });
}
