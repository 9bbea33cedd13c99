/**
 * Sign-ins, recorded with whether they came from a new device (issue 11: "new sign-in from a new
 * browser or device" alerts). What counts as a new device: a browser and operating system (as
 * `describeDevice` reads the User-Agent) with which the account has not signed in, nor been
 * created, among its last {@link RECENT_SIGN_INS_CHECKED} security events. A User-Agent is what
 * the client says (OWASP MFA Cheat Sheet), so this only decides whether to tell the owner, never
 * whether to let anyone in. An account's first sign-in is not "new" (there is nothing to compare
 * with), and a remembered device is never new.
 */
import type { Repositories } from "../storage/store.js";
import type { RequestContext, ServiceDeps } from "./deps.js";
import { describeDevice } from "./devices.js";
import { recordSecurityEvent } from "./security-events.js";

/** How many of the account's latest security events are looked through for the same device. */
export const RECENT_SIGN_INS_CHECKED = 200;

/** The event types in which a device was seen signing in (or signing up). */
const SIGN_IN_TYPES: ReadonlySet<string> = new Set(["login.succeeded", "account.created"]);

/**
 * Whether this sign-in's device is new to the account (see the module comment).
 * @param tx - the repositories of the sign-in's transaction
 */
export async function isNewDevice(tx: Repositories, accountId: string, context: RequestContext): Promise<boolean> {
	const events = (await tx.securityEvents.listSecurityEvents(accountId, RECENT_SIGN_INS_CHECKED)).filter((event) => SIGN_IN_TYPES.has(event.type));
	if (events.length === 0 || events.every((event) => event.type === "account.created" && event.userAgent === null)) return false;
	const label = describeDevice(context.userAgent).label;
	return !events.some((event) => describeDevice(event.userAgent).label === label);
}

/**
 * Records a successful sign-in (`login.succeeded`, with its factors and `newDevice`) inside the
 * sign-in's transaction; a new device's sign-in mails its owner (`alertKindOf`).
 * @param factors - what was proved, e.g. `["password", "totp"]`; one with `"trusted_device"` is never new
 */
export async function recordSignIn(deps: ServiceDeps, tx: Repositories, accountId: string, context: RequestContext, factors: readonly string[]): Promise<void> {
	const newDevice = !factors.includes("trusted_device") && (await isNewDevice(tx, accountId, context));
	await recordSecurityEvent(deps, tx, accountId, "login.succeeded", context, { factors, newDevice });
}
