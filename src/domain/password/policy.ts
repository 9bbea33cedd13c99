/**
 * Password rules of NIST SP 800-63B §5.1.1.2: a length range counted in Unicode code points, a
 * blocklist of commonly used passwords and context words, and no composition rules (OWASP ASVS
 * 6.2.5). The result is a list of facts; the service decides.
 */

/** The length rules. */
export interface PasswordPolicy {
	/** Fewest code points, >= 8. */
	readonly minLength: number;
	/** Most code points, >= 64. */
	readonly maxLength: number;
}

/** One broken rule. `rule` is stable; `message` is for the user. */
export interface PasswordViolation {
	readonly rule: "too_short" | "too_long" | "common" | "context_word" | "malformed";
	readonly message: string;
}

/**
 * Checks a candidate password after NFKC normalization.
 * @param contextWords - words the password must not equal (the email, its local part, the service name), compared case-insensitively
 * @param blocklist - commonly used passwords, lower case (NIST SP 800-63B §5.1.1.2 "passwords obtained from previous breach corpuses, dictionary words"); the candidate is compared lower-cased
 * @returns the broken rules; empty when the password is acceptable
 */
export function checkPassword(candidate: string, policy: PasswordPolicy, contextWords: readonly string[] = [], blocklist: ReadonlySet<string> = new Set()): PasswordViolation[] {
	const violations: PasswordViolation[] = [];
	// A lone UTF-16 surrogate is no character: it would be stored as U+FFFD and match any other.
	if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(candidate)) {
		violations.push({ rule: "malformed", message: "The password contains an invalid character." });
	}
	const length = [...candidate.normalize("NFKC")].length;
	if (length < policy.minLength) {
		violations.push({ rule: "too_short", message: `Use at least ${policy.minLength} characters.` });
	}
	if (length > policy.maxLength) {
		violations.push({ rule: "too_long", message: `Use at most ${policy.maxLength} characters.` });
	}
	const lowered = candidate.normalize("NFKC").toLowerCase();
	if (blocklist.has(lowered)) {
		violations.push({ rule: "common", message: "This password is one of the most commonly used, and easy to guess. Choose another: a few unrelated words make a strong one." });
	}
	if (contextWords.some((word) => word.length > 0 && lowered === word.toLowerCase())) {
		violations.push({ rule: "context_word", message: "Do not use your email address or the name of this service as your password." });
	}
	return violations;
}
