/**
 * Access rules (`accessControl` in the config): compiled once at start, evaluated for every
 * forward-auth request. The first rule whose conditions all hold decides; when none does,
 * `defaultPolicy` does. A rule naming `groups` or `accounts` cannot be decided for an anonymous
 * request whose other conditions hold: the answer is then "sign in", so that the rule applies once
 * it is known who asks (Authelia's "potential match").
 * @see https://www.authelia.com/configuration/security/access-control/ (the model)
 */
import { compileDomainMatcher, isDomainPattern } from "./domain-matcher.js";
import { isGroupName, normalizeGroupName } from "./group-name.js";
import { compileMethodMatcher, HTTP_METHODS } from "./method-matcher.js";
import { compileNetworkMatcher, parseNetwork } from "./network-matcher.js";
import { compileResourceMatcher } from "./resource-matcher.js";
import { compileSubjectMatcher, type AccessSubject, type SubjectMatcher } from "./subject-matcher.js";

/** What a rule asks: no check, a password, a password and a second factor, or nobody. */
export type AccessPolicy = "bypass" | "one_factor" | "two_factor" | "deny";

/** An access rule as written in the config. Every list is optional and empty means "any". */
export interface AccessRuleInput {
	readonly domains: readonly string[];
	readonly resources?: readonly string[];
	readonly methods?: readonly string[];
	readonly networks?: readonly string[];
	readonly groups?: readonly string[];
	readonly accounts?: readonly string[];
	readonly policy: AccessPolicy;
	/** Step-up: a second factor proven longer ago than this many seconds is asked again. Only with `two_factor`. */
	readonly maxSecondFactorAgeSeconds?: number;
}

/** The `accessControl` section of the config. */
export interface AccessControlInput {
	readonly defaultPolicy: AccessPolicy;
	readonly rules: readonly AccessRuleInput[];
}

/** The original request, as the proxy reports it. */
export interface AccessRequest {
	/** Normalized host (lower case, no port). */
	readonly host: string;
	/** The path in its canonical form (`request-path.ts` canonicalPath) and the query as sent (`/a/b?c=d`). */
	readonly pathAndQuery: string;
	/** Upper-case method. */
	readonly method: string;
	/** The client's address; null when unknown. */
	readonly clientAddress: string | null;
}

/** What decides a request: a rule (its index in `rules`, from 0) or the default policy. */
export interface AccessDecision {
	readonly policy: AccessPolicy;
	/** The index of the deciding rule; null when the default policy decided. */
	readonly ruleIndex: number | null;
	/** From the rule; null when none applies. */
	readonly maxSecondFactorAgeSeconds: number | null;
	/**
	 * True when the request is anonymous and the deciding answer is "sign in" only because a rule
	 * with `groups`/`accounts` might apply to whoever signs in (its `policy` is then `one_factor`).
	 */
	readonly needsSubject: boolean;
}

interface CompiledRule {
	readonly index: number;
	readonly input: AccessRuleInput;
	readonly domain: (host: string) => boolean;
	readonly resource: (pathAndQuery: string) => boolean;
	readonly method: (method: string) => boolean;
	readonly network: (clientAddress: string | null) => boolean;
	readonly subject: SubjectMatcher;
}

/** Rules ready to evaluate (see {@link compileAccessRules}). */
export interface CompiledAccessRules {
	readonly defaultPolicy: AccessPolicy;
	readonly rules: readonly AccessRuleInput[];
	/**
	 * The decision for a request. `subject` is who asks (null: anonymous).
	 * Pure; about a microsecond a rule.
	 */
	decide(request: AccessRequest, subject: AccessSubject | null): AccessDecision;
	/** Whether some rule that is not `deny` names `host` (a valid `rd` target); the default policy does not count. */
	coversHost(host: string): boolean;
}

/**
 * Checks the rules the config cannot express in its schema.
 * @returns one message per problem, each starting with the rule's path (`accessControl.rules[2].resources[0]`); empty when fine
 */
export function checkAccessRules(input: AccessControlInput): string[] {
	const problems: string[] = [];
	input.rules.forEach((rule, index) => {
		const at = `accessControl.rules[${index}]`;
		if (rule.domains.length === 0) problems.push(`${at}.domains: name at least one domain`);
		rule.domains.forEach((domain, i) => {
			if (!isDomainPattern(domain)) problems.push(`${at}.domains[${i}]: "${domain}" is not a host name or "*." + a domain of two labels or more (lower case, no port)`);
		});
		(rule.resources ?? []).forEach((resource, i) => {
			try {
				compileResourceMatcher([resource]);
			} catch (error) {
				problems.push(`${at}.resources[${i}]: not a valid regular expression (${(error as Error).message})`);
			}
		});
		(rule.methods ?? []).forEach((method, i) => {
			if (!(HTTP_METHODS as readonly string[]).includes(method)) problems.push(`${at}.methods[${i}]: "${method}" is not one of ${HTTP_METHODS.join(", ")}`);
		});
		(rule.networks ?? []).forEach((network, i) => {
			if (parseNetwork(network) === null) problems.push(`${at}.networks[${i}]: "${network}" is not an IP address or CIDR`);
		});
		(rule.groups ?? []).forEach((group, i) => {
			if (isGroupName(group)) return;
			// No account can ever be in a group whose name is not one: such a rule would never apply.
			const normalized = normalizeGroupName(group);
			problems.push(
				normalized === null
					? `${at}.groups[${i}]: "${group}" is not a group name (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit), so no account can be in it`
					: `${at}.groups[${i}]: "${group}" is not a group name as stored; write "${normalized}"`,
			);
		});
		if (rule.maxSecondFactorAgeSeconds !== undefined && rule.policy !== "two_factor") {
			problems.push(`${at}.maxSecondFactorAgeSeconds: only a "two_factor" rule can ask for a recent second factor`);
		}
	});
	return problems;
}

/**
 * Compiles the rules once.
 * @throws RangeError when {@link checkAccessRules} finds a problem (the config loader reports them first)
 */
export function compileAccessRules(input: AccessControlInput): CompiledAccessRules {
	const problems = checkAccessRules(input);
	if (problems.length > 0) throw new RangeError(problems.join("; "));
	const rules: CompiledRule[] = input.rules.map((rule, index) => ({
		index,
		input: rule,
		domain: compileDomainMatcher(rule.domains),
		resource: compileResourceMatcher(rule.resources ?? []),
		method: compileMethodMatcher(rule.methods ?? []),
		network: compileNetworkMatcher(rule.networks ?? []),
		subject: compileSubjectMatcher(rule.groups ?? [], rule.accounts ?? []),
	}));
	const allowing = rules.filter((rule) => rule.input.policy !== "deny");
	return Object.freeze({
		defaultPolicy: input.defaultPolicy,
		rules: input.rules,
		decide(request: AccessRequest, subject: AccessSubject | null): AccessDecision {
			for (const rule of rules) {
				if (!rule.domain(request.host) || !rule.resource(request.pathAndQuery) || !rule.method(request.method) || !rule.network(request.clientAddress)) continue;
				if (rule.subject !== null) {
					// Who asks is unknown: a rule for some people may apply to them; they sign in first.
					if (subject === null) return { policy: "one_factor", ruleIndex: rule.index, maxSecondFactorAgeSeconds: null, needsSubject: true };
					if (!rule.subject(subject)) continue;
				}
				return { policy: rule.input.policy, ruleIndex: rule.index, maxSecondFactorAgeSeconds: rule.input.maxSecondFactorAgeSeconds ?? null, needsSubject: false };
			}
			return { policy: input.defaultPolicy, ruleIndex: null, maxSecondFactorAgeSeconds: null, needsSubject: false };
		},
		coversHost(host: string): boolean {
			return allowing.some((rule) => rule.domain(host));
		},
	});
}
