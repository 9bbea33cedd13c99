/**
 * The `domains` of an access rule: an exact host (`app.example.test`) or a wildcard
 * (`*.example.test`: every host below `example.test`, at any depth, but not `example.test`
 * itself). Hosts compare lower-cased and without a port, as a browser's `Host` would name them.
 * @see https://www.authelia.com/configuration/security/access-control/#domain (the model)
 */

/** Whether `host` is a DNS name (letters, digits, hyphens, dots; labels of 1-63), without a port. */
export function isHostName(host: string): boolean {
	return host.length <= 253 && /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/.test(host);
}

/**
 * Whether `pattern` is a valid `domains` entry: a host name, or `*.` followed by one with at least
 * two labels (`*.test` alone would cover a whole top-level domain).
 */
export function isDomainPattern(pattern: string): boolean {
	if (pattern.startsWith("*.")) {
		const parent = pattern.slice(2);
		return isHostName(parent) && parent.includes(".");
	}
	return isHostName(pattern);
}

/**
 * A host as rules see it: lower case, the port (and the brackets of an IPv6 literal) removed.
 * @returns null when what remains is not a host name or an IP literal
 */
export function normalizeHost(hostHeader: string): string | null {
	const text = hostHeader.trim().toLowerCase();
	if (text.startsWith("[")) {
		const end = text.indexOf("]");
		return end > 1 && /^(:\d{1,5})?$/.test(text.slice(end + 1)) ? text.slice(1, end) : null;
	}
	const host = text.replace(/:\d{1,5}$/, "").replace(/\.$/, "");
	return isHostName(host) ? host : null;
}

/** Whether `host` (normalized, {@link normalizeHost}) is covered by `pattern` (valid, {@link isDomainPattern}). */
export function hostMatchesPattern(pattern: string, host: string): boolean {
	return pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
}

/** A compiled `domains` list: true when any entry covers the host. */
export function compileDomainMatcher(patterns: readonly string[]): (host: string) => boolean {
	const exact = new Set(patterns.filter((pattern) => !pattern.startsWith("*.")));
	const suffixes = patterns.filter((pattern) => pattern.startsWith("*.")).map((pattern) => pattern.slice(1));
	return (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length);
}
