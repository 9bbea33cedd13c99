/**
 * The blocklist of commonly used passwords (NIST SP 800-63B §5.1.1.2, OWASP ASVS 6.2.4: at least
 * the top 3000): the ~49,000 passwords of `@zxcvbn-ts/language-common` ("passwords-common",
 * ranked from breach corpora), lower-cased. Only those at least as long as the shortest allowed
 * password can ever match, so only those are kept. Loaded once, on first use (the package too: a
 * start does not pay for its dictionaries, issue 15).
 */
import { createRequire } from "node:module";
import type { dictionary as Dictionary } from "@zxcvbn-ts/language-common";

let cached: { minLength: number; set: ReadonlySet<string> } | null = null;

/**
 * The blocklist for passwords of at least `minLength` code points.
 * @returns a set of lower-case passwords
 */
export function commonPasswords(minLength: number): ReadonlySet<string> {
	if (cached === null || cached.minLength !== minLength) {
		const { dictionary } = createRequire(import.meta.url)("@zxcvbn-ts/language-common") as { dictionary: typeof Dictionary };
		const list = (dictionary as Record<string, readonly string[]>)["passwords-common"] ?? [];
		cached = { minLength, set: new Set(list.filter((p) => [...p].length >= minLength).map((p) => p.toLowerCase())) };
	}
	return cached.set;
}
