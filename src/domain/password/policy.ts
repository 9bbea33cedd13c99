/**
 * Password rules of NIST SP 800-63B §5.1.1.2: a length range counted in Unicode code points,
 * and no composition rules (OWASP ASVS 6.2.5). The result is a list of facts; the service decides.
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
	readonly rule: "too_short" | "too_long" | "context_word";
	readonly message: string;
}

/**
 * Checks a candidate password after NFKC normalization.
 * @param contextWords - words the password must not equal (the email, its local part, the service name), compared case-insensitively
 * @returns the broken rules; empty when the password is acceptable
 */
export function checkPassword(candidate: string, policy: PasswordPolicy, contextWords: readonly string[] = []): PasswordViolation[] {
	const violations: PasswordViolation[] = [];
	const length = [...candidate.normalize("NFKC")].length;
	if (length < policy.minLength) {
		violations.push({ rule: "too_short", message: `Use at least ${policy.minLength} characters.` });
	}
	if (length > policy.maxLength) {
		violations.push({ rule: "too_long", message: `Use at most ${policy.maxLength} characters.` });
	}
	const lowered = candidate.toLowerCase();
	if (contextWords.some((word) => word.length > 0 && lowered === word.toLowerCase())) {
		violations.push({ rule: "context_word", message: "Do not use your email address or the name of this service as your password." });
	}
	return violations;
}
