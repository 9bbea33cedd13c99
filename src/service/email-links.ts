/**
 * Where each mailed link leads: the dashboard page a link mail points at, as a path (the mail
 * layer puts `http.publicUrl` in front: links are built only from it). The token travels in the
 * query; every page behind these paths shows a button first (GET never uses a link up), so that
 * mail scanners and link previews do not spend it.
 */
import type { LinkMailKind } from "./outbox.js";

/** The dashboard paths mailed links open (GET shows a confirm button; its POST uses the link). */
export const EMAIL_LINK_PATHS = Object.freeze({
	/** Verify the address of an account (sign-up in mode `open`, or "Resend"). */
	verifyEmail: "/dashboard/verify-email",
	/** Finish a sign-up in mode `verified`: creates the account. */
	finishSignUp: "/dashboard/sign-up/finish",
	/** Set a new password after "Forgot password?". */
	resetPassword: "/dashboard/reset-password",
	/** Confirm a new address (change of email). */
	confirmEmailChange: "/dashboard/confirm-email",
	/** "Forgot password?": the form that mails a reset link. */
	forgotPassword: "/dashboard/forgot-password",
	/** The sign-in page. */
	signIn: "/dashboard/sign-in",
	/** The sign-up page. */
	signUp: "/dashboard/sign-up",
});

/**
 * The path (with its query) a link mail of `kind` points at.
 * @param token - the delivery's opened secret (`openDeliverySecret`); null for the kinds without a token
 * @returns e.g. `/dashboard/reset-password?token=<token>`; for `sign_up.exists` the sign-in page
 *   (the mail also names {@link EMAIL_LINK_PATHS}.forgotPassword), for `password.reset_unknown` the
 *   sign-up page
 * @throws TypeError when a kind that carries a token gets none
 */
export function emailLinkPath(kind: LinkMailKind, token: string | null): string {
	const withToken = (path: string): string => {
		if (token === null) throw new TypeError(`a ${kind} mail needs its token`);
		return `${path}?token=${encodeURIComponent(token)}`;
	};
	switch (kind) {
		case "email.verify":
			return withToken(EMAIL_LINK_PATHS.verifyEmail);
		case "sign_up.verify":
			return withToken(EMAIL_LINK_PATHS.finishSignUp);
		case "password.reset":
			return withToken(EMAIL_LINK_PATHS.resetPassword);
		case "email.change_confirm":
			return withToken(EMAIL_LINK_PATHS.confirmEmailChange);
		case "sign_up.exists":
			return EMAIL_LINK_PATHS.signIn;
		case "password.reset_unknown":
			return EMAIL_LINK_PATHS.signUp;
	}
}
