/**
 * `deadbolt access check --url URL [--account EMAIL]` (issue 12 item 3): which rule decides a
 * request, and what the account would need to get through, without a session and without changing
 * anything. The same rules and the same order as the forward-auth endpoints (`service/access.ts`).
 */
import type { AccessRuleInput } from "../domain/access/access-rules.js";
import { NotFound } from "../errors.js";
import { accessRulesOf, accessSubjectOf, originalRequest } from "./access.js";
import { normalizeEmail } from "./accounts.js";
import type { ServiceDeps } from "./deps.js";

/** What the check found. */
export interface AccessExplanation {
	/** The normalized original request. */
	readonly host: string;
	readonly pathAndQuery: string;
	readonly method: string;
	readonly clientAddress: string | null;
	/** The deciding rule's index (from 0) and its text as configured; null: the default policy. */
	readonly ruleIndex: number | null;
	readonly rule: AccessRuleInput | null;
	readonly policy: "bypass" | "one_factor" | "two_factor" | "deny";
	readonly maxSecondFactorAgeSeconds: number | null;
	/** The account checked; null when none was named (anonymous). */
	readonly account: { readonly email: string; readonly groups: readonly string[]; readonly emailVerified: boolean; readonly twoFactorEnabled: boolean; readonly twoFactorMailConfirmed: boolean } | null;
	/** One sentence: what happens to this request (for this account). */
	readonly verdict: string;
}

/**
 * Explains the decision for a request.
 * @param input.url - the absolute URL of the request to the protected app
 * @param input.method - HTTP method (default GET)
 * @param input.clientAddress - the client's IP for `networks` rules (default: unknown, so no `networks` rule matches)
 * @param input.email - the account to check as; null: anonymous
 * @throws ForwardedRequestInvalid for a URL that is not absolute http(s) with a host name
 * @throws NotFound when `email` names no account
 */
export async function explainAccess(deps: ServiceDeps, input: { readonly url: string; readonly method?: string; readonly clientAddress?: string | null; readonly email: string | null }): Promise<AccessExplanation> {
	const { access } = originalRequest(input.url, (input.method ?? "GET").toUpperCase(), input.clientAddress ?? null);
	const rules = accessRulesOf(deps);
	let account: AccessExplanation["account"] = null;
	if (input.email !== null) {
		const record = await deps.store.accounts.findAccountByEmail(normalizeEmail(input.email) ?? input.email);
		if (record === null) throw new NotFound(`There is no account with the email ${input.email}.`, { reason: "account" });
		const twoFactorEnabled = (await deps.store.totpCredentials.findConfirmedTOTPCredential(record.id)) !== null;
		account = { email: record.email, groups: record.groups, emailVerified: record.emailVerifiedAt !== null, twoFactorEnabled, twoFactorMailConfirmed: record.secondFactorMailConfirmedAt !== null };
	}
	const decision = rules.decide(access, account === null ? null : accessSubjectOf(account.email, account.groups, account.emailVerified));
	const base = { host: access.host, pathAndQuery: access.pathAndQuery, method: access.method, clientAddress: access.clientAddress, ruleIndex: decision.ruleIndex, rule: decision.ruleIndex === null ? null : (rules.rules[decision.ruleIndex] ?? null), policy: decision.policy, maxSecondFactorAgeSeconds: decision.maxSecondFactorAgeSeconds, account };
	return { ...base, verdict: verdictOf(decision.policy, decision.needsSubject, decision.maxSecondFactorAgeSeconds, account) };
}

function verdictOf(policy: AccessExplanation["policy"], needsSubject: boolean, maxAgeSeconds: number | null, account: AccessExplanation["account"]): string {
	if (policy === "bypass") return "let through without signing in (no identity headers)";
	if (policy === "deny") return account === null ? "refused (403) for everyone this rule applies to" : `refused (403) for ${account.email}`;
	if (account === null) return needsSubject ? "signing in first: this rule names groups or accounts, so who signs in decides" : policy === "one_factor" ? "signing in first (password; the code too when the account has 2FA on)" : "signing in first, with a second factor";
	if (!account.emailVerified) return `refused until ${account.email} verifies the address (only bypass rules let unverified accounts through)`;
	if (policy === "one_factor") return `allowed for ${account.email} once signed in`;
	if (!account.twoFactorEnabled) return `${account.email} has no two-factor authentication: sent to set it up first, then to confirm it with a mailed link`;
	if (!account.twoFactorMailConfirmed) return `${account.email} has not confirmed the authenticator app by email yet: sent to do it once (a mailed link, opened where the code was typed)`;
	return maxAgeSeconds === null ? `allowed for ${account.email} with a session in which a second factor was proven` : `allowed for ${account.email} when a code was typed in the last ${maxAgeSeconds} seconds (else asked again; a remembered device does not count)`;
}
