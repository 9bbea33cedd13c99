/**
 * Where each mailed link leads: the dashboard page a mail points at, as a path, in one table (the
 * mail layer, `delivery/mail-links.ts`, puts `http.publicUrl` in front: links are built only from it). The token travels in the
 * query; every page behind these paths shows a button first (GET never uses a link up), so that
 * mail scanners and link previews do not spend it.
 */
/** The dashboard paths mailed links open (GET shows a confirm button; its POST uses the link). */
export const EMAIL_LINK_PATHS = Object.freeze({
	/** Verify the address of an account (sign-up in mode `open`, or "Resend"). */
	verifyEmail: "/dashboard/verify-email",
	/** Finish a sign-up in mode `verified`: creates the account. */
	finishSignUp: "/dashboard/sign-up/finish",
	/** Set a new password after "Forgot password?". */
	resetPassword: "/dashboard/reset-password",
	/** Approve, from the current address, a change of address (accounts without a second factor confirmed by mail). */
	approveEmailChange: "/dashboard/approve-email-change",
	/** Confirm a new address (change of email). */
	confirmEmailChange: "/dashboard/confirm-email",
	/** Confirm the account's second factor for apps behind forward-auth `two_factor` rules. */
	confirmTwoFactor: "/dashboard/confirm-two-factor",
	/** Set up the two-factor authentication an operator requires, past its deadline (no session exists before). */
	requiredTwoFactorSetup: "/dashboard/two-factor/required-setup",
	/** "Forgot password?": the form that mails a reset link. */
	forgotPassword: "/dashboard/forgot-password",
	/** The sign-in page. */
	signIn: "/dashboard/sign-in",
	/** The sign-up page. */
	signUp: "/dashboard/sign-up",
	/** "This wasn't me": the dashboard's "I think my account is compromised" flow (every alert). */
	compromised: "/dashboard/settings/security/compromised",
	/** The account's security activity (every alert). */
	activity: "/dashboard/settings/security/activity",
});

/** A key of {@link EMAIL_LINK_PATHS}. */
export type EmailLinkPath = keyof typeof EMAIL_LINK_PATHS;
