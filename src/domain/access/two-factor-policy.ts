/**
 * Enforced two-factor authentication (issue 14): whom an operator's policy requires to have a second
 * factor, and by when. The policy applies to everyone or to the accounts of some groups; each such
 * account has a grace period that starts when enforcement started (`enforcedSince`) or when the
 * account was created, whichever is later, and lasts `gracePeriodDays`. During it, sign-in goes on
 * and the dashboard says "set up two-factor authentication by <date>"; after it, no session exists
 * without a second factor (NIST SP 800-63B §4.2: AAL2 needs two factors; OWASP ASVS 4.0.3 2.2.x).
 * Pure functions: the service decides what an overdue account may do.
 */

/** The operator's policy, as configured (`twoFactorPolicy`). */
export interface TwoFactorPolicy {
	/** `"off"`: 2FA is the user's choice; `"everyone"`; `"groups"`: accounts in any of `groups`. */
	readonly enforce: "off" | "everyone" | "groups";
	/** The groups it applies to, with `enforce: "groups"` (normalized group names). */
	readonly groups: readonly string[];
	/** ISO 8601 instant (or date) enforcement started; null only with `enforce: "off"`. */
	readonly enforcedSince: string | null;
	/** Days each account has to set up 2FA, counted from the later of `enforcedSince` and its creation. */
	readonly gracePeriodDays: number;
}

const DAY_MS = 86_400_000;

/** Whether the policy applies to an account in these groups. */
export function isTwoFactorRequired(policy: TwoFactorPolicy, groups: readonly string[]): boolean {
	if (policy.enforce === "everyone") return true;
	if (policy.enforce === "groups") return groups.some((group) => policy.groups.includes(group));
	return false;
}

/**
 * When the account must have a second factor by, in Unix milliseconds; null when the policy does
 * not apply to it (or `enforcedSince` is not an instant).
 * @param account - `createdAt` in Unix milliseconds, and its groups
 */
export function twoFactorDeadline(policy: TwoFactorPolicy, account: { readonly createdAt: number; readonly groups: readonly string[] }): number | null {
	if (!isTwoFactorRequired(policy, account.groups) || policy.enforcedSince === null) return null;
	const since = Date.parse(policy.enforcedSince);
	if (Number.isNaN(since)) return null;
	return Math.max(since, account.createdAt) + policy.gracePeriodDays * DAY_MS;
}

/**
 * Whether an account WITHOUT a second factor is past its deadline at `now` (then it may only set
 * one up; no session exists for it).
 */
export function isTwoFactorOverdue(policy: TwoFactorPolicy, account: { readonly createdAt: number; readonly groups: readonly string[] }, now: number): boolean {
	const deadline = twoFactorDeadline(policy, account);
	return deadline !== null && now >= deadline;
}
