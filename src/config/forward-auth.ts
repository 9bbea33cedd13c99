/**
 * The checks of the forward-auth settings that the schema cannot express: the trusted proxies, the access rules
 * (`domain/access/access-rules.ts`, the same code that evaluates them), the cookie domain against
 * the public URL, and the introspection keys against the admin key.
 */
import { checkAccessRules } from "../domain/access/access-rules.js";
import { hostMatchesPattern, isHostName } from "../domain/access/domain-matcher.js";
import { expandNetworkKeyword, NETWORK_KEYWORDS, parseNetwork } from "../domain/access/network-matcher.js";
import type { ConfigInput } from "./schema.js";

/**
 * Problems of `accessControl`, `session.cookieDomain` and `keys.introspectionKeys`, each a line for
 * the start's error; parts the schema already reported (`reported`, by dotted path) are skipped.
 */
export function forwardAuthIssues(input: ConfigInput, reported: ReadonlySet<string>): string[] {
	const issues: string[] = [];
	const skipped = (path: string): boolean => [...reported].some((at) => at === path || at.startsWith(`${path}.`) || path.startsWith(`${at}.`));
	if (!skipped("accessControl")) issues.push(...checkAccessRules(input.accessControl));
	const cookieDomain = input.session?.cookieDomain;
	if (typeof cookieDomain === "string" && !skipped("session.cookieDomain")) {
		if (!isHostName(cookieDomain) || !cookieDomain.includes(".")) {
			issues.push(`session.cookieDomain: "${cookieDomain}" must be a domain of two labels or more, lower case, without a port or a leading dot (example.test)`);
		} else if (typeof input.http?.publicUrl !== "string") {
			issues.push("session.cookieDomain: set http.publicUrl too (deadbolt's own host must be inside the cookie domain, and links to it must be right)");
		} else {
			const host = new URL(input.http.publicUrl).hostname;
			if (host !== cookieDomain && !hostMatchesPattern(`*.${cookieDomain}`, host)) {
				issues.push(`session.cookieDomain: "${cookieDomain}" does not contain deadbolt's host "${host}" (http.publicUrl); browsers refuse a cookie for a domain its host is not in`);
			}
		}
	}
	const proxies = input.http?.trustedProxies;
	if (Array.isArray(proxies) && !skipped("http.trustedProxies")) {
		proxies.forEach((entry, index) => {
			if (expandNetworkKeyword(entry).some((network) => parseNetwork(network) === null)) {
				issues.push(`http.trustedProxies[${index}]: "${entry}" is not an IP address, a CIDR or one of ${Object.keys(NETWORK_KEYWORDS).join(", ")}`);
			}
		});
	}
	const keys = input.keys;
	if (keys !== undefined && Array.isArray(keys.introspectionKeys) && !skipped("keys.introspectionKeys")) {
		if (keys.adminApiKey !== null && keys.introspectionKeys.includes(keys.adminApiKey)) {
			issues.push("keys.introspectionKeys: must differ from keys.adminApiKey (a backend that introspects tokens must not hold the admin key)");
		}
	}
	return issues;
}
