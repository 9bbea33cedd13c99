/**
 * How a mail's link is built: always on the
 * configured origin (`http.publicUrl`, or `http://host:port` when it is null and mails go to
 * `.eml` files), never on a request's Host header, which an attacker chooses (OWASP Forgot
 * Password Cheat Sheet, "URL tokens": password reset poisoning).
 *
 * The paths are `EMAIL_LINK_PATHS` of `service/email-links.ts`, the one table.
 */
import { EMAIL_LINK_PATHS, type EmailLinkPath } from "../service/email-links.js";

/**
 * An absolute link: `<origin><path>`, with `?token=<token>` when a token is given.
 * @param origin - scheme, host and port, no trailing slash (`https://auth.example.com`)
 */
export function mailLink(origin: string, path: EmailLinkPath, token: string | null = null): string {
	const base = `${origin}${EMAIL_LINK_PATHS[path]}`;
	return token === null ? base : `${base}?token=${encodeURIComponent(token)}`;
}
