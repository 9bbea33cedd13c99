/**
 * What a group name is. An account's groups decide access rules' `groups`, and travel in the
 * `Remote-Groups` header (comma-separated), in assertions and in introspection answers, so a name
 * is plain and unambiguous everywhere:
 *
 * - 1 to 64 characters (`GROUP_NAME_MAX_LENGTH`);
 * - lower-case ASCII letters `a-z`, digits `0-9`, dot `.`, underscore `_` and hyphen `-` only
 *   (no comma, space or quote: a header list or a CLI `--set a,b` cannot be misread);
 * - starts with a letter or a digit (a name never looks like a CLI option such as `-x`).
 *
 * Typed names are normalized first: surrounding white space trimmed, ASCII `A-Z` lower-cased (and
 * nothing else: a non-ASCII letter is never folded into an ASCII one, e.g. the Kelvin sign U+212A
 * into `k`, so what is stored is exactly what was meant). `Admins` names the group `admins`.
 * Pure functions; the service decides what a refusal means.
 */

/** The longest group name, in characters. */
export const GROUP_NAME_MAX_LENGTH = 64;

/** The most groups one account may have (an upper bound for header and token sizes). */
export const GROUPS_PER_ACCOUNT_MAX = 100;

/** The form of a group name (see the file comment). */
const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Whether `name` is a group name exactly as stored (already normalized). */
export function isGroupName(name: string): boolean {
	return GROUP_NAME.test(name);
}

/**
 * A typed group name in its stored form: trimmed, ASCII upper case lowered.
 * @returns the group name, or null when the result is not one (empty, too long, or a character outside `a-z 0-9 . _ -`)
 */
export function normalizeGroupName(input: string): string | null {
	const name = input.trim().replace(/[A-Z]/g, (letter) => letter.toLowerCase());
	return isGroupName(name) ? name : null;
}

/** The outcome of {@link normalizeGroupNames}. */
export interface NormalizedGroupNames {
	/** The valid names, normalized, each once, sorted (by code unit: the same order everywhere). */
	readonly groups: readonly string[];
	/** The inputs that are not group names, as typed, in input order. */
	readonly invalid: readonly string[];
}

/** Normalizes a list of typed names (see {@link normalizeGroupName}), deduplicated and sorted. */
export function normalizeGroupNames(inputs: readonly string[]): NormalizedGroupNames {
	const groups = new Set<string>();
	const invalid: string[] = [];
	for (const input of inputs) {
		const name = normalizeGroupName(input);
		if (name === null) invalid.push(input);
		else groups.add(name);
	}
	return Object.freeze({ groups: Object.freeze([...groups].sort()), invalid: Object.freeze(invalid) });
}
