/**
 * The checks of `twoFactorPolicy` that the schema cannot express: `enforcedSince` is an ISO 8601
 * date or instant and is set once enforcement is on; `enforce: "groups"` lists at least one group,
 * each a valid group name. Run at start, so a mistake stops the start with a line that says what
 * to write, never a policy that silently applies to nobody.
 */
import { normalizeGroupName } from "../domain/access/group-name.js";
import type { ConfigInput } from "./schema.js";

/** An ISO 8601 date (`2026-12-07`) or instant with a zone (`2026-12-07T09:00:00Z`, `...+01:00`). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Problems of `twoFactorPolicy`, each a line for the start's error; parts the schema already
 * reported (`reported`, by dotted path) are skipped.
 */
export function twoFactorPolicyIssues(input: ConfigInput, reported: ReadonlySet<string>): string[] {
	const policy = input.twoFactorPolicy;
	if (reported.has("twoFactorPolicy") || typeof policy !== "object" || policy === null) return [];
	const issues: string[] = [];
	const since = policy.enforcedSince;
	if (!reported.has("twoFactorPolicy.enforcedSince") && typeof since === "string" && (!ISO_INSTANT.test(since) || Number.isNaN(Date.parse(since)))) {
		issues.push(`twoFactorPolicy.enforcedSince: "${since}" is not an ISO 8601 date or instant, e.g. 2026-12-07 or 2026-12-07T09:00:00Z`);
	}
	if (policy.enforce !== "off" && since === null) {
		issues.push(`twoFactorPolicy.enforcedSince: required when enforce is "${policy.enforce}": the date enforcement starts, from which each account's ${policy.gracePeriodDays}-day grace period counts (e.g. today's date)`);
	}
	if (policy.enforce === "groups" && Array.isArray(policy.groups) && policy.groups.length === 0) {
		issues.push(`twoFactorPolicy.groups: list at least one group with enforce "groups" (or enforce "everyone")`);
	}
	if (Array.isArray(policy.groups) && !reported.has("twoFactorPolicy.groups")) {
		policy.groups.forEach((group, index) => {
			if (typeof group === "string" && normalizeGroupName(group) === null) issues.push(`twoFactorPolicy.groups[${index}]: "${group}" is not a group name (1 to 64 of a-z 0-9 . _ -, starting with a letter or digit)`);
		});
	}
	return issues;
}
