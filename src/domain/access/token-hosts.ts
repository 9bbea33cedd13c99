/**
 * The hosts a personal access token may reach: each an exact host (`app.example.test`) or a
 * wildcard (`*.example.test`: every host below `example.test`, at any depth, not `example.test`
 * itself), with the very semantics of an access rule's `domains` (`domain-matcher.ts`). A token
 * is refused at any other host, whatever the rules say (deny reason `token_host`).
 */
import { hostMatchesPattern, isDomainPattern, normalizeHost } from "./domain-matcher.js";

/** The most hosts one token may name. */
export const ACCESS_TOKEN_HOSTS_MAX = 20;

/**
 * A host pattern as typed by a person, in the form rules use: lower case, without a port or a
 * final dot; `*.` kept in front of a parent of two labels or more.
 * @returns null when it is neither a host name nor `*.` + a domain of two labels or more (an IP
 *   address in brackets, a URL, `*`, `*.test`, `a.*.test` are all refused)
 */
export function normalizeHostPattern(input: string): string | null {
	const text = input.trim().toLowerCase();
	const wildcard = text.startsWith("*.");
	const host = normalizeHost(wildcard ? text.slice(2) : text);
	if (host === null) return null;
	const pattern = wildcard ? `*.${host}` : host;
	return isDomainPattern(pattern) ? pattern : null;
}

/** A list of host patterns read from a form: the valid ones (normalized, each once, in order) and the entries refused as typed. */
export interface HostList {
	readonly patterns: readonly string[];
	readonly invalid: readonly string[];
}

/**
 * Reads a list of host patterns separated by commas, spaces or line breaks (one a line, or
 * `a.example.test, b.example.test`), with {@link normalizeHostPattern}. Empty entries are skipped.
 */
export function parseHostList(text: string): HostList {
	const patterns: string[] = [];
	const invalid: string[] = [];
	for (const entry of text.split(/[\s,]+/)) {
		if (entry === "") continue;
		const pattern = normalizeHostPattern(entry);
		if (pattern === null) invalid.push(entry);
		else if (!patterns.includes(pattern)) patterns.push(pattern);
	}
	return { patterns, invalid };
}

/**
 * Whether a token made for `patterns` may reach `host`.
 * @param patterns - normalized patterns ({@link normalizeHostPattern})
 * @param host - the request's host, normalized (`normalizeHost`: lower case, no port)
 */
export function accessTokenCoversHost(patterns: readonly string[], host: string): boolean {
	return patterns.some((pattern) => hostMatchesPattern(pattern, host));
}
