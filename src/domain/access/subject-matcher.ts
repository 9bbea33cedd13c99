/**
 * Who a rule is for: `groups` (any of them) and `accounts` (email addresses, any of them). A rule
 * with neither is for everyone. A rule with either cannot be decided for someone not signed in:
 * the answer is then "sign in first" (the rule may apply once we know who it is).
 */

/** Who is asking, as far as rules care. */
export interface AccessSubject {
	/** Lower-case email address. */
	readonly email: string;
	readonly groups: readonly string[];
}

/** A compiled subject condition: null for "everyone". */
export type SubjectMatcher = ((subject: AccessSubject) => boolean) | null;

/** Compiles `groups` and `accounts`; null when both are empty. */
export function compileSubjectMatcher(groups: readonly string[], accounts: readonly string[]): SubjectMatcher {
	if (groups.length === 0 && accounts.length === 0) return null;
	const groupSet = new Set(groups);
	const accountSet = new Set(accounts.map((email) => email.toLowerCase()));
	return (subject) => accountSet.has(subject.email.toLowerCase()) || subject.groups.some((group) => groupSet.has(group));
}
