/** The `methods` of an access rule: HTTP methods (RFC 9110 §9), upper case. */

/** The methods a rule may name. */
export const HTTP_METHODS = Object.freeze(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const);

/** Compiles a `methods` list: true when the request's method is listed; always true for an empty list. */
export function compileMethodMatcher(methods: readonly string[]): (method: string) => boolean {
	if (methods.length === 0) return () => true;
	const listed = new Set(methods.map((method) => method.toUpperCase()));
	return (method) => listed.has(method.toUpperCase());
}
