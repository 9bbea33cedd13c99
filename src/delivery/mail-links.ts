/**
 * Every dashboard address a mail links to, in one table, and how a link is built: always on the
 * configured origin (`http.publicUrl`, or `http://host:port` when it is null and mails go to
 * `.eml` files), never on a request's Host header, which an attacker chooses (OWASP Forgot
 * Password Cheat Sheet, "URL tokens": password reset poisoning).
 *
 * The link mails' paths must match the dashboard routes that open them (issue 11; the accounts
 * flows register them). Change them here, nowhere else.
 */

/** The dashboard paths mails link to. A token travels in the `token` query parameter. */
export const MAIL_LINK_PATHS = Object.freeze({
	/** Verify the address of an existing account (`email.verify`). */
	verifyEmail: "/dashboard/verify-email",
	/** Finish a sign-up in `signUp.mode` `verified` (`sign_up.verify`). */
	finishSignUp: "/dashboard/sign-up/finish",
	/** Set a new password (`password.reset`). */
	resetPassword: "/dashboard/reset-password",
	/** Confirm a new address (`email.change_confirm`). */
	confirmEmail: "/dashboard/confirm-email",
	/** The sign-in page (`sign_up.exists`). */
	signIn: "/dashboard/sign-in",
	/** "Forgot password" (`sign_up.exists`, `password.reset_unknown`). */
	forgotPassword: "/dashboard/forgot-password",
	/** "This wasn't me": the dashboard's "I think my account is compromised" flow (every alert). */
	compromised: "/dashboard/settings/security/compromised",
	/** The account's security activity (every alert). */
	activity: "/dashboard/settings/security/activity",
});

/** A key of {@link MAIL_LINK_PATHS}. */
export type MailLinkPath = keyof typeof MAIL_LINK_PATHS;

/**
 * An absolute link: `<origin><path>`, with `?token=<token>` when a token is given.
 * @param origin - scheme, host and port, no trailing slash (`https://auth.example.com`)
 */
export function mailLink(origin: string, path: MailLinkPath, token: string | null = null): string {
	const base = `${origin}${MAIL_LINK_PATHS[path]}`;
	return token === null ? base : `${base}?token=${encodeURIComponent(token)}`;
}
