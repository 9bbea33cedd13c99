/**
 * The `resources` of an access rule: regular expressions tested against the original request's
 * path and query (`/api/users?page=2`), as Authelia's `resources`. An anchor (`^`) is the rule
 * author's to write: `/api/` alone matches anywhere in the path or query.
 * @see https://www.authelia.com/configuration/security/access-control/#resources (the model)
 */

/**
 * Compiles a `resources` list.
 * @returns a test that is true when any expression matches; always true for an empty list
 * @throws SyntaxError for an expression JavaScript does not accept (the config check reports it)
 */
export function compileResourceMatcher(expressions: readonly string[]): (pathAndQuery: string) => boolean {
	if (expressions.length === 0) return () => true;
	// The `u` flag: strict syntax (a typo is an error, not a literal), and code points, not UTF-16 halves.
	const compiled = expressions.map((expression) => new RegExp(expression, "u"));
	return (pathAndQuery) => compiled.some((expression) => expression.test(pathAndQuery));
}
