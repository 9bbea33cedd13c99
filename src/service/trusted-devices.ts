/**
 * "Remember this device" (OWASP MFA Cheat Sheet; STANDARDS X-04): after a correct TOTP code the
 * browser may get a trusted-device token, random, stored only as a hash, bound to the account,
 * valid `trustedDevice.ttlSeconds`. At the next sign-in of THAT account it replaces the code step
 * (never the password), and it is rotated at every use (one conditional write: a copied token
 * works once). Password change, 2FA off and "sign out everywhere" revoke them all.
 */
import { NotFound } from "../errors.js";
import { generateToken, isWellFormedId } from "../domain/crypto/token.js";
import type { UnixMillis } from "../platform/clock.js";
import type { Repositories, TrustedDeviceRecord } from "../storage/store.js";
import { NO_CONTEXT, secondsToMillis, type RequestContext, type ServiceDeps } from "./deps.js";
import { endAccountAccess } from "./account-access.js";
import { describeDevice, type DeviceDescription } from "./devices.js";
import { recordSecurityEvent } from "./security-events.js";
import { requireRecentReauthentication, type AuthenticatedSession } from "./sessions.js";
import { findByToken } from "./token-lookup.js";

/** A trusted-device token just issued or rotated: give it to the browser, never store it. */
export interface IssuedTrustedDevice {
	/** `<id>.<secret>`. */
	readonly token: string;
	readonly expiresAt: UnixMillis;
}

/** Trusts the device of `context` for the account (inside the sign-in transaction). */
export async function trustDevice(deps: ServiceDeps, repositories: Repositories, accountId: string, context: RequestContext): Promise<IssuedTrustedDevice> {
	const now = deps.clock.now();
	const generated = generateToken(deps.random);
	const expiresAt = now + secondsToMillis(deps.config.trustedDevice.ttlSeconds);
	await repositories.trustedDevices.insertTrustedDevice({
		id: generated.id,
		accountId,
		secretHash: generated.secretHash,
		createdAt: now,
		lastUsedAt: now,
		expiresAt,
		revokedAt: null,
		ipAddress: context.ipAddress,
		userAgent: context.userAgent,
	});
	await recordSecurityEvent(deps, repositories, accountId, "device.trusted", context);
	return { token: generated.token, expiresAt };
}

/**
 * What presenting a trusted-device token at sign-in did: `used` (it stood in for the code step;
 * here is its rotated token), `other_account` (a live device of another account: of no use here,
 * but the browser should keep it for that account), or `invalid` (unknown, revoked, expired or
 * already rotated: the browser may drop it).
 */
export type TrustedDeviceUse = { readonly kind: "used"; readonly device: IssuedTrustedDevice } | { readonly kind: "other_account" } | { readonly kind: "invalid" };

/**
 * Uses a trusted-device token for the account's sign-in: valid only for THIS account, unrevoked,
 * unexpired; rotated by one conditional write (the one winner gets the new token). The expiry
 * stays the one set when the device was trusted (30 days by default): use does not extend it.
 */
export async function useTrustedDevice(deps: ServiceDeps, repositories: Repositories, accountId: string, token: string): Promise<TrustedDeviceUse> {
	const device = await findByToken(token, (id) => repositories.trustedDevices.findTrustedDevice(id));
	const now = deps.clock.now();
	if (device === null || device.revokedAt !== null || device.expiresAt <= now) return { kind: "invalid" };
	if (device.accountId !== accountId) return { kind: "other_account" };
	const next = generateToken(deps.random);
	// The token keeps its id; only the secret changes.
	const rotated = await repositories.trustedDevices.rotateTrustedDevice(device.id, device.secretHash, next.secretHash, now, device.expiresAt);
	return rotated ? { kind: "used", device: { token: `${device.id}.${next.secret}`, expiresAt: device.expiresAt } } : { kind: "invalid" };
}

/** A trusted device as its owner sees it. */
export interface TrustedDeviceView {
	readonly id: string;
	readonly createdAt: UnixMillis;
	readonly lastUsedAt: UnixMillis;
	readonly expiresAt: UnixMillis;
	readonly ipAddress: string | null;
	readonly device: DeviceDescription;
}

/** A trusted device's record as its owner (or an operator) sees it: never its token. */
export function trustedDeviceView(record: TrustedDeviceRecord): TrustedDeviceView {
	return { id: record.id, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt, expiresAt: record.expiresAt, ipAddress: record.ipAddress, device: describeDevice(record.userAgent) };
}

/** The account's active trusted devices, most recently used first. */
export async function listTrustedDevices(deps: ServiceDeps, auth: AuthenticatedSession): Promise<TrustedDeviceView[]> {
	return (await deps.store.trustedDevices.listActiveTrustedDevices(auth.account.id, deps.clock.now())).map(trustedDeviceView);
}

/**
 * Forgets one trusted device: its next sign-in asks for the code again.
 * @throws NotFound when it is not one of this account's active devices
 */
export async function revokeTrustedDevice(deps: ServiceDeps, auth: AuthenticatedSession, id: string, context: RequestContext = NO_CONTEXT): Promise<void> {
	if (!isWellFormedId(id)) throw new NotFound("No such trusted device.");
	await deps.store.transaction(async (tx) => {
		if (!(await tx.trustedDevices.revokeTrustedDevice(auth.account.id, id, deps.clock.now()))) throw new NotFound("No such trusted device.");
		await recordSecurityEvent(deps, tx, auth.account.id, "device.revoked", context, { scope: "one" });
	});
}

/**
 * Forgets every trusted device of the account (needs a recent re-authentication).
 * @returns how many
 * @throws ReauthenticationRequired
 */
export async function revokeAllTrustedDevices(deps: ServiceDeps, auth: AuthenticatedSession, context: RequestContext = NO_CONTEXT): Promise<number> {
	requireRecentReauthentication(deps, auth.session);
	return deps.store.transaction(async (tx) => {
		// Under the account's lock: a device trusted by a sign-in finishing meanwhile is forgotten too.
		await tx.accounts.lockAccount(auth.account.id);
		const count = (await endAccountAccess(deps, tx, auth.account.id, { trustedDevices: true })).trustedDevicesRevoked;
		await recordSecurityEvent(deps, tx, auth.account.id, "device.revoked", context, { scope: "all", devices: count });
		return count;
	});
}
